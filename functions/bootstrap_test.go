// Package functions_test builds every function's bootstrap for this machine
// and runs it against a Lambda Runtime API server on loopback, with the
// sample events in events/, as provided.al2023 would run it.
package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/magpie-sdc/magpie/shared/awstest"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/registry"
	"github.com/magpie-sdc/magpie/shared/lambdarapi"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// runtimeTests holds, for every directory in functions/, the test of its
// built bootstrap. A function without one fails TestEveryFunctionIsWired.
var runtimeTests = map[string]func(t *testing.T, bootstrap string){
	"api":       testAPI,
	"indexer":   testIndexer,
	"processor": testProcessor,
	"reprocess": testReprocess,
	"sitl":      testSitl,
	"sweeper":   testSweeper,
}

func TestEveryFunctionIsWired(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	builders := registry.Functions()
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(e.Name(), "main.go")); err != nil {
			continue
		}
		if initEnv[e.Name()] == nil {
			t.Errorf("functions/%s has no environment in initEnv (BenchmarkInit cannot start it)", e.Name())
		}
		if runtimeTests[e.Name()] == nil {
			t.Errorf("functions/%s has no runtime test: add it to runtimeTests with its sample events", e.Name())
		}
		if builders[e.Name()] == nil {
			t.Errorf("functions/%s has no builder in shared/lambdaenv/registry (magpie invoke cannot run it)", e.Name())
		}
	}
}

func TestBootstrapsOnRuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function")
	}
	dir := t.TempDir()
	for name, test := range runtimeTests {
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(dir, name, "bootstrap")
			cmd := exec.Command(goTool(), "build", "-tags", "lambda.norpc", "-o", bin, "./functions/"+name)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			test(t, bin)
		})
	}
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// process is one running bootstrap with its Runtime API.
type process struct {
	api    *lambdarapi.Server
	ctx    context.Context // ends when the process exits
	stdout bytes.Buffer
	stderr bytes.Buffer
	exit   chan error
}

