package events

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Bus is the in-process event bus of the local runtime: Publish queues an
// event and returns; worker goroutines deliver it to every handler subscribed
// to its type. Delivery is at least once within the process lifetime; what a
// crash loses is recovered by the runtime's sweeps, as on AWS a lost
// notification is recovered by the dropbox sweep.
type Bus struct {
	log *slog.Logger

	mu       sync.RWMutex
	handlers map[string][]Handler

	// The queue is unbounded on purpose: handlers publish follow-up events
	// from worker goroutines, and a bounded queue would let every worker
	// block on a full queue that only workers can empty. Back-pressure on
	// incoming files is applied where they enter (the dropbox watcher and
	// the upload handler), not here.
	qmu     sync.Mutex
	qcond   *sync.Cond
	queue   []Event
	closing bool
	pending sync.WaitGroup // events queued or being handled
	workers sync.WaitGroup
	once    sync.Once

	statsMu sync.Mutex
	stats   BusStats
}

// BusStats counts deliveries, for the status page and tests.
type BusStats struct {
	Published int64 `json:"published"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
}

// NewBus starts a bus with the given number of delivery workers.
func NewBus(log *slog.Logger, workers int) *Bus {
	if workers < 1 {
		workers = 1
	}
	b := &Bus{log: log, handlers: map[string][]Handler{}}
	b.qcond = sync.NewCond(&b.qmu)
	for range workers {
		b.workers.Add(1)
		go b.work()
	}
	return b
}

// Subscribe registers h for events of type typ.
func (b *Bus) Subscribe(typ string, h Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[typ] = append(b.handlers[typ], h)
}

// Publish queues e for delivery. It fails only when the bus is closed.
func (b *Bus) Publish(ctx context.Context, e Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.qmu.Lock()
	defer b.qmu.Unlock()
	if b.closing {
		return errors.New("event bus closed")
	}
	b.pending.Add(1)
	b.queue = append(b.queue, e)
	b.qcond.Signal()
	b.count(func(s *BusStats) { s.Published++ })
	return nil
}

func (b *Bus) work() {
	defer b.workers.Done()
	for {
		b.qmu.Lock()
		for len(b.queue) == 0 && !b.closing {
			b.qcond.Wait()
		}
		if len(b.queue) == 0 {
			b.qmu.Unlock()
			return
		}
		e := b.queue[0]
		b.queue[0] = Event{}
		b.queue = b.queue[1:]
		b.qmu.Unlock()
		b.deliver(e)
		b.pending.Done()
	}
}

func (b *Bus) deliver(e Event) {
	b.mu.RLock()
	hs := b.handlers[e.Type]
	b.mu.RUnlock()
	for _, h := range hs {
		if err := h(context.Background(), e); err != nil {
			b.count(func(s *BusStats) { s.Failed++ })
			b.log.Error("event handler failed", "event", e.Type, "err", err)
			continue
		}
		b.count(func(s *BusStats) { s.Delivered++ })
	}
}

func (b *Bus) count(f func(*BusStats)) {
	b.statsMu.Lock()
	f(&b.stats)
	b.statsMu.Unlock()
}

// Stats returns the delivery counters.
func (b *Bus) Stats() BusStats {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	return b.stats
}

// Drain waits until every published event, including events published by
// handlers while draining, has been handled.
func (b *Bus) Drain() { b.pending.Wait() }

// Close drains the bus and stops its workers.
func (b *Bus) Close() {
	b.once.Do(func() {
		b.Drain()
		b.qmu.Lock()
		b.closing = true
		b.qcond.Broadcast()
		b.qmu.Unlock()
		b.workers.Wait()
	})
}
