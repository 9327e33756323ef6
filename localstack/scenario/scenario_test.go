package scenario

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/awstest"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	apifn "github.com/magpie-sdc/magpie/shared/lambdaenv/api"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/indexer"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/processor"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/reprocess"
	sitlfn "github.com/magpie-sdc/magpie/shared/lambdaenv/sitl"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/sweeper"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/simulate"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

var simDay = time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)

// simulated is one simulated day of mms1 (one spacecraft keeps the
// scenario fast), made once per test binary.
var simulated = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "magpie-scenario-sim-")
	if err != nil {
		return "", err
	}
	p, err := mission.Default()
	if err != nil {
		return "", err
	}
	if _, err = simulate.Run(context.Background(), simulate.Config{Profile: p, Out: dir, Start: simDay, Days: 1,
		Spacecraft: []string{"mms1"}, Seed: 1}); err != nil {
		return "", err
	}
	// The burst metadata of the other observatories: a day's SITL cycle
	// starts once all four are in.
	others := filepath.Join(dir, "others")
	if _, err = simulate.Run(context.Background(), simulate.Config{Profile: p, Out: others, Start: simDay, Days: 1,
		Spacecraft: []string{"mms2", "mms3", "mms4"}, Seed: 1}); err != nil {
		return "", err
	}
	es, err := os.ReadDir(others)
	if err != nil {
		return "", err
	}
	for _, e := range es {
		if strings.Contains(e.Name(), "_"+p.Simulation.BurstMetadata.Descriptor+"_") {
			if err := os.Rename(filepath.Join(others, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				return "", err
			}
		}
	}
	if err := os.RemoveAll(others); err != nil {
		return "", err
	}
	// The instrument teams' first calibrations, as `make run` delivers them.
	cals, err := processors.WriteNominalCalibrations(p, filepath.Join(dir, "cal"), simDay.AddDate(0, 0, -30))
	if err != nil {
		return "", err
	}
	for _, c := range cals {
		if !strings.HasPrefix(c, "mms1_") {
			if err := os.Remove(filepath.Join(dir, "cal", c)); err != nil {
				return "", err
			}
		}
	}
	return dir, nil
})

// dayFiles returns the names of the simulated day's files under dir (the
// first burst segment only),
// calibrations (cal/) first, as instrument teams deliver them.
func dayFiles(dir string) ([]string, error) {
	var cal, day []string
	for _, sub := range []struct {
		path string
		into *[]string
	}{{"cal", &cal}, {"", &day}} {
		es, err := os.ReadDir(filepath.Join(dir, sub.path))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			// One burst segment per instrument keeps the scenario fast; the
			// others would add jobs of the same kind.
			if !e.IsDir() && (!strings.Contains(e.Name(), "_brst_") || strings.Contains(e.Name(), "_20151016025644_")) {
				*sub.into = append(*sub.into, filepath.Join(sub.path, e.Name()))
			}
		}
	}
	return append(cal, day...), nil
}

// hosted is one hosted SDC on the emulators.
type hosted struct {
	ctx       context.Context
	cfg       aws.Config
	res       Resources
	sdc       *SDC
	sqs       *sqs.Client
	indexer   lambdaenv.Handler
	processor lambdaenv.Handler
	sweeper   lambdaenv.Handler
	workflows *WorkflowsHost
	// api is the api function behind a hosted HTTP API; ops (operator) and
	// sitl (SITL) are its users, in the users table (password: password(name)).
	api *httptest.Server
}

