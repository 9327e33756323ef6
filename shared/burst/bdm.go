package burst

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Table layout: one table, two kinds of items.
//
//	pk "MEM", sk "STATE": version (optimistic lock of every BDM write),
//	  next segment id, buffers held per observatory ("held_<sc>").
//	pk "SEG", sk zero-padded id: the segment as JSON in "doc"; "pending"
//	  (sparse, index "pending") while it holds buffers.
//
// Every write is a transaction that puts the MEM item on condition that its
// version is the one the writer planned against, so two writers can never
// both allocate the same free buffers: the loser re-reads and re-plans.
const (
	pkMem, skMem = "MEM", "STATE"
	pkSeg        = "SEG"
	indexPending = "pending"
	// chunkItems bounds the segments written in one transaction (the port
	// allows 100 operations including the MEM item).
	chunkItems  = 60
	maxAttempts = 200
)

// Config configures a BDM.
type Config struct {
	Table      string // default "bdm"
	Burst      mission.Burst
	Spacecraft []string
	Clock      clock.Clock
	// FirstID is the id of the first segment ever created (default 1).
	FirstID int64
}

// BDM is the burst data manager. It is safe for concurrent use, and any
// number of BDMs (processes) may share one table.
type BDM struct {
	st   store.TableStore
	cfg  Config
	mu   sync.Mutex
	mem  *memory // cache, valid while version matches the MEM item
	ver  int64
	next int64
}

// Open prepares the table and returns a BDM.
func Open(ctx context.Context, st store.TableStore, cfg Config) (*BDM, error) {
	if cfg.Table == "" {
		cfg.Table = "bdm"
	}
	if cfg.FirstID == 0 {
		cfg.FirstID = 1
	}
	if len(cfg.Spacecraft) == 0 || cfg.Burst.BufferSeconds <= 0 || cfg.Burst.Holdable() <= 0 || cfg.Clock == nil {
		return nil, fmt.Errorf("burst: open: need spacecraft, buffer length, a positive holdable count and a clock")
	}
	err := st.EnsureTable(ctx, store.TableSpec{Name: cfg.Table, PK: "pk", SK: "sk",
		Indexes: []store.IndexSpec{{Name: indexPending, PK: "pending", SK: "sk"}}})
	if err != nil {
		return nil, fmt.Errorf("burst: open table %s: %w", cfg.Table, err)
	}
	return &BDM{st: st, cfg: cfg}, nil
}

// Selection asks for a new segment.
type Selection struct {
	TAIStart       int64   `json:"tai_start"`
	TAIEnd         int64   `json:"tai_end"` // start of the last buffer
	FOM            float64 `json:"fom"`
	Source         string  `json:"source"`
	Discussion     string  `json:"discussion,omitempty"`
	ParameterSetID string  `json:"parameter_set_id,omitempty"`
	// HasData says which observatories recorded the interval (index of
	// the spacecraft list); nil means all.
	HasData []bool `json:"has_data,omitempty"`
}

func (b *BDM) check(s Selection) error {
	bs := int64(b.cfg.Burst.BufferSeconds)
	switch {
	case s.TAIStart%bs != 0 || s.TAIEnd%bs != 0:
		return fmt.Errorf("selection %d–%d: times must be on %d-s buffer boundaries", s.TAIStart, s.TAIEnd, bs)
	case s.TAIEnd < s.TAIStart:
		return fmt.Errorf("selection %d–%d: start after end", s.TAIStart, s.TAIEnd)
	case s.FOM < 0 || s.FOM > float64(b.cfg.Burst.QualityMax):
		return fmt.Errorf("selection %d–%d: FOM %v outside 0–%d", s.TAIStart, s.TAIEnd, s.FOM, b.cfg.Burst.QualityMax)
	case s.HasData != nil && len(s.HasData) != len(b.cfg.Spacecraft):
		return fmt.Errorf("selection %d–%d: has_data lists %d observatories, want %d", s.TAIStart, s.TAIEnd, len(s.HasData), len(b.cfg.Spacecraft))
	}
	return nil
}

// Apply enters the selections as new segments, in order, holding each on
// every observatory that has its data and room (see memory.place). It
// returns the new segments (copies).
func (b *BDM) Apply(ctx context.Context, sels []Selection) ([]*Segment, error) {
	for _, s := range sels {
		if err := b.check(s); err != nil {
			return nil, fmt.Errorf("burst: apply: %w", err)
		}
	}
	out := make([]*Segment, 0, len(sels))
	err := b.mutate(ctx, len(sels), func(k int, m *memory, tx *txn) error {
		sel := sels[k]
		seg := &Segment{ID: tx.newID(), TAIStart: sel.TAIStart, TAIEnd: sel.TAIEnd, FOM: sel.FOM,
			Source: sel.Source, Discussion: sel.Discussion, ParameterSetID: sel.ParameterSetID,
			CreateTime: tx.now, Obs: make([]Obs, len(b.cfg.Spacecraft))}
		if sel.Source == SourceBackEdit {
			seg.Status = StatusNew
		}
		n := seg.Buffers(b.cfg.Burst.BufferSeconds)
		for i := range seg.Obs {
			if sel.HasData == nil || sel.HasData[i] {
				seg.Obs[i] = Obs{Buffers: n, Remaining: n}
			}
		}
		released, err := m.place(seg, tx.now)
		if err != nil {
			return err
		}
		tx.touch(seg)
		for _, r := range released {
			tx.touch(r)
		}
		tx.created = append(tx.created, seg)
		return nil
	}, func(tx *txn) {
		for _, s := range tx.created {
			out = append(out, s.clone())
		}
	})
	return out, err
}