// start runs bootstrap with only env (plus the Runtime API address): no
// credentials or endpoints leak in from the test's environment.
func start(t *testing.T, bootstrap string, env map[string]string) *process {
	t.Helper()
	api, err := lambdarapi.Start()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{api: api, exit: make(chan error, 1)}
	cmd := exec.Command(bootstrap)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	p.ctx = ctx
	go func() {
		err := cmd.Wait()
		p.exit <- err
		cancel(errors.New("bootstrap exited"))
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-ctx.Done()
		api.Close()
		if t.Failed() {
			t.Logf("bootstrap stdout:\n%s\nstderr:\n%s", p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

func (p *process) invoke(t *testing.T, payload []byte) lambdarapi.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	r, err := p.api.Invoke(ctx, payload, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// alive fails the test if the process has exited.
func (p *process) alive(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.exit:
		t.Fatalf("bootstrap exited: %v", err)
	default:
	}
}

func sampleEvent(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(b)))
}

// l0 is a CCSDS telemetry packet: version 0, type telemetry, secondary
// header present — what the indexer accepts in a .dat file.
var l0 = append([]byte{0x08, 0x01, 0xC0, 0x00, 0x00, 0x1D}, bytes.Repeat([]byte{0x5A}, 30)...)

const sampleKey = "mms1_fgm_srvy_l0_20151016_v1.0.0.dat"

func testIndexer(t *testing.T, bin string) {
	t.Run("init error", func(t *testing.T) {
		p := start(t, bin, map[string]string{"ARCHIVE_BUCKET": "a", "EVENT_BUS": "b", "AWS_REGION": awstest.Region})
		select {
		case fe := <-p.api.InitError():
			if fe.Type != lambdaenv.InitErrorType || !strings.Contains(fe.Message, "DROPBOX_BUCKET") {
				t.Errorf("init error %+v", fe)
			}
		case <-p.ctx.Done():
			t.Fatal("exited without reporting an init error")
		}
		if err := <-p.exit; err == nil || strings.Contains(p.stderr.String(), "panic") {
			t.Errorf("exit %v, stderr %q: want a plain non-zero exit", err, p.stderr.String())
		}
	})

	t.Run("AWS denies", func(t *testing.T) {
		// Every AWS call is refused with a non-retryable 403, as with a
		// role missing a permission.
		deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"__type":"AccessDeniedException","message":"denied by the test"}`))
		}))
		defer deny.Close()
		p := start(t, bin, map[string]string{"DROPBOX_BUCKET": "magpie-dropbox", "ARCHIVE_BUCKET": "magpie-archive",
			"EVENT_BUS": "magpie", "AWS_REGION": awstest.Region, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
			"AWS_ENDPOINT_URL": deny.URL})
		r := p.invoke(t, sampleEvent(t, "s3-put.json"))
		if r.Error == nil || r.Error.Type == "" || !strings.Contains(r.Error.Message, sampleKey) || r.Response != nil {
			t.Errorf("direct S3 event: %+v, want a function error naming the key", r)
		}
		r = p.invoke(t, sampleEvent(t, "sqs-s3.json"))
		var resp struct {
			BatchItemFailures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
		}
		if r.Error != nil || json.Unmarshal(r.Response, &resp) != nil || len(resp.BatchItemFailures) == 0 {
			t.Errorf("SQS batch: %+v (%s), want batch item failures so SQS redelivers", r, r.Response)
		}
		for _, f := range resp.BatchItemFailures {
			if !strings.Contains(string(sampleEvent(t, "sqs-s3.json")), f.ItemIdentifier) {
				t.Errorf("batch item failure %q is not a message of the event", f.ItemIdentifier)
			}
		}
		r = p.invoke(t, []byte(`"not an event"`))
		if r.Error == nil || r.Error.Message == "" {
			t.Errorf("bad event: %+v", r)
		}
		p.alive(t)
		if !strings.Contains(p.stdout.String(), `"request_id":"req-`) {
			t.Errorf("logs carry no request id:\n%s", p.stdout.String())
		}
	})

	t.Run("emulators", func(t *testing.T) {
		e := newEmulatorSDC(t)
		ctx, cat, drop := context.Background(), e.cat, e.drop
		if _, err := drop.Put(ctx, sampleKey, bytes.NewReader(l0), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}

		p := start(t, bin, e.env(nil))
		for i, ev := range []string{"s3-put.json", "sqs-s3.json"} { // the second delivery finds it done
			r := p.invoke(t, sampleEvent(t, ev, "magpie-dropbox", e.dropbox))
			if r.Error != nil {
				t.Fatalf("%s: %+v", ev, r.Error)
			}
			var resp struct {
				Outcomes []struct {
					Result, Key string
				} `json:"outcomes"`
				BatchItemFailures []any `json:"batchItemFailures"`
			}
			if err := json.Unmarshal(r.Response, &resp); err != nil || len(resp.Outcomes) == 0 || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("%s: response %s", ev, r.Response)
			}
			// The redelivery finds the file archived (duplicate) or already
			// moved out of the dropbox (gone): either way it is not indexed twice.
			if got := resp.Outcomes[0].Result; (i == 0) != (got == "indexed") || (i == 1 && got != "duplicate" && got != "gone") {
				t.Errorf("%s: outcome %+v", ev, resp.Outcomes[0])
			}
		}
		rec, err := cat.Get(ctx, sampleKey)
		if err != nil {
			t.Fatalf("not cataloged: %v", err)
		}
		var archived []string
		store.ListAll(ctx, awsstore.NewObjectStore(e.s3, e.archive), "", func(o store.ObjectInfo) error {
			archived = append(archived, o.Key)
			return nil
		})
		if len(archived) != 1 || !strings.HasSuffix(archived[0], sampleKey) {
			t.Errorf("archive holds %v (record %+v)", archived, rec)
		}
		if _, err := drop.Head(ctx, sampleKey); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the dropbox still holds the file: %v", err)
		}
		p.alive(t)
	})
}

