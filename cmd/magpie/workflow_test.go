package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runWorkflow(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = workflowCommand(args, &out, &errb)
	return code, out.String(), errb.String()
}

// oneLine checks that s is exactly one line containing want.
func oneLine(t *testing.T, s, want string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Fatalf("want one line, got %q", s)
	}
	if !strings.Contains(s, want) {
		t.Fatalf("line %q does not contain %q", s, want)
	}
}

func decodeResult(t *testing.T, s string) runResult {
	t.Helper()
	oneLine(t, s, "status")
	var r runResult
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("not JSON: %q: %v", s, err)
	}
	return r
}

const pipelineASL = `{
  "StartAt": "Pause",
  "States": {
    "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Bare"},
    "Bare": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:stamp", "Parameters": {"v.$": "$.v"}, "ResultPath": "$.bare", "Next": "Invoke"},
    "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "stamp", "Payload": {"w.$": "$.v"}},
      "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.invoked", "Next": "Notify"},
    "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"Message.$": "$.v"}, "ResultPath": "$.sns",
      "Catch": [{"ErrorEquals": ["BuiltinTaskFailed"], "ResultPath": "$.caught", "Next": "Done"}], "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}`

func TestWorkflowRun(t *testing.T) {
	dir := t.TempDir()
	def := writeFile(t, dir, "pipeline.asl.json", pipelineASL)
	inputFile := writeFile(t, dir, "input.json", `{"v": 7}`)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStatus string
		wantOutput string
		wantError  string
	}{
		{"echo tasks", []string{"run", def, "--input", `{"v": 1}`, "--task", "stamp=echo", "--task", "arn:aws:states:::sns:publish=echo"},
			0, "SUCCEEDED", `{"v":1,"bare":{"v":1},"invoked":{"p":{"w":1}},"sns":{"Message":1}}`, ""},
		{"input from file, flags before the file", []string{"run", "--input", "@" + inputFile, "--task", "stamp=echo", "--task", "arn:aws:states:::sns:publish=echo", def},
			0, "SUCCEEDED", `{"v":7,"bare":{"v":7},"invoked":{"p":{"w":7}},"sns":{"Message":7}}`, ""},
		{"caught integration failure", []string{"run", def, "--input", `{"v": 2}`, "--task", "stamp=echo", "--task", "arn:aws:states:::sns:publish=fail"},
			0, "SUCCEEDED", `{"v":2,"bare":{"v":2},"invoked":{"p":{"w":2}},"caught":{"Error":"BuiltinTaskFailed","Cause":"task arn:aws:states:::sns:publish failed (built-in fail)"}}`, ""},
		{"function failure fails the execution", []string{"run", def, "--task", "stamp=fail", "--task", "arn:aws:states:::sns:publish=echo", "--input", `{"v": 3}`},
			1, "FAILED", `null`, "BuiltinTaskFailed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runWorkflow(tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.wantCode, stderr)
			}
			if stderr != "" {
				t.Fatalf("unexpected stderr %q", stderr)
			}
			r := decodeResult(t, stdout)
			if r.Status != tc.wantStatus || r.Error != tc.wantError {
				t.Fatalf("got status %s error %q (cause %q), want %s %q", r.Status, r.Error, r.Cause, tc.wantStatus, tc.wantError)
			}
			var got, want any
			if err := json.Unmarshal(r.Output, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.wantOutput), &want); err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Fatalf("output %s, want %s", gb, wb)
			}
		})
	}
}

