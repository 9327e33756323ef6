package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// testGraph: L0 -> L1A -> L1B (+cal) -> L2 (+defatt).
func testGraph() []mission.ProductNode {
	ref := func(level string) mission.ProductRef {
		return mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: level}
	}
	return []mission.ProductNode{
		{ID: "l1a", Processor: "fake-l1a", Partition: pipeline.PartitionDaily, Output: ref("l1a"),
			Inputs: []mission.NodeInput{{Name: "l0", ProductRef: ref("l0"), Window: pipeline.WindowSame, Trigger: true}}},
		{ID: "l1b", Processor: "fake-l1b", Partition: pipeline.PartitionDaily, Output: ref("l1b"),
			Inputs: []mission.NodeInput{
				{Name: "l1a", ProductRef: ref("l1a"), Window: pipeline.WindowSame, Trigger: true},
				{Name: "cal", ProductRef: ref("cal"), Window: pipeline.WindowLatest, Trigger: true, Calibration: true},
			}},
		{ID: "l2", Processor: "fake-l2", Partition: pipeline.PartitionDaily, Output: ref("l2"),
			Inputs: []mission.NodeInput{
				{Name: "l1b", ProductRef: ref("l1b"), Window: pipeline.WindowSame, Trigger: true, Calibration: true},
				{Name: "att", ProductRef: mission.ProductRef{Ancillary: "defatt"}, Window: pipeline.WindowCovering},
			}},
	}
}

