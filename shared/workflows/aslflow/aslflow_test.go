package aslflow

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/workflows"
	"github.com/magpie-sdc/magpie/shared/workflows/workflowstest"
)

func TestContract(t *testing.T) {
	tokens := make(chan string, 16)
	engine, err := asl.NewEngine(asl.Config{
		Clock: clock.NewFake(time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)),
		Integrations: map[string]asl.Integration{
			// Stands in for SQS: hands the token to the suite.
			"arn:aws:states:::sqs:sendMessage.waitForTaskToken": func(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
				var p struct {
					MessageBody struct {
						Token string `json:"token"`
					}
				}
				if err := json.Unmarshal(params, &p); err != nil {
					return nil, err
				}
				tokens <- p.MessageBody.Token
				return json.RawMessage(`{}`), nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	machines := map[string]*asl.Definition{}
	w, err := New(engine, machines)
	if err != nil {
		t.Fatal(err)
	}
	workflowstest.Run(t, workflowstest.Harness{
		Workflows: w,
		QueueURL:  "local://operator",
		Deploy: func(t *testing.T, definition string) string {
			def, err := asl.Parse([]byte(definition))
			if err != nil {
				t.Fatal(err)
			}
			def.Name = "callback"
			w.machines["callback"] = def
			return "arn:aws:states:us-east-1:123456789012:stateMachine:callback"
		},
		NextToken: func(t *testing.T) string {
			select {
			case tok := <-tokens:
				return tok
			case <-time.After(10 * time.Second):
				t.Fatal("no task token within 10 s")
				return ""
			}
		},
		Poll: 10 * time.Second,
	})
}

func TestNew(t *testing.T) {
	if _, err := New(nil, nil); err == nil {
		t.Error("nil engine accepted")
	}
	e, err := asl.NewEngine(asl.Config{Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := New(e, map[string]*asl.Definition{"x": nil}); err == nil {
		t.Error("nil definition accepted")
	}
	var _ workflows.Workflows = &Workflows{}
}
