package runtime

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// simDay is the simulated day; the schedules' clock starts the next day.
// The cycle of simDay is named after its first buffer, 00:00:04 UTC (the
// first 10-s TAI boundary of the day).
const cycleID = "20151016-000004"

var (
	simDay = time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)
	tStart = time.Date(2015, 10, 17, 1, 0, 0, 0, time.UTC)
)

// waitFor polls cond until it holds: it synchronises with goroutines that
// run on the fake clock; it never measures time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 5000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

type schedRig struct {
	t     *testing.T
	l     *Local
	clk   *clock.Fake
	w     *Workflows
	waits chan string // task-token waits of the SITL cycle as they start
}

func newSchedRig(t *testing.T) *schedRig {
	t.Helper()
	clk := clock.NewFake(tStart)
	l, err := Open(context.Background(), Config{DataDir: t.TempDir(), NoSync: true, Workers: 2, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	r := &schedRig{t: t, l: l, clk: clk, waits: make(chan string, 16)}
	r.w, err = l.StartWorkflows(context.Background(), WorkflowsConfig{Observer: func(_ string, ev asl.HistoryEvent) {
		if ev.Type == "TaskSubmitted" {
			r.waits <- ev.StateName
		}
	}})
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { r.w.Close(); l.Close() })
	return r
}

// metadata writes and indexes one spacecraft's burst metadata of simDay:
// quality 5 everywhere but a burst of 180 in buffers 3000..3029.
func (r *schedRig) metadata(sc string) {
	r.t.Helper()
	win, err := DayWindow(simDay, 10)
	if err != nil {
		r.t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("TAITIME,CDQ\n")
	for i, tai := 0, win.StartTAI; tai < win.EndTAI; i, tai = i+1, tai+10 {
		q := 5
		if i >= 3000 && i < 3030 {
			q = 180
		}
		fmt.Fprintf(&b, "%d,%d\n", tai, q)
	}
	key := sc + "_bdm_srvy_l0_cdq_20151016_v1.0.0.csv"
	ctx := context.Background()
	if _, err := r.l.Dropbox.Put(ctx, key, strings.NewReader(b.String()), store.PutOptions{}); err != nil {
		r.t.Fatal(err)
	}
	out, err := r.l.Ingest(ctx, key)
	if err != nil || out.Result != "indexed" {
		r.t.Fatalf("ingest %s: %+v %v", key, out, err)
	}
	r.l.Bus.Drain()
}

func (r *schedRig) sitlExecutions() []asl.Execution {
	r.t.Helper()
	all, err := r.w.Engine.List(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	var out []asl.Execution
	for _, ex := range all {
		if strings.Contains(ex.ID, ":execution:"+SITLMachine+":") {
			out = append(out, ex)
		}
	}
	return out
}

// startCycle runs the SITL trigger only and indexes the four metadata
// files; the cycle must start once, after the fourth.
func (r *schedRig) startCycle(deadline time.Duration) asl.Execution {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r.t.Cleanup(cancel)
	subscribed := make(chan struct{})
	go r.l.RunSchedules(ctx, ScheduleConfig{NightlyAt: -1, Workflows: r.w, SITLDeadline: deadline,
		Subscribed: func() { close(subscribed) }})
	<-subscribed
	for i, sc := range r.l.Profile.Spacecraft {
		r.metadata(sc)
		if n := len(r.sitlExecutions()); i < len(r.l.Profile.Spacecraft)-1 && n != 0 {
			r.t.Fatalf("a cycle started after %d of %d metadata files", i+1, len(r.l.Profile.Spacecraft))
		}
	}
	if got := <-r.waits; got != "WaitForSubmission" {
		r.t.Fatalf("first wait in %s", got)
	}
	exs := r.sitlExecutions()
	if len(exs) != 1 || exs[0].Name != "sitl-"+cycleID {
		r.t.Fatalf("%d executions (%s), want one named sitl-%s", len(exs), exs[0].Name, cycleID)
	}
	// A repeated event (a re-delivery) starts nothing new.
	recs, err := r.l.Catalog.Query(context.Background(), catalog.Filter{Instrument: []string{"bdm"}, Descriptor: []string{"cdq"}})
	if err != nil || len(recs) != 4 {
		r.t.Fatalf("metadata records: %d %v", len(recs), err)
	}
	if err := r.l.Indexer.Events.Publish(context.Background(), fileIndexed(r.t, recs[0], r.clk.Now())); err != nil {
		r.t.Fatal(err)
	}
	r.l.Bus.Drain()
	if n := len(r.sitlExecutions()); n != 1 {
		r.t.Fatalf("%d SITL executions after a repeated event", n)
	}
	return exs[0]
}

func TestSITLCycleStartsOnceAndAppliesABSAtDeadline(t *testing.T) {
	r := newSchedRig(t)
	ex := r.startCycle(90 * time.Second)
	c, err := r.w.SITL.Get(context.Background(), cycleID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Window.Deadline.Equal(tStart.Add(90*time.Second)) || len(c.ABS) == 0 {
		t.Fatalf("cycle deadline %s, %d ABS segments", c.Window.Deadline, len(c.ABS))
	}
	// The deadline passes without a submission: ABS is applied.
	waitFor(t, "the submission timeout timer", func() bool { return r.clk.Pending() > 0 })
	r.clk.Advance(91 * time.Second)
	got, err := r.w.Engine.Wait(context.Background(), ex.ID)
	if err != nil || got.Status != asl.StatusSucceeded {
		t.Fatalf("cycle: %+v %v", got, err)
	}
	c, err = r.w.SITL.Get(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "ABS" || len(c.Segments) == 0 || c.Playlist == "" {
		t.Errorf("applied %q, %d segments, playlist %q; want ABS applied", c.Source, len(c.Segments), c.Playlist)
	}
}

func TestSITLCycleAppliesSubmittedCSV(t *testing.T) {
	r := newSchedRig(t)
	ex := r.startCycle(time.Hour)
	// Buffers 3000..3029 of the day: 08:20:04–08:25:04 UTC.
	csv := "start_time, stop_time, fom, sourceid, discussion\n" +
		"2015-10-16 08:20:04, 2015-10-16 08:25:04, 120, SITL, magnetopause crossing\n"
	rows, err := sitl.ParseCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := r.w.SITL.Submit(context.Background(), cycleID, "sitl_selections_2015-10-17-01-00-00.csv", rows)
	if err != nil || sub.Verdict != sitlcycle.VerdictAccepted {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	got, err := r.w.Engine.Wait(context.Background(), ex.ID)
	if err != nil || got.Status != asl.StatusSucceeded {
		t.Fatalf("cycle: %+v %v", got, err)
	}
	c, err := r.w.SITL.Get(context.Background(), cycleID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "SITL" || len(c.Segments) != 1 {
		t.Fatalf("applied %q with %d segments, want the SITL's one", c.Source, len(c.Segments))
	}
	seg, err := r.w.BDM.Segment(context.Background(), c.Segments[0])
	if err != nil {
		t.Fatal(err)
	}
	want, _ := timeutil.UTCToTAI(time.Date(2015, 10, 16, 8, 20, 4, 0, time.UTC))
	if seg.TAIStart != want || seg.FOM != 120 {
		t.Errorf("segment %d: start %d fom %v, want %d, 120", seg.ID, seg.TAIStart, seg.FOM, want)
	}
}

func TestSchedulesFireOnTheClock(t *testing.T) {
	clk := clock.NewFake(tStart) // 01:00 UTC
	l, err := Open(context.Background(), Config{DataDir: t.TempDir(), NoSync: true, Workers: 2, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	jobs := pipeline.NewJobs(l.Tables)
	failed := pipeline.Job{ID: "test-failed", Node: "fgm-srvy-l1a", Processor: "fgm-l1a", SC: "mms1", Start: simDay,
		TimeDigits: 8, Status: pipeline.StatusFailed, Error: "earlier failure"}
	if _, err := jobs.Create(ctx, failed); err != nil {
		t.Fatal(err)
	}
	// A file whose event was missed: it waits in the dropbox.
	name := "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
	if _, err := l.Dropbox.Put(ctx, name, strings.NewReader(string(cdf)), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.RunSchedules(ctx, ScheduleConfig{SweepEvery: 10 * time.Minute}) }()
	waitFor(t, "both schedules waiting", func() bool { return clk.Pending() >= 2 })

	indexed := func() bool {
		recs, err := l.Catalog.Query(ctx, catalog.Filter{Names: []string{name}})
		return err == nil && len(recs) == 1
	}
	if indexed() {
		t.Fatal("indexed before the sweep")
	}
	clk.Advance(10 * time.Minute)
	waitFor(t, "the dropbox sweep", indexed)

	attempts := func() int {
		j, err := jobs.Get(ctx, failed.ID)
		if err != nil {
			t.Fatal(err)
		}
		return j.Attempts
	}
	if attempts() != 0 {
		t.Fatal("retried before the nightly sweep")
	}
	clk.Set(time.Date(2015, 10, 17, 2, 0, 0, 0, time.UTC))
	waitFor(t, "the nightly retry", func() bool {
		j, err := jobs.Get(ctx, failed.ID)
		return err == nil && j.Attempts == 1 && j.Status != pipeline.StatusPending && j.Status != pipeline.StatusRunning
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNightlySweepReplansNotRun(t *testing.T) {
	l := open(t, t.TempDir())
	defer l.Close()
	ctx := context.Background()
	p, err := l.Pipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stale := pipeline.Job{ID: "test-notrun", Node: "fgm-srvy-l1a", Processor: "fgm-l1a", SC: "mms1", Start: simDay,
		TimeDigits: 8, Status: pipeline.StatusNotRun, Missing: []string{"l0"}}
	if _, err := p.Jobs.Create(ctx, stale); err != nil {
		t.Fatal(err)
	}
	res, err := l.NightlySweep(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replanned != 1 || res.NowPending != 0 || res.Retried != 0 {
		t.Fatalf("first sweep %+v, want 1 re-planned (its input is still missing)", res)
	}
	slot, ok, err := p.Jobs.GetSlot(ctx, "fgm-srvy-l1a", "mms1", "20151016")
	if err != nil || !ok || slot.Status != pipeline.StatusNotRun {
		t.Fatalf("slot after replan: %+v %v %v", slot, ok, err)
	}
}

func TestUntilTimeOfDay(t *testing.T) {
	for _, c := range []struct {
		now  string
		at   time.Duration
		want time.Duration
	}{
		{"2015-10-17T01:00:00Z", 2 * time.Hour, time.Hour},
		{"2015-10-17T02:00:00Z", 2 * time.Hour, 24 * time.Hour},
		{"2015-10-17T23:30:00Z", 2 * time.Hour, 150 * time.Minute},
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		if got := untilTimeOfDay(now, c.at); got != c.want {
			t.Errorf("%s at %s: %s, want %s", c.now, c.at, got, c.want)
		}
	}
}

func fileIndexed(t *testing.T, rec catalog.Record, at time.Time) events.Event {
	t.Helper()
	ev, err := events.New(events.FileIndexed, at, rec)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// The nightly sweep releases what the embargo allows: files of an approved
// instrument level ingested at least embargo days (30 for MMS) ago.
func TestNightlySweepAutoReleases(t *testing.T) {
	clk := clock.NewFake(time.Date(2015, 10, 16, 12, 0, 0, 0, time.UTC))
	l, err := Open(context.Background(), Config{DataDir: t.TempDir(), NoSync: true, Workers: 2, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for i, name := range []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf"} {
		n, err := naming.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := catalog.FromName(n)
		if err != nil {
			t.Fatal(err)
		}
		// The second fgm file arrives 10 days after the others.
		r.Ingested = clk.Now().AddDate(0, 0, 10*(i%2))
		r.Size, r.SHA256, r.ArchiveKey = 1, strings.Repeat("0", 64), "k/"+name
		if _, err := l.Archive.Put(ctx, r.ArchiveKey, strings.NewReader("x"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Catalog.Add(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rel := &release.Service{Catalog: l.Catalog, Tables: l.Tables, Profile: l.Profile, Clock: clk}
	if err := rel.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rel.Approve(ctx, "fgm", "l2", "test"); err != nil {
		t.Fatal(err)
	}
	p, err := l.Pipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * 24 * time.Hour)
	res, err := l.NightlySweep(ctx, p)
	if err != nil || res.Released != 1 {
		t.Fatalf("nightly: %+v %v, want the first fgm file released", res, err)
	}
	for name, want := range map[string]bool{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf": true, "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf": false,
		"mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf": false} {
		r, err := l.Catalog.Get(ctx, name)
		if err != nil || r.Released != want {
			t.Errorf("%s released=%v (%v), want %v", name, r.Released, err, want)
		}
	}
	clk.Advance(10 * 24 * time.Hour)
	if res, err = l.NightlySweep(ctx, p); err != nil || res.Released != 1 {
		t.Errorf("ten days later: %+v %v, want the second fgm file released", res, err)
	}
}
