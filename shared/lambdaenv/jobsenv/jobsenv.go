// Package jobsenv wires what the functions that index files and run jobs
// share (processor, reprocess, sweeper): their common environment, and the
// indexer and pipeline on the AWS adapters, so each function's builder says
// only what is its own. (The indexer and api functions do not use it: it
// links the processors.)
package jobsenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// Config is the common environment:
//
//	DROPBOX_BUCKET   the dropbox bucket (job outputs enter through it)
//	ARCHIVE_BUCKET   the archive bucket
//	EVENT_BUS        the EventBridge bus domain events go to
//	TABLE_PREFIX     prefix of the DynamoDB table names
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
type Config struct {
	Dropbox, Archive, Bus, TablePrefix string
	Profile                            *mission.Profile
	Log                                *slog.Logger
}

// FromEnv reads and checks the common environment; the logger writes JSON
// lines to logw.
func FromEnv(getenv func(string) string, logw io.Writer) (Config, error) {
	var c Config
	for _, v := range []struct {
		key string
		dst *string
	}{{"DROPBOX_BUCKET", &c.Dropbox}, {"ARCHIVE_BUCKET", &c.Archive}, {"EVENT_BUS", &c.Bus}} {
		var err error
		if *v.dst, err = lambdaenv.Need(getenv, v.key); err != nil {
			return c, err
		}
	}
	level, err := telemetry.ParseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		return c, err
	}
	if c.Profile, err = mission.LoadOrDefault(getenv("MISSION_PROFILE")); err != nil {
		return c, err
	}
	c.TablePrefix = getenv("TABLE_PREFIX")
	c.Log = telemetry.NewLogger(logw, level)
	return c, nil
}

// Deps are the AWS-backed parts, made once per cold start.
type Deps struct {
	AWS              aws.Config
	S3               *s3.Client
	Tables           store.TableStore
	Dropbox, Archive store.ObjectStore
	Catalog          *catalog.Catalog
	// Events publishes to the bus: files indexed, jobs failed, campaigns.
	Events  *eventbridge.Publisher
	Indexer *ingest.Indexer
	Clock   clock.Clock
}

// Deps builds the adapters, the catalog and the indexer; it makes no AWS
// call.
func (c Config) Deps(ctx context.Context) (*Deps, error) {
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), c.TablePrefix)
	d := &Deps{AWS: cfg, S3: s3c, Tables: tables, Dropbox: awsstore.NewObjectStore(s3c, c.Dropbox),
		Archive: awsstore.NewObjectStore(s3c, c.Archive), Catalog: catalog.New(tables), Clock: clock.Real{},
		Events: &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: c.Bus, Source: "magpie." + c.Profile.ID}}
	d.Indexer = &ingest.Indexer{Profile: c.Profile, Dropbox: d.Dropbox, Archive: d.Archive, Catalog: d.Catalog,
		Events: d.Events, Clock: d.Clock, Log: c.Log}
	return d, nil
}

// Pipeline builds the pipeline on d (it checks its tables): jobs stage
// their files under /tmp, the only writable place in Lambda, and their
// outputs re-enter through d's indexer.
func (c Config) Pipeline(ctx context.Context, d *Deps) (*pipeline.Pipeline, error) {
	p, err := pipeline.New(ctx, pipeline.Config{Profile: c.Profile, Builtins: processors.Registry(c.Profile), Tables: d.Tables,
		Catalog: d.Catalog, Archive: d.Archive, Dropbox: d.Dropbox, Indexer: d.Indexer, Clock: d.Clock, Log: c.Log,
		Events: d.Events, WorkDir: filepath.Join(os.TempDir(), "magpie-work")})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return p, nil
}
