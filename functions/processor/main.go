// Command processor is the event-driven pipeline's Lambda: the processing
// queue, fed by an EventBridge rule with the bus's FileIndexed events,
// invokes it in batches; it plans and runs the jobs each new file makes
// possible and starts a day's SITL cycle once its burst metadata is in.
// Its configuration (environment variables) is documented at
// shared/lambdaenv/processor.Build, which `magpie invoke --aws` shares.
package main

import (
	"context"
	"os"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	processorenv "github.com/magpie-sdc/magpie/shared/lambdaenv/processor"
)

func main() { lambdaenv.Start("processor", build) }

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error) {
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return processorenv.Build(ctx, getenv, os.Stdout)
}
