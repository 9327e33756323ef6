package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tokenCatcher is an integration that hands the task token to the test.
func tokenCatcher(tokens chan string, calls *atomic.Int32) Integration {
	return func(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
		calls.Add(1)
		var p struct {
			Message struct{ Token string } `json:"Message"`
			Entries []struct {
				Detail struct{ Token string }
			}
		}
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, err
		}
		tok := p.Message.Token
		if len(p.Entries) > 0 {
			tok = p.Entries[0].Detail.Token
		}
		tokens <- tok
		return json.RawMessage(`{"MessageId":"m-1"}`), nil
	}
}

func TestTaskTokenSuccess(t *testing.T) {
	tokens := make(chan string, 1)
	var calls atomic.Int32
	eng, clk := newEngine(t, Config{Integrations: map[string]Integration{"arn:aws:states:::sns:publish": tokenCatcher(tokens, &calls)}})
	id := start(t, eng, load(t, "token"), "", `{"cycle":7}`)
	tok := <-tokens
	clk.next(t) // timeout timer
	clk.next(t) // heartbeat timer
	if err := eng.SendTaskSuccess("wrong", json.RawMessage(`{}`)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	if err := eng.SendTaskSuccess(tok, json.RawMessage(`{bad`)); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad output: %v", err)
	}
	if err := eng.SendTaskSuccess(tok, json.RawMessage(`{"selected":[1,2]}`)); err != nil {
		t.Fatal(err)
	}
	succeeded(t, wait(t, eng, id), `{"cycle":7,"submission":{"selected":[1,2]}}`)
	if err := eng.SendTaskSuccess(tok, json.RawMessage(`{}`)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token reused: %v", err)
	}
	if !contains(eventTypes(t, eng, id), "TaskSubmitted") {
		t.Fatal("no TaskSubmitted event")
	}
}

func TestTaskTokenFailureAndHeartbeat(t *testing.T) {
	tokens := make(chan string, 1)
	var calls atomic.Int32
	eng, clk := newEngine(t, Config{Integrations: map[string]Integration{"arn:aws:states:::sns:publish": tokenCatcher(tokens, &calls)}})
	def := load(t, "token")

	// SendTaskFailure: the error is not caught (only timeouts are).
	id := start(t, eng, def, "", `{"cycle":1}`)
	tok := <-tokens
	clk.next(t)
	clk.next(t)
	if err := eng.SendTaskFailure(tok, "SITL.Rejected", "bad selection"); err != nil {
		t.Fatal(err)
	}
	failed(t, wait(t, eng, id), "SITL.Rejected")

	// Silence for HeartbeatSeconds fails the task with
	// States.HeartbeatTimeout, which the Catch turns into the ABS fallback.
	id = start(t, eng, def, "", `{"cycle":2}`)
	<-tokens
	clk.next(t)
	clk.step(t, time.Minute)
	ex := wait(t, eng, id)
	succeeded(t, ex, "")
	var out struct {
		Selection string
		Fallback  struct{ Error string }
	}
	json.Unmarshal(ex.Output, &out)
	if out.Selection != "abs" || out.Fallback.Error != ErrHeartbeatTimeout {
		t.Fatalf("output %s", ex.Output)
	}
}

func TestTaskTokenHeartbeatKeepsAlive(t *testing.T) {
	tokens := make(chan string, 1)
	var calls atomic.Int32
	eng, clk := newEngine(t, Config{Integrations: map[string]Integration{"arn:aws:states:::sns:publish": tokenCatcher(tokens, &calls)}})
	id := start(t, eng, load(t, "token"), "", `{"cycle":3}`)
	tok := <-tokens
	if d := clk.next(t); d != time.Hour {
		t.Fatalf("timeout timer %v", d)
	}
	if d := clk.next(t); d != time.Minute {
		t.Fatalf("heartbeat timer %v", d)
	}
	clk.Advance(50 * time.Second)
	if err := eng.SendTaskHeartbeat(tok); err != nil {
		t.Fatal(err)
	}
	if d := clk.next(t); d != time.Minute { // heartbeat timer restarted
		t.Fatalf("heartbeat timer %v", d)
	}
	clk.Advance(50 * time.Second) // 100s in: the first heartbeat window has passed, the new one has not
	if err := eng.SendTaskSuccess(tok, json.RawMessage(`"ok"`)); err != nil {
		t.Fatalf("task timed out despite the heartbeat: %v", err)
	}
	succeeded(t, wait(t, eng, id), `{"cycle":3,"submission":"ok"}`)
}

