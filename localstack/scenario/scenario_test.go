package scenario

import (
	"bytes"
	"context"
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
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	apifn "github.com/magpie-sdc/magpie/shared/lambdaenv/api"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/indexer"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/processor"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/reprocess"
	sitlfn "github.com/magpie-sdc/magpie/shared/lambdaenv/sitl"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/sweeper"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/simulate"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
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

type sqsAttr = sqstypes.QueueAttributeName

// target is the hosted SDC as the scenario's steps drive it: the functions
// hosted on the queues (host), the API behind the hosted HTTP API.
func (h *hosted) target(host *Host) *target {
	settle := func(t *testing.T, _ []string) {
		t.Helper()
		tot, err := host.RunUntilIdle(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tot.Errs) > 0 || tot.Failed > 0 {
			t.Fatalf("hosted functions failed %d messages: %v", tot.Failed, tot.Errs)
		}
		t.Logf("hosted: %d messages received, %d deleted", tot.Received, tot.Deleted)
	}
	queues := map[string]string{}
	for _, q := range []Queue{h.res.Ingest, h.res.IngestDLQ, h.res.Events, h.res.EventsDLQ} {
		queues[q.Name] = q.URL
	}
	return &target{ctx: h.ctx, catalog: h.sdc.Catalog, jobs: h.sdc.Pipeline.Jobs, dropbox: h.sdc.Dropbox, archive: h.sdc.Archive,
		sqs: h.sqs, queues: queues, api: h.api.URL, users: map[string]account{"ops": {"ops", password("ops")}, "sitl": {"sitl", password("sitl")}},
		settle: settle, patience: time.Minute,
		indexOnly: func(t *testing.T) {
			// The ingest queue only: the FileIndexed events wait in the
			// processing queue.
			if tot, err := (&Host{Pollers: host.Pollers[:1]}).RunUntilIdle(h.ctx); err != nil || tot.Failed > 0 {
				t.Fatalf("index: %+v %v", tot, err)
			}
		}}
}

// TestHostedScenario is the ops scenario (runScenario) in hosted mode: a
// simulated day dropped into the emulator's dropbox bucket, S3
// notifications on SQS feeding the indexer function, FileIndexed events on
// EventBridge feeding the processor function, the state machines on the
// interpreter behind a Step Functions endpoint, the api function behind a
// hosted HTTP API. Then what only hosted mode can do: read the SITL's SNS
// inbox, and invoke the scheduled contact task.
func TestHostedScenario(t *testing.T) {
	h := newHosted(t, Options{MaxReceiveCount: 3, VisibilityTimeout: 600})
	tg := h.target(h.host(Function(h.indexer), 10))
	runScenario(t, tg)

	t.Run("the SITL on duty was told through SNS", func(t *testing.T) {
		win, err := sitlcycle.DayWindow(simDay, h.sdc.Profile.Burst.BufferSeconds)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := sitlcycle.CycleID(win)
		msgs, err := h.sqs.ReceiveMessage(h.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.res.SITLInbox.URL), MaxNumberOfMessages: 10})
		if err != nil || len(msgs.Messages) != 1 {
			t.Fatalf("SITL inbox: %v, %d messages, want the window's notice", err, len(msgs.Messages))
		}
		var notice struct {
			CycleID  string `json:"cycle_id"`
			Segments int    `json:"segments"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(msgs.Messages[0].Body)), &notice); err != nil || notice.CycleID != id || notice.Segments == 0 {
			t.Errorf("notice %.300s: want cycle %s and its ABS segments (%v)", aws.ToString(msgs.Messages[0].Body), id, err)
		}
	})

	t.Run("the scheduled contact task holds a ground contact", func(t *testing.T) {
		// The sweeper function, as its EventBridge rule invokes it; the
		// events dataset of the api function lists the contact.
		out, err := h.sweeper(h.ctx, json.RawMessage(`{"task":"contact"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(out)
		var ct struct {
			Ran    bool           `json:"ran"`
			Missed bool           `json:"missed"`
			Sent   map[string]int `json:"sent"`
			Start  time.Time      `json:"start"`
		}
		if json.Unmarshal(b, &ct) != nil || !ct.Ran || (!ct.Missed && ct.Sent["mms1"] < 30) {
			t.Errorf("contact: %s (want it held with the SITL's 30 buffers of mms1 downlinked, or missed)", b)
		}
		status, body := tg.call(t, http.MethodGet, "/mms/sdc/sitl/latis/dap/mms_events_view.csv?event_type=dsn_contact", "", "", "sitl")
		if status != http.StatusOK || !strings.Contains(string(body), "dsn_contact-mms-"+ct.Start.UTC().Format("20060102T150405")) {
			t.Errorf("events dataset: %d %.400s", status, body)
		}
	})
}
