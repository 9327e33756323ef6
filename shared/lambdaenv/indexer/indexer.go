// Package indexer builds the indexer function's handler from its
// environment (functions/indexer and `magpie invoke --aws indexer`).
package indexer

import (
	"context"
	"encoding/json"
	"io"

	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// Build is New as a lambdaenv.Builder.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	h, err := New(ctx, getenv, logw)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, ev json.RawMessage) (any, error) { return h.Handle(ctx, ev) }, nil
}

// New wires the indexer from:
//
//	DROPBOX_BUCKET   the dropbox bucket (quarantine/ lives inside it)
//	ARCHIVE_BUCKET   the archive bucket
//	TABLE_PREFIX     prefix of the DynamoDB table names (e.g. "magpie-prod-")
//	EVENT_BUS        the EventBridge bus domain events go to
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
func New(ctx context.Context, getenv func(string) string, logw io.Writer) (*ingest.Handler, error) {
	dropbox, err := lambdaenv.Need(getenv, "DROPBOX_BUCKET")
	if err != nil {
		return nil, err
	}
	archive, err := lambdaenv.Need(getenv, "ARCHIVE_BUCKET")
	if err != nil {
		return nil, err
	}
	bus, err := lambdaenv.Need(getenv, "EVENT_BUS")
	if err != nil {
		return nil, err
	}
	level, err := telemetry.ParseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		return nil, err
	}
	profile, err := mission.LoadOrDefault(getenv("MISSION_PROFILE"))
	if err != nil {
		return nil, err
	}
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), getenv("TABLE_PREFIX"))
	log := telemetry.NewLogger(logw, level)
	ix := &ingest.Indexer{
		Profile: profile,
		Dropbox: awsstore.NewObjectStore(s3c, dropbox),
		Archive: awsstore.NewObjectStore(s3c, archive),
		Catalog: catalog.New(tables),
		Events:  &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: bus, Source: "magpie." + profile.ID},
		Clock:   clock.Real{},
		Log:     log,
	}
	// Metrics go to the log writer as EMF lines; CloudWatch Logs turns them
	// into the Magpie/DataLatencySeconds metric the latency alarm watches.
	return &ingest.Handler{Indexer: ix, Bucket: dropbox, Metrics: telemetry.NewMetrics(logw, nil)}, nil
}
