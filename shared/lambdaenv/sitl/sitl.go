// Package sitl builds the sitl function's handler from its environment
// (functions/sitl and `magpie invoke --aws sitl`).
package sitl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
	"github.com/magpie-sdc/magpie/shared/workflows/sfnflow"
)

// Steps are the steps the sitl function serves (sitlcycle's handler
// names), sorted.
func Steps() []string {
	var names []string
	for n := range (&sitlcycle.Service{}).Handlers() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Build wires the SITL cycle function: one function serves every step of
// statemachines/sitl-cycle.asl.json (build ABS, await the SITL, validate,
// apply, write the playlist, record the cycle). Each Task of the definition
// names its step in the payload's "step" field (e.g. "sitl-build-abs");
// the step handlers ignore the field. Configuration:
//
//	ARCHIVE_BUCKET   the archive bucket (burst metadata)
//	PLAYLIST_BUCKET  where downlink playlists go (playlists/) for the operations center
//	EVENT_BUS        the EventBridge bus domain events (SITLDeadlineMissed) go to;
//	                 without it none are published (the stack always sets it)
//	TABLE_PREFIX     prefix of the DynamoDB table names
//	SITL_STEP        optional: the step of payloads without a "step" field
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
//
// Task tokens of the SITL's waits are completed with Step Functions'
// SendTaskSuccess. The configuration is checked here; the service (which
// checks its tables) is made on the first invocation.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	var c sitlConfig
	var err error
	if c.archive, err = lambdaenv.Need(getenv, "ARCHIVE_BUCKET"); err != nil {
		return nil, err
	}
	if c.playlists, err = lambdaenv.Need(getenv, "PLAYLIST_BUCKET"); err != nil {
		return nil, err
	}
	c.bus = getenv("EVENT_BUS")
	steps := Steps()
	defaultStep := getenv("SITL_STEP")
	if defaultStep != "" && !slices.Contains(steps, defaultStep) {
		return nil, fmt.Errorf("SITL_STEP %q names no step; want one of %s", defaultStep, strings.Join(steps, ", "))
	}
	if _, err := telemetry.ParseLevel(getenv("LOG_LEVEL")); err != nil {
		return nil, err
	}
	if c.profile, err = mission.LoadOrDefault(getenv("MISSION_PROFILE")); err != nil {
		return nil, err
	}
	c.prefix = getenv("TABLE_PREFIX")
	svc := &lambdaenv.Lazy[*sitlcycle.Service]{Make: c.service}
	return func(ctx context.Context, ev json.RawMessage) (any, error) {
		var head struct {
			Step string `json:"step"`
		}
		if err := json.Unmarshal(ev, &head); err != nil {
			return nil, fmt.Errorf("sitl: payload: %w", err)
		}
		step := head.Step
		if step == "" {
			step = defaultStep
		}
		if !slices.Contains(steps, step) {
			return nil, fmt.Errorf("sitl: payload step %q names no step (and SITL_STEP is %q); want one of %s",
				head.Step, defaultStep, strings.Join(steps, ", "))
		}
		s, err := svc.Get(ctx)
		if err != nil {
			return nil, fmt.Errorf("sitl: configure: %w", err)
		}
		// aws-lambda-go's adapter decodes the payload into the step's
		// input type, as the local interpreter does.
		out, err := lambda.NewHandler(s.Handlers()[step]).Invoke(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(out), nil
	}, nil
}

type sitlConfig struct {
	archive, playlists, bus, prefix string
	profile                         *mission.Profile
}

func (c sitlConfig) service(ctx context.Context) (*sitlcycle.Service, error) {
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), c.prefix)
	clk := clock.Real{}
	bdm, err := burst.Open(ctx, tables, burst.Config{Burst: c.profile.Burst, Spacecraft: c.profile.Spacecraft, Clock: clk})
	if err != nil {
		return nil, err
	}
	sf := &sfnflow.Workflows{API: sfn.NewFromConfig(cfg)}
	var evs events.Publisher // a nil *eventbridge.Publisher would not be a nil Publisher
	if c.bus != "" {
		evs = &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: c.bus, Source: "magpie." + c.profile.ID}
	}
	return sitlcycle.New(ctx, sitlcycle.Config{Tables: tables, BDM: bdm, Burst: c.profile.Burst,
		Metadata: &sitlcycle.ArchiveMetadata{Catalog: catalog.New(tables), Archive: awsstore.NewObjectStore(s3c, c.archive),
			Product: c.profile.Simulation.BurstMetadata, Spacecraft: c.profile.Spacecraft},
		Playlists: awsstore.NewObjectStore(s3c, c.playlists), Clock: clk,
		Events: evs,
		Tasks: sitlcycle.SendFunc(func(tok string, out json.RawMessage) error {
			// SendFunc carries no context: the hand-over is bounded by
			// the SDK's own retries and timeouts.
			return sf.SendTaskSuccess(context.Background(), tok, out)
		})})
}
