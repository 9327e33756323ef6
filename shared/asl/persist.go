package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/magpie-sdc/magpie/shared/store"
)

// ErrNotFound is returned for an unknown execution or task token.
var ErrNotFound = errors.New("not found")

// Persistence keeps executions and their histories so that a restarted
// engine can list finished ones and resume running ones. The engine calls
// Save after every top-level transition with the events recorded since the
// previous Save; implementations must keep events in ID order.
type Persistence interface {
	Save(ctx context.Context, rec *Record, events []HistoryEvent) error
	// Load returns the record or an error wrapping ErrNotFound.
	Load(ctx context.Context, id string) (*Record, error)
	History(ctx context.Context, id string) ([]HistoryEvent, error)
	// List returns every record (running and finished).
	List(ctx context.Context) ([]*Record, error)
}

// MemoryPersistence keeps everything in memory; it survives an Engine (tests
// build a second engine on the same MemoryPersistence to simulate a restart)
// but not the process.
type MemoryPersistence struct {
	mu      sync.Mutex
	records map[string]*Record
	events  map[string][]HistoryEvent
}

// NewMemoryPersistence returns an empty in-memory persistence.
func NewMemoryPersistence() *MemoryPersistence {
	return &MemoryPersistence{records: map[string]*Record{}, events: map[string][]HistoryEvent{}}
}

// Save stores a copy of rec and appends events.
func (m *MemoryPersistence) Save(_ context.Context, rec *Record, events []HistoryEvent) error {
	cp := *rec
	if rec.Checkpoint != nil {
		c := *rec.Checkpoint
		c.RetryCounts = append([]int(nil), c.RetryCounts...)
		cp.Checkpoint = &c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[rec.ExecutionID] = &cp
	m.events[rec.ExecutionID] = append(m.events[rec.ExecutionID], events...)
	return nil
}

// Load returns a copy of the record.
func (m *MemoryPersistence) Load(_ context.Context, id string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok {
		return nil, fmt.Errorf("execution %q: %w", id, ErrNotFound)
	}
	cp := *r
	return &cp, nil
}

// History returns the stored events.
func (m *MemoryPersistence) History(_ context.Context, id string) ([]HistoryEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.records[id]; !ok {
		return nil, fmt.Errorf("execution %q: %w", id, ErrNotFound)
	}
	return append([]HistoryEvent(nil), m.events[id]...), nil
}

// List returns copies of all records ordered by start time.
func (m *MemoryPersistence) List(_ context.Context) ([]*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Record, 0, len(m.records))
	for _, r := range m.records {
		cp := *r
		out = append(out, &cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
	return out, nil
}

// Table names and key attributes used by TablePersistence.
const (
	ExecutionsTable = "asl_executions" // PK "id" = execution ARN
	HistoryTable    = "asl_history"    // PK "exec" = execution ARN, SK "seq" = zero-padded event id
)

// TablePersistence stores executions in a store.TableStore: one item per
// execution (the record as JSON in attribute "data", plus "status") and one
// item per history event.
type TablePersistence struct {
	t store.TableStore
}

// NewTablePersistence creates the tables if needed.
func NewTablePersistence(ctx context.Context, t store.TableStore) (*TablePersistence, error) {
	if err := t.EnsureTable(ctx, store.TableSpec{Name: ExecutionsTable, PK: "id"}); err != nil {
		return nil, fmt.Errorf("asl: create executions table: %w", err)
	}
	if err := t.EnsureTable(ctx, store.TableSpec{Name: HistoryTable, PK: "exec", SK: "seq"}); err != nil {
		return nil, fmt.Errorf("asl: create history table: %w", err)
	}
	return &TablePersistence{t: t}, nil
}

// Save writes the events, then the record.
func (p *TablePersistence) Save(ctx context.Context, rec *Record, events []HistoryEvent) error {
	if len(events) > 0 {
		items := make([]store.Item, 0, len(events))
		for _, ev := range events {
			b, err := encodeJSON(ev)
			if err != nil {
				return fmt.Errorf("asl: encode event: %w", err)
			}
			items = append(items, store.Item{"exec": rec.ExecutionID, "seq": fmt.Sprintf("%012d", ev.ID), "data": string(b)})
		}
		if err := p.t.BatchPut(ctx, HistoryTable, items); err != nil {
			return fmt.Errorf("asl: save history of %s: %w", rec.ExecutionID, err)
		}
	}
	b, err := encodeJSON(rec)
	if err != nil {
		return fmt.Errorf("asl: encode execution: %w", err)
	}
	item := store.Item{"id": rec.ExecutionID, "status": string(rec.Status), "data": string(b)}
	if err := p.t.Put(ctx, ExecutionsTable, item, store.Cond{}); err != nil {
		return fmt.Errorf("asl: save execution %s: %w", rec.ExecutionID, err)
	}
	return nil
}

func decodeRecord(it store.Item) (*Record, error) {
	var rec Record
	v, err := decodeJSON([]byte(it.String("data")))
	if err != nil {
		return nil, fmt.Errorf("asl: decode execution %s: %w", it.String("id"), err)
	}
	// Round-trip through encoding/json for the typed fields, then restore the
	// JSON values with exact numbers.
	if err := json.Unmarshal([]byte(it.String("data")), &rec); err != nil {
		return nil, fmt.Errorf("asl: decode execution %s: %w", it.String("id"), err)
	}
	m, _ := v.(map[string]any)
	rec.Input = m["input"]
	rec.Output = m["output"]
	if cp, ok := m["checkpoint"].(map[string]any); ok && rec.Checkpoint != nil {
		rec.Checkpoint.Input = cp["input"]
	}
	return &rec, nil
}

// Load reads one execution.
func (p *TablePersistence) Load(ctx context.Context, id string) (*Record, error) {
	it, err := p.t.Get(ctx, ExecutionsTable, store.Key{PK: id})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("execution %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("asl: load execution %s: %w", id, err)
	}
	return decodeRecord(it)
}

// History reads all events of an execution in order.
func (p *TablePersistence) History(ctx context.Context, id string) ([]HistoryEvent, error) {
	if _, err := p.Load(ctx, id); err != nil {
		return nil, err
	}
	var out []HistoryEvent
	cursor := ""
	for {
		page, err := p.t.Query(ctx, HistoryTable, store.Query{PK: id, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("asl: history of %s: %w", id, err)
		}
		for _, it := range page.Items {
			ev, err := decodeEvent([]byte(it.String("data")))
			if err != nil {
				return nil, fmt.Errorf("asl: history of %s: %w", id, err)
			}
			out = append(out, ev)
		}
		if page.Cursor == "" {
			return out, nil
		}
		cursor = page.Cursor
	}
}

func decodeEvent(b []byte) (HistoryEvent, error) {
	var ev HistoryEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return ev, err
	}
	v, err := decodeJSON(b)
	if err != nil {
		return ev, err
	}
	m, _ := v.(map[string]any)
	ev.Input, ev.Output, ev.Parameters = m["input"], m["output"], m["parameters"]
	return ev, nil
}

// List scans every execution.
func (p *TablePersistence) List(ctx context.Context) ([]*Record, error) {
	var out []*Record
	cursor := ""
	for {
		page, err := p.t.Scan(ctx, ExecutionsTable, cursor, 0)
		if err != nil {
			return nil, fmt.Errorf("asl: list executions: %w", err)
		}
		for _, it := range page.Items {
			rec, err := decodeRecord(it)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
		if page.Cursor == "" {
			break
		}
		cursor = page.Cursor
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
	return out, nil
}