// obsIndex returns the index of spacecraft sc.
func (b *BDM) obsIndex(sc string) (int, error) {
	if i := slices.Index(b.cfg.Spacecraft, sc); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("burst: unknown observatory %q", sc)
}

// AddToPlaylist puts pending segments in the downlink playlist.
func (b *BDM) AddToPlaylist(ctx context.Context, ids []int64) error {
	return b.each(ctx, ids, func(_ int, s *Segment, m *memory, tx *txn) error { return s.addToPlaylist(tx.now) })
}

// Report is a downlink report: buffers of one segment received from one
// observatory.
type Report struct {
	SegmentID   int64  `json:"segment_id"`
	Observatory string `json:"observatory"`
	Buffers     int    `json:"buffers"`
}

// Downlink applies downlink reports; a segment whose every observatory has
// sent its part becomes COMPLETE+FINISHED.
func (b *BDM) Downlink(ctx context.Context, reports []Report) error {
	ids := make([]int64, len(reports))
	for k, r := range reports {
		ids[k] = r.SegmentID
	}
	return b.each(ctx, ids, func(k int, s *Segment, m *memory, tx *txn) error {
		r := reports[k]
		i, err := b.obsIndex(r.Observatory)
		if err != nil {
			return err
		}
		prev := allocs(s)
		if err := s.transmitted(tx.now, i, r.Buffers); err != nil {
			return err
		}
		m.refresh(s, prev)
		return nil
	})
}

// ContactEnded marks the playlist segments whose downlink started but did
// not finish as INCOMPLETE.
func (b *BDM) ContactEnded(ctx context.Context) error {
	return b.mutate(ctx, 1, func(_ int, m *memory, tx *txn) error {
		for _, s := range m.byID {
			before := s.Status
			s.contactEnded(tx.now)
			if s.Status != before {
				tx.touch(s)
			}
		}
		return nil
	}, nil)
}

// Remove ends segments as DELETED, SUBSUMED, TRIMMED, OBSOLETE or ABORTED.
func (b *BDM) Remove(ctx context.Context, ids []int64, why Status) error {
	return b.each(ctx, ids, func(_ int, s *Segment, m *memory, tx *txn) error {
		prev := allocs(s)
		if err := s.remove(tx.now, why); err != nil {
			return err
		}
		m.refresh(s, prev)
		return nil
	})
}

// each runs fn on each segment id (loading finished ones from the table).
func (b *BDM) each(ctx context.Context, ids []int64, fn func(int, *Segment, *memory, *txn) error) error {
	return b.mutate(ctx, len(ids), func(k int, m *memory, tx *txn) error {
		s, ok := tx.dirty[ids[k]]
		if !ok {
			s = m.byID[ids[k]]
		}
		if s == nil {
			got, err := b.get(ctx, ids[k])
			if err != nil {
				return err
			}
			s = got
		}
		if err := fn(k, s, m, tx); err != nil {
			return err
		}
		tx.touch(s)
		return nil
	}, nil)
}

// txn collects one transaction's writes.
type txn struct {
	b       *BDM
	now     time.Time
	dirty   map[int64]*Segment
	order   []int64
	next    int64
	created []*Segment
}

func (t *txn) newID() int64 { id := t.next; t.next++; return id }

func (t *txn) touch(s *Segment) {
	if _, ok := t.dirty[s.ID]; !ok {
		t.order = append(t.order, s.ID)
	}
	t.dirty[s.ID] = s
}

// mutate runs step for k = 0..n-1 against the current memory and commits
// the changes in transactions of whole steps. On a write conflict it
// re-reads the table and re-runs the steps not yet committed. done is
// called after each successful commit.
func (b *BDM) mutate(ctx context.Context, n int, step func(int, *memory, *txn) error, done func(*txn)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := 0
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err := b.load(ctx); err != nil {
			return err
		}
		tx := b.newTxn()
		start := k
		var err error
		for ; k < n; k++ {
			if err = step(k, b.mem, tx); err != nil {
				break
			}
			if len(tx.dirty) >= chunkItems || k == n-1 {
				if err = b.commit(ctx, tx); err != nil {
					break
				}
				if done != nil {
					done(tx)
				}
				start = k + 1
				tx = b.newTxn()
			}
		}
		if err == nil {
			return nil
		}
		// The cache may hold uncommitted changes: drop it either way.
		b.mem = nil
		k = start
		if !errors.Is(err, store.ErrConditionFailed) {
			return fmt.Errorf("burst: %w", err)
		}
	}
	return fmt.Errorf("burst: gave up after %d conflicting writes: %w", maxAttempts, store.ErrConditionFailed)
}

