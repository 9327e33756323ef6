package sitlcycle

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/store/local"
	"github.com/magpie-sdc/magpie/shared/timeutil"
	"github.com/magpie-sdc/magpie/statemachines"
)

var (
	t0 = time.Date(2015, 10, 16, 12, 0, 0, 0, time.UTC) // the window closes; the cycle starts
	sc = []string{"mms1", "mms2", "mms3", "mms4"}
)

// windowStart is the first buffer of the test window: 2015-10-16 10:00 UTC.
func windowStart(t testing.TB) int64 {
	tai, err := timeutil.UTCToTAI(time.Date(2015, 10, 16, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return tai - tai%10
}

// fakeMetadata is an hour of MDQ with two bursts of activity.
type fakeMetadata struct{ start int64 }

func (f fakeMetadata) Quality(_ context.Context, from, to int64) ([]sitl.Quality, error) {
	var out []sitl.Quality
	for tai := from; tai < to; tai += 10 {
		k := (tai - f.start) / 10
		q := 0
		switch {
		case k >= 20 && k < 40:
			q = 180
		case k >= 100 && k < 110:
			q = 90
		}
		out = append(out, sitl.Quality{TAI: tai, Q: q})
	}
	return out, nil
}

type recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recorder) Publish(_ context.Context, e events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
	return nil
}

func (r *recorder) subjects() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.evs {
		var d map[string]string
		_ = json.Unmarshal(e.Detail, &d)
		out = append(out, d["subject"])
	}
	return out
}

