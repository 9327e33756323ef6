// Command indexer is the indexer Lambda: S3 object-created notifications for
// the dropbox bucket (through SQS, SNS or EventBridge) → validate, archive,
// catalog, announce, quarantine. Its configuration (environment variables)
// is documented at lambdaenv.Indexer, which `magpie invoke --aws` shares.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

func main() {
	h, err := build(context.Background(), os.Getenv)
	if err != nil {
		// A cold start that cannot configure itself must fail loudly, once.
		fmt.Fprintln(os.Stderr, "indexer: "+err.Error())
		if rerr := lambdaenv.ReportInitError(os.Getenv, err); rerr != nil {
			fmt.Fprintln(os.Stderr, "indexer: "+rerr.Error())
		}
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
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return lambdaenv.Indexer(ctx, getenv, os.Stdout)
}