// initError expects bootstrap, started with env, to report an init error
// naming missing and to exit non-zero without a panic.
func initError(t *testing.T, bin string, env map[string]string, missing string) {
	t.Helper()
	p := start(t, bin, env)
	select {
	case fe := <-p.api.InitError():
		if fe.Type != lambdaenv.InitErrorType || !strings.Contains(fe.Message, missing) {
			t.Errorf("init error %+v, want one naming %s", fe, missing)
		}
	case <-p.ctx.Done():
		t.Fatal("exited without reporting an init error")
	}
	if err := <-p.exit; err == nil || strings.Contains(p.stderr.String(), "panic") {
		t.Errorf("exit %v, stderr %q: want a plain non-zero exit", err, p.stderr.String())
	}
}

// emulatorEnv is the environment of a bootstrap using the emulators.
func emulatorEnv(moto, ddb, prefix string, more map[string]string) map[string]string {
	env := map[string]string{"TABLE_PREFIX": prefix, "AWS_REGION": awstest.Region, "AWS_ACCESS_KEY_ID": "test",
		"AWS_SECRET_ACCESS_KEY": "test", "AWS_ENDPOINT_URL": moto, "AWS_ENDPOINT_URL_DYNAMODB": ddb}
	for k, v := range more {
		env[k] = v
	}
	return env
}

func testReprocess(t *testing.T, bin string) {
	for _, missing := range []string{"DROPBOX_BUCKET", "CAMPAIGN_BUCKET"} {
		t.Run("init error without "+missing, func(t *testing.T) {
			env := map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "CAMPAIGN_BUCKET": "c", "EVENT_BUS": "b",
				"AWS_REGION": awstest.Region}
			delete(env, missing)
			initError(t, bin, env, missing)
		})
	}

	t.Run("emulators", func(t *testing.T) {
		moto := awstest.Endpoint(t, awstest.MotoEnv)
		ddb := awstest.Endpoint(t, awstest.DynamoDBEnv)
		ctx := context.Background()
		cfg := awstest.Config(t, moto)
		s3c := awsstore.NewS3Client(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		dropbox, archive, campaigns := awstest.Name("magpie-drop-"), awstest.Name("magpie-arch-"), awstest.Name("magpie-camp-")
		bus, prefix := awstest.Name("magpie-bus-"), awstest.Name("magpie-rt-")+"-"
		for _, b := range []string{dropbox, archive, campaigns} {
			if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := eb.NewFromConfig(cfg).CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
			t.Fatal(err)
		}
		// The stack creates the tables; the function's own EnsureTable
		// calls (jobs, campaigns) find or create theirs.
		if err := catalog.New(awsstore.NewTableStore(awsstore.NewDynamoDBClient(awstest.Config(t, ddb)), prefix)).EnsureTable(ctx); err != nil {
			t.Fatal(err)
		}
		p := start(t, bin, emulatorEnv(moto, ddb, prefix, map[string]string{"DROPBOX_BUCKET": dropbox, "ARCHIVE_BUCKET": archive,
			"CAMPAIGN_BUCKET": campaigns, "EVENT_BUS": bus}))

		r := p.invoke(t, []byte(`{"action":"plan","campaign_id":"c1","request":{"instruments":["fgm"],"spacecraft":["mms1"],`+
			`"start":"2015-10-16","end":"2015-10-16","dry_run":true}}`))
		if r.Error != nil {
			t.Fatalf("plan: %+v", r.Error)
		}
		var plan struct {
			CampaignID string   `json:"campaign_id"`
			Bucket     string   `json:"bucket"`
			Key        string   `json:"key"`
			Nodes      []string `json:"nodes"`
			Estimate   *struct {
				LambdaRequests int `json:"lambda_requests"`
			} `json:"estimate"`
		}
		if err := json.Unmarshal(r.Response, &plan); err != nil || plan.CampaignID != "c1" || plan.Bucket != campaigns ||
			len(plan.Nodes) == 0 || plan.Estimate != nil {
			t.Fatalf("plan: %s (%v)", r.Response, err)
		}
		// The item list is in the campaign bucket, where the Map reads it.
		if _, err := awsstore.NewObjectStore(s3c, campaigns).Head(ctx, plan.Key); err != nil {
			t.Errorf("item list %s: %v", plan.Key, err)
		}

		r = p.invoke(t, []byte(`{"action":"estimate","plan":`+string(r.Response)+`}`))
		if r.Error != nil || json.Unmarshal(r.Response, &plan) != nil || plan.Estimate == nil || plan.CampaignID != "c1" {
			t.Fatalf("estimate: %+v %s", r.Error, r.Response)
		}

		r = p.invoke(t, []byte(`{"action":"launch"}`))
		if r.Error == nil || !strings.Contains(r.Error.Message, "launch") {
			t.Errorf("unknown action: %+v", r)
		}
		p.alive(t)
	})
}

