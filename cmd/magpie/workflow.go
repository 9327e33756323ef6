package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

const workflowUsage = `Usage:
  magpie workflow run FILE.asl.json [--input JSON|@FILE] [--task NAME=BUILTIN ...]
      Run a state machine locally with Magpie's ASL interpreter and print one
      JSON line {"status","output","error","cause"}. Wait states wait on the
      real clock. Exit 0 when it SUCCEEDED, 1 when it failed, 2 on bad usage
      or a bad definition.
      --input   the execution input: JSON text, or @FILE to read it (default {})
      --task    mock a task: NAME is a Lambda function name (for function ARNs
                and lambda:invoke's FunctionName) or a resource ARN such as
                arn:aws:states:::sns:publish; BUILTIN is one of
                  echo   return the task's input as its result
                  fail   fail with error BuiltinTaskFailed
  magpie workflow list [--data DIR]
      Print the executions a stopped local SDC persisted, one JSON line each.
  magpie workflow describe [--data DIR] EXECUTION_ARN
      Print one execution as a JSON line.
  magpie workflow history [--data DIR] EXECUTION_ARN
      Print an execution's events, one JSON line each.
  --data defaults to $MAGPIE_DATA or .magpie; the SDC server must not be
  running on it (it holds the lock on DIR/magpie.db): use its HTTP API then.
`

// builtinFailError is the error name of the "fail" built-in task.
const builtinFailError = "BuiltinTaskFailed"

// workflowCommand implements `magpie workflow`.
func workflowCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, 2, "workflow: give a subcommand: run, list, describe or history (magpie workflow help)")
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, workflowUsage)
		return 0
	case "run":
		return workflowRun(args[1:], stdout, stderr)
	case "list", "describe", "history":
		return workflowInspect(args[0], args[1:], stdout, stderr)
	}
	return fail(stderr, 2, "workflow: unknown subcommand %q (magpie workflow help)", args[0])
}

// parseInterleaved parses flags that may come before or after the
// positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// quietFlags is a flag set that reports nothing itself: the caller prints
// one line.
func quietFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("magpie workflow "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// flagError turns a flag parse error into the exit code and message.
func flagError(err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, workflowUsage)
		return 0
	}
	return fail(stderr, 2, "workflow: %v", err)
}

// runResult is the one line `workflow run` prints.
type runResult struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
}

func workflowRun(args []string, stdout, stderr io.Writer) int {
	fs := quietFlags("run")
	input := fs.String("input", "{}", "execution input: JSON text or @FILE")
	tasks := map[string]string{}
	fs.Func("task", "NAME=BUILTIN (repeatable)", func(v string) error {
		name, builtin, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return fmt.Errorf("--task %q: want NAME=BUILTIN", v)
		}
		if builtin != "echo" && builtin != "fail" {
			return fmt.Errorf("--task %q: unknown built-in %q (echo, fail)", v, builtin)
		}
		tasks[name] = builtin
		return nil
	})
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err, stdout, stderr)
	}
	if len(pos) != 1 {
		return fail(stderr, 2, "workflow run: give exactly one definition file (magpie workflow help)")
	}
	in, err := readInput(*input)
	if err != nil {
		return fail(stderr, 2, "workflow run: %v", err)
	}
	def, err := asl.ParseFile(pos[0])
	if err != nil {
		return fail(stderr, 2, "workflow run: %v", err)
	}
	handlers, integrations := builtinTasks(tasks)
	eng, err := asl.NewEngine(asl.Config{Clock: clock.Real{}, Handlers: handlers, Integrations: integrations})
	if err != nil {
		return fail(stderr, 2, "workflow run: %v", err)
	}
	defer eng.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	id, err := eng.Start(ctx, def, "", in)
	if err != nil {
		// A missing task handler or a bad input: the user's to fix.
		return fail(stderr, 2, "workflow run: %v (mock tasks with --task NAME=echo)", err)
	}
	ex, err := eng.Wait(ctx, id)
	if err != nil {
		return fail(stderr, 1, "workflow run: %v", err)
	}
	res := runResult{Status: string(ex.Status), Output: ex.Output, Error: ex.Error, Cause: ex.Cause}
	if len(res.Output) == 0 {
		res.Output = json.RawMessage(`null`)
	}
	if err := writeJSONLine(stdout, res); err != nil {
		return fail(stderr, 1, "workflow run: %v", err)
	}
	if ex.Status != asl.StatusSucceeded {
		return 1
	}
	return 0
}

// readInput reads --input: JSON text, or @FILE.
func readInput(v string) (json.RawMessage, error) {
	b := []byte(v)
	if name, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if b, err = os.ReadFile(name); err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--input is not valid JSON")
	}
	return b, nil
}

