package burst

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
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
//	pk "SEG", sk zero-padded id: the segment in binary in "seg" (see
//	  codec.go; older tables: JSON in "doc"); "pending" (sparse, index
//	  "pending") while it holds buffers.
//	pk "APPLY", sk idempotency key: the submission's fingerprint and the
//	  ids of its selections entered so far (see ApplyOnce).
//
// Every write is a transaction that puts the MEM item on condition that its
// version is the one the writer planned against, so two writers can never
// both allocate the same free buffers: the loser re-reads and re-plans.
const (
	pkMem, skMem = "MEM", "STATE"
	pkSeg        = "SEG"
	indexPending = "pending"
	pkApply      = "APPLY"
	// maxOps is the port's limit of operations in one transaction.
	maxOps = 100
	// chunkItems is when a transaction is committed: the MEM item, an
	// apply record and this many segments leave room for the next step's
	// few segments within maxOps.
	chunkItems  = 90
	maxAttempts = 200
)

// Config configures a BDM.
type Config struct {
	Table      string // default DefaultTable
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
		cfg.Table = DefaultTable
	}
	if cfg.FirstID == 0 {
		cfg.FirstID = 1
	}
	if len(cfg.Spacecraft) == 0 || cfg.Burst.BufferSeconds <= 0 || cfg.Burst.Holdable() <= 0 || cfg.Clock == nil {
		return nil, fmt.Errorf("burst: open: need spacecraft, buffer length, a positive holdable count and a clock")
	}
	err := st.EnsureTable(ctx, TableSpec(cfg.Table))
	if err != nil {
		return nil, fmt.Errorf("burst: open table %s: %w", cfg.Table, err)
	}
	return &BDM{st: st, cfg: cfg}, nil
}

// DefaultTable is the BDM's table name unless Config.Table says otherwise.
const DefaultTable = "bdm"

// TableSpec is the BDM's table named name: segments, counters and reports
// under one key schema, with the index of segments pending downlink. The
// stack (infra) creates it from this spec.
func TableSpec(name string) store.TableSpec {
	return store.TableSpec{Name: name, PK: "pk", SK: "sk",
		Indexes: []store.IndexSpec{{Name: indexPending, PK: "pending", SK: "sk"}}}
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

// Apply enters the selections as new segments, in order (see ApplyOnce),
// without an idempotency key.
func (b *BDM) Apply(ctx context.Context, sels []Selection) ([]*Segment, error) {
	return b.ApplyOnce(ctx, "", sels)
}

// ApplyOnce enters the selections as new segments, in order, holding each
// on every observatory that has its data and room (see memory.place). A
// selection overlapping pending segments supersedes them first (see
// supersede). It returns the new segments (copies), one per selection.
//
// key, when not empty, makes the call idempotent: the selections entered so
// far are recorded under key in the same transactions that allocate them,
// so a retry after a crash (same key, same selections) enters only those
// not entered yet and returns all of them; a retry with other selections
// under the same key is an error.
func (b *BDM) ApplyOnce(ctx context.Context, key string, sels []Selection) ([]*Segment, error) {
	for _, s := range sels {
		if err := b.check(s); err != nil {
			return nil, fmt.Errorf("burst: apply: %w", err)
		}
	}
	sum := selectionsSum(sels)
	var ids []int64    // committed under key, in selection order
	var out []*Segment // created by this call
	err := b.mutate(ctx, plan{n: len(sels),
		resume: func(ctx context.Context, k int, m *memory) (int, error) {
			if key != "" {
				rec, found, err := b.applyRecord(ctx, key)
				if err != nil {
					return 0, err
				}
				if found {
					if rec.sum != sum || rec.n != len(sels) {
						return 0, fmt.Errorf("apply %q: %w", key, errKeyReused)
					}
					ids, k = rec.ids, len(rec.ids)
				}
			}
			// Check every remaining selection before writing any, so an
			// illegal overlap does not leave a submission half entered.
			for _, sel := range sels[k:] {
				for _, e := range m.overlapping(sel.TAIStart, sel.TAIEnd) {
					if err := canSupersede(e); err != nil {
						return 0, err
					}
				}
			}
			return k, nil
		},
		step: func(k int, m *memory, tx *txn) error {
			sel := sels[k]
			if err := b.supersede(m, tx, sel); err != nil {
				return err
			}
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
		},
		extra: func(tx *txn) []store.Item {
			if key == "" || len(tx.created) == 0 {
				return nil
			}
			all := slices.Clone(ids)
			for _, s := range tx.created {
				all = append(all, s.ID)
			}
			return []store.Item{{"pk": pkApply, "sk": key, "n": int64(len(sels)), "sum": sum, "ids": encodeIDs(all)}}
		},
		done: func(tx *txn) {
			for _, s := range tx.created {
				ids = append(ids, s.ID)
				out = append(out, s.clone())
			}
		},
	})
	if err != nil {
		return nil, err
	}
	// Segments entered by an earlier, interrupted call come from the table.
	prefix := make([]*Segment, 0, len(sels))
	for _, id := range ids[:len(ids)-len(out)] {
		s, err := b.get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("burst: apply %q: %w", key, err)
		}
		prefix = append(prefix, s)
	}
	return append(prefix, out...), nil
}

