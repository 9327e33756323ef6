// Command api is the HTTP API Lambda: shared/api's handler (MMS SDC web
// services, the JSON API, pages) behind API Gateway's HTTP API, payload
// format 2.0. Its configuration (environment variables) is documented at
// shared/lambdaenv/api.Build, which `magpie invoke --aws` shares.
package main

import (
	"context"
	"os"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	apienv "github.com/magpie-sdc/magpie/shared/lambdaenv/api"
)

func main() { lambdaenv.Start("api", build) }

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error) {
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return apienv.Build(ctx, getenv, os.Stdout)
}
