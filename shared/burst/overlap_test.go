package burst

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
)

// span is a selection of buffers first..last (counted from base) on the
// observatories marked '1' in obs.
func span(first, last int64, fom float64, obs string) Selection {
	has := make([]bool, len(obs))
	for i, c := range obs {
		has[i] = c == '1'
	}
	return Selection{TAIStart: base + first*10, TAIEnd: base + last*10, FOM: fom, Source: SourceSITL, HasData: has}
}

// segWant is a segment's expected state, by id order: buffers first..last
// (from base), status, buffers held on each of two observatories, parent id.
type segWant struct {
	first, last int64
	status      string
	alloc       [2]int
	parent      int64
}

func TestApplySupersedesOverlaps(t *testing.T) {
	cases := []struct {
		name     string
		holdable int
		before   []Selection // applied one by one, a minute apart
		// start, if set, begins the downlink of segment 1 before the new selection.
		start bool
		sel   Selection
		want  []segWant
		held  [2]int
		err   error
	}{
		{
			name: "same interval: SUBSUMED", holdable: 100,
			before: []Selection{span(0, 9, 50, "11")}, sel: span(0, 9, 80, "11"),
			want: []segWant{{0, 9, "SUBSUMED", [2]int{}, 0}, {0, 9, "HELD", [2]int{10, 10}, 0}},
			held: [2]int{10, 10},
		},
		{
			name: "covered and more: SUBSUMED, lower FOM too", holdable: 100,
			before: []Selection{span(3, 6, 200, "11")}, sel: span(0, 9, 20, "11"),
			want: []segWant{{3, 6, "SUBSUMED", [2]int{}, 0}, {0, 9, "HELD", [2]int{10, 10}, 0}},
			held: [2]int{10, 10},
		},
		{
			name: "tail covered: TRIMMED, head continues", holdable: 100,
			before: []Selection{span(0, 9, 50, "11")}, sel: span(5, 14, 80, "11"),
			want: []segWant{{0, 9, "TRIMMED", [2]int{}, 0}, {0, 4, "HELD", [2]int{5, 5}, 1}, {5, 14, "HELD", [2]int{10, 10}, 0}},
			held: [2]int{15, 15},
		},
		{
			name: "head covered: TRIMMED, tail continues", holdable: 100,
			before: []Selection{span(5, 14, 50, "11")}, sel: span(0, 7, 80, "11"),
			want: []segWant{{5, 14, "TRIMMED", [2]int{}, 0}, {8, 14, "HELD", [2]int{7, 7}, 1}, {0, 7, "HELD", [2]int{8, 8}, 0}},
			held: [2]int{15, 15},
		},
		{
			name: "new inside: TRIMMED into two", holdable: 100,
			before: []Selection{span(0, 19, 50, "11")}, sel: span(5, 9, 80, "11"),
			want: []segWant{{0, 19, "TRIMMED", [2]int{}, 0}, {0, 4, "HELD", [2]int{5, 5}, 1},
				{10, 19, "HELD", [2]int{10, 10}, 1}, {5, 9, "HELD", [2]int{5, 5}, 0}},
			held: [2]int{20, 20},
		},
		{
			name: "two segments: one subsumed, one trimmed", holdable: 100,
			before: []Selection{span(0, 4, 50, "11"), span(5, 14, 60, "11")}, sel: span(0, 9, 80, "11"),
			want: []segWant{{0, 4, "SUBSUMED", [2]int{}, 0}, {5, 14, "TRIMMED", [2]int{}, 0},
				{10, 14, "HELD", [2]int{5, 5}, 2}, {0, 9, "HELD", [2]int{10, 10}, 0}},
			held: [2]int{15, 15},
		},
		{
			name: "adjacent: untouched", holdable: 100,
			before: []Selection{span(0, 9, 50, "11")}, sel: span(10, 19, 80, "11"),
			want: []segWant{{0, 9, "HELD", [2]int{10, 10}, 0}, {10, 19, "HELD", [2]int{10, 10}, 0}},
			held: [2]int{20, 20},
		},
		{
			name: "one observatory only: remainder keeps the same observatories", holdable: 100,
			before: []Selection{span(0, 9, 50, "10")}, sel: span(5, 14, 80, "11"),
			want: []segWant{{0, 9, "TRIMMED", [2]int{}, 0}, {0, 4, "HELD", [2]int{5, 0}, 1}, {5, 14, "HELD", [2]int{10, 10}, 0}},
			held: [2]int{15, 10},
		},
		{
			// Segment 1 released on mms1 by segment 2; its remainder holds
			// only on mms2 (DEMOTED) and is then evicted there by the new
			// selection, which cannot evict segment 2 on mms1.
			name: "demoted segment trimmed, remainder evicted", holdable: 10,
			before: []Selection{span(0, 9, 10, "11"), span(100, 109, 100, "10")}, sel: span(5, 14, 50, "11"),
			want: []segWant{{0, 9, "TRIMMED", [2]int{}, 0}, {100, 109, "HELD", [2]int{10, 0}, 0},
				{0, 4, "DERELICT", [2]int{}, 1}, {5, 14, "HELD", [2]int{0, 10}, 0}},
			held: [2]int{10, 10},
		},
		{
			name: "downlink started: illegal, nothing entered", holdable: 100, start: true,
			before: []Selection{span(0, 9, 50, "11")}, sel: span(5, 14, 80, "11"),
			want: []segWant{{0, 9, "HELD", [2]int{9, 10}, 0}},
			held: [2]int{9, 10}, err: ErrIllegalTransition,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clock.NewFake(t0)
			b := testBDM(t, openStore(t), clk, []string{"mms1", "mms2"}, c.holdable)
			for _, s := range c.before {
				clk.Advance(time.Minute)
				if _, err := b.Apply(ctx, []Selection{s}); err != nil {
					t.Fatal(err)
				}
			}
			if c.start {
				must(t, b.AddToPlaylist(ctx, []int64{1}))
				must(t, b.Downlink(ctx, []Report{{1, "mms1", 1}}))
			}
			clk.Advance(time.Minute)
			_, err := b.Apply(ctx, []Selection{c.sel})
			if !errors.Is(err, c.err) || (err != nil) != (c.err != nil) {
				t.Fatalf("apply: %v, want %v", err, c.err)
			}
			segs, err := b.Segments(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != len(c.want) {
				t.Fatalf("%d segments, want %d", len(segs), len(c.want))
			}
			for k, w := range c.want {
				s := segs[k]
				got := segWant{(s.TAIStart - base) / 10, (s.TAIEnd - base) / 10, s.Status.String(),
					[2]int{s.Obs[0].Alloc, s.Obs[1].Alloc}, s.Parent}
				if got != w {
					t.Errorf("segment %d: %+v, want %+v", s.ID, got, w)
				}
			}
			held, err := b.Held(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if held[0] != c.held[0] || held[1] != c.held[1] {
				t.Errorf("held %v, want %v", held, c.held)
			}
			checkInvariant(t, b)
		})
	}
}

// crashStore fails every transaction after the first ok ones, as a process
// dying mid-Apply would leave the table.
type crashStore struct {
	store.TableStore
	mu sync.Mutex
	ok int
}

var errCrash = errors.New("crash")

func (c *crashStore) Transact(ctx context.Context, ops []store.WriteOp) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok <= 0 {
		return errCrash
	}
	c.ok--
	return c.TableStore.Transact(ctx, ops)
}