func testSitl(t *testing.T, bin string) {
	t.Run("init error", func(t *testing.T) {
		initError(t, bin, map[string]string{"ARCHIVE_BUCKET": "a", "AWS_REGION": awstest.Region}, "PLAYLIST_BUCKET")
	})

	t.Run("emulators", func(t *testing.T) {
		moto := awstest.Endpoint(t, awstest.MotoEnv)
		ddb := awstest.Endpoint(t, awstest.DynamoDBEnv)
		ctx := context.Background()
		s3c := awsstore.NewS3Client(awstest.Config(t, moto), func(o *s3.Options) { o.UsePathStyle = true })
		archive, playlists, prefix := awstest.Name("magpie-arch-"), awstest.Name("magpie-ops-"), awstest.Name("magpie-rt-")+"-"
		for _, b := range []string{archive, playlists} {
			if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Fatal(err)
			}
		}
		tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(awstest.Config(t, ddb)), prefix)
		if err := catalog.New(tables).EnsureTable(ctx); err != nil {
			t.Fatal(err)
		}
		p := start(t, bin, emulatorEnv(moto, ddb, prefix, map[string]string{"ARCHIVE_BUCKET": archive, "PLAYLIST_BUCKET": playlists}))

		// An hour of 2015-10-16 (TAI-1958 seconds) with no burst metadata
		// archived: ABS selects nothing, and the cycle opens waiting for
		// the SITL.
		payload := `{"step":"` + sitlcycle.FnBuildABS + `","cycle_id":"c-rt","window":{"start_tai":1823731200,"end_tai":1823734800,` +
			`"deadline":"2099-01-01T00:00:00Z"}}`
		for i := range 2 { // a retry finds the cycle it opened
			r := p.invoke(t, []byte(payload))
			var sum sitlcycle.ABSSummary
			if r.Error != nil || json.Unmarshal(r.Response, &sum) != nil || sum.CycleID != "c-rt" {
				t.Fatalf("build-abs #%d: %+v %s", i, r.Error, r.Response)
			}
		}
		it, err := tables.Get(ctx, "sitl", store.Key{PK: "CYCLE", SK: "c-rt"})
		if err != nil || !strings.Contains(it["doc"].(string), sitlcycle.StatusWaitingSubmission) {
			t.Errorf("cycle in the sitl table: %v %v", it, err)
		}

		r := p.invoke(t, []byte(`{"cycle_id":"c-rt"}`)) // no step, no SITL_STEP
		if r.Error == nil || !strings.Contains(r.Error.Message, "step") {
			t.Errorf("payload without a step: %+v", r)
		}
		p.alive(t)
	})
}

