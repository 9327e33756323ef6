package scenario

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/catalog"
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

// TestDeployedScenario is deployed mode: against a stage deployed by `make
// deploy` or `make deploy-local`, it drops the simulated day into the
// dropbox and watches the deployed functions index, process and serve it,
// then releases an L2 file through the API and downloads it as the public.
// It only drives and observes. Run it with the stage's outputs file:
//
//	MAGPIE_DEPLOYED_OUTPUTS=dist/outputs-staging.json go test ./localstack/scenario -run Deployed -v -timeout 60m
//
// (AWS credentials and region as for the deployment; AWS_ENDPOINT_URL for
// LocalStack). Without MAGPIE_DEPLOYED_OUTPUTS it is skipped.
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
	dir, err := simulated()
	if err != nil {
		t.Fatal(err)
	}
	files, err := dayFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Drop(ctx, dir, files...); err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(ctx, "the day to be indexed", 15*time.Minute, d.Indexed(files)); err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(ctx, "the jobs to settle", 30*time.Minute, d.JobsSettled); err != nil {
		t.Fatal(err)
	}
	for _, level := range []string{"l1a", "l1b", "l2"} {
		rs, err := d.Catalog.Query(ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{level}})
		if err != nil || len(rs) == 0 {
			t.Errorf("no mms1 fgm srvy %s: %v", level, err)
		}
	}
	for _, url := range []string{out.IngestDLQURL, out.ProcessingDLQURL} {
		if url == "" {
			continue
		}
		if n, err := d.QueueDepth(ctx, url); err != nil || n != 0 {
			t.Errorf("DLQ %s: %d messages %v", url, n, err)
		}
	}

	// A throw-away operator for the API's HTTP Basic, removed at the end.
	users := auth.NewUsers(d.Tables, clock.Real{})
	name, pw := "scenario-"+time.Now().UTC().Format("20060102150405"), "scenario-"+time.Now().UTC().Format(time.RFC3339Nano)
	if _, err := users.Add(ctx, name, pw, []auth.Role{auth.RoleOperator}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { users.Remove(context.Background(), name) })
	l2, err := d.Catalog.Query(ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l2"}})
	if err != nil || len(l2) == 0 {
		t.Fatalf("no L2: %v", err)
	}
	call := func(method, path, body string, team bool) (int, []byte) {
		req, _ := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(out.APIEndpoint, "/")+path, strings.NewReader(body))
		if team {
			req.SetBasicAuth(name, pw)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	release := `{"action":"release","instrument_id":["fgm"],"data_level":["l2"],"sc_id":["mms1"],"start_date":"2015-10-16","end_date":"2015-10-16","release":"deployed-scenario"}`
	if status, b := call(http.MethodPost, "/api/v1/releases", release, true); status/100 != 2 {
		t.Fatalf("release: %d %s", status, b)
	}
	status, b := call(http.MethodGet, "/mms/sdc/public/files/api/v1/file_info/science?sc_id=mms1&instrument_id=fgm&data_level=l2&start_date=2015-10-16&end_date=2015-10-16", "", false)
	var info struct {
		Files []struct {
			Name string `json:"file_name"`
		} `json:"files"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &info) != nil || len(info.Files) == 0 {
		t.Errorf("public file_info after the release: %d %.300s", status, b)
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
