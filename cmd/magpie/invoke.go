package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/processor"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/registry"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// localFunctions build a function's handler on a local SDC, for invoke
// without --aws.
func localFunctions() map[string]func(sdc *runtime.Local) lambdaenv.Handler {
	return map[string]func(sdc *runtime.Local) lambdaenv.Handler{
		"indexer": func(sdc *runtime.Local) lambdaenv.Handler {
			// Locally there is one dropbox, whatever bucket the event names.
			h := &ingest.Handler{Indexer: sdc.Indexer}
			return func(ctx context.Context, ev json.RawMessage) (any, error) { return h.Handle(ctx, ev) }
		},
		"processor": func(sdc *runtime.Local) lambdaenv.Handler {
			// The processing queue's batch, each FileIndexed event handed to
			// the local pipeline (what the next levels produce follows on the
			// local bus, drained before invoke returns).
			return func(ctx context.Context, raw json.RawMessage) (any, error) {
				var ev events.SQSEvent
				if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) == 0 {
					return nil, errors.New("processor: not an SQS event with records")
				}
				p, err := sdc.Pipeline(ctx)
				if err != nil {
					return nil, err
				}
				return processor.HandleBatch(ctx, ev, p.HandleEvent, sdc.Log), nil
			}
		},
	}
}

// invokeCommand runs one function's handler on one event, the way an
// operator reproduces a production failure: on the local SDC's data folder,
// or with --aws on the AWS (or emulator) resources named by the function's
// environment variables, wired exactly as the Lambda wires them.
func invokeCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("invoke", stderr)
	eventPath := fs.String("event", "", "event JSON file (e.g. events/s3-put.json)")
	useAWS := fs.Bool("aws", false, "run against AWS: configuration from the function's environment variables and AWS_ENDPOINT_URL*")
	data := fs.String("data", defaultDataDir(), "data folder of a local SDC that is not running (without --aws)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: magpie invoke FUNCTION --event FILE [--aws] [--data DIR]\nFunctions: %s\n", strings.Join(registry.Names(), ", "))
		fs.PrintDefaults()
	}
	// FUNCTION may come before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fail(stderr, 2, "invoke: unexpected argument %q", fs.Arg(0))
	}
	if name == "" || *eventPath == "" {
		return fail(stderr, 2, "invoke: usage: magpie invoke FUNCTION --event FILE [--aws] [--data DIR]")
	}
	build, ok := registry.Functions()[name]
	if !ok {
		return fail(stderr, 2, "invoke: unknown function %q (functions: %s)", name, strings.Join(registry.Names(), ", "))
	}
	event, err := os.ReadFile(*eventPath)
	if err != nil {
		return fail(stderr, 2, "invoke: %v", err)
	}
	if !json.Valid(event) {
		return fail(stderr, 2, "invoke: %s is not JSON", *eventPath)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx = telemetry.WithRequestID(ctx, "magpie-invoke")
	var handler lambdaenv.Handler
	if *useAWS {
		// Logs go to stderr so stdout is the response alone.
		if handler, err = build(ctx, os.Getenv, stderr); err != nil {
			return fail(stderr, 2, "invoke: %s: %v", name, err)
		}
	} else {
		local, ok := localFunctions()[name]
		if !ok {
			return fail(stderr, 2, "invoke: %s runs only with --aws (locally: %s)", name, strings.Join(localFunctionNames(), ", "))
		}
		sdc, err := runtime.Open(ctx, runtime.Config{DataDir: *data, Log: telemetry.NewLogger(stderr, slog.LevelInfo)})
		if errors.Is(err, runtime.ErrDataDirBusy) {
			return fail(stderr, 2, "invoke: %v (stop the server, or use --aws)", err)
		}
		if err != nil {
			return fail(stderr, 1, "invoke: %v", err)
		}
		defer sdc.Close()
		handler = local(sdc)
	}

	resp, herr := handler(ctx, event)
	if resp != nil {
		b, err := json.MarshalIndent(resp, "", "  ")
		if err != nil {
			return fail(stderr, 1, "invoke: encode response: %v", err)
		}
		fmt.Fprintln(stdout, string(b))
	}
	if herr != nil {
		return fail(stderr, 1, "invoke: %s failed: %v", name, herr)
	}
	return 0
}

// localFunctionNames lists what invoke can run locally, for messages.
func localFunctionNames() []string {
	var names []string
	for n := range localFunctions() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
