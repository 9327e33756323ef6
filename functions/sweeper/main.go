// Command sweeper is the schedules' Lambda: EventBridge rules invoke it with
// {"task":"dropbox-sweep"} (index dropbox files whose event was missed),
// {"task":"nightly"} (re-plan NOTRUN jobs, retry FAILED ones) or
// {"task":"contact"} (hold the profile's simulated ground contact). Its
// configuration (environment variables) is documented at
// shared/lambdaenv/sweeper.Build, which `magpie invoke --aws` shares.
package main

import (
	"context"
	"os"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	sweeperenv "github.com/magpie-sdc/magpie/shared/lambdaenv/sweeper"
)

func main() { lambdaenv.Start("sweeper", build) }

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error) {
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return sweeperenv.Build(ctx, getenv, os.Stdout)
}