func testSweeper(t *testing.T, bin string) {
	for _, missing := range []string{"DROPBOX_BUCKET", "ARCHIVE_BUCKET", "EVENT_BUS"} {
		t.Run("init error without "+missing, func(t *testing.T) {
			env := map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "EVENT_BUS": "b", "AWS_REGION": awstest.Region}
			delete(env, missing)
			initError(t, bin, env, missing)
		})
	}

	t.Run("AWS denies", func(t *testing.T) {
		deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`<Error><Code>AccessDenied</Code><Message>denied by the test</Message></Error>`))
		}))
		defer deny.Close()
		p := start(t, bin, map[string]string{"DROPBOX_BUCKET": "magpie-dropbox", "ARCHIVE_BUCKET": "magpie-archive",
			"EVENT_BUS": "magpie", "AWS_REGION": awstest.Region, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
			"AWS_ENDPOINT_URL": deny.URL})
		r := p.invoke(t, sampleEvent(t, "eventbridge-schedule.json"))
		if r.Error == nil || r.Error.Type == "" || !strings.Contains(r.Error.Message, "dropbox") || r.Response != nil {
			t.Errorf("sweep denied: %+v, want a function error about the dropbox", r)
		}
		// A scheduled event without the rule's constant input.
		r = p.invoke(t, sampleEvent(t, "eventbridge-schedule.json", `"task": "dropbox-sweep"`, `"task": ""`))
		if r.Error == nil || !strings.Contains(r.Error.Message, "task") {
			t.Errorf("no task: %+v", r)
		}
		p.alive(t)
	})

	t.Run("emulators", func(t *testing.T) {
		e := newEmulatorSDC(t)
		ctx, ddb, prefix, cat, drop := context.Background(), e.ddb, e.prefix, e.cat, e.drop
		// The stack's releases table: the nightly sweep auto-releases.
		if err := e.tables.EnsureTable(ctx, release.Spec); err != nil {
			t.Fatal(err)
		}
		// A file whose event was missed, and a reject the sweep leaves alone.
		const reject = "quarantine/garbage.dat"
		for k, body := range map[string][]byte{sampleKey: l0, reject: []byte("not a file")} {
			if _, err := drop.Put(ctx, k, bytes.NewReader(body), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		p := start(t, bin, e.env(nil))

		r := p.invoke(t, sampleEvent(t, "eventbridge-schedule.json"))
		var sweep struct {
			Task                  string
			Seen, Indexed, Failed int
		}
		if r.Error != nil || json.Unmarshal(r.Response, &sweep) != nil || sweep.Task != "dropbox-sweep" ||
			sweep.Seen != 1 || sweep.Indexed != 1 || sweep.Failed != 0 {
			t.Fatalf("dropbox sweep: %+v %s", r.Error, r.Response)
		}
		if _, err := cat.Get(ctx, sampleKey); err != nil {
			t.Errorf("not cataloged: %v", err)
		}
		if _, err := drop.Head(ctx, sampleKey); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the dropbox still holds the file: %v", err)
		}
		if _, err := drop.Head(ctx, reject); err != nil {
			t.Errorf("the sweep touched quarantine/: %v", err)
		}

		// The rule's constant input alone, as EventBridge delivers it.
		r = p.invoke(t, []byte(`{"task":"nightly"}`))
		var nightly struct {
			Task                           string
			Replanned, NowPending, Retried int
		}
		if r.Error != nil || json.Unmarshal(r.Response, &nightly) != nil || nightly.Task != "nightly" {
			t.Fatalf("nightly: %+v %s", r.Error, r.Response)
		}
		// The pipeline made its jobs table on first use.
		if _, err := awsstore.NewDynamoDBClient(awstest.Config(t, ddb)).DescribeTable(ctx,
			&dynamodb.DescribeTableInput{TableName: aws.String(prefix + pipeline.JobsSpec.Name)}); err != nil {
			t.Errorf("jobs table: %v", err)
		}

		// The ground contact of the current period (the MMS profile
		// simulates contacts): held or missed, recorded once.
		r = p.invoke(t, []byte(`{"task":"contact"}`))
		var contact struct {
			Task   string
			Start  time.Time
			Missed bool
			Ran    bool
		}
		if r.Error != nil || json.Unmarshal(r.Response, &contact) != nil || contact.Task != "contact" || !contact.Ran ||
			contact.Start.IsZero() || contact.Start.After(time.Now()) {
			t.Fatalf("contact: %+v %s", r.Error, r.Response)
		}
		r = p.invoke(t, []byte(`{"task":"contact"}`))
		if r.Error != nil || json.Unmarshal(r.Response, &contact) != nil || contact.Ran {
			t.Errorf("the same period's contact again: %+v %s", r.Error, r.Response)
		}
		contacts, err := burst.OpenContactLog(ctx, awsstore.NewTableStore(awsstore.NewDynamoDBClient(awstest.Config(t, ddb)), prefix))
		if err != nil {
			t.Fatal(err)
		}
		if list, err := contacts.List(ctx); err != nil || len(list) != 1 || !list[0].Start.Equal(contact.Start) {
			t.Errorf("recorded contacts %+v %v", list, err)
		}
		p.alive(t)
	})
}

