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
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/events"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	magpieevents "github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
	"github.com/magpie-sdc/magpie/shared/workflows/sfnflow"
)

// EventHandler is what the function runs for each domain event.
type EventHandler func(ctx context.Context, e magpieevents.Event) error

// Build wires the processor from:
//
//	DROPBOX_BUCKET          the dropbox bucket (job outputs enter through it)
//	ARCHIVE_BUCKET          the archive bucket
//	TABLE_PREFIX            prefix of the DynamoDB table names
//	EVENT_BUS               the EventBridge bus domain events go to
//	SITL_STATE_MACHINE_ARN  optional: the SITL cycle state machine; when set,
//	                        a day's cycle starts once its burst metadata is in
//	SITL_DEADLINE           optional: how long the SITL has to submit (Go
//	                        duration, default 2h)
//	MISSION_PROFILE         optional path of a profile file bundled with the function
//	LOG_LEVEL               debug, info (default), warn, error
//
// The configuration is checked here; the pipeline (which checks its
// tables) is made on the first invocation.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	var c config
	for _, v := range []struct {
		key string
		dst *string
	}{{"DROPBOX_BUCKET", &c.dropbox}, {"ARCHIVE_BUCKET", &c.archive}, {"EVENT_BUS", &c.bus}} {
		var err error
		if *v.dst, err = lambdaenv.Need(getenv, v.key); err != nil {
			return nil, err
		}
	}
	level, err := telemetry.ParseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		return nil, err
	}
	if c.profile, err = mission.LoadOrDefault(getenv("MISSION_PROFILE")); err != nil {
		return nil, err
	}
	c.sitlMachine = getenv("SITL_STATE_MACHINE_ARN")
	if v := getenv("SITL_DEADLINE"); v != "" {
		if c.deadline, err = time.ParseDuration(v); err != nil || c.deadline <= 0 {
			return nil, fmt.Errorf("SITL_DEADLINE %q: want a positive Go duration such as 2h", v)
		}
	}
	c.prefix = getenv("TABLE_PREFIX")
	c.log = telemetry.NewLogger(logw, level)
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
		return HandleBatch(ctx, ev, h, c.log), nil
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
	dropbox, archive, bus, prefix string
	sitlMachine                   string
	deadline                      time.Duration
	profile                       *mission.Profile
	log                           *slog.Logger
}

// handler builds the pipeline, and the SITL trigger when configured, on
// the AWS adapters.
func (c config) handler(ctx context.Context) (EventHandler, error) {
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), c.prefix)
	dropbox, archive := awsstore.NewObjectStore(s3c, c.dropbox), awsstore.NewObjectStore(s3c, c.archive)
	cat := catalog.New(tables)
	clk := clock.Real{}
	// Outputs' FileIndexed and failed jobs' JobFailed go to the bus.
	evs := &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: c.bus, Source: "magpie." + c.profile.ID}
	ix := &ingest.Indexer{Profile: c.profile, Dropbox: dropbox, Archive: archive, Catalog: cat, Events: evs, Clock: clk, Log: c.log}
	p, err := pipeline.New(ctx, pipeline.Config{Profile: c.profile, Builtins: processors.Registry(c.profile), Tables: tables,
		Catalog: cat, Archive: archive, Dropbox: dropbox, Indexer: ix, Clock: clk, Log: c.log, Events: evs,
		// /tmp is the only writable place in Lambda.
		WorkDir: filepath.Join(os.TempDir(), "magpie-work")})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if c.sitlMachine == "" {
		return p.HandleEvent, nil
	}
	trig := &sitlcycle.Trigger{Profile: c.profile, Catalog: cat, Clock: clk, Deadline: c.deadline, Log: c.log,
		Start: sitlcycle.StartOn(&sfnflow.Workflows{API: sfn.NewFromConfig(cfg)}, c.sitlMachine, clk)}
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
