package scenario

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
)

// target is the SDC the scenario drives, hosted (the emulators, with the
// functions and state machines hosted in-process) or deployed (a stage on
// AWS or LocalStack). The steps only drop files into the dropbox, call the
// API as the team and the public do, and read the stores, so one scenario
// runs in both modes.
type target struct {
	ctx              context.Context
	catalog          *catalog.Catalog
	jobs             *pipeline.Jobs
	dropbox, archive store.ObjectStore
	sqs              *sqs.Client
	// queues must be empty once the work is done (the DLQs; hosted, the
	// work queues too), by name for messages.
	queues map[string]string
	// api is the API's base URL; users are its HTTP Basic accounts by role:
	// "ops" an operator, "sitl" a SITL.
	api   string
	users map[string]account
	// settle returns once the files named are cataloged and no job is
	// pending or running.
	settle func(t *testing.T, names []string)
	// indexOnly, when set (hosted), indexes what was dropped without
	// processing it, so that a campaign gets to the work first; deployed,
	// the processor may get there first, and the steps allow for both.
	indexOnly func(t *testing.T)
	// patience bounds each wait for asynchronous work.
	patience time.Duration
}

// account is an HTTP Basic account of the API.
type account struct{ name, password string }

// call sends a request to the API as the account of role user ("" for the
// public) and returns the status and body.
func (tg *target) call(t *testing.T, method, path, contentType, body, user string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(tg.ctx, method, strings.TrimSuffix(tg.api, "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		a, ok := tg.users[user]
		if !ok {
			t.Fatalf("no %s account", user)
		}
		req.SetBasicAuth(a.name, a.password)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// waitFor polls check until it is done or tg.patience has passed; what it
// last said is the failure message.
func (tg *target) waitFor(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(tg.patience)
	for {
		done, state := check()
		if done {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: not after %s: %s", what, tg.patience, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// drop puts files (paths under dir) into the dropbox, as instrument teams
// and the operations center deliver them.
func (tg *target) drop(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.dropbox.Put(tg.ctx, filepath.Base(n), bytes.NewReader(b), store.PutOptions{}); err != nil {
			t.Fatalf("drop %s: %v", n, err)
		}
	}
}

// runScenario is the ops scenario: a simulated day of mms1 (plus the other
// observatories' burst metadata) dropped into the dropbox, followed through
// indexing, processing, release, download, a SITL cycle and a reprocessing
// campaign.
func runScenario(t *testing.T, tg *target) {
	dir, err := simulated()
	if err != nil {
		t.Fatal(err)
	}
	files, err := dayFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	tg.drop(t, dir, files...)
	var dropped []string
	for _, f := range files {
		dropped = append(dropped, filepath.Base(f))
	}
	tg.settle(t, dropped)

	t.Run("every dropped file is indexed and archived intact", func(t *testing.T) { stepIndexed(t, tg, dir, files) })
	t.Run("L1A, L1B and L2 are produced and archived", func(t *testing.T) { stepProducts(t, tg) })
	t.Run("catalog and archive agree; queues are drained", func(t *testing.T) { stepConsistent(t, tg, len(dropped)) })
	t.Run("files are downloadable through the API", func(t *testing.T) { stepReleaseAndDownload(t, tg, dir) })
	t.Run("the SITL cycle takes the SITL's selection through the API", func(t *testing.T) { stepSITLCycle(t, tg) })
	t.Run("a reprocessing campaign after a new calibration", func(t *testing.T) { stepCampaign(t, tg) })
}

func stepIndexed(t *testing.T, tg *target, dir string, files []string) {
	for _, f := range files {
		n := filepath.Base(f)
		rec, err := tg.catalog.Get(tg.ctx, n)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, f))
		sum := sha256.Sum256(b)
		if rec.SHA256 != hex.EncodeToString(sum[:]) || rec.Size != int64(len(b)) {
			t.Errorf("%s: cataloged %d bytes sha256 %s, dropped %d bytes", n, rec.Size, rec.SHA256, len(b))
		}
	}
	page, err := tg.dropbox.List(tg.ctx, "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Objects {
		if !strings.HasPrefix(o.Key, "quarantine/") {
			t.Errorf("left in the dropbox: %s", o.Key)
		}
	}
}

func stepProducts(t *testing.T, tg *target) {
	for _, c := range []struct{ instrument, rate, level string }{
		{"fgm", "srvy", "l1a"}, {"fgm", "srvy", "l1b"}, {"fgm", "srvy", "l2"},
		{"fgm", "brst", "l1a"}, {"fgm", "brst", "l2"}, {"fpi", "fast", "l1a"}, {"fpi", "fast", "l2"},
	} {
		rs, err := tg.catalog.Query(tg.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{c.instrument},
			Rate: []string{c.rate}, Level: []string{c.level}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			t.Errorf("no mms1 %s %s %s file", c.instrument, c.rate, c.level)
		}
	}
	counts, err := tg.jobs.Counts(tg.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[pipeline.StatusFailed] > 0 || counts[pipeline.StatusPending] > 0 || counts[pipeline.StatusRunning] > 0 ||
		counts[pipeline.StatusNotRun] > 0 {
		t.Errorf("jobs not all done: %v", counts)
		notrun, _ := tg.jobs.List(tg.ctx, pipeline.StatusNotRun, 20)
		for _, j := range notrun {
			t.Logf("%s %s %s missing %v", j.Node, j.SC, j.TimeTag(), j.Missing)
		}
	}
	t.Logf("jobs: %v", counts)
}

// stepConsistent: one record per archive object and one object per record,
// of the recorded size; more records than files dropped (the products);
// the queues empty.
func stepConsistent(t *testing.T, tg *target, dropped int) {
	recs := allRecords(t, tg.ctx, tg.catalog)
	if len(recs) <= dropped {
		t.Fatalf("%d records for %d dropped files: no products", len(recs), dropped)
	}
	checkCatalogArchive(t, tg.ctx, recs, tg.archive)
	for name, url := range tg.queues {
		out, err := tg.sqs.GetQueueAttributes(tg.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatalf("queue %s: %v", name, err)
		}
		for attr, v := range out.Attributes {
			if v != "0" {
				t.Errorf("queue %s: %s = %s", name, attr, v)
			}
		}
	}
}

// stepReleaseAndDownload: the team downloads an L0 file byte for byte; an
// L2 file is hidden from the public until an operator releases it (a SITL
// may not), then the public finds it with the MMS services and downloads
// it with its cataloged checksum.
func stepReleaseAndDownload(t *testing.T, tg *target, dir string) {
	l0 := "mms1_fgm_srvy_l0_20151016_v1.0.0.dat"
	want, _ := os.ReadFile(filepath.Join(dir, l0))
	if status, got := tg.call(t, http.MethodGet, "/api/v1/files/"+l0+"/download", "", "", "ops"); status != 200 || !bytes.Equal(got, want) {
		t.Errorf("team download of %s: status %d, %d bytes (want %d)", l0, status, len(got), len(want))
	}
	l2s, err := tg.catalog.Query(tg.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l2"}})
	if err != nil || len(l2s) == 0 {
		t.Fatalf("no L2 file: %v", err)
	}
	l2 := l2s[0]
	if status, _ := tg.call(t, http.MethodGet, "/api/v1/files/"+l2.Name+"/download", "", "", ""); status != http.StatusNotFound {
		t.Errorf("public download of unreleased %s: status %d, want 404", l2.Name, status)
	}
	body := `{"action":"release","instrument_id":["fgm"],"data_level":["l2"],"sc_id":["mms1"],"start_date":"2015-10-16","end_date":"2015-10-16","release":"scenario-1"}`
	if status, _ := tg.call(t, http.MethodPost, "/api/v1/releases", "application/json", body, "sitl"); status != http.StatusForbidden {
		t.Errorf("a SITL releasing: status %d, want 403", status)
	}
	if status, msg := tg.call(t, http.MethodPost, "/api/v1/releases", "application/json", body, "ops"); status/100 != 2 {
		t.Fatalf("release: %d: %s", status, msg)
	}
	status, got := tg.call(t, http.MethodGet, "/api/v1/files/"+l2.Name+"/download", "", "", "")
	sum := sha256.Sum256(got)
	if status != 200 || hex.EncodeToString(sum[:]) != l2.SHA256 {
		t.Errorf("public download of released %s: status %d, sha256 %x, cataloged %s", l2.Name, status, sum, l2.SHA256)
	}
	status, got = tg.call(t, http.MethodGet, "/mms/sdc/public/files/api/v1/file_info/science?sc_id=mms1&instrument_id=fgm&data_rate_mode=srvy&data_level=l2&start_date=2015-10-16&end_date=2015-10-16", "", "", "")
	if status != 200 || !strings.Contains(string(got), `"file_name":"`+l2.Name+`"`) {
		t.Errorf("MMS file_info of the released day: %d %.300s", status, got)
	}
}

// apiCycle is a SITL cycle as the API lists it.
type apiCycle struct {
	ID       string  `json:"id"`
	Status   string  `json:"status"`
	Stage    string  `json:"stage"`
	Source   string  `json:"source"`
	Segments []int64 `json:"segments"`
	Playlist string  `json:"playlist"`
	ABS      []any   `json:"abs"`
}

func (tg *target) cycle(t *testing.T, id string) (apiCycle, bool) {
	status, b := tg.call(t, http.MethodGet, "/api/v1/sitl/cycles", "", "", "sitl")
	var list struct {
		Cycles []apiCycle `json:"cycles"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &list) != nil {
		t.Fatalf("SITL cycles: %d %.300s", status, b)
	}
	for _, c := range list.Cycles {
		if c.ID == id {
			return c, true
		}
	}
	return apiCycle{}, false
}

// stepSITLCycle: the day's cycle started once the four observatories'
// burst metadata was in, and waits for the SITL; the SITL submits a CSV
// (the public may not); the selection is applied to the BDM (source SITL,
// one segment, a playlist) and the team reads the held segment.
func stepSITLCycle(t *testing.T, tg *target) {
	win, err := sitlcycle.DayWindow(simDay, 10)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := sitlcycle.CycleID(win)
	tg.waitFor(t, "the day's SITL cycle to wait for a submission", func() (bool, string) {
		c, ok := tg.cycle(t, id)
		return ok && c.Stage != "" && len(c.ABS) > 0, fmt.Sprintf("%+v", c)
	})
	// Buffers 3000..3029 of the day: 08:20:04–08:25:04 UTC.
	csv := "start_time, stop_time, fom, sourceid, discussion\n" +
		"2015-10-16 08:20:04, 2015-10-16 08:25:04, 120, SITL, magnetopause crossing\n"
	path := "/api/v1/sitl/cycles/" + id + "/submissions"
	if status, b := tg.call(t, http.MethodPost, path, "text/csv", csv, ""); status != http.StatusUnauthorized {
		t.Errorf("anonymous submission: %d %s, want 401", status, b)
	}
	status, b := tg.call(t, http.MethodPost, path, "text/csv", csv, "sitl")
	var sub struct {
		Verdict string `json:"verdict"`
	}
	if status != http.StatusAccepted || json.Unmarshal(b, &sub) != nil || sub.Verdict != sitlcycle.VerdictAccepted {
		t.Fatalf("submit: %d %s", status, b)
	}
	var c apiCycle
	// Applied, then the playlist written: the cycle's last steps.
	tg.waitFor(t, "the selection to be applied and its playlist written", func() (bool, string) {
		c, _ = tg.cycle(t, id)
		return c.Source != "" && c.Playlist != "", fmt.Sprintf("%+v", c)
	})
	if c.Source != "SITL" || len(c.Segments) != 1 || c.Playlist == "" {
		t.Fatalf("applied %+v; want the SITL's one segment with a playlist", c)
	}
	status, b = tg.call(t, http.MethodGet, "/api/v1/burst/segments?status=HELD", "", "", "sitl")
	var segs struct {
		Segments []struct {
			ID       int64   `json:"id"`
			FOM      float64 `json:"fom"`
			TAIStart int64   `json:"tai_start"`
		} `json:"segments"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &segs) != nil || len(segs.Segments) == 0 || segs.Segments[0].ID != c.Segments[0] ||
		segs.Segments[0].FOM != 120 {
		t.Errorf("held segments: %d %.300s", status, b)
	}
}

// stepCampaign: an FGM team delivers a new calibration (v1.2.0); an
// operator (not a SITL) starts a reprocessing campaign of mms1's FGM day
// through the API; it succeeds, the day's L1B gets a new x.2.z version and
// every earlier version stays; the team reads its status and sees it
// listed. Hosted, the calibration is only indexed first, so the campaign
// does the work; deployed, the processor may have reprocessed first and
// the campaign finds less to do — the outcome is the same.
func stepCampaign(t *testing.T, tg *target) {
	dir := t.TempDir()
	cal := processors.CalibrationName("mms1", simDay, naming.Version{X: 1, Y: 2, Z: 0})
	if err := os.WriteFile(filepath.Join(dir, cal), processors.FormatCalibration("mms1", processors.NominalCalibration(2)), 0o644); err != nil {
		t.Fatal(err)
	}
	l1b := catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l1b"}, AllVersions: true}
	before, err := tg.catalog.Query(tg.ctx, l1b)
	if err != nil || len(before) == 0 {
		t.Fatalf("l1b before: %v", err)
	}
	tg.drop(t, dir, cal)
	if tg.indexOnly != nil {
		tg.indexOnly(t)
	} else {
		tg.settle(t, []string{cal})
	}

	req, _ := json.Marshal(campaign.Request{Instruments: []string{"fgm"}, Spacecraft: []string{"mms1"},
		Start: simDay.Format(time.DateOnly), End: simDay.Format(time.DateOnly), Reason: "new FGM calibration v1.2.0"})
	if status, b := tg.call(t, http.MethodPost, "/api/v1/reprocess", "application/json", string(req), "sitl"); status != http.StatusForbidden {
		t.Errorf("a SITL starting a campaign: %d %s, want 403", status, b)
	}
	status, b := tg.call(t, http.MethodPost, "/api/v1/reprocess", "application/json", string(req), "ops")
	var started struct {
		ExecutionID string `json:"execution_id"`
	}
	if status != http.StatusAccepted || json.Unmarshal(b, &started) != nil || started.ExecutionID == "" {
		t.Fatalf("start campaign: %d %s", status, b)
	}
	var got struct {
		Status string            `json:"status"`
		Result *campaign.Summary `json:"result"`
	}
	tg.waitFor(t, "the campaign to end", func() (bool, string) {
		status, b := tg.call(t, http.MethodGet, "/api/v1/reprocess/"+started.ExecutionID, "", "", "sitl")
		got.Status = ""
		if status != http.StatusOK || json.Unmarshal(b, &got) != nil {
			return false, fmt.Sprintf("%d %.200s", status, b)
		}
		return got.Status != "RUNNING", string(b)
	})
	if got.Status != "SUCCEEDED" || got.Result == nil || got.Result.Failed != 0 {
		t.Fatalf("campaign: %+v", got)
	}
	if tg.indexOnly != nil && got.Result.Succeeded == 0 {
		t.Errorf("campaign summary %+v: the campaign had the work and did none", got.Result)
	}
	// Its outputs and the calibration's own events settle.
	tg.settle(t, []string{cal})
	after, err := tg.catalog.Query(tg.ctx, l1b)
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
		// Superseded: tagged for the archive's lifecycle rule.
		info, err := tg.archive.Head(tg.ctx, r.ArchiveKey)
		if err != nil || info.Tags["superseded"] != "true" || info.Tags["level"] != "l1b" {
			t.Errorf("archive tags of superseded %s: %v %v", r.Name, info.Tags, err)
		}
	}
	recal := false
	for v := range versions {
		ver, err := naming.ParseVersion(v)
		recal = recal || err == nil && ver.Y == 2
	}
	if len(after) <= len(before) || !recal {
		t.Errorf("l1b versions %v (before %d files): want a new x.2.z version from calibration v1.2.0", versions, len(before))
	}
	name := started.ExecutionID[strings.LastIndex(started.ExecutionID, ":")+1:]
	if status, b := tg.call(t, http.MethodGet, "/api/v1/reprocess", "", "", "sitl"); status != http.StatusOK || !strings.Contains(string(b), name) {
		t.Errorf("campaign list: %d, lacks %s", status, name)
	}
}

// allRecords returns every catalog record (all versions) of every kind.
func allRecords(t *testing.T, ctx context.Context, cat *catalog.Catalog) []catalog.Record {
	t.Helper()
	var all []catalog.Record
	for _, kind := range []string{catalog.KindScience, catalog.KindAncillary} {
		rs, err := cat.Query(ctx, catalog.Filter{Kind: kind, AllVersions: true, IgnoreDates: kind == catalog.KindAncillary})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
	}
	return all
}

// checkCatalogArchive checks the catalog against the archive: one record
// per archive key, each with its object of the recorded size, and no
// archive object without a record.
func checkCatalogArchive(t *testing.T, ctx context.Context, recs []catalog.Record, archive store.ObjectStore) {
	t.Helper()
	keys := map[string]string{}
	for _, r := range recs {
		if prev, dup := keys[r.ArchiveKey]; dup {
			t.Errorf("archive key %s cataloged twice (%s, %s)", r.ArchiveKey, prev, r.Name)
		}
		keys[r.ArchiveKey] = r.Name
		info, err := archive.Head(ctx, r.ArchiveKey)
		if err != nil {
			t.Errorf("%s: archive object %s: %v", r.Name, r.ArchiveKey, err)
			continue
		}
		if info.Size != r.Size {
			t.Errorf("%s: archived %d bytes, cataloged %d", r.Name, info.Size, r.Size)
		}
	}
	for token := ""; ; {
		page, err := archive.List(ctx, "", token, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Objects {
			if _, ok := keys[o.Key]; !ok {
				t.Errorf("archive object %s has no catalog record", o.Key)
			}
		}
		if token = page.Next; token == "" {
			break
		}
	}
}