// apiResponse is an API Gateway HTTP API (payload 2.0) proxy response.
type apiResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	Base64     bool              `json:"isBase64Encoded"`
}

// apiCall sends the sample HTTP API event with its path (and query) replaced.
func apiCall(t *testing.T, p *process, path, query string) apiResponse {
	t.Helper()
	const samplePath = "/mms/sdc/public/files/api/v1/file_info/science"
	const sampleQuery = "sc_id=mms1&instrument_id=fgm&start_date=2015-10-16&end_date=2015-10-17"
	r := p.invoke(t, sampleEvent(t, "apigw-file-info.json", `"`+samplePath+`"`, `"`+path+`"`, `"`+sampleQuery+`"`, `"`+query+`"`))
	if r.Error != nil {
		t.Fatalf("%s: function error %+v", path, r.Error)
	}
	var resp apiResponse
	if err := json.Unmarshal(r.Response, &resp); err != nil {
		t.Fatalf("%s: response %s: %v", path, r.Response, err)
	}
	return resp
}

func testAPI(t *testing.T, bin string) {
	for _, c := range []struct{ missing, env string }{{"DROPBOX_BUCKET", ""}, {"ARCHIVE_BUCKET", ""}, {"URL_TTL", "forever"}} {
		t.Run("init error "+c.missing, func(t *testing.T) {
			env := map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "AWS_REGION": awstest.Region}
			if c.env == "" {
				delete(env, c.missing)
			} else {
				env[c.missing] = c.env
			}
			initError(t, bin, env, c.missing)
		})
	}

	t.Run("no AWS needed", func(t *testing.T) {
		// A team route without credentials is refused before any AWS
		// call: the endpoint is a closed port.
		p := start(t, bin, map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "AWS_REGION": awstest.Region,
			"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
		resp := apiCall(t, p, "/mms/sdc/sitl/files/api/v1/file_info/science", "sc_id=mms1")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Headers["Content-Type"], "json") ||
			!json.Valid([]byte(resp.Body)) || resp.Headers["Www-Authenticate"] == "" && resp.Headers["WWW-Authenticate"] == "" {
			t.Errorf("team route without credentials: %+v", resp)
		}
		r := p.invoke(t, sampleEvent(t, "sqs-s3.json"))
		if r.Error == nil || !strings.Contains(r.Error.Message, "HTTP API") {
			t.Errorf("an SQS event: %+v, want an error saying it is no HTTP API event", r)
		}
		p.alive(t)
	})

	t.Run("emulators", func(t *testing.T) {
		moto := awstest.Endpoint(t, awstest.MotoEnv)
		ddb := awstest.Endpoint(t, awstest.DynamoDBEnv)
		ctx := context.Background()
		s3c := awsstore.NewS3Client(awstest.Config(t, moto), func(o *s3.Options) { o.UsePathStyle = true })
		dropbox, archive, prefix := awstest.Name("magpie-drop-"), awstest.Name("magpie-arch-"), awstest.Name("magpie-rt-")+"-"
		for _, b := range []string{dropbox, archive} {
			if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Fatal(err)
			}
		}
		cat := catalog.New(awsstore.NewTableStore(awsstore.NewDynamoDBClient(awstest.Config(t, ddb)), prefix))
		if err := cat.EnsureTable(ctx); err != nil {
			t.Fatal(err)
		}
		// One released file, archived and cataloged.
		const name = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
		n, err := naming.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := catalog.FromName(n)
		if err != nil {
			t.Fatal(err)
		}
		rec.ArchiveKey, rec.Size, rec.Released, rec.Status = "mms1/fgm/srvy/l2/2015/10/"+name, 4, true, catalog.StatusArchived
		rec.Ingested = time.Date(2015, 10, 17, 0, 0, 0, 0, time.UTC)
		if _, err := awsstore.NewObjectStore(s3c, archive).Put(ctx, rec.ArchiveKey, strings.NewReader("cdf!"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cat.Add(ctx, rec); err != nil {
			t.Fatal(err)
		}
		p := start(t, bin, emulatorEnv(moto, ddb, prefix, map[string]string{"DROPBOX_BUCKET": dropbox, "ARCHIVE_BUCKET": archive}))

		resp := apiCall(t, p, "/mms/sdc/public/files/api/v1/file_info/science", "sc_id=mms1&instrument_id=fgm&start_date=2015-10-16&end_date=2015-10-17")
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, name) || !json.Valid([]byte(resp.Body)) {
			t.Fatalf("file_info: %+v", resp)
		}

		// A download answers with a redirect to a presigned archive URL.
		resp = apiCall(t, p, "/api/v1/files/"+name+"/download", "")
		loc := resp.Headers["Location"]
		if resp.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(loc, archive) ||
			!strings.Contains(loc, "X-Amz-Signature=") || !strings.Contains(loc, "response-content-disposition=") {
			t.Fatalf("download: %+v", resp)
		}
		got, err := http.Get(loc)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(got.Body)
		if got.StatusCode != http.StatusOK || body.String() != "cdf!" {
			t.Errorf("presigned GET: %s %q", got.Status, body.String())
		}
		p.alive(t)
	})
}