func TestTaskTokenTimeout(t *testing.T) {
	tokens := make(chan string, 1)
	var calls atomic.Int32
	eng, clk := newEngine(t, Config{Integrations: map[string]Integration{"arn:aws:states:::sns:publish": tokenCatcher(tokens, &calls)}})
	id := start(t, eng, load(t, "token"), "", `{"cycle":4}`)
	tok := <-tokens
	clk.next(t)
	clk.next(t)
	for i := 0; i < 65; i++ { // heartbeat every 55s for 3575s
		clk.Advance(55 * time.Second)
		if err := eng.SendTaskHeartbeat(tok); err != nil {
			t.Fatal(err)
		}
		clk.next(t)
	}
	clk.Advance(25 * time.Second) // 3600s: TimeoutSeconds
	ex := wait(t, eng, id)
	var out struct{ Fallback struct{ Error string } }
	json.Unmarshal(ex.Output, &out)
	if out.Fallback.Error != ErrTimeout {
		t.Fatalf("output %s", ex.Output)
	}
}

func TestStopAndExecutionTimeout(t *testing.T) {
	eng, clk := newEngine(t, Config{})
	def := load(t, "exec_timeout")
	id := start(t, eng, def, "stop-me", `{}`)
	clk.next(t)
	clk.next(t)
	if err := eng.Stop(id, "User.Cancelled", "changed my mind"); err != nil {
		t.Fatal(err)
	}
	ex := wait(t, eng, id)
	if ex.Status != StatusAborted || ex.Error != "User.Cancelled" {
		t.Fatalf("%+v", ex)
	}
	if err := eng.Stop(id, "", ""); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("second stop: %v", err)
	}
	if types := eventTypes(t, eng, id); types[len(types)-1] != "ExecutionAborted" {
		t.Fatalf("history %v", types)
	}

	id = start(t, eng, def, "time-out", `{}`)
	clk.next(t)
	clk.next(t)
	clk.Advance(60 * time.Second)
	ex = wait(t, eng, id)
	if ex.Status != StatusTimedOut || ex.Error != ErrTimeout {
		t.Fatalf("%+v", ex)
	}
}

func TestStartErrors(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	ctx := ctxT(t)
	if _, err := eng.Start(ctx, load(t, "retry"), "", nil); err == nil || !strings.Contains(err.Error(), `no handler registered for Lambda function "flaky"`) {
		t.Fatalf("missing handler: %v", err)
	}
	if _, err := eng.Start(ctx, load(t, "token"), "", nil); err == nil || !strings.Contains(err.Error(), "sns:publish") {
		t.Fatalf("missing integration: %v", err)
	}
	if _, err := eng.Start(ctx, load(t, "pass"), "", json.RawMessage(`{x`)); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad input: %v", err)
	}
	if _, err := eng.Start(ctx, load(t, "pass"), "bad name", nil); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad name: %v", err)
	}
	run(t, eng, load(t, "choice_nomatch"), `{"x":1}`)
	if _, err := eng.Run(ctx, load(t, "choice_nomatch"), "same", json.RawMessage(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, load(t, "choice_nomatch"), "same", nil); !errors.Is(err, ErrExecutionExists) {
		t.Fatalf("duplicate: %v", err)
	}
	list, err := eng.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list %d %v", len(list), err)
	}
	if _, err := eng.Describe(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("describe unknown: %v", err)
	}
	if _, err := NewEngine(Config{}); err == nil {
		t.Fatal("engine without clock")
	}
	if _, err := NewEngine(Config{Clock: newStepClock(), Handlers: map[string]any{"x": 3}}); err == nil {
		t.Fatal("non-function handler accepted")
	}
}

func TestTerminalErrorsAreNotCaught(t *testing.T) {
	big := func() (string, error) { return strings.Repeat("x", 200), nil }
	eng, _ := newEngine(t, Config{Handlers: map[string]any{"big": big}, MaxPayloadBytes: 100})
	def, err := Parse([]byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:big",
		"InputPath":"$.in","Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
		"C":{"Type":"Pass","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	failed(t, run(t, eng, def, `{"in":1}`), ErrDataLimitExceeded)
	failed(t, run(t, eng, def, `{}`), ErrRuntime)
}

func TestResultPathErrors(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	def, _ := Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"ResultPath":"$.a.b","End":true}}}`))
	failed(t, run(t, eng, def, `{"a":"string"}`), ErrResultPathMatchFailure)
	succeeded(t, run(t, eng, def, `{"a":{"c":2}}`), `{"a":{"c":2,"b":1}}`)
	def, _ = Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":null,"OutputPath":"$.x","ResultPath":"$.x","End":true}}}`))
	succeeded(t, run(t, eng, def, `{"a":1}`), `{}`)
	def, _ = Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":null,"End":true}}}`))
	succeeded(t, run(t, eng, def, `{"a":1}`), `{}`)
}
