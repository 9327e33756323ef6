// Command indexer is the indexer Lambda: S3 object-created notifications for
// the dropbox bucket (through SQS, SNS or EventBridge) → validate, archive,
// catalog, announce, quarantine. Configuration comes from the environment:
//
//	DROPBOX_BUCKET   the dropbox bucket (quarantine/ lives inside it)
//	ARCHIVE_BUCKET   the archive bucket
//	TABLE_PREFIX     prefix of the DynamoDB table names (e.g. "magpie-prod-")
//	EVENT_BUS        the EventBridge bus domain events go to
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

func main() {
	h, err := build(context.Background(), os.Getenv)
	if err != nil {
		// A cold start that cannot configure itself must fail loudly, once.
		fmt.Fprintln(os.Stderr, "indexer: "+err.Error())
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (ingest.Response, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ctx = telemetry.WithRequestID(ctx, lc.AwsRequestID)
		}
		return h.Handle(ctx, payload)
	})
}

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (*ingest.Handler, error) {
	need := func(k string) (string, error) {
		if v := getenv(k); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("environment variable %s is not set", k)
	}
	dropbox, err := need("DROPBOX_BUCKET")
	if err != nil {
		return nil, err
	}
	archive, err := need("ARCHIVE_BUCKET")
	if err != nil {
		return nil, err
	}
	bus, err := need("EVENT_BUS")
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
	log := telemetry.NewLogger(os.Stdout, level)
	ix := &ingest.Indexer{
		Profile: profile,
		Dropbox: awsstore.NewObjectStore(s3c, dropbox),
		Archive: awsstore.NewObjectStore(s3c, archive),
		Catalog: catalog.New(tables),
		Events:  &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: bus, Source: "magpie." + profile.ID},
		Clock:   clock.Real{},
		Log:     log,
	}
	return &ingest.Handler{Indexer: ix, Bucket: dropbox}, nil
}