// initEnv configures each function enough to initialise (no AWS call is
// made before the first invocation).
var initEnv = map[string]map[string]string{
	"api":       {"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a"},
	"indexer":   {"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "EVENT_BUS": "b"},
	"processor": {"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "EVENT_BUS": "b"},
	"reprocess": {"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "CAMPAIGN_BUCKET": "c", "EVENT_BUS": "b"},
	"sitl":      {"ARCHIVE_BUCKET": "a", "PLAYLIST_BUCKET": "p"},
	"sweeper":   {"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "EVENT_BUS": "b"},
}

// BenchmarkInit measures each bootstrap's init time: from process start to
// its first invocation/next request on the Runtime API (ns/op), built as
// `make functions` builds it (for this machine's architecture).
func BenchmarkInit(b *testing.B) {
	dir := b.TempDir()
	for _, name := range registry.Names() {
		b.Run(name, func(b *testing.B) {
			bin := filepath.Join(dir, name, "bootstrap")
			cmd := exec.Command(goTool(), "build", "-trimpath", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", bin, "./functions/"+name)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("go build: %v\n%s", err, out)
			}
			env := []string{"HOME=" + b.TempDir(), "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
				"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
			for k, v := range initEnv[name] {
				env = append(env, k+"="+v)
			}
			for b.Loop() {
				api, err := lambdarapi.Start()
				if err != nil {
					b.Fatal(err)
				}
				p := exec.Command(bin)
				p.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+api.Addr())
				var stderr bytes.Buffer
				p.Stderr = &stderr
				if err := p.Start(); err != nil {
					b.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- p.Wait() }()
				select {
				case <-api.Ready():
				case err := <-exited:
					b.Fatalf("%s exited during init: %v\n%s", name, err, stderr.String())
				}
				b.StopTimer()
				p.Process.Kill()
				<-exited
				api.Close()
				b.StartTimer()
			}
		})
	}
}
