// Package processor builds the processor function's handler from its
// environment (functions/processor and `magpie invoke --aws processor`):
// the event-driven pipeline on AWS. An EventBridge rule sends the bus's
// FileIndexed events to the processing queue, and the queue's event source
// mapping hands them to this function in batches. For each event the
// pipeline plans and runs the jobs the new file makes possible (outputs
// re-enter through the indexer, so the next level follows as its own
// event), and the SITL trigger starts a day's SITL cycle once its burst
// metadata is complete. What the local runtime does on its in-process bus.
package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	magpieevents "github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/jobsenv"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/workflows/sfnflow"
)

// EventHandler is what the function runs for each domain event.
type EventHandler func(ctx context.Context, e magpieevents.Event) error

// Build wires the processor from the environment the job-running functions
// share (jobsenv.Config: DROPBOX_BUCKET, ARCHIVE_BUCKET, EVENT_BUS,
// TABLE_PREFIX, MISSION_PROFILE, LOG_LEVEL) and:
//
//	SITL_STATE_MACHINE_ARN  optional: the SITL cycle state machine; when set,
//	                        a day's cycle starts once its burst metadata is in
//	SITL_DEADLINE           optional: how long the SITL has to submit (Go
//	                        duration, default 2h)
//
// The configuration is checked here; the pipeline (which checks its
// tables) is made on the first invocation.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	common, err := jobsenv.FromEnv(getenv, logw)
	if err != nil {
		return nil, err
	}
	c := config{Config: common, sitlMachine: getenv("SITL_STATE_MACHINE_ARN")}
	if v := getenv("SITL_DEADLINE"); v != "" {
		if c.deadline, err = time.ParseDuration(v); err != nil || c.deadline <= 0 {
			return nil, fmt.Errorf("SITL_DEADLINE %q: want a positive Go duration such as 2h", v)
		}
	}
	handler := &lambdaenv.Lazy[EventHandler]{Make: c.handler}
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) == 0 {
			return nil, fmt.Errorf("processor: not an SQS event with records: %s", firstBytes(raw))
		}
		h, err := handler.Get(ctx)
		if err != nil {
			return nil, fmt.Errorf("processor: configure: %w", err)
		}
		return HandleBatch(ctx, ev, h, c.Log), nil
	}, nil
}

// HandleBatch runs h on the domain event of every message and reports the
// messages that failed as batch item failures, so only they are retried
// (and end in the queue's DLQ after its receive count). A message that is
// not an EventBridge event can never succeed: it fails too, so it reaches
// the DLQ where an operator sees it, rather than being dropped.
func HandleBatch(ctx context.Context, ev events.SQSEvent, h EventHandler, log *slog.Logger) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		e, err := eventbridge.Decode([]byte(m.Body))
		if err == nil {
			err = h(ctx, e)
		}
		if err != nil {
			log.ErrorContext(ctx, "event failed", "message_id", m.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp
}

type config struct {
	jobsenv.Config
	sitlMachine string
	deadline    time.Duration
}

// handler builds the pipeline, and the SITL trigger when configured, on
// the AWS adapters.
func (c config) handler(ctx context.Context) (EventHandler, error) {
	d, err := c.Deps(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.Pipeline(ctx, d)
	if err != nil {
		return nil, err
	}
	if c.sitlMachine == "" {
		return p.HandleEvent, nil
	}
	trig := &sitlcycle.Trigger{Profile: c.Profile, Catalog: d.Catalog, Clock: d.Clock, Deadline: c.deadline, Log: c.Log,
		Start: sitlcycle.StartOn(&sfnflow.Workflows{API: sfn.NewFromConfig(d.AWS)}, c.sitlMachine, d.Clock)}
	return func(ctx context.Context, e magpieevents.Event) error {
		// Both run: a failure of one must not skip the other, and the
		// message is retried if either failed (both are idempotent).
		return errors.Join(p.HandleEvent(ctx, e), trig.Handle(ctx, e))
	}, nil
}

// firstBytes quotes the start of a payload for an error message.
func firstBytes(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%q…", b[:80])
	}
	return fmt.Sprintf("%q", b)
}
