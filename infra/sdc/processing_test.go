package sdc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The processor follows the indexer: FileIndexed events reach it through
// an EventBridge rule and a queue with a DLQ, in small batches with partial
// failures; it may start SITL cycles (the SITL state machine's ARN, and
// StartExecution on that machine only).
func TestProcessorFollowsFileIndexedEvents(t *testing.T) {
	root := fixture(t, []string{"processor", "sitl"}, map[string]string{
		"sitl-cycle": `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${SitlFunctionArn}", "End": true}}}`,
	})
	s := testSettings(t)
	s.SITLDeadline = "90m"
	app := awscdk.NewApp(nil)
	sdc, err := NewStack(app, "Proc", Props{Settings: s, Profile: profile(t), Root: root})
	if err != nil {
		t.Fatal(err)
	}
	tpl := assertions.Template_FromStack(sdc.Stack, nil)
	var raw map[string]any
	b, _ := json.Marshal(tpl.ToJSON())
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}

	var queueID string
	for id, q := range resources(raw, "AWS::SQS::Queue") {
		if strings.Contains(js(props(q)["RedrivePolicy"]), `"maxReceiveCount":3`) {
			queueID = id
			if props(q)["VisibilityTimeout"] != float64(6*processorTimeoutSeconds) {
				t.Errorf("processing queue visibility %v, want 6× the timeout", props(q)["VisibilityTimeout"])
			}
		}
	}
	if queueID == "" {
		t.Fatal("no processing queue with a DLQ after 3 receives")
	}
	tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"EventPattern": map[string]any{"detail-type": []any{"FileIndexed"}},
		"Targets":      []any{assertions.Match_ObjectLike(&map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{queueID, "Arn"}}})},
	})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
		"EventSourceArn":        map[string]any{"Fn::GetAtt": []any{queueID, "Arn"}},
		"BatchSize":             2,
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
	})

	var env map[string]any
	for _, f := range resources(raw, "AWS::Lambda::Function") {
		if strings.Contains(js(props(f)["Tags"]), `{"Key":"`+FunctionTag+`","Value":"processor"}`) {
			env, _ = props(f)["Environment"].(map[string]any)
		}
	}
	vars, _ := env["Variables"].(map[string]any)
	if vars["SITL_DEADLINE"] != "90m" || !strings.Contains(js(vars["SITL_STATE_MACHINE_ARN"]), "SitlCycle") {
		t.Errorf("processor environment %s", js(vars))
	}
	starts := 0
	for _, st := range rolePolicies(t, raw, "AWS::Lambda::Function", "Role", FunctionTag, "processor") {
		for _, a := range actions(st) {
			if strings.HasPrefix(a, "states:") {
				if a != "states:StartExecution" || !strings.Contains(js(st["Resource"]), "SitlCycle") {
					t.Errorf("processor may %s on %s", a, js(st["Resource"]))
				}
				starts++
			}
			if a == "*" || strings.HasSuffix(a, ":*") {
				t.Errorf("service-wide action %s", a)
			}
		}
	}
	alarmed := false
	for _, a := range resources(raw, "AWS::CloudWatch::Alarm") {
		alarmed = alarmed || strings.Contains(js(props(a)["AlarmDescription"]), "processing DLQ") &&
			strings.Contains(js(props(a)["Dimensions"]), "ProcessingDLQ")
	}
	if !alarmed {
		t.Error("no alarm on the processing DLQ's depth")
	}
	if starts != 1 {
		t.Errorf("%d states: statements, want StartExecution on the SITL cycle", starts)
	}
}

func TestContactSchedule(t *testing.T) {
	for _, c := range []struct {
		everyHours float64
		want       string
	}{
		{8, "cron(0 0/8 * * ? *)"},
		{1, "cron(0 0/1 * * ? *)"},
		{24, "cron(0 0 * * ? *)"},
		{1.5, "rate(90 minutes)"},
		{5, "rate(300 minutes)"},
		{0, ""},
	} {
		p := profile(t)
		p.Simulation.Contacts.EveryHours = c.everyHours
		got, ok := contactSchedule(p)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("every %v h: %q %v, want %q", c.everyHours, got, ok, c.want)
		}
	}
}
