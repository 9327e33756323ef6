package scenario

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// SDC is one SDC's adapters on AWS: what the hosted functions, the API and
// the scenario's checks share.
type SDC struct {
	Profile          *mission.Profile
	Dropbox, Archive *awsstore.ObjectStore
	Tables           *awsstore.TableStore
	Catalog          *catalog.Catalog
	Indexer          *ingest.Indexer
	Pipeline         *pipeline.Pipeline
}

// NewSDC wires the adapters of the SDC named n on cfg: S3 buckets,
// DynamoDB tables, EventBridge events, and the pipeline whose outputs
// re-enter through the indexer (so their FileIndexed events reach the
// processing queue and the next level follows), as the processing
// function does on AWS. workDir is where jobs stage their files.
func NewSDC(ctx context.Context, cfg aws.Config, n Names, profile *mission.Profile, clk clock.Clock, log *slog.Logger, workDir string) (*SDC, error) {
	s3c := awsstore.NewS3Client(cfg)
	s := &SDC{Profile: profile,
		Dropbox: awsstore.NewObjectStore(s3c, n.Dropbox), Archive: awsstore.NewObjectStore(s3c, n.Archive),
		Tables: awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), n.TablePrefix)}
	s.Catalog = catalog.New(s.Tables)
	s.Indexer = &ingest.Indexer{Profile: profile, Dropbox: s.Dropbox, Archive: s.Archive, Catalog: s.Catalog,
		Events: &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: n.Bus, Source: "magpie." + profile.ID},
		Clock:  clk, Log: log}
	var err error
	s.Pipeline, err = pipeline.New(ctx, pipeline.Config{Profile: profile, Builtins: processors.Registry(profile),
		Tables: s.Tables, Catalog: s.Catalog, Archive: s.Archive, Dropbox: s.Dropbox, Indexer: s.Indexer,
		Clock: clk, Log: log, WorkDir: workDir})
	if err != nil {
		return nil, fmt.Errorf("sdc: pipeline: %w", err)
	}
	return s, nil
}
