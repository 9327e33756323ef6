package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/oklog/ulid/v2"

	httpapi "github.com/magpie-sdc/magpie/shared/api"
	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/workflows"
)

// Environment of the workflow routes: the ARNs of the deployed state
// machines (infra/sdc sets both). Without one, its routes answer 503.
const (
	EnvReprocessMachine = "REPROCESS_STATE_MACHINE_ARN"
	EnvSITLMachine      = "SITL_STATE_MACHINE_ARN"
)

var stateMachineARN = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$`)

// workflowsConfig names the state machines the API steers.
type workflowsConfig struct {
	reprocess, sitl string // state machine ARNs, "" when not deployed
}

func workflowsConfigFrom(getenv func(string) string) (workflowsConfig, error) {
	wc := workflowsConfig{reprocess: getenv(EnvReprocessMachine), sitl: getenv(EnvSITLMachine)}
	for name, v := range map[string]string{EnvReprocessMachine: wc.reprocess, EnvSITLMachine: wc.sitl} {
		if v != "" && !stateMachineARN.MatchString(v) {
			return wc, fmt.Errorf("%s %q: want a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)", name, v)
		}
	}
	return wc, nil
}

// existingTables are the stack's tables: they exist, so the repositories'
// EnsureTable is a no-op here. The API then makes no AWS call at start-up
// and needs no dynamodb:CreateTable.
type existingTables struct{ store.TableStore }

func (existingTables) EnsureTable(context.Context, store.TableSpec) error { return nil }

// backend wires shared/api's workflow routes to Step Functions: campaigns
// start and are described as executions of the reprocess machine, and the
// SITL cycle's user operations hand submissions to the waiting task of the
// sitl-cycle machine (SendTaskSuccess).
func (wc workflowsConfig) backend(ctx context.Context, wf workflows.Workflows, tables store.TableStore, p *mission.Profile, clk clock.Clock) (httpapi.Workflows, error) {
	var b httpapi.Workflows
	tables = existingTables{tables}
	if wc.reprocess != "" {
		b.StartCampaign = func(ctx context.Context, req campaign.Request) (string, *campaign.Plan, error) {
			return wc.startCampaign(ctx, wf, req, clk)
		}
		b.DescribeCampaign = func(ctx context.Context, id string) (asl.Execution, error) {
			return wc.describeCampaign(ctx, wf, id)
		}
		b.Campaigns = campaign.NewStore(tables)
		b.ListCampaigns = func(ctx context.Context) ([]asl.Execution, error) {
			return wc.listCampaigns(ctx, wf)
		}
	}
	if wc.sitl != "" {
		bdm, err := burst.Open(ctx, tables, burst.Config{Burst: p.Burst, Spacecraft: p.Spacecraft, Clock: clk})
		if err != nil {
			return b, fmt.Errorf("api: burst data manager: %w", err)
		}
		b.SITL, err = sitlcycle.New(ctx, sitlcycle.Config{Tables: tables, BDM: bdm, Burst: p.Burst, Clock: clk,
			Tasks: sitlcycle.SendFunc(func(token string, out json.RawMessage) error {
				// SendFunc carries no context: bounded by the SDK's own
				// retries and timeouts, as in the sitl function.
				return wf.SendTaskSuccess(context.Background(), token, out)
			})})
		if err != nil {
			return b, fmt.Errorf("api: sitl cycle: %w", err)
		}
		b.Segments = bdm.Segments
		// The contacts the sweeper holds (the events dataset's rows).
		contacts, err := burst.OpenContactLog(ctx, tables)
		if err != nil {
			return b, fmt.Errorf("api: contacts: %w", err)
		}
		b.Contacts = contacts.List
	}
	return b, nil
}

// startCampaign starts an execution of the reprocess machine. Unlike the
// local host it does not wait for the estimate (an API Gateway request has
// 29 s): the answer is the execution id, and the campaign's status route
// shows the plan and estimate once the execution has them.
func (wc workflowsConfig) startCampaign(ctx context.Context, wf workflows.Workflows, req campaign.Request, clk clock.Clock) (string, *campaign.Plan, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return "", nil, fmt.Errorf("campaign request: %w", err)
	}
	id, err := ulid.New(ulid.Timestamp(clk.Now()), rand.Reader)
	if err != nil {
		return "", nil, fmt.Errorf("campaign name: %w", err)
	}
	arn, err := wf.Start(ctx, wc.reprocess, "campaign-"+strings.ToLower(id.String()), in)
	if errors.Is(err, workflows.ErrInvalid) {
		return "", nil, fmt.Errorf("%w: %w", asl.ErrInvalidInput, err)
	}
	if err != nil {
		return "", nil, fmt.Errorf("start campaign: %w", err)
	}
	return arn, nil, nil
}

// describeCampaign describes a campaign by execution ARN or name; names are
// looked up in the reprocess machine only.
func (wc workflowsConfig) describeCampaign(ctx context.Context, wf workflows.Workflows, id string) (asl.Execution, error) {
	arn := id
	if !strings.HasPrefix(id, "arn:") {
		arn = executionARN(wc.reprocess, id)
	} else if !strings.HasPrefix(id, executionARN(wc.reprocess, "")) {
		return asl.Execution{}, fmt.Errorf("campaign %s: not an execution of the reprocess state machine: %w", id, asl.ErrNotFound)
	}
	ex, err := wf.Describe(ctx, arn)
	switch {
	case errors.Is(err, workflows.ErrNotFound), errors.Is(err, workflows.ErrInvalid):
		return asl.Execution{}, fmt.Errorf("campaign %s: %w: %w", id, asl.ErrNotFound, err)
	case err != nil:
		return asl.Execution{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	return asl.Execution{ID: ex.ID, Name: ex.Name, StateMachineArn: ex.StateMachine, Status: asl.Status(ex.Status),
		Input: ex.Input, Output: ex.Output, Error: ex.Error, Cause: ex.Cause, StartTime: ex.StartTime, StopTime: ex.StopTime}, nil
}

// executionARN is the ARN Step Functions gives execution name of the state
// machine machineARN: arn:...:stateMachine:M becomes arn:...:execution:M:name.
func executionARN(machineARN, name string) string {
	return strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// maxListedCampaigns bounds the campaigns page's listing of executions
// (Step Functions lists newest first; older ones keep their stored summary).
const maxListedCampaigns = 200

// listCampaigns lists the reprocess machine's executions, newest first.
func (wc workflowsConfig) listCampaigns(ctx context.Context, wf workflows.Workflows) ([]asl.Execution, error) {
	list, err := wf.List(ctx, wc.reprocess, maxListedCampaigns)
	if err != nil {
		return nil, fmt.Errorf("api: list campaigns: %w", err)
	}
	out := make([]asl.Execution, 0, len(list))
	for _, ex := range list {
		out = append(out, asl.Execution{ID: ex.ID, Name: ex.Name, StateMachineArn: ex.StateMachine, Status: asl.Status(ex.Status),
			StartTime: ex.StartTime, StopTime: ex.StopTime})
	}
	return out, nil
}
