// Command reprocess is the reprocessing campaign Lambda: the plan, estimate,
// run-job and summarize steps of statemachines/reprocess.asl.json, chosen by
// the payload's "action". Its configuration (environment variables) is
// documented at lambdaenv.Reprocess, which `magpie invoke --aws` shares.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

func main() {
	h, err := build(context.Background(), os.Getenv)
	if err != nil {
		// A cold start that cannot configure itself must fail loudly, once.
		fmt.Fprintln(os.Stderr, "reprocess: "+err.Error())
		if rerr := lambdaenv.ReportInitError(os.Getenv, err); rerr != nil {
			fmt.Fprintln(os.Stderr, "reprocess: "+rerr.Error())
		}
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (any, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ctx = telemetry.WithRequestID(ctx, lc.AwsRequestID)
		}
		return h(ctx, payload)
	})
}

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error) {
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return lambdaenv.Reprocess(ctx, getenv, os.Stdout)
}
