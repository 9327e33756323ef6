// Command reprocess is the reprocessing campaign Lambda: the plan, estimate,
// run-job and summarize steps of statemachines/reprocess.asl.json, chosen by
// the payload's "action". Its configuration (environment variables) is
// documented at shared/lambdaenv/reprocess.Build, which `magpie invoke --aws` shares.
package main

import (
	"context"
	"os"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	reprocessenv "github.com/magpie-sdc/magpie/shared/lambdaenv/reprocess"
)

func main() { lambdaenv.Start("reprocess", build) }

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error) {
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return reprocessenv.Build(ctx, getenv, os.Stdout)
}