// errKeyReused: an idempotency key came back with other selections.
var errKeyReused = errors.New("idempotency key already used for other selections")

// canSupersede reports whether a new selection may overlap pending
// segment e: not once its downlink started, because the buffers already on
// the ground cannot be told apart from those still on board.
func canSupersede(e *Segment) error {
	for _, o := range e.Obs {
		if o.Remaining < o.Buffers {
			return e.illegal("overlapped by a new selection after its downlink started")
		}
	}
	return nil
}

// supersede makes room in the segment list for sel: every pending segment
// it overlaps ends, as in the mission's BDM, SUBSUMED when sel covers it
// entirely, else TRIMMED. A TRIMMED segment's uncovered part (before sel,
// after it, or both) continues as a new segment (Parent = the trimmed one)
// with the same FOM, source, discussion and creation time, holding the same
// buffers it held on each observatory: those buffers stay on board, only
// the bookkeeping changes, so nothing counts as overwritten. The covered
// buffers are freed and sel is then placed like any new segment.
//
// The remainder's history starts at the trimmed segment's creation, so the
// metrics (which ignore TRIMMED and SUBSUMED segments) still show those
// buffers as new on the day they were first held.
func (b *BDM) supersede(m *memory, tx *txn, sel Selection) error {
	bs := int64(b.cfg.Burst.BufferSeconds)
	for _, e := range m.overlapping(sel.TAIStart, sel.TAIEnd) {
		if err := canSupersede(e); err != nil {
			return err
		}
		prev := allocs(e)
		why := StatusSubsumed
		if e.TAIStart < sel.TAIStart || e.TAIEnd > sel.TAIEnd {
			why = StatusTrimmed
		}
		if err := e.remove(tx.now, why); err != nil {
			return err
		}
		m.refresh(e, prev)
		tx.touch(e)
		if why != StatusTrimmed {
			continue
		}
		var parts [][2]int64
		if e.TAIStart < sel.TAIStart {
			parts = append(parts, [2]int64{e.TAIStart, sel.TAIStart - bs})
		}
		if e.TAIEnd > sel.TAIEnd {
			parts = append(parts, [2]int64{sel.TAIEnd + bs, e.TAIEnd})
		}
		for _, p := range parts {
			r := &Segment{ID: tx.newID(), TAIStart: p[0], TAIEnd: p[1], FOM: e.FOM, Source: e.Source,
				ParameterSetID: e.ParameterSetID, Discussion: e.Discussion, CreateTime: e.CreateTime,
				Status: e.Status &^ lifeCycle, EvalCycles: e.EvalCycles, Parent: e.ID, Obs: make([]Obs, len(e.Obs))}
			n := r.Buffers(b.cfg.Burst.BufferSeconds)
			alloc := make([]int, len(e.Obs))
			demoted := false
			for i, o := range e.Obs {
				if o.Buffers == 0 {
					continue
				}
				r.Obs[i] = Obs{Buffers: n, Remaining: n}
				if prev[i] > 0 {
					alloc[i] = n
				} else {
					demoted = true
				}
			}
			if err := r.hold(e.CreateTime, alloc); err != nil {
				return err
			}
			if demoted && r.Pending {
				r.setStatus(tx.now, StatusDemoted)
			}
			if err := m.track(r); err != nil {
				return err
			}
			tx.touch(r)
		}
	}
	return nil
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
	return b.mutate(ctx, plan{n: 1, step: func(_ int, m *memory, tx *txn) error {
		contactEnded(m, tx)
		return nil
	}})
}

