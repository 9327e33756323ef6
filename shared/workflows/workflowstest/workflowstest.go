// Package workflowstest is the contract suite of the workflows port: every
// adapter runs it, so the local interpreter and Step Functions behave alike
// for the calls Magpie makes.
package workflowstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/workflows"
)

// Harness connects the suite to one adapter.
type Harness struct {
	Workflows workflows.Workflows
	// QueueURL is the SQS queue URL the callback task sends its token to.
	QueueURL string
	// Deploy creates a state machine from an ASL definition and returns the
	// reference (name or ARN) to start it by.
	Deploy func(t *testing.T, definition string) string
	// NextToken returns the next task token the callback task sent (its
	// message body is {"token": ..., "input": ...}).
	NextToken func(t *testing.T) string
	// NoCallbacks, when set, says why the adapter's backend cannot run
	// callback tasks; the suite then checks only the control plane (start,
	// idempotency, describe, errors).
	NoCallbacks string
	// Poll bounds how long the suite waits for an execution to reach a
	// status (adapters run executions asynchronously); it is a liveness
	// bound, not an assertion on speed.
	Poll time.Duration
}

// callback waits for a task token, then passes the task's output on.
const callback = `{
  "StartAt": "Wait for operator",
  "States": {
    "Wait for operator": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters": {"QueueUrl": %q, "MessageBody": {"token.$": "$$.Task.Token", "input.$": "$"}},
      "HeartbeatSeconds": 3600,
      "End": true
    }
  }
}`

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	ctx := context.Background()
	w := h.Workflows
	// A state machine per subtest: moto cannot start executions of a
	// machine some of whose executions ended in certain ways.
	deploy := func(t *testing.T) string { return h.Deploy(t, fmt.Sprintf(callback, h.QueueURL)) }

	waitFor := func(t *testing.T, id string) workflows.Execution {
		t.Helper()
		deadline := time.Now().Add(h.Poll)
		for {
			ex, err := w.Describe(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Status.Done() || time.Now().After(deadline) {
				return ex
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	t.Run("start and describe", func(t *testing.T) {
		sm := deploy(t)
		in := json.RawMessage(`{"day":"2015-10-16","sc":["mms1","mms2"]}`)
		id, err := w.Start(ctx, sm, "run-1", in)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := w.Describe(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if ex.ID != id || ex.Name != "run-1" || ex.Status != workflows.Running || !jsonEqual(ex.Input, in) || ex.StartTime.IsZero() {
			t.Fatalf("running execution %+v", ex)
		}
		// It is listed, running, without its input (as Step Functions lists).
		list, err := w.List(ctx, sm, 0)
		if err != nil || len(list) != 1 || list[0].ID != id || list[0].Name != "run-1" || list[0].Status != workflows.Running {
			t.Fatalf("list %s: %+v %v", sm, list, err)
		}
		if _, err := w.List(ctx, "magpie-no-such-machine", 0); !errors.Is(err, workflows.ErrNotFound) {
			t.Errorf("list of an unknown state machine: %v, want ErrNotFound", err)
		}
		// Starting it again with the same input while it runs is idempotent.
		again, err := w.Start(ctx, sm, "run-1", in)
		if err != nil || again != id {
			t.Fatalf("idempotent start = %q, %v; want %q", again, err, id)
		}
		if _, err := w.Start(ctx, sm, "run-1", json.RawMessage(`{"day":"other"}`)); !errors.Is(err, workflows.ErrExists) {
			t.Fatalf("start with the same name and other input: %v, want ErrExists", err)
		}
		if _, err := w.Start(ctx, sm, "run-2", json.RawMessage(`{not json`)); !errors.Is(err, workflows.ErrInvalid) {
			t.Errorf("input that is not JSON: %v, want ErrInvalid", err)
		}
		for name, err := range map[string]error{
			"unknown state machine": second(w.Start(ctx, "magpie-no-such-machine", "x", nil)),
			"unknown execution":     second(w.Describe(ctx, sm2exec(sm)+"no-such-execution")),
		} {
			if !errors.Is(err, workflows.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
		if h.NoCallbacks == "" {
			// End run-1, so its token is not taken for the next test's.
			if err := w.SendTaskFailure(ctx, h.NextToken(t), "Magpie.Cancelled", "test over"); err != nil {
				t.Fatal(err)
			}
		}
	})

	if h.NoCallbacks != "" {
		t.Logf("callback tasks not checked: %s", h.NoCallbacks)
		return
	}

	t.Run("success", func(t *testing.T) {
		sm := deploy(t)
		in := json.RawMessage(`{"day":"2015-10-16"}`)
		id, err := w.Start(ctx, sm, "ok-1", in)
		if err != nil {
			t.Fatal(err)
		}
		token := h.NextToken(t)
		if err := w.SendTaskHeartbeat(ctx, token); err != nil {
			t.Fatal(err)
		}
		if err := w.SendTaskSuccess(ctx, token, json.RawMessage(`{"released":3}`)); err != nil {
			t.Fatal(err)
		}
		ex := waitFor(t, id)
		if ex.Status != workflows.Succeeded || !jsonEqual(ex.Output, json.RawMessage(`{"released":3}`)) || ex.StopTime.IsZero() {
			t.Fatalf("after success: %+v (output %s)", ex, ex.Output)
		}
		if err := w.SendTaskSuccess(ctx, token, json.RawMessage(`{}`)); !errors.Is(err, workflows.ErrNotFound) {
			t.Errorf("answering a token twice: %v, want ErrNotFound", err)
		}
		if _, err := w.Start(ctx, sm, "ok-1", in); !errors.Is(err, workflows.ErrExists) {
			t.Errorf("restarting a finished execution: %v, want ErrExists", err)
		}
	})

	t.Run("failure", func(t *testing.T) {
		sm := deploy(t)
		id, err := w.Start(ctx, sm, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.SendTaskFailure(ctx, h.NextToken(t), "Magpie.Rejected", "operator said no"); err != nil {
			t.Fatal(err)
		}
		ex := waitFor(t, id)
		if ex.Status != workflows.Failed || ex.Error != "Magpie.Rejected" || ex.Name == "" {
			t.Fatalf("after failure: %+v", ex)
		}
	})

	t.Run("unknown tokens", func(t *testing.T) {
		const token = "AAAAKgAAAAIAAAAAAAAAAUnknownToken"
		for name, err := range map[string]error{
			"success":   w.SendTaskSuccess(ctx, token, json.RawMessage(`{}`)),
			"failure":   w.SendTaskFailure(ctx, token, "E", "c"),
			"heartbeat": w.SendTaskHeartbeat(ctx, token),
		} {
			if !errors.Is(err, workflows.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

// sm2exec turns a state machine reference into an execution ARN prefix of
// it (names become ARNs of the default account, which fits the local engine
// and moto alike).
func sm2exec(sm string) string {
	const p = "arn:aws:states:us-east-1:123456789012:stateMachine:"
	if len(sm) > len(p) && sm[:len(p)] == p {
		sm = sm[len(p):]
	}
	return "arn:aws:states:us-east-1:123456789012:execution:" + sm + ":"
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
