package lambdaenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// Start is the whole main of a function in functions/: it builds the
// handler once per cold start, reports a configuration failure to the
// Runtime API and exits, or serves invocations with the Lambda request id
// in the context (so every log line carries it).
func Start(name string, build func(ctx context.Context, getenv func(string) string) (Handler, error)) {
	h, err := build(context.Background(), os.Getenv)
	if err != nil {
		// A cold start that cannot configure itself must fail loudly, once.
		fmt.Fprintln(os.Stderr, name+": "+err.Error())
		if rerr := ReportInitError(os.Getenv, err); rerr != nil {
			fmt.Fprintln(os.Stderr, name+": "+rerr.Error())
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
