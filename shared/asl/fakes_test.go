package asl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
)

// memObjects is a minimal in-test store.ObjectStore.
type memObjects struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func newMemObjects() *memObjects { return &memObjects{objs: map[string][]byte{}} }

func (m *memObjects) Put(_ context.Context, key string, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return store.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; ok && opts.CreateOnly {
		return store.ObjectInfo{}, store.ErrExists
	}
	m.objs[key] = b
	return m.info(key), nil
}

func (m *memObjects) info(key string) store.ObjectInfo {
	sum := sha256.Sum256(m.objs[key])
	return store.ObjectInfo{Key: key, Size: int64(len(m.objs[key])), SHA256: hex.EncodeToString(sum[:]), StorageClass: store.ClassStandard}
}

func (m *memObjects) Get(_ context.Context, key string, _ *store.Range) (io.ReadCloser, store.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, store.ObjectInfo{}, fmt.Errorf("%s: %w", key, store.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), m.info(key), nil
}

func (m *memObjects) Head(_ context.Context, key string) (store.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; !ok {
		return store.ObjectInfo{}, store.ErrNotFound
	}
	return m.info(key), nil
}

func (m *memObjects) List(_ context.Context, prefix, token string, limit int) (store.ListPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) && k > token {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var page store.ListPage
	for _, k := range keys {
		page.Objects = append(page.Objects, m.info(k))
	}
	return page, nil
}

func (m *memObjects) Copy(ctx context.Context, src, dst string, opts store.PutOptions) (store.ObjectInfo, error) {
	rc, _, err := m.Get(ctx, src, nil)
	if err != nil {
		return store.ObjectInfo{}, err
	}
	return m.Put(ctx, dst, rc, opts)
}

func (m *memObjects) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}

func (m *memObjects) get(t *testing.T, key string) []byte {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		var keys []string
		for k := range m.objs {
			keys = append(keys, k)
		}
		t.Fatalf("object %q not found; have %v", key, keys)
	}
	return b
}

// memTable is a minimal in-test store.TableStore (no indexes, no cursors).
type memTable struct {
	mu     sync.Mutex
	specs  map[string]store.TableSpec
	tables map[string]map[store.Key]store.Item
}

func newMemTable() *memTable {
	return &memTable{specs: map[string]store.TableSpec{}, tables: map[string]map[store.Key]store.Item{}}
}

func (m *memTable) EnsureTable(_ context.Context, spec store.TableSpec) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.specs[spec.Name] = spec
	if m.tables[spec.Name] == nil {
		m.tables[spec.Name] = map[store.Key]store.Item{}
	}
	return nil
}

func (m *memTable) key(table string, it store.Item) store.Key {
	s := m.specs[table]
	k := store.Key{PK: it.String(s.PK)}
	if s.SK != "" {
		k.SK = it.String(s.SK)
	}
	return k
}

func (m *memTable) Get(_ context.Context, table string, key store.Key) (store.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.tables[table][key]
	if !ok {
		return nil, store.ErrNotFound
	}
	return it, nil
}

func (m *memTable) Put(_ context.Context, table string, item store.Item, _ store.Cond) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tables[table][m.key(table, item)] = item
	return nil
}

func (m *memTable) Delete(_ context.Context, table string, key store.Key, _ store.Cond) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tables[table], key)
	return nil
}

func (m *memTable) sorted(table string, pk string) []store.Item {
	var keys []store.Key
	for k := range m.tables[table] {
		if pk == "" || k.PK == pk {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].PK != keys[j].PK {
			return keys[i].PK < keys[j].PK
		}
		return keys[i].SK < keys[j].SK
	})
	var out []store.Item
	for _, k := range keys {
		out = append(out, m.tables[table][k])
	}
	return out
}

func (m *memTable) Query(_ context.Context, table string, q store.Query) (store.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return store.Page{Items: m.sorted(table, q.PK)}, nil
}

func (m *memTable) Scan(_ context.Context, table string, _ string, _ int) (store.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return store.Page{Items: m.sorted(table, "")}, nil
}

func (m *memTable) Transact(context.Context, []store.WriteOp) error { return fmt.Errorf("not needed") }

func (m *memTable) BatchPut(ctx context.Context, table string, items []store.Item) error {
	for _, it := range items {
		if err := m.Put(ctx, table, it, store.Cond{}); err != nil {
			return err
		}
	}
	return nil
}

// stepClock is a fake clock that reports every timer it is asked for, so a
// test can wait for the interpreter to reach a Wait/retry/timeout, check the
// requested duration and advance exactly that far.
type stepClock struct {
	*clock.Fake
	asked chan time.Duration
}

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func newStepClock() *stepClock {
	return &stepClock{Fake: clock.NewFake(t0), asked: make(chan time.Duration, 1000)}
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	ch := c.Fake.After(d)
	if d > 0 {
		c.asked <- d
	}
	return ch
}

// next waits for the interpreter's next timer request.
func (c *stepClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.asked:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no timer was requested")
		return 0
	}
}

// step waits for the next timer, checks its duration and fires it.
func (c *stepClock) step(t *testing.T, want time.Duration) {
	t.Helper()
	if got := c.next(t); got != want {
		t.Fatalf("timer of %v requested, want %v", got, want)
	}
	c.Advance(want)
}
