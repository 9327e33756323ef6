package scenario

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

func TestLoadOutputs(t *testing.T) {
	dir := t.TempDir()
	full := `{"MagpieStaging": {"DropboxBucket": "d", "ArchiveBucket": "a", "WorkflowBucket": "w", "TablePrefix": "magpie-staging-",
		"EventBusName": "magpie-staging", "IngestQueueUrl": "https://sqs/i", "IngestDLQUrl": "https://sqs/id",
		"ProcessingDLQUrl": "https://sqs/pd", "ApiEndpoint": "https://api", "URL": "https://cdn",
		"ReprocessStateMachineArn": "arn:r", "SitlCycleStateMachineArn": "arn:s"}}`
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one.json", full)
	two := write("two.json", `{"A": {"DropboxBucket": "d"}, "B": {}}`)
	partial := write("partial.json", `{"Old": {"DropboxBucket": "d", "ArchiveBucket": "a"}}`)
	o, err := LoadOutputs(one, "")
	if err != nil || o.Dropbox != "d" || o.TablePrefix != "magpie-staging-" || o.APIEndpoint != "https://api" ||
		o.ProcessingDLQURL != "https://sqs/pd" || o.SITLCycleARN != "arn:s" {
		t.Errorf("LoadOutputs: %+v %v", o, err)
	}
	for _, c := range []struct{ path, stack, want string }{
		{one, "Other", `no stack "Other"`},
		{two, "", "2 stacks [A B]; name one"},
		{partial, "", "lacks [ApiEndpoint IngestDLQUrl IngestQueueUrl TablePrefix]"},
		{filepath.Join(dir, "none.json"), "", "no such file"},
		{write("bad.json", "not json"), "", "invalid character"},
	} {
		if _, err := LoadOutputs(c.path, c.stack); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadOutputs(%s, %q): %v, want an error about %s", filepath.Base(c.path), c.stack, err, c.want)
		}
	}
}

// TestDeployedScenario is the ops scenario (runScenario) in deployed mode:
// against a stage deployed by `make deploy` or `make deploy-local`, it
// drops the simulated day into the dropbox and watches the deployed
// functions, notifications, rules and state machines do the work, through
// the stores and the deployed API. It only drives and observes; its two
// HTTP Basic accounts (an operator, a SITL) are throw-away entries of the
// stage's users table. Run it with the stage's outputs file:
//
//	make scenario-deployed STAGE=staging
//	(MAGPIE_DEPLOYED_OUTPUTS=dist/outputs-staging.json go test ./localstack/scenario -run Deployed -v -timeout 90m)
//
// with AWS credentials and region as for the deployment (AWS_ENDPOINT_URL
// for LocalStack). Without MAGPIE_DEPLOYED_OUTPUTS it is skipped.
func TestDeployedScenario(t *testing.T) {
	path := os.Getenv("MAGPIE_DEPLOYED_OUTPUTS")
	if path == "" {
		t.Skip("MAGPIE_DEPLOYED_OUTPUTS not set: no deployed stage to drive")
	}
	out, err := LoadOutputs(path, os.Getenv("MAGPIE_DEPLOYED_STACK"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDeployed(cfg, out)
	d.Progress = testWriter{t}
	runScenario(t, deployedTarget(t, ctx, d))
}

// deployedTarget is the deployed stage as the scenario's steps drive it.
func deployedTarget(t *testing.T, ctx context.Context, d *Deployed) *target {
	users := auth.NewUsers(d.Tables, clock.Real{})
	stamp := time.Now().UTC().Format("20060102150405")
	accounts := map[string]account{}
	for role, r := range map[string]auth.Role{"ops": auth.RoleOperator, "sitl": auth.RoleSITL} {
		a := account{name: "scenario-" + role + "-" + stamp, password: fmt.Sprintf("scenario-%s-%d", role, time.Now().UnixNano())}
		if _, err := users.Add(ctx, a.name, a.password, []auth.Role{r}, false); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { users.Remove(context.Background(), a.name) })
		accounts[role] = a
	}
	queues := map[string]string{}
	for name, url := range map[string]string{"ingest DLQ": d.Out.IngestDLQURL, "processing DLQ": d.Out.ProcessingDLQURL} {
		if url != "" {
			queues[name] = url
		}
	}
	return &target{ctx: ctx, catalog: d.Catalog, jobs: d.Jobs, dropbox: d.Dropbox, archive: d.Archive, sqs: d.SQS,
		queues: queues, api: d.Out.APIEndpoint, users: accounts, patience: 30 * time.Minute,
		settle: func(t *testing.T, names []string) {
			t.Helper()
			if err := d.Wait(ctx, "the files to be indexed", 15*time.Minute, d.Indexed(names)); err != nil {
				t.Fatal(err)
			}
			if err := d.Wait(ctx, "the jobs to settle", 30*time.Minute, d.JobsSettled); err != nil {
				t.Fatal(err)
			}
		}}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