type harness struct {
	t       *testing.T
	ctx     context.Context
	dropbox *local.ObjectStore
	cat     *catalog.Catalog
	ix      *ingest.Indexer
	bus     *events.Bus
	clock   *clock.Fake
	svc     *Service
	events  *recorder

	mu   sync.Mutex
	fail map[string]bool // "node#tag" to fail
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

var day1 = time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	base, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	prof := *base
	prof.Products, prof.Processors = testGraph(), nil
	dir := t.TempDir()
	dropbox, _ := local.NewObjectStore(filepath.Join(dir, "dropbox"))
	archive, _ := local.NewObjectStore(filepath.Join(dir, "archive"))
	work, _ := local.NewObjectStore(filepath.Join(dir, "workflows"))
	tables, err := local.OpenTableStore(filepath.Join(dir, "tables.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tables.Close() })
	cat := catalog.New(tables)
	if err := cat.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	bus := events.NewBus(log, 2)
	t.Cleanup(bus.Close)
	fc := clock.NewFake(time.Date(2015, 10, 20, 12, 0, 0, 0, time.UTC))
	ix := &ingest.Indexer{Profile: &prof, Dropbox: dropbox, Archive: archive, Catalog: cat, Events: bus, Clock: fc, Log: log}
	h := &harness{t: t, ctx: ctx, dropbox: dropbox, cat: cat, ix: ix, bus: bus, clock: fc, fail: map[string]bool{}, events: &recorder{}}
	builtins := pipeline.Registry{}
	for _, id := range []string{"fake-l1a", "fake-l1b", "fake-l2"} {
		builtins[id] = pipeline.Builtin{Meta: pipeline.Info{ID: id, FormatVersion: 2, SoftwareVersion: "1.0"}, Run: h.fakeRun()}
	}
	p, err := pipeline.New(ctx, pipeline.Config{Profile: &prof, Builtins: builtins, Tables: tables, Catalog: cat, Archive: archive,
		Dropbox: dropbox, Indexer: ix, Clock: fc, Log: log, WorkDir: filepath.Join(dir, "work")})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = &Service{Pipeline: p, Objects: work, Bucket: "magpie-workflows", Tables: tables, Events: h.events,
		Prices: prof.Prices, Clock: fc, Settle: func(context.Context) { bus.Drain() }}
	return h
}

// fakeRun writes a small CDF naming its inputs, or fails when told to.
func (h *harness) fakeRun() pipeline.BuiltinFunc {
	return func(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
		var om pipeline.OutputManifest
		h.mu.Lock()
		bad := h.fail[m.Node+"#"+m.Start.Format("20060102")]
		h.mu.Unlock()
		if bad {
			return om, errors.New("simulated processor failure")
		}
		for _, o := range m.Outputs {
			w := cdf.NewWriter()
			w.GlobalAttr("Logical_file_id", strings.TrimSuffix(o.FileName, ".cdf"))
			for _, in := range m.Inputs {
				w.GlobalAttr("Parents", in.FileName)
			}
			w.Variable("Epoch", cdf.TT2000, nil, true).Append([]int64{0})
			if err := w.Write(m.OutputPath(o)); err != nil {
				return om, err
			}
			om.Outputs = append(om.Outputs, pipeline.OutputFile{FileName: o.FileName})
		}
		return om, nil
	}
}

func (h *harness) drop(name string, content []byte) {
	h.t.Helper()
	if _, err := h.dropbox.Put(h.ctx, name, bytes.NewReader(content), store.PutOptions{}); err != nil {
		h.t.Fatal(err)
	}
	if out, err := h.ix.Index(h.ctx, name); err != nil || out.Result != ingest.ResultIndexed {
		h.t.Fatalf("index %s: %v %+v", name, err, out)
	}
}

// deliverDays indexes calibration, attitude and L0 for n days of mms1; no
// pipeline listens, so nothing is processed until a campaign runs.
func (h *harness) deliverDays(n int) {
	h.drop("mms1_fgm_srvy_cal_20151001_v1.0.0.csv", []byte("axis,gain,offset\nx,64,1\n"))
	for d := range n {
		t := day1.AddDate(0, 0, d)
		h.drop(fmt.Sprintf("MMS1_DEFATT_%d%03d_%d%03d.V00", t.Year(), t.YearDay(), t.Year(), t.YearDay()+1),
			[]byte("DEFINITIVE ATTITUDE\nEpoch (UTC) RA Dec Phase Rate\n"))
		h.drop("mms1_fgm_srvy_l0_"+t.Format("20060102")+"_v1.0.0.dat", append([]byte{0x08, 0x4c}, "day"+t.String()...))
	}
}

func (h *harness) jobCount() int {
	h.t.Helper()
	js, err := h.svc.Pipeline.Jobs.List(h.ctx, "", 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(js)
}

// run executes the campaign state machine and decodes its output.
func (h *harness) run(name string, req Request, out any) asl.Execution {
	h.t.Helper()
	eng, def, err := h.svc.NewEngine(nil, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	defer eng.Close()
	in, _ := json.Marshal(req)
	ex, err := eng.Run(h.ctx, def, name, in)
	if err != nil {
		h.t.Fatal(err)
	}
	if out != nil && ex.Status == asl.StatusSucceeded {
		if err := json.Unmarshal(ex.Output, out); err != nil {
			h.t.Fatal(err)
		}
	}
	return ex
}

func twoDays() Request {
	return Request{Instruments: []string{"fgm"}, Levels: []string{"l1a"}, Spacecraft: []string{"mms1"},
		Start: "2015-10-16", End: "2015-10-17", Reason: "test"}
}

func TestPlanIncludesDownstreamLevels(t *testing.T) {
	h := newHarness(t)
	h.deliverDays(2)
	req := twoDays()
	req.Levels = []string{"l1b"}
	p, err := h.svc.Plan(h.ctx, PlanInput{CampaignID: "c1", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	// L1B's primary input (L1A) does not exist yet: nothing to do.
	if p.Jobs != 0 || strings.Join(p.Nodes, ",") != "l1b,l2" {
		t.Fatalf("plan of l1b without l1a: jobs %d nodes %v", p.Jobs, p.Nodes)
	}
	req.Levels = []string{"l1a"}
	p, err = h.svc.Plan(h.ctx, PlanInput{CampaignID: "c2", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Nodes, ",") != "l1a,l1b,l2" || p.Items != 2 || p.Jobs != 6 ||
		p.ByReason[ReasonNew] != 2 || p.ByReason[ReasonUpstream] != 4 {
		t.Fatalf("plan: nodes %v items %d jobs %d reasons %v", p.Nodes, p.Items, p.Jobs, p.ByReason)
	}
	items, err := h.svc.readItems(h.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, j := range items[0].Jobs {
		order = append(order, j.Node)
	}
	if items[0].Tag != "20151016" || items[1].Tag != "20151017" || strings.Join(order, ",") != "l1a,l1b,l2" {
		t.Fatalf("items: %+v", items)
	}
	if h.jobCount() != 0 {
		t.Fatal("planning recorded jobs")
	}
	for _, bad := range []Request{
		{Instruments: []string{"fgm"}, Start: "2015-10-17", End: "2015-10-16"},
		{Instruments: []string{"nope"}, Start: "2015-10-16", End: "2015-10-16"},
		{Products: []string{"fgm/srvy/l9"}, Start: "2015-10-16", End: "2015-10-16"},
		{Instruments: []string{"fgm"}, Spacecraft: []string{"mms9"}, Start: "2015-10-16", End: "2015-10-16"},
		{Start: "2015-10-16", End: "2015-10-16"},
		{Instruments: []string{"fgm"}, Start: "16/10/2015", End: "2015-10-16"},
	} {
		if _, err := h.svc.Plan(h.ctx, PlanInput{CampaignID: "bad", Request: bad}); err == nil {
			t.Errorf("request %+v: no error", bad)
		}
	}
}

func TestDryRunEstimate(t *testing.T) {
	h := newHarness(t)
	h.deliverDays(2)
	req := twoDays()
	req.DryRun = true
	var out struct {
		DryRun   bool     `json:"dry_run"`
		Jobs     int      `json:"jobs"`
		Items    int      `json:"items"`
		Estimate Estimate `json:"estimate"`
	}
	ex := h.run("dry", req, &out)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("dry run: %s %s %s", ex.Status, ex.Error, ex.Cause)
	}
	e := out.Estimate
	pr := h.svc.Prices
	// 2 items: parent 7 transitions + 2 per child; plan and estimate calls
	// plus one per item; 6 jobs of 2 s each plus 2 steps of 10 s at 1769 MB.
	wantGBs := round(float64(pr.JobMemoryMB)/1024*(6*pr.JobBaseSeconds+float64(e.InputBytes)/1e6/pr.JobMBPerSecond+20), 3)
	if !out.DryRun || out.Jobs != 6 || out.Items != 2 || e.StateTransitions != 11 || e.LambdaRequests != 4 ||
		e.ChildExecutions != 2 || e.LambdaGBSeconds != wantGBs || e.InputBytes == 0 || e.TotalDollars <= 0 ||
		e.TotalDollars != round(e.LambdaDollars+e.StepFunctionsDollars+e.S3Dollars, 4) {
		t.Fatalf("estimate: %+v (want GB-s %v)", out, wantGBs)
	}
	if h.jobCount() != 0 {
		t.Fatal("a dry run recorded jobs")
	}
}

func TestCampaignRunsAndIsIdempotent(t *testing.T) {
	h := newHarness(t)
	h.deliverDays(2)
	var sum Summary
	ex := h.run("real", twoDays(), &sum)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("campaign: %s %s %s", ex.Status, ex.Error, ex.Cause)
	}
	if sum.Status != "SUCCEEDED" || sum.Jobs != 6 || sum.Succeeded != 6 || sum.NewJobs != 6 || sum.Failed != 0 ||
		len(sum.NewVersions) != 6 || sum.Estimate == nil {
		t.Fatalf("summary: %+v", sum)
	}
	stored, err := NewStore(h.svc.Tables).Get(h.ctx, "real")
	if err != nil || stored.Succeeded != 6 {
		t.Fatalf("stored summary: %+v %v", stored, err)
	}
	if len(h.events.evs) != 1 || h.events.evs[0].Type != CampaignCompleted {
		t.Fatalf("events: %+v", h.events.evs)
	}
	recs, _ := h.cat.Query(h.ctx, catalog.Filter{SC: []string{"mms1"}, Level: []string{"l2"}})
	if len(recs) != 2 {
		t.Fatalf("%d L2 files in the catalog", len(recs))
	}
	jobs := h.jobCount()
	var again Summary
	ex = h.run("again", twoDays(), &again)
	if ex.Status != asl.StatusSucceeded || again.Jobs != 0 || again.NewJobs != 0 || h.jobCount() != jobs {
		t.Fatalf("re-run: %s %+v, jobs %d -> %d", ex.Status, again, jobs, h.jobCount())
	}
	// Both campaigns are listed, the later one first.
	h.clock.Advance(time.Minute)
	later := again
	later.CampaignID, later.Finished = "later", h.clock.Now()
	if err := NewStore(h.svc.Tables).Put(h.ctx, &later); err != nil {
		t.Fatal(err)
	}
	all, err := NewStore(h.svc.Tables).List(h.ctx)
	if err != nil || len(all) != 3 || all[0].CampaignID != "later" {
		t.Fatalf("list: %d %v", len(all), err)
	}
}

func TestToleratedFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tolerated float64
		status    asl.Status
	}{
		{"within", 50, asl.StatusSucceeded},
		{"exceeded", 0, asl.StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.deliverDays(2)
			h.fail["l1b#20151017"] = true
			req := twoDays()
			req.ToleratedFailurePercentage = tc.tolerated
			var sum Summary
			ex := h.run("tol", req, &sum)
			if ex.Status != tc.status {
				t.Fatalf("status %s (%s %s), want %s", ex.Status, ex.Error, ex.Cause, tc.status)
			}
			if tc.status == asl.StatusFailed {
				if ex.Error != "CampaignFailed" {
					t.Fatalf("error %q", ex.Error)
				}
				if err := json.Unmarshal([]byte(ex.Cause), &sum); err != nil {
					t.Fatal(err)
				}
			}
			// Day 1: 3 succeeded; day 2: L1A succeeded, L1B failed, L2
			// re-planned on the old inputs (none): never reached.
			if sum.Succeeded != 4 || sum.Failed != 1 || sum.ItemFailures != 1 && tc.status == asl.StatusSucceeded {
				t.Fatalf("summary: %+v", sum)
			}
			// The retry after the fix runs the failed job again.
			h.fail = map[string]bool{}
			var retry Summary
			if ex := h.run("retry", twoDays(), &retry); ex.Status != asl.StatusSucceeded || retry.Succeeded != 2 || retry.Failed != 0 {
				t.Fatalf("retry: %s %+v", ex.Status, retry)
			}
		})
	}
}