func TestApplyOnceAfterCrash(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clk := clock.NewFake(t0)
	sc := []string{"mms1", "mms2"}
	var sels []Selection
	for k := range 300 {
		sels = append(sels, sel{bufs: 2, fom: float64(k % 200), obs: "11"}.selection(k))
	}
	// The first process commits two transactions of the submission, then dies.
	crashed := testBDM(t, &crashStore{TableStore: st, ok: 2}, clk, sc, 10_000)
	if _, err := crashed.ApplyOnce(ctx, "cycle-1", sels); !errors.Is(err, errCrash) {
		t.Fatalf("first attempt: %v, want the crash", err)
	}
	b := testBDM(t, st, clk, sc, 10_000)
	partial, err := b.Segments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(partial) == 0 || len(partial) >= len(sels) {
		t.Fatalf("%d segments after the crash: the test does not interrupt an apply", len(partial))
	}
	for attempt := range 2 {
		got, err := b.ApplyOnce(ctx, "cycle-1", sels)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(sels) {
			t.Fatalf("retry %d: %d segments, want %d", attempt, len(got), len(sels))
		}
		for k, s := range got {
			if s.TAIStart != sels[k].TAIStart || s.ID != int64(k+1) {
				t.Fatalf("retry %d: segment %d is %d at %d, want selection %d", attempt, k, s.ID, s.TAIStart, k)
			}
		}
		all, err := b.Segments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(sels) {
			t.Errorf("retry %d: %d segments stored, want %d (entered twice?)", attempt, len(all), len(sels))
		}
	}
	checkInvariant(t, b)
	held, _ := b.Held(ctx)
	if held[0] != 600 || held[1] != 600 {
		t.Errorf("held %v, want 600 each", held)
	}
	other := append([]Selection{sel{bufs: 1, fom: 1, obs: "11"}.selection(999)}, sels[1:]...)
	if _, err := b.ApplyOnce(ctx, "cycle-1", other); !errors.Is(err, errKeyReused) {
		t.Errorf("other selections under a used key: %v", err)
	}
	if got, err := b.ApplyOnce(ctx, "cycle-2", other[:1]); err != nil || len(got) != 1 || got[0].ID != 301 {
		t.Errorf("a new key: %v %v", got, err)
	}
}

