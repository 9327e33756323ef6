package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func TestBusDeliversToSubscribersAndDrains(t *testing.T) {
	bus := NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)), 4)
	defer bus.Close()
	var got, chained atomic.Int64
	bus.Subscribe("A", func(ctx context.Context, e Event) error {
		got.Add(1)
		// A handler publishing a follow-up event: Drain must wait for it too.
		ev, _ := New("B", time.Unix(0, 0), map[string]int{"n": 1})
		return bus.Publish(ctx, ev)
	})
	bus.Subscribe("B", func(ctx context.Context, e Event) error { chained.Add(1); return nil })
	bus.Subscribe("B", func(ctx context.Context, e Event) error { return errors.New("boom") })
	for range 100 {
		ev, err := New("A", time.Unix(0, 0), "x")
		if err != nil {
			t.Fatal(err)
		}
		if err := bus.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	bus.Drain()
	if got.Load() != 100 || chained.Load() != 100 {
		t.Fatalf("delivered A=%d B=%d, want 100 each", got.Load(), chained.Load())
	}
	s := bus.Stats()
	if s.Published != 200 || s.Delivered != 200 || s.Failed != 100 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPublishAfterCloseFails(t *testing.T) {
	bus := NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)), 1)
	bus.Close()
	if err := bus.Publish(context.Background(), Event{Type: "A"}); err == nil {
		t.Fatal("publish after close succeeded")
	}
}
