package burst

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

var t0 = time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)

const base = int64(1823385630) // a TAI-1958 second on a 10-s boundary (2015-10-16)

func openStore(t testing.TB) store.TableStore {
	t.Helper()
	st, err := local.OpenTableStore(filepath.Join(t.TempDir(), "bdm.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testBDM(t testing.TB, st store.TableStore, clk clock.Clock, sc []string, holdable int) *BDM {
	t.Helper()
	b, err := Open(context.Background(), st, Config{Burst: mission.Burst{BuffersPerSpacecraft: holdable + 5, ReserveBuffers: 5,
		BufferSeconds: 10, BufferMegabytes: 4, QualityMax: 255}, Spacecraft: sc, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sel describes a selection compactly: buffers, FOM, which of the two
// observatories have data ("11", "10", "01").
type sel struct {
	bufs int
	fom  float64
	obs  string
}

func (s sel) selection(k int) Selection {
	start := (base/10 + int64(k)*1000) * 10
	has := make([]bool, len(s.obs))
	for i, c := range s.obs {
		has[i] = c == '1'
	}
	return Selection{TAIStart: start, TAIEnd: start + int64(s.bufs-1)*10, FOM: s.fom, Source: SourceSITL, HasData: has}
}

// want is a segment's expected state: its status and buffers held on each
// of the two observatories.
type want struct {
	status string
	alloc  [2]int
}

func TestAllocationRules(t *testing.T) {
	cases := []struct {
		name     string
		holdable int
		sels     []sel
		want     []want
		held     [2]int
	}{
		{
			name: "one observatory full while the other accepts", holdable: 10,
			sels: []sel{{10, 100, "10"}, {5, 50, "11"}},
			want: []want{{"HELD", [2]int{10, 0}}, {"HELD", [2]int{0, 5}}},
			held: [2]int{10, 5},
		},
		{
			name: "equal-FOM tie releases the oldest first", holdable: 10,
			sels: []sel{{4, 50, "11"}, {4, 50, "11"}, {4, 100, "11"}},
			want: []want{{"DERELICT", [2]int{0, 0}}, {"HELD", [2]int{4, 4}}, {"HELD", [2]int{4, 4}}},
			held: [2]int{8, 8},
		},
		{
			name: "a lower FOM never evicts a higher one", holdable: 10,
			sels: []sel{{8, 100, "11"}, {4, 50, "11"}},
			want: []want{{"HELD", [2]int{8, 8}}, {"DERELICT", [2]int{0, 0}}},
			held: [2]int{8, 8},
		},
		{
			name: "an equal FOM does not evict either", holdable: 10,
			sels: []sel{{8, 100, "11"}, {4, 100, "11"}},
			want: []want{{"HELD", [2]int{8, 8}}, {"DERELICT", [2]int{0, 0}}},
			held: [2]int{8, 8},
		},
		{
			name: "only as many released as needed, lowest FOM first", holdable: 10,
			sels: []sel{{2, 30, "11"}, {2, 10, "11"}, {2, 20, "11"}, {4, 40, "11"}, {3, 200, "11"}},
			want: []want{{"HELD", [2]int{2, 2}}, {"DERELICT", [2]int{0, 0}}, {"DERELICT", [2]int{0, 0}},
				{"HELD", [2]int{4, 4}}, {"HELD", [2]int{3, 3}}},
			held: [2]int{9, 9},
		},
		{
			name: "released on one observatory only: DEMOTED", holdable: 10,
			sels: []sel{{5, 10, "11"}, {5, 20, "11"}, {8, 100, "10"}},
			want: []want{{"DEMOTED", [2]int{0, 5}}, {"DEMOTED", [2]int{0, 5}}, {"HELD", [2]int{8, 0}}},
			held: [2]int{8, 10},
		},
		{
			name: "DEMOTED then DERELICT when the last observatory releases", holdable: 10,
			sels: []sel{{5, 10, "11"}, {8, 100, "10"}, {8, 100, "01"}},
			want: []want{{"DERELICT", [2]int{0, 0}}, {"HELD", [2]int{8, 0}}, {"HELD", [2]int{0, 8}}},
			held: [2]int{8, 8},
		},
		{
			name: "not enough lower-FOM room: nothing released there", holdable: 10,
			sels: []sel{{5, 10, "11"}, {5, 200, "10"}, {8, 100, "11"}},
			want: []want{{"DEMOTED", [2]int{5, 0}}, {"HELD", [2]int{5, 0}}, {"HELD", [2]int{0, 8}}},
			held: [2]int{10, 8},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			b := testBDM(t, openStore(t), clk, []string{"mms1", "mms2"}, c.holdable)
			var ids []int64
			for k, s := range c.sels {
				clk.Advance(time.Minute) // distinct create times: "oldest" is meaningful
				got, err := b.Apply(context.Background(), []Selection{s.selection(k)})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, got[0].ID)
			}
			for k, w := range c.want {
				s, err := b.Segment(context.Background(), ids[k])
				if err != nil {
					t.Fatal(err)
				}
				if s.Status.String() != w.status || s.Obs[0].Alloc != w.alloc[0] || s.Obs[1].Alloc != w.alloc[1] {
					t.Errorf("segment %d: %s %d/%d, want %s %d/%d", k, s.Status, s.Obs[0].Alloc, s.Obs[1].Alloc, w.status, w.alloc[0], w.alloc[1])
				}
				if s.Pending != (w.alloc[0]+w.alloc[1] > 0) {
					t.Errorf("segment %d: pending %v with alloc %v", k, s.Pending, w.alloc)
				}
			}
			held, err := b.Held(context.Background())
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

// checkInvariant verifies the accounting: per observatory, the buffers held
// by pending segments equal the recorded count and never exceed the limit.
func checkInvariant(t *testing.T, b *BDM) {
	t.Helper()
	ctx := context.Background()
	segs, err := b.Segments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := make([]int, len(b.cfg.Spacecraft))
	seen := map[int64]bool{}
	for _, s := range segs {
		if seen[s.ID] {
			t.Fatalf("segment id %d twice", s.ID)
		}
		seen[s.ID] = true
		for i, o := range s.Obs {
			sum[i] += o.Alloc
			if o.Alloc > 0 && !s.Pending {
				t.Errorf("segment %d holds buffers but is not pending (%s)", s.ID, s.Status)
			}
		}
	}
	held, err := b.Held(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sum {
		if sum[i] != held[i] {
			t.Errorf("observatory %d: segments hold %d, recorded %d", i+1, sum[i], held[i])
		}
		if held[i] > b.cfg.Burst.Holdable() {
			t.Errorf("observatory %d: %d held > holdable %d", i+1, held[i], b.cfg.Burst.Holdable())
		}
	}
}

func TestApplyRejectsBadSelections(t *testing.T) {
	b := testBDM(t, openStore(t), clock.NewFake(t0), []string{"mms1", "mms2"}, 10)
	for _, s := range []Selection{
		{TAIStart: base + 5, TAIEnd: base + 15, FOM: 10},
		{TAIStart: base + 20, TAIEnd: base, FOM: 10},
		{TAIStart: base, TAIEnd: base, FOM: 256},
		{TAIStart: base, TAIEnd: base, FOM: -1},
		{TAIStart: base, TAIEnd: base, FOM: 1, HasData: []bool{true}},
	} {
		if _, err := b.Apply(context.Background(), []Selection{s}); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

// TestConcurrentSubmissions runs several BDMs (as separate processes would)
// and goroutines on one table: no observatory may end over its limit, and
// the recorded counts must match the segments.
func TestConcurrentSubmissions(t *testing.T) {
	st := openStore(t)
	clk := clock.NewFake(t0)
	sc := []string{"mms1", "mms2", "mms3", "mms4"}
	const holdable = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for w := 0; w < 6; w++ {
		b := testBDM(t, st, clk, sc, holdable)
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 15; k++ {
					s := sel{bufs: 1 + (w+k)%7, fom: float64((w*31 + g*17 + k*13) % 256), obs: "1111"}.selection(w*100 + g*50 + k)
					got, err := b.Apply(context.Background(), []Selection{s, s})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					created += len(got)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	b := testBDM(t, st, clk, sc, holdable)
	segs, err := b.Segments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != created || created != 6*2*15*2 {
		t.Errorf("%d segments stored, %d created", len(segs), created)
	}
	checkInvariant(t, b)
	held, _ := b.Held(context.Background())
	for i, h := range held {
		if h < holdable-7 {
			t.Errorf("observatory %d holds only %d of %d after many submissions", i+1, h, holdable)
		}
	}
}

func TestLifeCycleThroughBDM(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	b := testBDM(t, openStore(t), clk, []string{"mms1", "mms2"}, 100)
	segs, err := b.Apply(ctx, []Selection{sel{5, 100, "11"}.selection(0), sel{3, 90, "10"}.selection(1)})
	if err != nil {
		t.Fatal(err)
	}
	a, c := segs[0].ID, segs[1].ID
	status := func(id int64) string {
		s, err := b.Segment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s.Status.String()
	}
	mustFail := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("%s: %v, want an illegal transition", what, err)
		}
	}
	mustFail("downlink before playlist", b.Downlink(ctx, []Report{{a, "mms1", 1}}))
	if err := b.AddToPlaylist(ctx, []int64{a, c}); err != nil {
		t.Fatal(err)
	}
	mustFail("playlist twice", b.AddToPlaylist(ctx, []int64{a}))
	mustFail("more than held", b.Downlink(ctx, []Report{{a, "mms1", 6}}))
	mustFail("zero buffers", b.Downlink(ctx, []Report{{a, "mms1", 0}}))
	mustFail("observatory without data", b.Downlink(ctx, []Report{{c, "mms2", 1}}))
	if err := b.Downlink(ctx, []Report{{a, "mms3", 1}}); err == nil {
		t.Error("unknown observatory accepted")
	}
	if err := b.Downlink(ctx, []Report{{a, "mms1", 5}, {a, "mms2", 2}, {c, "mms1", 3}}); err != nil {
		t.Fatal(err)
	}
	if got := status(a); got != "HELD" {
		t.Errorf("partly sent before the contact ends: %s", got)
	}
	if got := status(c); got != "COMPLETE+FINISHED" {
		t.Errorf("fully sent: %s", got)
	}
	if err := b.ContactEnded(ctx); err != nil {
		t.Fatal(err)
	}
	if got := status(a); got != "INCOMPLETE" {
		t.Errorf("contact ended with part missing: %s", got)
	}
	clk.Advance(time.Hour)
	if err := b.Downlink(ctx, []Report{{a, "mms2", 3}}); err != nil {
		t.Fatal(err)
	}
	s, _ := b.Segment(ctx, a)
	if s.Status.String() != "COMPLETE+FINISHED" || s.Pending || s.InPlaylist || !s.FinishTime.Equal(t0.Add(time.Hour)) {
		t.Errorf("after the rest: %s pending=%v playlist=%v finish=%v", s.Status, s.Pending, s.InPlaylist, s.FinishTime)
	}
	mustFail("downlink after finish", b.Downlink(ctx, []Report{{a, "mms1", 1}}))
	mustFail("remove after finish", b.Remove(ctx, []int64{a}, StatusDeleted))
	checkInvariant(t, b)
	held, _ := b.Held(ctx)
	if held[0] != 0 || held[1] != 0 {
		t.Errorf("held after full downlink: %v", held)
	}
}

// TestTransitions covers every event from every state of the life cycle.
func TestTransitions(t *testing.T) {
	at := t0
	mk := func(state string) *Segment {
		s := &Segment{ID: 1, Obs: []Obs{{Buffers: 2, Remaining: 2}, {Buffers: 2, Remaining: 2}}}
		switch state {
		case "entered":
		case "held":
			must(t, s.hold(at, []int{2, 2}))
		case "playlist":
			must(t, s.hold(at, []int{2, 2}))
			must(t, s.addToPlaylist(at))
		case "incomplete":
			must(t, s.hold(at, []int{2, 2}))
			must(t, s.addToPlaylist(at))
			must(t, s.transmitted(at, 0, 1))
			s.contactEnded(at)
		case "halfsent":
			must(t, s.hold(at, []int{2, 2}))
			must(t, s.addToPlaylist(at))
			must(t, s.transmitted(at, 0, 1))
			must(t, s.release(at, 1))
		case "demoted":
			must(t, s.hold(at, []int{2, 2}))
			must(t, s.release(at, 0))
		case "derelict":
			must(t, s.hold(at, []int{0, 0}))
		case "complete":
			must(t, s.hold(at, []int{2, 2}))
			must(t, s.addToPlaylist(at))
			must(t, s.transmitted(at, 0, 2))
			must(t, s.transmitted(at, 1, 2))
		case "deleted":
			must(t, s.hold(at, []int{2, 2}))
			must(t, s.remove(at, StatusDeleted))
		default:
			t.Fatalf("state %s", state)
		}
		return s
	}
	events := map[string]func(*Segment) error{
		"hold":       func(s *Segment) error { return s.hold(at, []int{1, 1}) },
		"release":    func(s *Segment) error { return s.release(at, 1) },
		"release0":   func(s *Segment) error { return s.release(at, 0) },
		"playlist":   func(s *Segment) error { return s.addToPlaylist(at) },
		"transmit":   func(s *Segment) error { return s.transmitted(at, 1, 1) },
		"subsume":    func(s *Segment) error { return s.remove(at, StatusSubsumed) },
		"badremoval": func(s *Segment) error { return s.remove(at, StatusHeld) },
	}
	// result: status after the event, or "" for an illegal transition.
	cases := []struct {
		state, event, result string
	}{
		{"entered", "hold", "HELD"},
		{"entered", "release", ""},
		{"entered", "playlist", ""},
		{"entered", "transmit", ""},
		{"entered", "subsume", "SUBSUMED"},
		{"held", "hold", ""},
		{"held", "release", "DEMOTED"},
		{"held", "playlist", "HELD"},
		{"held", "transmit", ""},
		{"held", "subsume", "SUBSUMED"},
		{"held", "badremoval", ""},
		{"playlist", "transmit", "HELD"},
		{"playlist", "playlist", ""},
		{"playlist", "release", "DEMOTED"},
		{"incomplete", "transmit", "INCOMPLETE"},
		{"incomplete", "release", "DEMOTED"},
		{"demoted", "release", "DERELICT"},
		{"halfsent", "release0", "INCOMPLETE+FINISHED"},
		{"halfsent", "transmit", ""},
		{"demoted", "playlist", "DEMOTED"},
		{"demoted", "hold", ""},
		{"derelict", "hold", ""},
		{"derelict", "release", ""},
		{"derelict", "playlist", ""},
		{"derelict", "subsume", ""},
		{"complete", "transmit", ""},
		{"complete", "release", ""},
		{"complete", "playlist", ""},
		{"complete", "subsume", ""},
		{"deleted", "hold", ""},
		{"deleted", "playlist", ""},
		{"deleted", "subsume", ""},
	}
	for _, c := range cases {
		t.Run(c.state+"/"+c.event, func(t *testing.T) {
			s := mk(c.state)
			err := events[c.event](s)
			if c.result == "" {
				if !errors.Is(err, ErrIllegalTransition) {
					t.Fatalf("got %v (%s), want illegal", err, s.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Status.String() != c.result {
				t.Errorf("status %s, want %s", s.Status, c.result)
			}
		})
	}
}

func must(t testing.TB, err error) {
	if err != nil {
		if t == nil {
			panic(err) // benchmark fixtures: a bug in the fixture itself
		}
		t.Helper()
		t.Fatal(err)
	}
}

func TestStatusRoundTrip(t *testing.T) {
	for _, s := range []string{"", "COMPLETE+FINISHED", "NEW+HELD", "INCOMPLETE+FINISHED", "MODIFIED+DEMOTED"} {
		st, err := ParseStatus(s)
		if err != nil {
			t.Fatal(err)
		}
		if st.String() != s {
			t.Errorf("%q → %q", s, st)
		}
	}
	if _, err := ParseStatus("HELD+BOGUS"); err == nil {
		t.Error("unknown flag accepted")
	}
}