// TestContactWithConcurrentApply runs contacts while other BDMs (other
// processes) and goroutines apply high-FOM submissions that evict the very
// segments being downlinked: every contact must succeed, never send more
// than its capacity, and leave the accounting exact.
func TestContactWithConcurrentApply(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clk := clock.NewFake(t0)
	sc := []string{"mms1", "mms2"}
	const holdable, capacity = 40, 7
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 3 {
		b := testBDM(t, st, clk, sc, holdable)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for k := range 25 {
				s := sel{bufs: 1 + (w+k)%5, fom: float64((w*37 + k*11) % 256), obs: "11"}.selection(w*1000 + k)
				if _, err := b.Apply(ctx, []Selection{s}); err != nil {
					errs <- fmt.Errorf("apply: %w", err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 15 {
				sent, err := b.Contact(ctx, capacity)
				if err != nil {
					errs <- fmt.Errorf("contact: %w", err)
					return
				}
				per := map[string]int{}
				for _, r := range sent {
					per[r.Observatory] += r.Buffers
				}
				for o, n := range per {
					if n > capacity {
						errs <- fmt.Errorf("contact sent %d buffers from %s, capacity %d", n, o, capacity)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkInvariant(t, testBDM(t, st, clk, sc, holdable))
}

func TestSegmentCodecRoundTrip(t *testing.T) {
	s := &Segment{ID: 42, TAIStart: base, TAIEnd: base + 590, FOM: 123.5, Source: SourceBackEdit,
		ParameterSetID: "p1", Discussion: "KH waves, ünïcode", CreateTime: t0.Add(1500 * time.Millisecond),
		FinishTime: t0.Add(time.Hour), Status: StatusNew | StatusComplete | StatusFinished, InPlaylist: true,
		EvalCycles: 3, Parent: 7, Obs: []Obs{{60, 0, 0}, {0, 0, 0}},
		History: []Event{{At: t0, Kind: EventHeld, Obs: 1, Count: 60}, {At: t0, Kind: "custom", Status: "HELD INPLAYLIST"}}}
	got, err := decodeSegment(store.Item{"seg": encodeSegment(s)})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", s) {
		t.Errorf("round trip:\n%+v\n%+v", got, s)
	}
	enc := encodeSegment(s)
	for n := range len(enc) {
		if _, err := decodeSegmentBytes(enc[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := decodeSegment(store.Item{"doc": `{"id":3,"obs":[{"buffers":2}]}`}); err != nil {
		t.Errorf("JSON form of older tables: %v", err)
	}
}
