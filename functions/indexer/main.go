// Command indexer is the indexer Lambda: S3 object-created notifications for
// the dropbox bucket (through SQS, SNS or EventBridge) → validate, archive,
// catalog, announce, quarantine. Its configuration (environment variables)
// is documented at shared/lambdaenv/indexer.New, which `magpie invoke --aws` shares.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/indexer"
)

func main() {
	lambdaenv.Start("indexer", func(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error) {
		h, err := build(ctx, getenv)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, ev json.RawMessage) (any, error) { return h.Handle(ctx, ev) }, nil
	})
}

// build wires the handler once per cold start.
func build(ctx context.Context, getenv func(string) string) (*ingest.Handler, error) {
	// JSON logs go to stdout, which Lambda sends to CloudWatch.
	return indexer.New(ctx, getenv, os.Stdout)
}