// builtinTasks wires the --task mocks: names starting with "arn:" are
// service integrations, anything else a Lambda function.
func builtinTasks(tasks map[string]string) (map[string]any, map[string]asl.Integration) {
	handlers := map[string]any{}
	integrations := map[string]asl.Integration{}
	for name, builtin := range tasks {
		if strings.HasPrefix(name, "arn:") {
			integrations[name] = func(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
				if builtin == "fail" {
					return nil, &asl.StateError{Name: builtinFailError, Cause: "task " + name + " failed (built-in fail)"}
				}
				return params, nil
			}
			continue
		}
		handlers[name] = func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			if builtin == "fail" {
				// Reported as a Lambda function error of this type.
				return nil, messages.InvokeResponse_Error{Type: builtinFailError, Message: "function " + name + " failed (built-in fail)"}
			}
			return in, nil
		}
	}
	return handlers, integrations
}

// workflowInspect implements list, describe and history against the
// executions a local SDC persisted in DIR/magpie.db.
func workflowInspect(sub string, args []string, stdout, stderr io.Writer) int {
	fs := quietFlags(sub)
	data := fs.String("data", defaultDataDir(), "data folder of a stopped local SDC")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err, stdout, stderr)
	}
	want := 1
	if sub == "list" {
		want = 0
	}
	if len(pos) != want {
		if want == 0 {
			return fail(stderr, 2, "workflow list: takes no arguments")
		}
		return fail(stderr, 2, "workflow %s: give one execution ARN", sub)
	}
	eng, closeStore, code := openExecutions(*data, stderr)
	if eng == nil {
		return code
	}
	defer closeStore()
	defer eng.Close()
	ctx := context.Background()
	switch sub {
	case "list":
		execs, err := eng.List(ctx)
		if err != nil {
			return fail(stderr, 1, "workflow list: %v", err)
		}
		for _, ex := range execs {
			if err := writeJSONLine(stdout, ex); err != nil {
				return fail(stderr, 1, "workflow list: %v", err)
			}
		}
	case "describe":
		ex, err := eng.Describe(ctx, pos[0])
		if errors.Is(err, asl.ErrNotFound) {
			return fail(stderr, 2, "workflow describe: no execution %q in %s", pos[0], *data)
		}
		if err != nil {
			return fail(stderr, 1, "workflow describe: %v", err)
		}
		if err := writeJSONLine(stdout, ex); err != nil {
			return fail(stderr, 1, "workflow describe: %v", err)
		}
	case "history":
		events, err := eng.History(ctx, pos[0])
		if errors.Is(err, asl.ErrNotFound) {
			return fail(stderr, 2, "workflow history: no execution %q in %s", pos[0], *data)
		}
		if err != nil {
			return fail(stderr, 1, "workflow history: %v", err)
		}
		for _, ev := range events {
			if err := writeJSONLine(stdout, ev); err != nil {
				return fail(stderr, 1, "workflow history: %v", err)
			}
		}
	}
	return 0
}

// storeLockTimeout is how long inspection waits for the server's lock on
// magpie.db before saying it is running.
const storeLockTimeout = 300 * time.Millisecond

// openExecutions opens DIR/magpie.db and an engine that only reads the
// persisted executions (it is never asked to Resume them). On failure it
// has printed the line and returns the exit code.
func openExecutions(dir string, stderr io.Writer) (*asl.Engine, func(), int) {
	path := filepath.Join(dir, "magpie.db")
	if _, err := os.Stat(path); err != nil {
		// Opening would create an empty store: say what is wrong instead.
		return nil, nil, fail(stderr, 2, "workflow: no local SDC data in %s (%s not found)", dir, path)
	}
	ts, err := local.OpenTableStore(path, local.WithLockTimeout(storeLockTimeout))
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, nil, fail(stderr, 1, "workflow: the SDC server is running on %s; stop it or use its HTTP API", dir)
	}
	if err != nil {
		return nil, nil, fail(stderr, 1, "workflow: %v", err)
	}
	closeStore := func() { _ = ts.Close() }
	p, err := asl.NewTablePersistence(context.Background(), ts)
	if err != nil {
		closeStore()
		return nil, nil, fail(stderr, 1, "workflow: %v", err)
	}
	eng, err := asl.NewEngine(asl.Config{Clock: clock.Real{}, Persistence: p})
	if err != nil {
		closeStore()
		return nil, nil, fail(stderr, 1, "workflow: %v", err)
	}
	return eng, closeStore, 0
}

// writeJSONLine prints v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
