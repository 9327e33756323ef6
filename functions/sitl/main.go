// Command sitl is the SITL cycle Lambda: every step of
// statemachines/sitl-cycle.asl.json, chosen by the payload's "step". Its
// configuration (environment variables) is documented at shared/lambdaenv/sitl.Build,
// which `magpie invoke --aws` shares.
package main

import (
	"context"
	"os"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	sitlenv "github.com/magpie-sdc/magpie/shared/lambdaenv/sitl"
)

func main() { lambdaenv.Start("sitl", build) }

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error) {
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return sitlenv.Build(ctx, getenv, os.Stdout)
}
