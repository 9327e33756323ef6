package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// workflowFixture is the fixture with the workflows host behind the API.
type workflowFixture struct {
	*fixture
	wf    *runtime.Workflows
	waits chan string
}

func newWorkflowFixture(t *testing.T) *workflowFixture {
	t.Helper()
	f := newFixture(t)
	wfx := &workflowFixture{waits: make(chan string, 16)}
	wf, err := f.l.StartWorkflows(context.Background(), runtime.WorkflowsConfig{Observer: func(_ string, ev asl.HistoryEvent) {
		if ev.Type == "TaskSubmitted" {
			wfx.waits <- ev.StateName
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wf.Close)
	h := New(Backend{Profile: f.l.Profile, Catalog: f.l.Catalog, Dropbox: f.l.Dropbox, Archive: f.l.Archive, Clock: f.clk,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Passwords: f.users, Release: f.rel,
		Workflows: Workflows{
			StartCampaign: func(ctx context.Context, req campaign.Request) (string, *campaign.Plan, error) {
				r, err := wf.StartCampaign(ctx, req)
				return r.ExecutionID, r.Plan, err
			},
			DescribeCampaign: func(ctx context.Context, id string) (asl.Execution, error) {
				return wf.Describe(ctx, wf.CampaignExecutionID(id))
			},
			ListCampaigns: wf.ListCampaigns,
			Campaigns:     campaign.NewStore(f.l.Tables),
			SITL:          wf.SITL,
			Segments:      func(ctx context.Context) ([]*burst.Segment, error) { return wf.BDM.Segments(ctx) },
		}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	g := *f
	g.srv, g.api = srv, h
	wfx.fixture, wfx.wf = &g, wf
	return wfx
}

func TestReprocessThroughHTTP(t *testing.T) {
	f := newWorkflowFixture(t)
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"start": "2015-10-16"}`, 400},                                    // neither products nor instruments
		{`{"instruments": ["fgm"], "start": "yesterday", "end": "x"}`, 400}, // bad dates
		{`{"instruments": ["fgm"], "colour": "blue"}`, 400},                 // unknown field
	} {
		if a := f.do(t, call{method: "POST", path: "/api/v1/reprocess", user: "operator", body: c.body}); a.status != c.want {
			t.Errorf("%s: %d %s, want %d", c.body, a.status, a.body, c.want)
		}
	}
	a := f.do(t, call{method: "POST", path: "/api/v1/reprocess", user: "operator",
		body: `{"instruments": ["fgm"], "levels": ["l2"], "spacecraft": ["mms1"], "start": "2015-10-16", "end": "2015-10-17", "dry_run": true}`})
	var got struct {
		ExecutionID string             `json:"execution_id"`
		CampaignID  string             `json:"campaign_id"`
		Estimate    *campaign.Estimate `json:"estimate"`
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 202 || got.ExecutionID == "" || got.Estimate == nil {
		t.Fatalf("dry run: %d %s", a.status, a.body)
	}
	if _, err := f.wf.Engine.Wait(context.Background(), got.ExecutionID); err != nil {
		t.Fatal(err)
	}
	a = f.do(t, call{path: "/api/v1/reprocess/" + got.CampaignID, user: "scientist"})
	if a.status != 200 || !strings.Contains(a.body, `"status": "SUCCEEDED"`) || !strings.Contains(a.body, `"dry_run": true`) {
		t.Errorf("status: %d %s", a.status, a.body)
	}
	if a = f.do(t, call{path: "/api/v1/reprocess/campaign-nope", user: "scientist"}); a.status != 404 {
		t.Errorf("unknown campaign: %d %s", a.status, a.body)
	}
	// The list, as the team reads it.
	a = f.do(t, call{path: "/api/v1/reprocess", user: "scientist"})
	var list struct {
		Campaigns []struct {
			ID       string             `json:"campaign_id"`
			Status   string             `json:"status"`
			DryRun   bool               `json:"dry_run"`
			Estimate *campaign.Estimate `json:"estimate"`
		} `json:"campaigns"`
	}
	if err := json.Unmarshal([]byte(a.body), &list); err != nil || a.status != 200 {
		t.Fatalf("campaign list: %d %.400s", a.status, a.body)
	}
	// The refused requests' executions failed at the plan (listed too);
	// the dry run succeeded with its estimate.
	found := false
	for _, c := range list.Campaigns {
		if c.ID == got.CampaignID {
			found = c.Status == "SUCCEEDED" && c.DryRun && c.Estimate != nil
		}
	}
	if !found {
		t.Errorf("campaign list: %d %.600s", a.status, a.body)
	}
	if a = f.do(t, call{path: "/api/v1/reprocess"}); a.status != 401 {
		t.Errorf("public campaign list: %d", a.status)
	}
}

func TestCampaignPages(t *testing.T) {
	f := newWorkflowFixture(t)
	if a := f.do(t, call{path: "/team/campaigns", user: "scientist"}); a.status != 200 || !strings.Contains(a.body, "No campaigns yet") {
		t.Fatalf("empty list: %d %s", a.status, a.body)
	}
	start := func(body string) string {
		t.Helper()
		a := f.do(t, call{method: "POST", path: "/api/v1/reprocess", user: "operator", body: body})
		var got struct {
			ExecutionID string `json:"execution_id"`
			CampaignID  string `json:"campaign_id"`
		}
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 202 {
			t.Fatalf("start: %d %s", a.status, a.body)
		}
		if _, err := f.wf.Engine.Wait(context.Background(), got.ExecutionID); err != nil {
			t.Fatal(err)
		}
		return got.CampaignID
	}
	dryID := start(`{"instruments": ["fgm"], "levels": ["l2"], "spacecraft": ["mms1"], "start": "2015-10-16", "end": "2015-10-17",
		"dry_run": true, "reason": "new attitude files"}`)
	f.clk.Advance(time.Minute)
	// A real campaign over days without data plans nothing and stores its summary.
	realID := start(`{"instruments": ["fpi"], "spacecraft": ["mms2"], "start": "2016-01-01", "end": "2016-01-02", "reason": "calibration v2"}`)
	if _, err := campaign.NewStore(f.l.Tables).Get(context.Background(), realID); err != nil {
		t.Fatalf("summary of %s not stored: %v", realID, err)
	}

	a := f.do(t, call{path: "/team/campaigns", user: "scientist"})
	if a.status != 200 {
		t.Fatalf("list: %d %s", a.status, a.body)
	}
	for _, want := range []string{"/team/campaigns/" + dryID, "/team/campaigns/" + realID, "(dry run)", "new attitude files",
		"calibration v2", "fgm (l2) · mms1 · 2015-10-16 … 2015-10-17", "fpi (all levels) · mms2", `href="/team/campaigns" class="on">Campaigns`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	if strings.Index(a.body, "/team/campaigns/"+realID) > strings.Index(a.body, "/team/campaigns/"+dryID) {
		t.Errorf("list is not newest first")
	}
	for _, c := range []struct {
		id   string
		want []string
	}{
		{dryID, []string{"dry run", "Estimate", "Step Functions", "AWS public on-demand prices"}},
		{realID, []string{"SUCCEEDED", "New versions (0)", "calibration v2", "/api/v1/reprocess/" + realID}},
	} {
		a := f.do(t, call{path: "/team/campaigns/" + c.id, user: "scientist"})
		if a.status != 200 {
			t.Fatalf("%s: %d %s", c.id, a.status, a.body)
		}
		for _, w := range c.want {
			if !strings.Contains(a.body, w) {
				t.Errorf("page of %s lacks %q", c.id, w)
			}
		}
	}
	for path, want := range map[string]int{"/team/campaigns/nope": 404, "/team/campaigns/a%20b": 400} {
		if a := f.do(t, call{path: path, user: "scientist"}); a.status != want {
			t.Errorf("%s: %d, want %d", path, a.status, want)
		}
	}
	if a := f.do(t, call{path: "/team/campaigns"}); a.status != 401 {
		t.Errorf("anonymous: %d", a.status)
	}
}

func TestSITLCycleThroughHTTP(t *testing.T) {
	f := newWorkflowFixture(t)
	ctx := context.Background()
	if a := f.do(t, call{path: "/api/v1/sitl/cycles/current", user: "scientist"}); a.status != 404 {
		t.Fatalf("current before any cycle: %d %s", a.status, a.body)
	}
	// An hour of burst metadata from every spacecraft, 10:00–11:00 UTC,
	// with activity from 10:20.
	day := time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)
	win, err := runtime.DayWindow(day, 10)
	if err != nil {
		t.Fatal(err)
	}
	start := win.StartTAI + 36000
	for _, sc := range f.l.Profile.Spacecraft {
		var b strings.Builder
		b.WriteString("TAITIME,CDQ\n")
		for i := range 360 {
			q := 5
			if i >= 120 && i < 150 {
				q = 200
			}
			fmt.Fprintf(&b, "%d,%d\n", start+int64(i)*10, q)
		}
		key := sc + "_bdm_srvy_l0_cdq_20151016_v1.0.0.csv"
		if _, err := f.l.Dropbox.Put(ctx, key, strings.NewReader(b.String()), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if out, err := f.l.Ingest(ctx, key); err != nil || out.Result != "indexed" {
			t.Fatalf("ingest %s: %+v %v", key, out, err)
		}
	}
	id, started, err := f.wf.StartSITLCycle(ctx, sitlcycle.Window{StartTAI: start, EndTAI: start + 3600, Deadline: f.clk.Now().Add(time.Hour)})
	if err != nil || !started {
		t.Fatalf("start cycle: %v %v", started, err)
	}
	if w := <-f.waits; w != "WaitForSubmission" {
		t.Fatalf("waits in %s", w)
	}
	a := f.do(t, call{path: "/api/v1/sitl/cycles/current", user: "scientist"})
	var cur sitlcycle.Cycle
	if err := json.Unmarshal([]byte(a.body), &cur); err != nil || a.status != 200 || len(cur.ABS) == 0 {
		t.Fatalf("current: %d %s", a.status, a.body)
	}
	if a = f.do(t, call{path: "/api/v1/sitl/cycles", user: "scientist"}); a.status != 200 || !strings.Contains(a.body, cur.ID) {
		t.Errorf("cycles: %d %s", a.status, a.body)
	}
	// The wait's task token stays with the SDC: the cycle waits (its
	// stage says so) but no client sees the token.
	if c, err := f.wf.SITL.Current(context.Background()); err != nil || c.Token == "" || cur.Stage == "" || cur.Token != "" ||
		strings.Contains(a.body, c.Token) {
		t.Errorf("task token exposed or cycle not waiting: stage %q, token in the answer %v", cur.Stage, cur.Token != "")
	}
	at := func(sec int64) string {
		u, err := timeutil.TAIToUTC(start + sec)
		if err != nil {
			t.Fatal(err)
		}
		return u.Format(time.DateTime)
	}
	csv := func(from, to int64) string {
		return "start_time, stop_time, fom, sourceid, discussion\n" + at(from) + ", " + at(to) + ", 150, SITL, a crossing\n"
	}
	base := "/api/v1/sitl/cycles/" + cur.ID
	csvHeader := map[string]string{"Content-Type": "text/csv"}
	// Stop before start: an error, reported by validate and refused by submit.
	a = f.do(t, call{method: "POST", path: base + "/validate", user: "sitl", body: csv(1500, 1200), header: csvHeader})
	if a.status != 200 || !strings.Contains(a.body, `"verdict": "rejected"`) {
		t.Errorf("validate bad: %d %s", a.status, a.body)
	}
	a = f.do(t, call{method: "POST", path: base + "/submissions", user: "sitl", body: csv(1500, 1200), header: csvHeader})
	if a.status != 422 {
		t.Errorf("submit bad: %d %s", a.status, a.body)
	}
	a = f.do(t, call{method: "POST", path: base + "/validate", user: "sitl", body: csv(1200, 1500), header: csvHeader})
	if a.status != 200 || !strings.Contains(a.body, `"verdict": "accepted"`) {
		t.Errorf("validate good: %d %s", a.status, a.body)
	}
	if a = f.do(t, call{method: "POST", path: base + "/approval", user: "super-sitl", body: `{"approved": true}`}); a.status != 409 {
		t.Errorf("approval with nothing to approve: %d %s", a.status, a.body)
	}
	body := `{"name": "sitl_selections_2026-01-02-03-04-05.csv", "rows": [{"start_time": "` + at(1200) + `", "stop_time": "` + at(1500) +
		`", "fom": 150, "sourceid": "SITL", "discussion": "a crossing, seen by all four"}]}`
	a = f.do(t, call{method: "POST", path: "/api/v1/sitl/cycles/current/submissions", user: "sitl", body: body})
	if a.status != 202 || !strings.Contains(a.body, `"verdict": "accepted"`) {
		t.Fatalf("submit: %d %s", a.status, a.body)
	}
	ex, err := f.wf.Engine.Wait(ctx, id)
	if err != nil || ex.Status != asl.StatusSucceeded {
		t.Fatalf("cycle: %+v %v", ex, err)
	}
	c, err := f.wf.SITL.Get(ctx, cur.ID)
	if err != nil || c.Source != "SITL" || len(c.Segments) != 1 {
		t.Fatalf("applied: %+v %v", c, err)
	}
	// The segment shows in both LaTiS datasets, filtered and projected.
	for _, p := range []string{"/mms/sdc/sitl/latis/dap/mms_burst_data_segment.csv", "/mms/sdc/public/service/latis/mms_burst_data_segment.csv"} {
		a = f.do(t, call{path: p + "?DATASEGMENTID,FOM,DISCUSSION&FOM>100", user: "scientist"})
		lines := strings.Split(strings.TrimSpace(a.body), "\n")
		if a.status != 200 || len(lines) != 2 || lines[0] != "DATASEGMENTID,FOM,DISCUSSION" || !strings.Contains(lines[1], "150") {
			t.Errorf("%s: %d %q", p, a.status, a.body)
		}
	}
	if a = f.do(t, call{path: "/mms/sdc/public/service/latis/mms_burst_data_segment.csv?NOSUCHCOLUMN"}); a.status != 400 {
		t.Errorf("bad projection: %d %s", a.status, a.body)
	}
	if a = f.do(t, call{method: "POST", path: base + "/submissions", user: "sitl", body: csv(1200, 1500), header: csvHeader}); a.status != 409 {
		t.Errorf("submit after the cycle closed: %d %s", a.status, a.body)
	}
}
