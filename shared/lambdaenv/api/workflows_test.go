package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	httpapi "github.com/magpie-sdc/magpie/shared/api"
	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store/local"
	"github.com/magpie-sdc/magpie/shared/workflows"
)

const (
	reprocessARN = "arn:aws:states:us-east-1:123456789012:stateMachine:Reprocess-AbC"
	sitlARN      = "arn:aws:states:us-east-1:123456789012:stateMachine:SitlCycle-XyZ"
)

// fakeFlows is Step Functions as the API uses it.
type fakeFlows struct {
	started  []string // machine|name|input
	executed map[string]workflows.Execution
	answered []string // token|output
}

func (f *fakeFlows) Start(_ context.Context, machine, name string, input json.RawMessage) (string, error) {
	f.started = append(f.started, machine+"|"+name+"|"+string(input))
	return executionARN(machine, name), nil
}

func (f *fakeFlows) SendTaskSuccess(_ context.Context, token string, out json.RawMessage) error {
	f.answered = append(f.answered, token+"|"+string(out))
	return nil
}

func (f *fakeFlows) SendTaskFailure(context.Context, string, string, string) error {
	return errors.New("unused")
}
func (f *fakeFlows) SendTaskHeartbeat(context.Context, string) error { return errors.New("unused") }

func (f *fakeFlows) Describe(_ context.Context, id string) (workflows.Execution, error) {
	ex, ok := f.executed[id]
	if !ok {
		return workflows.Execution{}, fmt.Errorf("sfn: describe %s: ExecutionDoesNotExist: %w", id, workflows.ErrNotFound)
	}
	return ex, nil
}

// List lists the executions started, newest first, of one machine.
func (f *fakeFlows) List(_ context.Context, machine string, limit int) ([]workflows.Execution, error) {
	var out []workflows.Execution
	for i := len(f.started) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		parts := strings.SplitN(f.started[i], "|", 3)
		if parts[0] == machine {
			out = append(out, workflows.Execution{ID: executionARN(machine, parts[1]), Name: parts[1], StateMachine: machine,
				Status: workflows.Running})
		}
	}
	return out, nil
}

func TestWorkflowsConfigFromEnvironment(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string // "" for success, else part of the error
	}{
		{map[string]string{}, ""},
		{map[string]string{EnvReprocessMachine: reprocessARN, EnvSITLMachine: sitlARN}, ""},
		{map[string]string{EnvReprocessMachine: "Reprocess"}, EnvReprocessMachine},
		{map[string]string{EnvSITLMachine: "arn:aws:lambda:us-east-1:123456789012:function:sitl"}, EnvSITLMachine},
	} {
		_, err := workflowsConfigFrom(func(k string) string { return c.env[k] })
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: error %v, want %q", c.env, err, c.want)
		}
		// Build checks them too.
		env := map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "AWS_REGION": "us-east-1"}
		for k, v := range c.env {
			env[k] = v
		}
		if _, err := Build(context.Background(), func(k string) string { return env[k] }, io.Discard); (c.want == "") != (err == nil) {
			t.Errorf("Build with %v: %v", c.env, err)
		}
	}
}

