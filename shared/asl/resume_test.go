package asl

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"
)

func persistences(t *testing.T) map[string]func() Persistence {
	return map[string]func() Persistence{
		"memory": func() Persistence { return NewMemoryPersistence() },
		"table": func() Persistence {
			p, err := NewTablePersistence(context.Background(), newMemTable())
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
	}
}

// eventually polls cond: used only to wait for another goroutine's
// progress (a persisted checkpoint), never for a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 5000; i++ {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func mustEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	eng, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

func resumeOnce(t *testing.T, eng *Engine) {
	t.Helper()
	n, err := eng.Resume(ctxT(t))
	if err != nil || n != 1 {
		t.Fatalf("resumed %d: %v", n, err)
	}
}

// TestResumeWaitAndToken restarts the engine while the execution waits in
// a Wait state, then while it waits on a task token.
func TestResumeWaitAndToken(t *testing.T) {
	for name, mk := range persistences(t) {
		t.Run(name, func(t *testing.T) {
			p := mk()
			var counted atomic.Int32
			count := func() (int32, error) { return counted.Add(1), nil }
			tokens := make(chan string, 2)
			var published atomic.Int32
			clk := newStepClock()
			cfg := Config{Clock: clk, Persistence: p, Handlers: map[string]any{"count": count},
				Integrations: map[string]Integration{"arn:aws:states:::events:putEvents": tokenCatcher(tokens, &published)}}

			eng1 := mustEngine(t, cfg)
			id := start(t, eng1, load(t, "resume"), "r1", `{"x":1}`)
			if d := clk.next(t); d != 300*time.Second {
				t.Fatalf("wait %v", d)
			}
			clk.Advance(100 * time.Second)
			eng1.Close()
			if ex, _ := eng1.Describe(ctxT(t), id); ex.Status != StatusRunning {
				t.Fatalf("status after close %s", ex.Status)
			}

			eng2 := mustEngine(t, cfg)
			resumeOnce(t, eng2)
			clk.step(t, 200*time.Second) // only the rest of the Wait
			tok := <-tokens
			eventually(t, "token checkpoint", func() bool {
				rec, err := p.Load(context.Background(), id)
				return err == nil && rec.Checkpoint != nil && rec.Checkpoint.TaskToken == tok
			})
			eng2.Close()

			eng3 := mustEngine(t, cfg)
			resumeOnce(t, eng3)
			if err := eng3.SendTaskSuccess(tok, json.RawMessage(`{"approved":true}`)); err != nil {
				t.Fatal(err)
			}
			ex := wait(t, eng3, id)
			succeeded(t, ex, `{"x":1,"before":1,"approval":{"approved":true},"after":2}`)
			if published.Load() != 1 {
				t.Fatalf("the token task was published %d times", published.Load())
			}
			if got := ex.StopTime.Sub(ex.StartTime); got != 300*time.Second {
				t.Fatalf("took %v", got)
			}
			h, err := eng3.History(ctxT(t), id)
			if err != nil {
				t.Fatal(err)
			}
			for i, ev := range h {
				if ev.ID != int64(i+1) {
					t.Fatalf("history ids not contiguous at %d: %d", i, ev.ID)
				}
			}
			if h[0].Type != "ExecutionStarted" || h[len(h)-1].Type != "ExecutionSucceeded" {
				t.Fatalf("history %v", eventTypes(t, eng3, id))
			}
			list, _ := eng3.List(ctxT(t))
			if len(list) != 1 || list[0].Status != StatusSucceeded {
				t.Fatalf("list %+v", list)
			}
		})
	}
}

// TestResumeTaskMidRun re-runs a Task that was interrupted (at-least-once).
func TestResumeTaskMidRun(t *testing.T) {
	p := NewMemoryPersistence()
	var counted atomic.Int32
	entered := make(chan struct{}, 1)
	count := func(ctx context.Context) (int32, error) {
		n := counted.Add(1)
		if n == 1 {
			entered <- struct{}{}
			<-ctx.Done() // the process "dies" during the first call
			return 0, ctx.Err()
		}
		return n, nil
	}
	tokens := make(chan string, 2)
	var published atomic.Int32
	clk := newStepClock()
	cfg := Config{Clock: clk, Persistence: p, Handlers: map[string]any{"count": count},
		Integrations: map[string]Integration{"arn:aws:states:::events:putEvents": tokenCatcher(tokens, &published)}}
	eng1 := mustEngine(t, cfg)
	id := start(t, eng1, load(t, "resume"), "mid", `{}`)
	<-entered
	eng1.Close()

	eng2 := mustEngine(t, cfg)
	resumeOnce(t, eng2)
	clk.step(t, 300*time.Second)
	if err := eng2.SendTaskSuccess(<-tokens, json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	succeeded(t, wait(t, eng2, id), `{"before":2,"approval":1,"after":3}`)
}

func TestResumeRetryBackoff(t *testing.T) {
	p := NewMemoryPersistence()
	var calls []int
	clk := newStepClock()
	cfg := Config{Clock: clk, Persistence: p, Handlers: map[string]any{"flaky": flaky(&calls)}}
	eng1 := mustEngine(t, cfg)
	id := start(t, eng1, load(t, "retry"), "rb", `{"mode":"TT"}`)
	clk.step(t, time.Second)
	if d := clk.next(t); d != 2*time.Second {
		t.Fatalf("second back-off %v", d)
	}
	eng1.Close()
	eng2 := mustEngine(t, cfg)
	resumeOnce(t, eng2)
	clk.step(t, 2*time.Second) // the same back-off, not a fresh one
	succeeded(t, wait(t, eng2, id), `{"mode":"TT","result":{"calls":3}}`)
	if len(calls) != 3 || calls[2] != 2 {
		t.Fatalf("attempts %v", calls)
	}
}
