package scenario

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/timeutil"
	"github.com/magpie-sdc/magpie/shared/workflows/sfnflow"
)

// stepFunctions is a Step Functions client of the hosted endpoint, as the
// API and the functions build theirs.
func (h *hosted) stepFunctions() *sfnflow.Workflows {
	return &sfnflow.Workflows{API: sfn.NewFromConfig(h.cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(h.workflows.Endpoint.URL) })}
}

// sitlService is the SITL cycle service on the AWS adapters, handing
// submissions to the waiting execution through Step Functions, as the api
// function does.
func (h *hosted) sitlService(t *testing.T) (*sitlcycle.Service, *burst.BDM) {
	t.Helper()
	p := h.sdc.Profile
	bdm, err := burst.Open(h.ctx, h.sdc.Tables, burst.Config{Burst: p.Burst, Spacecraft: p.Spacecraft, Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	sf := h.stepFunctions()
	svc, err := sitlcycle.New(h.ctx, sitlcycle.Config{Tables: h.sdc.Tables, BDM: bdm, Burst: p.Burst,
		Metadata: &sitlcycle.ArchiveMetadata{Catalog: h.sdc.Catalog, Archive: h.sdc.Archive,
			Product: p.Simulation.BurstMetadata, Spacecraft: p.Spacecraft},
		Playlists: awsstore.NewObjectStore(awsstore.NewS3Client(h.cfg), h.res.Workflow), Clock: clock.Real{},
		Tasks: sitlcycle.SendFunc(func(tok string, out json.RawMessage) error { return sf.SendTaskSuccess(h.ctx, tok, out) })})
	if err != nil {
		t.Fatal(err)
	}
	return svc, bdm
}

// checkSITLCycle: the processor started the day's cycle when the fourth
// observatory's burst metadata was indexed; the SITL on duty was told
// through SNS; a submitted selection reaches the waiting execution through
// Step Functions' SendTaskSuccess and is applied to the BDM on DynamoDB,
// with the downlink playlist in the workflow bucket.
func (h *hosted) checkSITLCycle(t *testing.T) {
	win, err := sitlcycle.DayWindow(simDay, h.sdc.Profile.Burst.BufferSeconds)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := sitlcycle.CycleID(win)
	execID := "arn:aws:states:" + h.cfg.Region + ":" + Account + ":execution:" + SITLMachine + ":" + sitlcycle.ExecutionName(id)
	ex, err := h.stepFunctions().Describe(h.ctx, execID)
	if err != nil || ex.Status != "RUNNING" {
		t.Fatalf("the day's SITL cycle %s: %+v %v", execID, ex, err)
	}
	svc, bdm := h.sitlService(t)
	// The execution reaches its wait on its own goroutine.
	var c *sitlcycle.Cycle
	for deadline := time.Now().Add(time.Minute); ; {
		if c, err = svc.Get(h.ctx, id); err == nil && c.Token != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cycle %s never waited for a submission: %+v %v", id, c, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(c.ABS) == 0 || c.Window.Deadline.Sub(c.Created) < 29*time.Minute {
		t.Errorf("cycle %s: %d ABS segments, deadline %s (created %s): want ABS and SITL_DEADLINE 30m", id, len(c.ABS), c.Window.Deadline, c.Created)
	}
	msgs, err := h.sqs.ReceiveMessage(h.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.res.SITLInbox.URL), MaxNumberOfMessages: 10})
	if err != nil || len(msgs.Messages) != 1 {
		t.Fatalf("SITL inbox: %v, %d messages, want the window's notice", err, len(msgs.Messages))
	}
	var notice struct {
		CycleID  string `json:"cycle_id"`
		Segments int    `json:"segments"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(msgs.Messages[0].Body)), &notice); err != nil ||
		notice.CycleID != id || notice.Segments != len(c.ABS) {
		t.Errorf("notice %.300s: want cycle %s with its %d ABS segments (%v)", aws.ToString(msgs.Messages[0].Body), id, len(c.ABS), err)
	}

	// The SITL submits through the api function (buffers 3000..3029 of the
	// day: 08:20:04–08:25:04 UTC); it hands the selection to the waiting
	// execution with Step Functions' SendTaskSuccess.
	csv := "start_time, stop_time, fom, sourceid, discussion\n" +
		"2015-10-16 08:20:04, 2015-10-16 08:25:04, 120, SITL, magnetopause crossing\n"
	path := "/api/v1/sitl/cycles/" + id + "/submissions"
	if status, b := h.call(t, http.MethodPost, path, "text/csv", csv, ""); status != http.StatusUnauthorized {
		t.Errorf("anonymous submission: %d %s, want 401", status, b)
	}
	status, b := h.call(t, http.MethodPost, path, "text/csv", csv, "sitl")
	var sub struct {
		Verdict string `json:"verdict"`
	}
	if status != http.StatusAccepted || json.Unmarshal(b, &sub) != nil || sub.Verdict != sitlcycle.VerdictAccepted {
		t.Fatalf("submit: %d %s", status, b)
	}
	done, err := h.workflows.Engine.Wait(h.ctx, execID)
	if err != nil || done.Status != asl.StatusSucceeded {
		t.Fatalf("cycle execution: %+v %v", done, err)
	}
	if c, err = svc.Get(h.ctx, id); err != nil {
		t.Fatal(err)
	}
	if c.Source != "SITL" || len(c.Segments) != 1 || c.Playlist == "" {
		t.Fatalf("applied %q with %d segments, playlist %q; want the SITL's one segment", c.Source, len(c.Segments), c.Playlist)
	}
	seg, err := bdm.Segment(h.ctx, c.Segments[0])
	if err != nil {
		t.Fatal(err)
	}
	want, _ := timeutil.UTCToTAI(time.Date(2015, 10, 16, 8, 20, 4, 0, time.UTC))
	if seg.TAIStart != want || seg.FOM != 120 {
		t.Errorf("segment %d: start %d fom %v, want %d, 120", seg.ID, seg.TAIStart, seg.FOM, want)
	}
	if _, err := awsstore.NewObjectStore(awsstore.NewS3Client(h.cfg), h.res.Workflow).Head(h.ctx, c.Playlist); err != nil {
		t.Errorf("playlist %s: %v", c.Playlist, err)
	}
	// The team reads the segment from the api function.
	status, b = h.call(t, http.MethodGet, "/api/v1/burst/segments?status=HELD", "", "", "sitl")
	var segs struct {
		Segments []struct {
			ID  int64   `json:"id"`
			FOM float64 `json:"fom"`
		} `json:"segments"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &segs) != nil || len(segs.Segments) == 0 || segs.Segments[0].ID != seg.ID {
		t.Errorf("held segments from the API: %d %.300s", status, b)
	}

	// The scheduled contact task (the sweeper function, as its EventBridge
	// rule invokes it) holds the current period's ground contact on the
	// BDM; the events dataset of the api function lists it.
	out, err := h.sweeper(h.ctx, json.RawMessage(`{"task":"contact"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(out)
	var ct struct {
		Ran    bool           `json:"ran"`
		Missed bool           `json:"missed"`
		Sent   map[string]int `json:"sent"`
		Start  time.Time      `json:"start"`
	}
	if json.Unmarshal(b, &ct) != nil || !ct.Ran || (!ct.Missed && ct.Sent["mms1"] < 30) {
		t.Errorf("contact: %s (want it held with the SITL's 30 buffers of mms1 downlinked, or missed)", b)
	}
	status, b = h.call(t, http.MethodGet, "/mms/sdc/sitl/latis/dap/mms_events_view.csv?event_type=dsn_contact", "", "", "sitl")
	if status != http.StatusOK || !strings.Contains(string(b), "dsn_contact-mms-"+ct.Start.UTC().Format("20060102T150405")) {
		t.Errorf("events dataset: %d %.400s", status, b)
	}
}

// checkCampaign: an FGM team delivers a new calibration; the reprocessing
// campaign, started through Step Functions as the API starts it, re-runs
// mms1's FGM L1B and L2 of the day on the hosted reprocess function, and
// every earlier version stays in the catalog. The processing queue's own
// events for the calibration then find the work done.
func (h *hosted) checkCampaign(t *testing.T, host *Host) {
	dir := t.TempDir()
	cal := processors.CalibrationName("mms1", simDay.AddDate(0, 0, -30), naming.Version{X: 1, Y: 2, Z: 0})
	if err := os.WriteFile(filepath.Join(dir, cal), processors.FormatCalibration("mms1", processors.NominalCalibration(2)), 0o644); err != nil {
		t.Fatal(err)
	}
	h.drop(t, dir, cal)
	// Index it, leaving its FileIndexed event in the processing queue: the
	// campaign gets there first.
	ingestOnly := &Host{Pollers: host.Pollers[:1]}
	if tot, err := ingestOnly.RunUntilIdle(h.ctx); err != nil || tot.Failed > 0 {
		t.Fatalf("index the calibration: %+v %v", tot, err)
	}
	l1b := catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l1b"}, AllVersions: true}
	before, err := h.sdc.Catalog.Query(h.ctx, l1b)
	if err != nil || len(before) == 0 {
		t.Fatalf("l1b before: %v", err)
	}

	// An operator starts it through the api function, which starts an
	// execution of the reprocess state machine through Step Functions' API.
	req, _ := json.Marshal(campaign.Request{Instruments: []string{"fgm"}, Spacecraft: []string{"mms1"},
		Start: simDay.Format(time.DateOnly), End: simDay.Format(time.DateOnly), Reason: "new FGM calibration v1.2.0"})
	if status, b := h.call(t, http.MethodPost, "/api/v1/reprocess", "application/json", string(req), "sitl"); status != http.StatusForbidden {
		t.Errorf("a SITL starting a campaign: %d %s, want 403", status, b)
	}
	status, b := h.call(t, http.MethodPost, "/api/v1/reprocess", "application/json", string(req), "ops")
	var started struct {
		ExecutionID string `json:"execution_id"`
	}
	if status != http.StatusAccepted || json.Unmarshal(b, &started) != nil || started.ExecutionID == "" {
		t.Fatalf("start campaign: %d %s", status, b)
	}
	done, err := h.workflows.Engine.Wait(h.ctx, started.ExecutionID)
	if err != nil || done.Status != asl.StatusSucceeded {
		t.Fatalf("campaign: %+v %v", done, err)
	}
	// Its status and summary, as the team reads them.
	status, b = h.call(t, http.MethodGet, "/api/v1/reprocess/"+started.ExecutionID, "", "", "sitl")
	var got struct {
		Status string            `json:"status"`
		Result *campaign.Summary `json:"result"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &got) != nil || got.Status != "SUCCEEDED" || got.Result == nil || got.Result.Succeeded == 0 {
		t.Errorf("campaign status: %d %.400s", status, b)
	}
	// The campaigns page lists it (Step Functions' ListExecutions).
	name := started.ExecutionID[strings.LastIndex(started.ExecutionID, ":")+1:]
	if status, b := h.call(t, http.MethodGet, "/team/campaigns", "", "", "sitl"); status != http.StatusOK || !strings.Contains(string(b), name) {
		t.Errorf("campaigns page: %d, lacks %s", status, name)
	}
	var sum campaign.Summary
	if err := json.Unmarshal(done.Output, &sum); err != nil {
		t.Fatalf("campaign output %s: %v", done.Output, err)
	}
	if sum.Status != "SUCCEEDED" || sum.Succeeded == 0 || sum.Failed != 0 || len(sum.NewVersions) == 0 {
		t.Errorf("campaign summary: %+v", sum)
	}
	after, err := h.sdc.Catalog.Query(h.ctx, l1b)
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]bool{}
	for _, r := range after {
		versions[r.Version] = true
	}
	for _, r := range before {
		if !versions[r.Version] {
			t.Errorf("version %s of %s is gone", r.Version, r.Name)
		}
	}
	var recal bool
	for v := range versions {
		recal = recal || strings.HasSuffix(strings.TrimSuffix(v, ".0"), ".2") || strings.Contains(v, ".2.")
	}
	if len(after) <= len(before) || !recal {
		t.Errorf("l1b versions %v (before %d files): want a new x.2.z version from calibration v1.2.0", versions, len(before))
	}
	tot, err := host.RunUntilIdle(h.ctx)
	if err != nil || tot.Failed > 0 || len(tot.Errs) > 0 {
		t.Errorf("draining after the campaign: %+v %v", tot, err)
	}
}