// newHosted provisions a fresh SDC on the emulators and builds the indexer
// function exactly as its Lambda entry point does (lambdaenv), with the
// SDK's standard endpoint variables pointing at the emulators.
func newHosted(t *testing.T, o Options) *hosted {
	t.Helper()
	moto := awstest.Endpoint(t, awstest.MotoEnv)
	ddb := awstest.Endpoint(t, awstest.DynamoDBEnv)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": moto, "AWS_ENDPOINT_URL_DYNAMODB": ddb, "AWS_REGION": awstest.Region,
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := NewNames(awstest.Name("mgp"))
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), names.TablePrefix)
	h := &hosted{ctx: ctx, cfg: cfg, sqs: sqs.NewFromConfig(cfg)}
	h.res, err = Provision(ctx, Clients{S3: awsstore.NewS3Client(cfg), SQS: h.sqs, EventBridge: eb.NewFromConfig(cfg),
		SNS: sns.NewFromConfig(cfg), Tables: tables}, names, o)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if h.sdc, err = NewSDC(ctx, cfg, names, prof, clock.Real{}, log, filepath.Join(t.TempDir(), "work")); err != nil {
		t.Fatal(err)
	}
	// Every function is built as its Lambda entry point builds it, from
	// the environment the CDK stack gives it.
	env := map[string]string{"DROPBOX_BUCKET": names.Dropbox, "ARCHIVE_BUCKET": names.Archive,
		"TABLE_PREFIX": names.TablePrefix, "EVENT_BUS": names.Bus, "LOG_LEVEL": "warn",
		"CAMPAIGN_BUCKET": names.Workflow, "PLAYLIST_BUCKET": names.Workflow,
		"SITL_STATE_MACHINE_ARN": "arn:aws:states:" + awstest.Region + ":" + Account + ":stateMachine:" + SITLMachine,
		"SITL_DEADLINE":          "30m"}
	getenv := func(k string) string { return env[k] }
	fns := map[string]lambdaenv.Builder{"indexer": indexer.Build, "processor": processor.Build, "reprocess": reprocess.Build,
		"sitl": sitlfn.Build, "sweeper": sweeper.Build}
	built := map[string]lambdaenv.Handler{}
	for name, build := range fns {
		if built[name], err = build(ctx, getenv, io.Discard); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	h.indexer, h.processor, h.sweeper = built["indexer"], built["processor"], built["sweeper"]
	h.workflows, err = NewWorkflowsHost(ctx, cfg, h.res, tables, awsstore.NewObjectStore(awsstore.NewS3Client(cfg), names.Workflow),
		HostedFunctions{Reprocess: Function(built["reprocess"]), SITL: Function(built["sitl"])}, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.workflows.Close)
	// The functions reach Step Functions (task tokens, starts) through the
	// SDK's endpoint variable; they load their configuration on first use.
	t.Setenv("AWS_ENDPOINT_URL_SFN", h.workflows.Endpoint.URL)

	env[apifn.EnvReprocessMachine] = h.workflows.MachineARN(ReprocessMachine)
	env[apifn.EnvSITLMachine] = h.workflows.MachineARN(SITLMachine)
	apiFn, err := apifn.Build(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	h.api = httptest.NewServer(&HTTPAPI{Fn: Function(apiFn)})
	t.Cleanup(h.api.Close)
	users := auth.NewUsers(tables, clock.Real{})
	users.Cost = 4 // bcrypt's minimum: the scenario logs in often
	for name, role := range map[string]auth.Role{"ops": auth.RoleOperator, "sitl": auth.RoleSITL} {
		if _, err := users.Add(ctx, name, password(name), []auth.Role{role}, false); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// password is the scenario users' password.
func password(user string) string { return user + "-scenario-password" }

// call sends a request to the hosted api function, as user ("" for the
// public), and returns the status and body.
func (h *hosted) call(t *testing.T, method, path, contentType, body, user string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(h.ctx, method, h.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password(user))
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

// host hosts fn on the ingest queue (batch size 1 when one, so one message
// at a time) and the processor function on the processing queue.
func (h *hosted) host(fn Function, batch int32) *Host {
	return &Host{Pollers: []*Poller{
		{API: h.sqs, Queue: h.res.Ingest, Fn: fn, Batch: batch, Region: awstest.Region},
		{API: h.sqs, Queue: h.res.Events, Fn: Function(h.processor), Region: awstest.Region},
	}}
}

// drop puts files into the dropbox bucket, as an instrument team would.
func (h *hosted) drop(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.sdc.Dropbox.Put(h.ctx, filepath.Base(n), bytes.NewReader(b), store.PutOptions{}); err != nil {
			t.Fatalf("drop %s: %v", n, err)
		}
	}
}

// queueDepth counts the visible and in-flight messages of q.
func (h *hosted) queueDepth(t *testing.T, q Queue) int {
	t.Helper()
	out, err := h.sqs.GetQueueAttributes(h.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		AttributeNames: []sqsAttr{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		var c int
		if err := json.Unmarshal([]byte(v), &c); err != nil {
			t.Fatalf("queue %s attribute %q: %v", q.Name, v, err)
		}
		n += c
	}
	return n
}

// records returns every catalog record (all versions) of every kind.
func (h *hosted) records(t *testing.T) []catalog.Record {
	t.Helper()
	var all []catalog.Record
	for _, kind := range []string{catalog.KindScience, catalog.KindAncillary} {
		rs, err := h.sdc.Catalog.Query(h.ctx, catalog.Filter{Kind: kind, AllVersions: true, IgnoreDates: kind == catalog.KindAncillary})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
	}
	return all
}

// checkConsistent checks the catalog against the archive: one record per
// name, each with its archived object of the recorded size, and no archive
// object without a record.
func (h *hosted) checkConsistent(t *testing.T, recs []catalog.Record) {
	t.Helper()
	keys := map[string]string{}
	for _, r := range recs {
		if prev, dup := keys[r.ArchiveKey]; dup {
			t.Errorf("archive key %s cataloged twice (%s, %s)", r.ArchiveKey, prev, r.Name)
		}
		keys[r.ArchiveKey] = r.Name
		info, err := h.sdc.Archive.Head(h.ctx, r.ArchiveKey)
		if err != nil {
			t.Errorf("%s: archive object %s: %v", r.Name, r.ArchiveKey, err)
			continue
		}
		if info.Size != r.Size {
			t.Errorf("%s: archived %d bytes, cataloged %d", r.Name, info.Size, r.Size)
		}
	}
	for token := ""; ; {
		page, err := h.sdc.Archive.List(h.ctx, "", token, 1000)
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

type sqsAttr = sqstypes.QueueAttributeName

// TestHostedScenario drops a simulated day into the dropbox bucket and
// follows it through the AWS adapters: S3 notifications on SQS feed the
// indexer function, FileIndexed events on EventBridge feed the pipeline,
// L1A/L1B/L2 products are archived and cataloged, and the API serves them.
func TestHostedScenario(t *testing.T) {
	h := newHosted(t, Options{MaxReceiveCount: 3, VisibilityTimeout: 600})
	dir, err := simulated()
	if err != nil {
		t.Fatal(err)
	}
	files, err := dayFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	h.drop(t, dir, files...)
	var dropped []string
	for _, f := range files {
		dropped = append(dropped, filepath.Base(f))
	}
	host := h.host(Function(h.indexer), 10)
	tot, err := host.RunUntilIdle(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tot.Errs) > 0 || tot.Failed > 0 {
		t.Fatalf("hosted functions failed %d messages: %v", tot.Failed, tot.Errs)
	}
	t.Logf("hosted: %d messages received, %d deleted", tot.Received, tot.Deleted)

	t.Run("every dropped file is indexed and archived intact", func(t *testing.T) {
		for i, n := range dropped {
			rec, err := h.sdc.Catalog.Get(h.ctx, n)
			if err != nil {
				t.Errorf("%s: %v", n, err)
				continue
			}
			b, _ := os.ReadFile(filepath.Join(dir, files[i]))
			sum := sha256.Sum256(b)
			if rec.SHA256 != hex.EncodeToString(sum[:]) || rec.Size != int64(len(b)) {
				t.Errorf("%s: cataloged %d bytes sha256 %s, dropped %d bytes", n, rec.Size, rec.SHA256, len(b))
			}
		}
		page, err := h.sdc.Dropbox.List(h.ctx, "", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Objects {
			t.Errorf("left in the dropbox: %s", o.Key)
		}
	})

	t.Run("L1A, L1B and L2 are produced and archived", func(t *testing.T) {
		for _, c := range []struct{ instrument, rate, level string }{
			{"fgm", "srvy", "l1a"}, {"fgm", "srvy", "l1b"}, {"fgm", "srvy", "l2"},
			{"fgm", "brst", "l1a"}, {"fgm", "brst", "l2"}, {"fpi", "fast", "l1a"}, {"fpi", "fast", "l2"},
		} {
			rs, err := h.sdc.Catalog.Query(h.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{c.instrument},
				Rate: []string{c.rate}, Level: []string{c.level}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				t.Errorf("no mms1 %s %s %s file", c.instrument, c.rate, c.level)
			}
		}
		counts, err := h.sdc.Pipeline.Jobs.Counts(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[pipeline.StatusFailed] > 0 || counts[pipeline.StatusPending] > 0 || counts[pipeline.StatusRunning] > 0 ||
			counts[pipeline.StatusNotRun] > 0 {
			t.Errorf("jobs not all done: %v", counts)
			logNotRun(t, h)
		}
		t.Logf("jobs: %v", counts)
	})

	t.Run("catalog and archive agree; queues are drained", func(t *testing.T) {
		recs := h.records(t)
		if len(recs) <= len(dropped) {
			t.Fatalf("%d records for %d dropped files: no products", len(recs), len(dropped))
		}
		h.checkConsistent(t, recs)
		for _, q := range []Queue{h.res.Ingest, h.res.IngestDLQ, h.res.Events, h.res.EventsDLQ} {
			if n := h.queueDepth(t, q); n != 0 {
				t.Errorf("queue %s holds %d messages", q.Name, n)
			}
		}
	})

	t.Run("files are downloadable through the api function", func(t *testing.T) {
		// Downloads answer with a redirect to a presigned archive URL,
		// which the client follows, as on AWS.
		l0 := "mms1_fgm_srvy_l0_20151016_v1.0.0.dat"
		want, _ := os.ReadFile(filepath.Join(dir, l0))
		if status, got := h.call(t, http.MethodGet, "/api/v1/files/"+l0+"/download", "", "", "ops"); status != 200 || !bytes.Equal(got, want) {
			t.Errorf("team download of %s: status %d, %d bytes (want %d)", l0, status, len(got), len(want))
		}
		l2s, err := h.sdc.Catalog.Query(h.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"},
			Rate: []string{"srvy"}, Level: []string{"l2"}})
		if err != nil || len(l2s) == 0 {
			t.Fatalf("no L2 file: %v", err)
		}
		l2 := l2s[0]
		if status, _ := h.call(t, http.MethodGet, "/api/v1/files/"+l2.Name+"/download", "", "", ""); status != http.StatusNotFound {
			t.Errorf("public download of unreleased %s: status %d, want 404", l2.Name, status)
		}
		body := `{"action":"release","instrument_id":["fgm"],"data_level":["l2"],"sc_id":["mms1"],"start_date":"2015-10-16","end_date":"2015-10-16","release":"scenario-1"}`
		if status, msg := h.call(t, http.MethodPost, "/api/v1/releases", "application/json", body, "ops"); status/100 != 2 {
			t.Fatalf("release: %d: %s", status, msg)
		}
		if status, _ := h.call(t, http.MethodPost, "/api/v1/releases", "application/json", body, "sitl"); status != http.StatusForbidden {
			t.Errorf("a SITL releasing: status %d, want 403", status)
		}
		status, got := h.call(t, http.MethodGet, "/api/v1/files/"+l2.Name+"/download", "", "", "")
		sum := sha256.Sum256(got)
		if status != 200 || hex.EncodeToString(sum[:]) != l2.SHA256 {
			t.Errorf("public download of released %s: status %d, sha256 %x, cataloged %s", l2.Name, status, sum, l2.SHA256)
		}
		status, got = h.call(t, http.MethodGet, "/mms/sdc/public/files/api/v1/file_info/science?sc_id=mms1&instrument_id=fgm&data_rate_mode=srvy&data_level=l2&start_date=2015-10-16&end_date=2015-10-16", "", "", "")
		if status != 200 || !strings.Contains(string(got), `"file_name":"`+l2.Name+`"`) {
			t.Errorf("MMS file_info of the released day: %d %.300s", status, got)
		}
	})

	t.Run("the SITL cycle runs on Step Functions' API and applies the SITL's selection", func(t *testing.T) {
		h.checkSITLCycle(t)
	})

	t.Run("a reprocessing campaign re-runs the day after a new calibration", func(t *testing.T) {
		h.checkCampaign(t, host)
	})
}

// logNotRun logs the NOTRUN jobs and what they miss.
func logNotRun(t *testing.T, h *hosted) {
	js, _ := h.sdc.Pipeline.Jobs.List(h.ctx, pipeline.StatusNotRun, 0)
	for _, j := range js {
		t.Logf("%s %s %s missing %v", j.Node, j.SC, j.TimeTag(), j.Missing)
	}
}
