// Package reprocess builds the reprocess function's handler from its environment
// (functions/reprocess and `magpie invoke --aws reprocess`).
package reprocess

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// Build wires the reprocessing campaign function: one function serves
// the four steps of statemachines/reprocess.asl.json (plan, estimate,
// run-job, summarize) by the payload's "action" (campaign.Service.Dispatch).
// Configuration:
//
//	DROPBOX_BUCKET   the dropbox bucket (job outputs enter through it)
//	ARCHIVE_BUCKET   the archive bucket
//	CAMPAIGN_BUCKET  the bucket of item lists and Map results (campaigns/)
//	TABLE_PREFIX     prefix of the DynamoDB table names
//	EVENT_BUS        the EventBridge bus domain events go to
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
//
// The configuration is checked here; the service (which checks its tables)
// is made on the first invocation.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	var c reprocessConfig
	for _, v := range []struct {
		key string
		dst *string
	}{{"DROPBOX_BUCKET", &c.dropbox}, {"ARCHIVE_BUCKET", &c.archive}, {"CAMPAIGN_BUCKET", &c.campaigns}, {"EVENT_BUS", &c.bus}} {
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
	c.prefix = getenv("TABLE_PREFIX")
	c.log = telemetry.NewLogger(logw, level)
	svc := &lambdaenv.Lazy[*campaign.Service]{Make: c.service}
	return func(ctx context.Context, ev json.RawMessage) (any, error) {
		s, err := svc.Get(ctx)
		if err != nil {
			return nil, fmt.Errorf("reprocess: configure: %w", err)
		}
		return s.Dispatch(ctx, ev)
	}, nil
}

type reprocessConfig struct {
	dropbox, archive, campaigns, bus, prefix string
	profile                                  *mission.Profile
	log                                      *slog.Logger
}

func (c reprocessConfig) service(ctx context.Context) (*campaign.Service, error) {
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), c.prefix)
	evs := &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: c.bus, Source: "magpie." + c.profile.ID}
	dropbox, archive := awsstore.NewObjectStore(s3c, c.dropbox), awsstore.NewObjectStore(s3c, c.archive)
	cat := catalog.New(tables)
	ix := &ingest.Indexer{Profile: c.profile, Dropbox: dropbox, Archive: archive, Catalog: cat, Events: evs,
		Clock: clock.Real{}, Log: c.log}
	p, err := pipeline.New(ctx, pipeline.Config{Profile: c.profile, Builtins: processors.Registry(c.profile), Tables: tables,
		Catalog: cat, Archive: archive, Dropbox: dropbox, Indexer: ix, Clock: clock.Real{}, Log: c.log, Events: evs,
		// /tmp is the only writable place in Lambda.
		WorkDir: filepath.Join(os.TempDir(), "magpie-work")})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return &campaign.Service{Pipeline: p, Objects: awsstore.NewObjectStore(s3c, c.campaigns), Bucket: c.campaigns,
		Tables: tables, Events: evs, Prices: c.profile.Prices, Clock: clock.Real{}}, nil
}