func (b *BDM) newTxn() *txn {
	return &txn{b: b, now: b.cfg.Clock.Now().UTC(), dirty: map[int64]*Segment{}, next: b.next}
}

func segKey(id int64) string { return fmt.Sprintf("%012d", id) }

// commit writes tx with the MEM item as the optimistic lock.
func (b *BDM) commit(ctx context.Context, tx *txn) error {
	if len(tx.dirty) == 0 && tx.next == b.next {
		return nil
	}
	memItem := store.Item{"pk": pkMem, "sk": skMem, "version": b.ver + 1, "next_id": tx.next}
	for i, sc := range b.cfg.Spacecraft {
		memItem["held_"+sc] = int64(b.mem.held[i])
	}
	cond := store.IfAttrEquals("version", b.ver)
	if b.ver == 0 {
		cond = store.IfNotExists()
	}
	ops := []store.WriteOp{{Table: b.cfg.Table, Put: memItem, Cond: cond}}
	for _, id := range tx.order {
		s := tx.dirty[id]
		doc, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode segment %d: %w", id, err)
		}
		it := store.Item{"pk": pkSeg, "sk": segKey(id), "doc": string(doc)}
		if s.Pending {
			it["pending"] = "P"
		}
		ops = append(ops, store.WriteOp{Table: b.cfg.Table, Put: it})
	}
	for len(ops) > 0 {
		// A single step touching more items than a transaction takes is
		// split; the first part carries the lock.
		part := ops[:min(len(ops), 100)]
		if err := b.st.Transact(ctx, part); err != nil {
			return fmt.Errorf("commit segments: %w", err)
		}
		ops = ops[len(part):]
	}
	b.ver++
	b.next = tx.next
	return nil
}

// load makes the cache current: it re-reads pending segments only when
// another writer moved the version.
func (b *BDM) load(ctx context.Context) error {
	it, err := b.st.Get(ctx, b.cfg.Table, store.Key{PK: pkMem, SK: skMem})
	ver, next := int64(0), b.cfg.FirstID
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("burst: read memory state: %w", err)
	default:
		ver, next = it.Int("version"), it.Int("next_id")
	}
	if b.mem != nil && ver == b.ver {
		return nil
	}
	m := newMemory(len(b.cfg.Spacecraft), b.cfg.Burst.Holdable())
	q := store.Query{Index: indexPending, PK: "P"}
	for {
		page, err := b.st.Query(ctx, b.cfg.Table, q)
		if err != nil {
			return fmt.Errorf("burst: read pending segments: %w", err)
		}
		for _, it := range page.Items {
			s, err := decode(it)
			if err != nil {
				return err
			}
			if err := m.track(s); err != nil {
				return fmt.Errorf("burst: %w", err)
			}
		}
		if page.Cursor == "" {
			break
		}
		q.Cursor = page.Cursor
	}
	b.mem, b.ver, b.next = m, ver, next
	return nil
}

func decode(it store.Item) (*Segment, error) {
	var s Segment
	if err := json.Unmarshal([]byte(it.String("doc")), &s); err != nil {
		return nil, fmt.Errorf("burst: decode segment %s: %w", it.String("sk"), err)
	}
	return &s, nil
}

func (b *BDM) get(ctx context.Context, id int64) (*Segment, error) {
	it, err := b.st.Get(ctx, b.cfg.Table, store.Key{PK: pkSeg, SK: segKey(id)})
	if err != nil {
		return nil, fmt.Errorf("segment %d: %w", id, err)
	}
	return decode(it)
}

// Segment returns one segment.
func (b *BDM) Segment(ctx context.Context, id int64) (*Segment, error) {
	s, err := b.get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("burst: %w", err)
	}
	return s, nil
}

// Segments returns every segment in id order.
func (b *BDM) Segments(ctx context.Context) ([]*Segment, error) {
	var out []*Segment
	q := store.Query{PK: pkSeg}
	for {
		page, err := b.st.Query(ctx, b.cfg.Table, q)
		if err != nil {
			return nil, fmt.Errorf("burst: list segments: %w", err)
		}
		for _, it := range page.Items {
			s, err := decode(it)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		if page.Cursor == "" {
			return out, nil
		}
		q.Cursor = page.Cursor
	}
}

// Held returns the buffers held per observatory, as recorded in the table.
func (b *BDM) Held(ctx context.Context) ([]int, error) {
	out := make([]int, len(b.cfg.Spacecraft))
	it, err := b.st.Get(ctx, b.cfg.Table, store.Key{PK: pkMem, SK: skMem})
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("burst: read memory state: %w", err)
	}
	for i, sc := range b.cfg.Spacecraft {
		out[i] = int(it.Int("held_" + sc))
	}
	return out, nil
}

func (s *Segment) clone() *Segment {
	c := *s
	c.Obs = slices.Clone(s.Obs)
	c.History = slices.Clone(s.History)
	return &c
}
