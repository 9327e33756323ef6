package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/workflows"
	"github.com/magpie-sdc/magpie/shared/workflows/aslflow"
	"github.com/magpie-sdc/magpie/statemachines"
)

// The hosted account, and the names of the hosted functions and state
// machines as their ARNs carry them (the CDK stack's own names differ;
// the code only ever sees ARNs from its environment).
const (
	Account          = "123456789012"
	ReprocessFn      = "magpie-reprocess"
	SITLFn           = "magpie-sitl"
	ReprocessMachine = "reprocess"
	SITLMachine      = "sitl-cycle"
)

// WorkflowsHost runs the SDC's state machines in hosted mode: the same
// statemachines/*.asl.json the stack deploys, with the same
// substitutions (function ARNs, the workflow bucket, the SITL topic), on
// Magpie's interpreter. Task states invoke the functions as Lambda
// would (the handlers lambdaenv builds from the environment); the SNS
// publish steps reach the emulator's SNS; distributed Maps read and write
// the workflow bucket through the S3 adapter; executions persist in the
// DynamoDB tables. Its Step Functions endpoint lets the functions answer
// task tokens (SendTaskSuccess) and the API start and describe executions
// through the SDK, as on AWS.
type WorkflowsHost struct {
	Engine    *asl.Engine
	Workflows workflows.Workflows
	// Endpoint is the Step Functions endpoint (AWS_ENDPOINT_URL_SFN).
	Endpoint *httptest.Server
	region   string
}

// HostedFunctions are the Lambda handlers the state machines invoke.
type HostedFunctions struct {
	Reprocess, SITL Function
}

// NewWorkflowsHost starts the interpreter and its Step Functions endpoint.
// Close it when done.
func NewWorkflowsHost(ctx context.Context, cfg aws.Config, r Resources, tables store.TableStore, workflow store.ObjectStore,
	fns HostedFunctions, clk clock.Clock) (*WorkflowsHost, error) {
	h := &WorkflowsHost{region: cfg.Region}
	fnARN := func(name string) string { return "arn:aws:lambda:" + cfg.Region + ":" + Account + ":function:" + name }
	reprocess, err := campaign.Definition(map[string]string{
		"PlanFunctionArn": fnARN(ReprocessFn), "EstimateFunctionArn": fnARN(ReprocessFn),
		"RunJobFunctionArn": fnARN(ReprocessFn), "SummarizeFunctionArn": fnARN(ReprocessFn),
		"CampaignBucket": r.Workflow,
	})
	if err != nil {
		return nil, fmt.Errorf("workflows host: %w", err)
	}
	raw, err := statemachines.Files.ReadFile(SITLMachine + ".asl.json")
	if err != nil {
		return nil, fmt.Errorf("workflows host: %w", err)
	}
	subs := map[string]string{"SitlTopicArn": r.SITLTopicARN}
	for k := range sitlcycle.Placeholders {
		if k != "SitlTopicArn" {
			subs[k] = fnARN(SITLFn)
		}
	}
	sitlDef, err := sitlcycle.LoadDefinition(raw, subs)
	if err != nil {
		return nil, fmt.Errorf("workflows host: %w", err)
	}
	persist, err := asl.NewTablePersistence(ctx, tables)
	if err != nil {
		return nil, fmt.Errorf("workflows host: %w", err)
	}
	snsc := sns.NewFromConfig(cfg)
	h.Engine, err = asl.NewEngine(asl.Config{Clock: clk,
		Handlers: map[string]any{ReprocessFn: lambdaHandler(fns.Reprocess), SITLFn: lambdaHandler(fns.SITL)},
		Integrations: map[string]asl.Integration{sitlcycle.SNSPublishARN: func(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
			return publish(ctx, snsc, params)
		}},
		Buckets: map[string]store.ObjectStore{r.Workflow: workflow}, Objects: workflow,
		Persistence: persist, Region: cfg.Region, Account: Account})
	if err != nil {
		return nil, fmt.Errorf("workflows host: %w", err)
	}
	h.Workflows, err = aslflow.New(h.Engine, map[string]*asl.Definition{ReprocessMachine: reprocess, SITLMachine: sitlDef})
	if err != nil {
		h.Engine.Close()
		return nil, fmt.Errorf("workflows host: %w", err)
	}
	h.Endpoint = httptest.NewServer(&StepFunctions{Workflows: h.Workflows})
	return h, nil
}

// MachineARN is the ARN of a hosted state machine.
func (h *WorkflowsHost) MachineARN(name string) string {
	return "arn:aws:states:" + h.region + ":" + Account + ":stateMachine:" + name
}

// Close stops the endpoint and the executions' goroutines.
func (h *WorkflowsHost) Close() {
	h.Endpoint.Close()
	h.Engine.Close()
}

// lambdaHandler gives the interpreter a function in the shape
// aws-lambda-go accepts, so it decodes payloads as Lambda would.
func lambdaHandler(fn Function) func(ctx context.Context, payload json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) { return fn(ctx, payload) }
}

// publish is the arn:aws:states:::sns:publish integration on the
// emulator's SNS: the SITL on duty gets the message through the topic's
// subscriptions.
func publish(ctx context.Context, api *sns.Client, params json.RawMessage) (json.RawMessage, error) {
	var p struct{ TopicArn, Subject, Message string }
	if err := json.Unmarshal(params, &p); err != nil || p.TopicArn == "" || p.Message == "" {
		return nil, fmt.Errorf("sns:publish: want TopicArn and Message in %s", params)
	}
	in := &sns.PublishInput{TopicArn: aws.String(p.TopicArn), Message: aws.String(p.Message)}
	if p.Subject != "" {
		in.Subject = aws.String(p.Subject)
	}
	out, err := api.Publish(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("sns:publish: %w", err)
	}
	return json.Marshal(map[string]string{"MessageId": aws.ToString(out.MessageId)})
}