func newBackendRig(t *testing.T, wc workflowsConfig) (*fakeFlows, httpapi.Workflows) {
	t.Helper()
	tables, err := local.OpenTableStore(filepath.Join(t.TempDir(), "t.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tables.Close() })
	p, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFlows{executed: map[string]workflows.Execution{}}
	clk := clock.NewFake(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	// On AWS the stack creates the tables; here the repositories do.
	if _, err := burst.Open(context.Background(), tables, burst.Config{Burst: p.Burst, Spacecraft: p.Spacecraft, Clock: clk}); err != nil {
		t.Fatal(err)
	}
	if _, err := sitlcycle.New(context.Background(), sitlcycle.Config{Tables: tables, Burst: p.Burst, Clock: clk}); err != nil {
		t.Fatal(err)
	}
	b, err := wc.backend(context.Background(), f, tables, p, clk)
	if err != nil {
		t.Fatal(err)
	}
	return f, b
}

func TestNoStateMachinesNoWorkflowRoutes(t *testing.T) {
	_, b := newBackendRig(t, workflowsConfig{})
	if b.StartCampaign != nil || b.DescribeCampaign != nil || b.Campaigns != nil || b.ListCampaigns != nil || b.SITL != nil || b.Segments != nil {
		t.Errorf("workflow routes wired without state machines: %+v", b)
	}
}

func TestCampaignsStartAndDescribeReprocessExecutions(t *testing.T) {
	f, b := newBackendRig(t, workflowsConfig{reprocess: reprocessARN})
	if b.StartCampaign == nil || b.DescribeCampaign == nil || b.Campaigns == nil || b.ListCampaigns == nil {
		t.Fatalf("campaign routes not wired: %+v", b)
	}
	if b.SITL != nil {
		t.Error("SITL wired without its state machine")
	}
	ctx := context.Background()
	req := campaign.Request{Instruments: []string{"fgm"}, Levels: []string{"l2"}, Start: "2015-10-16", End: "2015-10-16", DryRun: true, Reason: "test"}
	id, plan, err := b.StartCampaign(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.started) != 1 || plan != nil {
		t.Fatalf("started %v, plan %v", f.started, plan)
	}
	parts := strings.SplitN(f.started[0], "|", 3)
	var sent campaign.Request
	if err := json.Unmarshal([]byte(parts[2]), &sent); err != nil {
		t.Fatal(err)
	}
	if parts[0] != reprocessARN || !strings.HasPrefix(parts[1], "campaign-") || len(parts[1]) != len("campaign-")+26 ||
		sent.Reason != "test" || !sent.DryRun || id != executionARN(reprocessARN, parts[1]) {
		t.Errorf("started %q, id %s", f.started[0], id)
	}
	if parts[1] != strings.ToLower(parts[1]) {
		t.Errorf("execution name %s is not lower-case", parts[1])
	}

	name := parts[1]
	f.executed[id] = workflows.Execution{ID: id, Name: name, StateMachine: reprocessARN, Status: workflows.Succeeded,
		Output: json.RawMessage(`{"jobs":3}`), StartTime: time.Unix(100, 0).UTC()}
	for _, ref := range []string{id, name} {
		ex, err := b.DescribeCampaign(ctx, ref)
		if err != nil {
			t.Fatalf("describe %s: %v", ref, err)
		}
		if ex.ID != id || ex.Status != asl.StatusSucceeded || string(ex.Output) != `{"jobs":3}` || ex.StateMachineArn != reprocessARN {
			t.Errorf("describe %s: %+v", ref, ex)
		}
	}
	listed, err := b.ListCampaigns(ctx)
	if err != nil || len(listed) != 1 || listed[0].ID != id || listed[0].Name != name || listed[0].Status != asl.StatusRunning {
		t.Errorf("list campaigns: %+v %v", listed, err)
	}
	for _, ref := range []string{"campaign-unknown", executionARN(sitlARN, "cycle-x")} {
		if _, err := b.DescribeCampaign(ctx, ref); !errors.Is(err, asl.ErrNotFound) {
			t.Errorf("describe %s: %v, want asl.ErrNotFound (the route's 404)", ref, err)
		}
	}
}

func TestSITLRoutesAreWiredToTheTables(t *testing.T) {
	_, b := newBackendRig(t, workflowsConfig{sitl: sitlARN})
	if b.SITL == nil || b.Segments == nil {
		t.Fatalf("SITL routes not wired: %+v", b)
	}
	if b.StartCampaign != nil {
		t.Error("campaigns wired without the reprocess state machine")
	}
	// No cycle yet: the routes answer from the tables, without AWS.
	if _, err := b.SITL.Current(context.Background()); !errors.Is(err, sitlcycle.ErrNoCycle) {
		t.Errorf("current cycle on empty tables: %v, want ErrNoCycle", err)
	}
	segs, err := b.Segments(context.Background())
	if err != nil || len(segs) != 0 {
		t.Errorf("segments %v, %v", segs, err)
	}
}