func TestWorkflowRunFailCause(t *testing.T) {
	def := writeFile(t, t.TempDir(), "f.asl.json", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Mission.Bad","Cause":"bad input"}}}`)
	code, stdout, _ := runWorkflow("run", def)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	r := decodeResult(t, stdout)
	if r.Status != "FAILED" || r.Error != "Mission.Bad" || r.Cause != "bad input" || string(r.Output) != "null" {
		t.Fatalf("got %+v", r)
	}
}

func TestWorkflowBadUsage(t *testing.T) {
	dir := t.TempDir()
	def := writeFile(t, dir, "pipeline.asl.json", pipelineASL)
	bad := writeFile(t, dir, "bad.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"},"B":{"Type":"Bogus"}}}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "give a subcommand"},
		{"unknown subcommand", []string{"frobnicate"}, "unknown subcommand"},
		{"no file", []string{"run"}, "exactly one definition file"},
		{"two files", []string{"run", def, def}, "exactly one definition file"},
		{"missing file", []string{"run", filepath.Join(dir, "nope.asl.json")}, "no such file"},
		{"invalid definition", []string{"run", bad}, "unknown state"},
		{"input not JSON", []string{"run", def, "--input", "{nope"}, "not valid JSON"},
		{"input file missing", []string{"run", def, "--input", "@" + filepath.Join(dir, "none.json")}, "read input"},
		{"unknown builtin", []string{"run", def, "--task", "stamp=sleep"}, "unknown built-in"},
		{"task without builtin", []string{"run", def, "--task", "stamp"}, "want NAME=BUILTIN"},
		{"unknown flag", []string{"run", def, "--bogus"}, "flag provided but not defined"},
		{"unmocked task", []string{"run", def}, `no handler registered for Lambda function "stamp"`},
		{"list with argument", []string{"list", "--data", dir, "extra"}, "takes no arguments"},
		{"describe without ARN", []string{"describe", "--data", dir}, "give one execution ARN"},
		{"no data", []string{"list", "--data", filepath.Join(dir, "empty")}, "no local SDC data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runWorkflow(tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if stdout != "" {
				t.Fatalf("unexpected stdout %q", stdout)
			}
			oneLine(t, stderr, tc.want)
		})
	}
}

func TestWorkflowHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"run", "-h"}, {"list", "--help"}} {
		code, stdout, stderr := runWorkflow(args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "--task") || !strings.Contains(stdout, "echo") {
			t.Fatalf("%v: exit %d stdout %q stderr %q", args, code, stdout, stderr)
		}
	}
}

// seedExecutions persists one finished execution in dir/magpie.db the way
// the local server does, and returns its ARN.
func seedExecutions(t *testing.T, dir string) string {
	t.Helper()
	ts, err := local.OpenTableStore(filepath.Join(dir, "magpie.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	ctx := context.Background()
	p, err := asl.NewTablePersistence(ctx, ts)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := asl.NewEngine(asl.Config{Clock: clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)), Persistence: p})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	def, err := asl.Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	def.Name = "Seeded"
	runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ex, err := eng.Run(runCtx, def, "first", json.RawMessage(`{"in":1}`))
	if err != nil || ex.Status != asl.StatusSucceeded {
		t.Fatalf("seed run: %v %+v", err, ex)
	}
	return ex.ID
}

func TestWorkflowInspect(t *testing.T) {
	dir := t.TempDir()
	arn := seedExecutions(t, dir)

	code, stdout, stderr := runWorkflow("list", "--data", dir)
	if code != 0 {
		t.Fatalf("list: exit %d %q", code, stderr)
	}
	oneLine(t, stdout, arn)
	var listed asl.Execution
	if err := json.Unmarshal([]byte(stdout), &listed); err != nil || listed.Status != asl.StatusSucceeded || listed.Name != "first" {
		t.Fatalf("list line %q: %v", stdout, err)
	}

	code, stdout, stderr = runWorkflow("describe", arn, "--data", dir)
	if code != 0 {
		t.Fatalf("describe: exit %d %q", code, stderr)
	}
	var ex asl.Execution
	if err := json.Unmarshal([]byte(stdout), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.ID != arn || ex.Status != asl.StatusSucceeded || string(ex.Output) != `{"ok":true}` {
		t.Fatalf("describe: %+v", ex)
	}

	code, stdout, stderr = runWorkflow("history", "--data", dir, arn)
	if code != 0 {
		t.Fatalf("history: exit %d %q", code, stderr)
	}
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev asl.HistoryEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("history line %q: %v", line, err)
		}
		types = append(types, ev.Type)
	}
	want := "ExecutionStarted PassStateEntered PassStateExited ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("history %q, want %q", got, want)
	}

	for _, sub := range []string{"describe", "history"} {
		code, _, stderr = runWorkflow(sub, "--data", dir, arn+"-missing")
		if code != 2 {
			t.Fatalf("%s unknown: exit %d", sub, code)
		}
		oneLine(t, stderr, "no execution")
	}
}

func TestWorkflowInspectWhileServerRuns(t *testing.T) {
	dir := t.TempDir()
	seedExecutions(t, dir)
	// The server holds the file lock while it runs.
	ts, err := local.OpenTableStore(filepath.Join(dir, "magpie.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	code, stdout, stderr := runWorkflow("list", "--data", dir)
	if code != 1 || stdout != "" {
		t.Fatalf("exit %d stdout %q", code, stdout)
	}
	oneLine(t, stderr, "the SDC server is running on "+dir+"; stop it or use its HTTP API")
}