// rig is a local SDC slice: BDM, cycle service, interpreter, fake clock.
type rig struct {
	t        *testing.T
	clk      *clock.Fake
	svc      *Service
	bdm      *burst.BDM
	eng      *asl.Engine
	def      *asl.Definition
	notes    *recorder
	domain   *recorder   // domain events (SITLDeadlineMissed)
	waits    chan string // state names of task-token waits as they start
	window   Window
	execID   string
	playlist *local.ObjectStore
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	prof, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := local.OpenTableStore(filepath.Join(t.TempDir(), "magpie.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tables.Close() })
	objects, err := local.NewObjectStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clk: clock.NewFake(t0), notes: &recorder{}, domain: &recorder{}, waits: make(chan string, 16), playlist: objects}
	r.bdm, err = burst.Open(ctx, tables, burst.Config{Burst: prof.Burst, Spacecraft: sc, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	start := windowStart(t)
	r.window = Window{StartTAI: start, EndTAI: start + 3600, Deadline: t0.Add(2 * time.Hour)}
	r.svc, err = New(ctx, Config{Tables: tables, BDM: r.bdm, Burst: prof.Burst, Metadata: fakeMetadata{start},
		Playlists: objects, Notify: r.notes, Events: r.domain, Clock: r.clk,
		Tasks: SendFunc(func(tok string, out json.RawMessage) error { return r.eng.SendTaskSuccess(tok, out) })})
	if err != nil {
		t.Fatal(err)
	}
	r.eng, err = asl.NewEngine(asl.Config{Clock: r.clk, Handlers: r.svc.Handlers(), Integrations: r.svc.Integrations(),
		Observer: func(_ string, ev asl.HistoryEvent) {
			if ev.Type == "TaskSubmitted" {
				r.waits <- ev.StateName
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.eng.Close)
	raw, err := statemachines.Files.ReadFile("sitl-cycle.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	r.def, err = LoadDefinition(raw, LocalSubstitutions("us-east-1", "123456789012"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) start() {
	in, err := NewInput(r.window, r.clk.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	b, _ := json.Marshal(in)
	r.execID, err = r.eng.Start(context.Background(), r.def, "cycle-"+in.CycleID, b)
	if err != nil {
		r.t.Fatal(err)
	}
}

// awaitWait blocks until the execution waits on a task token in state.
func (r *rig) awaitWait(state string) {
	r.t.Helper()
	select {
	case got := <-r.waits:
		if got != state {
			r.t.Fatalf("execution waits in %s, want %s", got, state)
		}
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		ex, _ := r.eng.Describe(context.Background(), r.execID)
		r.t.Fatalf("execution never waited in %s: %+v", state, ex)
	}
}

func (r *rig) finish() CycleRecord {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ex, err := r.eng.Wait(ctx, r.execID)
	if err != nil {
		r.t.Fatal(err)
	}
	if ex.Status != asl.StatusSucceeded {
		r.t.Fatalf("execution %s: %s %s", ex.Status, ex.Error, ex.Cause)
	}
	var rec CycleRecord
	if err := json.Unmarshal(ex.Output, &rec); err != nil {
		r.t.Fatal(err)
	}
	return rec
}

func (r *rig) cycleID() string {
	id, err := CycleID(r.window)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func (r *rig) submit(csv string) *Submission {
	r.t.Helper()
	rows, err := sitl.ParseCSV(strings.NewReader(csv))
	if err != nil {
		r.t.Fatal(err)
	}
	sub, err := r.svc.Submit(context.Background(), r.cycleID(), "sitl_selections_2015-10-16-12-30-00.csv", rows)
	if err != nil {
		r.t.Fatal(err)
	}
	return sub
}

// checkApplied verifies the BDM holds the cycle's segments from source,
// in the playlist, and that the playlist object lists them.
func (r *rig) checkApplied(rec CycleRecord, source string, n int) {
	r.t.Helper()
	ctx := context.Background()
	if rec.Source != source || len(rec.Segments) != n {
		r.t.Fatalf("cycle applied %s with %d segments, want %s with %d", rec.Source, len(rec.Segments), source, n)
	}
	for _, id := range rec.Segments {
		sg, err := r.bdm.Segment(ctx, id)
		if err != nil {
			r.t.Fatal(err)
		}
		if !strings.HasPrefix(sg.Source, source) || !sg.Pending || !sg.InPlaylist || !sg.Status.Has(burst.StatusHeld) {
			r.t.Errorf("segment %d: source %s pending %v playlist %v status %s", id, sg.Source, sg.Pending, sg.InPlaylist, sg.Status)
		}
	}
	rd, _, err := r.playlist.Get(ctx, rec.Playlist, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	body, _ := io.ReadAll(rd)
	rd.Close()
	if lines := strings.Count(string(body), "\n"); lines != n+1 {
		r.t.Errorf("playlist has %d lines, want header + %d:\n%s", lines, n, body)
	}
	c, err := r.svc.Get(ctx, rec.CycleID)
	if err != nil {
		r.t.Fatal(err)
	}
	if c.Status != StatusClosed || c.Token != "" {
		r.t.Errorf("cycle after the run: status %s token %q", c.Status, c.Token)
	}
}

func TestCycleDeadlineAppliesABS(t *testing.T) {
	r := newRig(t)
	r.start()
	r.awaitWait("WaitForSubmission")
	c, err := r.svc.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusWaitingSubmission || c.Token == "" || len(c.ABS) != 2 {
		t.Fatalf("waiting cycle: status %s, token %q, %d ABS segments (want 2)", c.Status, c.Token, len(c.ABS))
	}
	if got := r.notes.subjects(); len(got) != 1 || got[0] != "SITL window open" {
		t.Fatalf("notifications %q", got)
	}
	r.clk.Advance(2*time.Hour + time.Second)
	rec := r.finish()
	r.checkApplied(rec, burst.SourceABS, 2)
	r.domain.mu.Lock()
	evs := append([]events.Event(nil), r.domain.evs...)
	r.domain.mu.Unlock()
	if len(evs) != 1 || evs[0].Type != events.SITLDeadlineMissed {
		t.Fatalf("domain events %+v, want one SITLDeadlineMissed", evs)
	}
	var d events.SITLDeadlineMissedDetail
	if err := json.Unmarshal(evs[0].Detail, &d); err != nil {
		t.Fatal(err)
	}
	want := events.SITLDeadlineMissedDetail{CycleID: r.cycleID(), Deadline: r.window.Deadline, Fallback: "ABS", Segments: 2}
	if d != want || !evs[0].Time.After(r.window.Deadline) {
		t.Errorf("SITLDeadlineMissed %+v at %v, want %+v after the deadline", d, evs[0].Time, want)
	}
	// A late submission is refused.
	if _, err := r.svc.Submit(context.Background(), r.cycleID(), "late.csv", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("late submission: %v, want ErrClosed", err)
	}
}

const goodCSV = `start_time, stop_time, fom, sourceid, discussion
2015-10-16 10:03:00, 2015-10-16 10:06:00, 150, SITL(EVA), magnetopause crossing, with FTEs
2015-10-16 10:20:00, 2015-10-16 10:21:00, 60, SITL(EVA), boundary layer
`

func TestCycleSubmissionApplied(t *testing.T) {
	r := newRig(t)
	r.start()
	r.awaitWait("WaitForSubmission")
	r.clk.Advance(30 * time.Minute)
	sub := r.submit(goodCSV)
	if sub.Seq != 1 || sub.Verdict != VerdictAccepted {
		t.Fatalf("submission %d verdict %s: %+v", sub.Seq, sub.Verdict, sub.Findings)
	}
	rec := r.finish()
	r.checkApplied(rec, burst.SourceSITL, 2)
	if n := len(r.domain.evs); n != 0 {
		t.Errorf("%d domain events after a SITL submission was applied, want no SITLDeadlineMissed", n)
	}
	sg, _ := r.bdm.Segment(context.Background(), rec.Segments[0])
	// 180 s, but TAI buffer boundaries sit 6 s off whole UTC minutes in
	// 2015 (TAI−UTC = 36 s): snapped outward it covers 19 buffers.
	if sg.Buffers(10) != 19 || sg.Discussion != "magnetopause crossing, with FTEs" {
		t.Errorf("first segment: %d buffers, discussion %q", sg.Buffers(10), sg.Discussion)
	}
}

func TestCycleErrorsSentBackThenCorrected(t *testing.T) {
	r := newRig(t)
	r.start()
	r.awaitWait("WaitForSubmission")
	bad := strings.Replace(goodCSV, ", 150,", ", 300,", 1)
	sub := r.submit(bad)
	if sub.Verdict != VerdictRejected {
		t.Fatalf("bad submission verdict %s", sub.Verdict)
	}
	r.awaitWait("WaitForSubmission") // sent back to the SITL
	stored, err := r.svc.Submission(context.Background(), r.cycleID(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Verdict != VerdictRejected || len(stored.Findings) == 0 || stored.Findings[0].Rule != sitl.RuleFOMRange || stored.Findings[0].Segment != 0 {
		t.Fatalf("stored findings %+v", stored.Findings)
	}
	if got := r.notes.subjects(); len(got) != 2 || got[1] != "SITL submission rejected" {
		t.Fatalf("notifications %q", got)
	}
	r.clk.Advance(10 * time.Minute)
	r.submit(goodCSV)
	rec := r.finish()
	r.checkApplied(rec, burst.SourceSITL, 2)
	if rec.Applied != 2 {
		t.Errorf("applied submission %d, want 2", rec.Applied)
	}
}

func TestCycleApproval(t *testing.T) {
	high := strings.Replace(goodCSV, ", 150,", ", 230,", 1)
	for _, tc := range []struct {
		name    string
		approve bool
	}{{"approved", true}, {"refused then deadline", false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.start()
			r.awaitWait("WaitForSubmission")
			if sub := r.submit(high); sub.Verdict != VerdictNeedsApproval {
				t.Fatalf("verdict %s", sub.Verdict)
			}
			r.awaitWait("WaitForApproval")
			c, _ := r.svc.Current(context.Background())
			if c.Status != StatusNeedsApproval {
				t.Fatalf("cycle status %s while waiting for approval", c.Status)
			}
			if _, err := r.svc.Approve(context.Background(), r.cycleID(), "super", tc.approve); err != nil {
				t.Fatal(err)
			}
			if tc.approve {
				rec := r.finish()
				r.checkApplied(rec, burst.SourceSITL, 2)
				return
			}
			r.awaitWait("WaitForSubmission") // back to the SITL
			r.clk.Advance(3 * time.Hour)
			r.checkApplied(r.finish(), burst.SourceABS, 2)
		})
	}
}

func TestQueuedSubmissionDeliveredLater(t *testing.T) {
	r := newRig(t)
	r.start()
	r.awaitWait("WaitForSubmission")
	// An offline service (the CLI on a stopped SDC) records the submission
	// without handing it over.
	offline := *r.svc
	offline.cfg.Tasks = nil
	rows, _ := sitl.ParseCSV(strings.NewReader(goodCSV))
	if _, err := offline.Submit(context.Background(), r.cycleID(), "offline.csv", rows); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.svc.Current(context.Background()); c.Token == "" || c.Delivered != 0 {
		t.Fatalf("offline submission was handed over: %+v", c)
	}
	if err := r.svc.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.checkApplied(r.finish(), burst.SourceSITL, 2)
}

func TestSubstitute(t *testing.T) {
	got, err := Substitute([]byte(`{"a":"${X}","b":"${X}-${Y}"}`), map[string]string{"X": "arn:1", "Y": `q"`})
	if err != nil || string(got) != `{"a":"arn:1","b":"arn:1-q\""}` {
		t.Fatalf("got %s, %v", got, err)
	}
	if _, err := Substitute([]byte(`"${Missing}"`), nil); err == nil || !strings.Contains(err.Error(), "Missing") {
		t.Fatalf("missing placeholder: %v", err)
	}
}

func TestReadCDQ(t *testing.T) {
	var n, sum int
	err := ReadCDQ(strings.NewReader("TAITIME,CDQ\n1823385630,12\n1823385640,30\n"), func(_ int64, q int) { n++; sum += q })
	if err != nil || n != 2 || sum != 42 {
		t.Fatalf("n %d sum %d err %v", n, sum, err)
	}
	for _, bad := range []string{"TAI,Q\n1,2\n", "TAITIME,CDQ\nx,1\n", "TAITIME,CDQ\n1\n", "TAITIME,CDQ\n1,q\n"} {
		if err := ReadCDQ(strings.NewReader(bad), func(int64, int) {}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