func contactEnded(m *memory, tx *txn) {
	for _, s := range m.byID {
		before := s.Status
		s.contactEnded(tx.now)
		if s.Status != before {
			tx.touch(s)
		}
	}
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
	return b.mutate(ctx, plan{n: len(ids), step: func(k int, m *memory, tx *txn) error {
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
	}})
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

// plan is one mutation of the BDM: n steps, each planned against the
// memory as the previous steps left it. The steps are the unit of
// atomicity: a commit holds whole steps.
type plan struct {
	n    int
	step func(k int, m *memory, tx *txn) error
	// resume, if set, runs at the start of every attempt (after the
	// memory is current) and returns the first step to run, given k, the
	// first step not committed by this call.
	resume func(ctx context.Context, k int, m *memory) (int, error)
	// extra, if set, returns items to write in the same transaction as
	// the segments of tx.
	extra func(tx *txn) []store.Item
	// done, if set, runs after each successful commit.
	done func(tx *txn)
}

// mutate runs the steps of p against the current memory and commits the
// changes in transactions of whole steps. On a write conflict it re-reads
// the table and re-runs the steps not yet committed.
func (b *BDM) mutate(ctx context.Context, p plan) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := 0
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err := b.load(ctx); err != nil {
			return err
		}
		start, err := k, error(nil)
		if p.resume != nil {
			if k, err = p.resume(ctx, k, b.mem); err != nil {
				b.mem = nil
				return fmt.Errorf("burst: %w", err)
			}
			start = k
		}
		tx := b.newTxn()
		for ; k < p.n; k++ {
			if err = p.step(k, b.mem, tx); err != nil {
				break
			}
			// Leave room for the next step's segments (a step usually
			// touches a few; one that touches more is split in commit).
			if len(tx.dirty) >= chunkItems || k == p.n-1 {
				if err = b.commit(ctx, tx, p.extra); err != nil {
					break
				}
				if p.done != nil {
					p.done(tx)
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

func segItem(s *Segment) store.Item {
	it := store.Item{"pk": pkSeg, "sk": segKey(s.ID), "seg": encodeSegment(s)}
	if s.Pending {
		it["pending"] = "P"
	}
	return it
}

// errSplitStep: a step too large for one transaction was interrupted.
var errSplitStep = errors.New("another writer intervened between the parts of an oversized step")

// commit writes tx with the MEM item as the optimistic lock.
func (b *BDM) commit(ctx context.Context, tx *txn, extra func(*txn) []store.Item) error {
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
	ops := make([]store.WriteOp, 0, len(tx.dirty)+2)
	ops = append(ops, store.WriteOp{Table: b.cfg.Table, Put: memItem, Cond: cond})
	if extra != nil {
		for _, it := range extra(tx) {
			ops = append(ops, store.WriteOp{Table: b.cfg.Table, Put: it})
		}
	}
	for _, id := range tx.order {
		ops = append(ops, store.WriteOp{Table: b.cfg.Table, Put: segItem(tx.dirty[id])})
	}
	first := true
	for len(ops) > 0 {
		// A single step touching more items than a transaction takes is
		// split; the first part carries the lock and the later ones check
		// that nobody wrote in between (if someone did, the step is half
		// written and must not be retried blindly: a plain error).
		n := min(len(ops), maxOps)
		part := ops[:n]
		if !first {
			n = min(len(ops), maxOps-1)
			part = append([]store.WriteOp{{Table: b.cfg.Table, Check: &store.Key{PK: pkMem, SK: skMem},
				Cond: store.IfAttrEquals("version", b.ver+1)}}, ops[:n]...)
		}
		if err := b.st.Transact(ctx, part); err != nil {
			if !first && errors.Is(err, store.ErrConditionFailed) {
				return fmt.Errorf("commit segments: %w", errSplitStep)
			}
			return fmt.Errorf("commit segments: %w", err)
		}
		ops, first = ops[n:], false
	}
	b.ver++
	b.next = tx.next
	return nil
}

// applyRec is what ApplyOnce recorded under an idempotency key.
type applyRec struct {
	n   int
	sum string
	ids []int64
}

func (b *BDM) applyRecord(ctx context.Context, key string) (applyRec, bool, error) {
	it, err := b.st.Get(ctx, b.cfg.Table, store.Key{PK: pkApply, SK: key})
	if errors.Is(err, store.ErrNotFound) {
		return applyRec{}, false, nil
	}
	if err != nil {
		return applyRec{}, false, fmt.Errorf("read apply record %q: %w", key, err)
	}
	raw, _ := it["ids"].([]byte)
	ids, err := decodeIDs(raw)
	if err != nil {
		return applyRec{}, false, fmt.Errorf("apply record %q: %w", key, err)
	}
	return applyRec{n: int(it.Int("n")), sum: it.String("sum"), ids: ids}, true, nil
}

func encodeIDs(ids []int64) []byte {
	out := make([]byte, 0, 3*len(ids))
	prev := int64(0)
	for _, id := range ids {
		out = binary.AppendVarint(out, id-prev)
		prev = id
	}
	return out
}

func decodeIDs(b []byte) ([]int64, error) {
	var ids []int64
	prev := int64(0)
	for len(b) > 0 {
		d, n := binary.Varint(b)
		if n <= 0 {
			return nil, errShort
		}
		prev += d
		ids = append(ids, prev)
		b = b[n:]
	}
	return ids, nil
}

// selectionsSum fingerprints a submission, so a key reused for other
// selections is caught.
func selectionsSum(sels []Selection) string {
	h := fnv.New64a()
	var buf []byte
	for _, s := range sels {
		buf = binary.AppendVarint(buf[:0], s.TAIStart)
		buf = binary.AppendVarint(buf, s.TAIEnd)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.FOM))
		buf = appendStr(buf, s.Source)
		buf = appendStr(buf, s.Discussion)
		buf = appendStr(buf, s.ParameterSetID)
		for _, d := range s.HasData {
			if d {
				buf = append(buf, 1)
			} else {
				buf = append(buf, 0)
			}
		}
		h.Write(buf)
	}
	return strconv.FormatUint(h.Sum64(), 16)
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
			s, err := decodeSegment(it)
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

func (b *BDM) get(ctx context.Context, id int64) (*Segment, error) {
	it, err := b.st.Get(ctx, b.cfg.Table, store.Key{PK: pkSeg, SK: segKey(id)})
	if err != nil {
		return nil, fmt.Errorf("segment %d: %w", id, err)
	}
	return decodeSegment(it)
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
			s, err := decodeSegment(it)
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
