// Package reprocess builds the reprocess function's handler from its environment
// (functions/reprocess and `magpie invoke --aws reprocess`).
package reprocess

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/jobsenv"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// Build wires the reprocessing campaign function: one function serves
// the four steps of statemachines/reprocess.asl.json (plan, estimate,
// run-job, summarize) by the payload's "action" (campaign.Service.Dispatch).
// Configuration:
//
//	DROPBOX_BUCKET   the dropbox bucket (job outputs enter through it)
//	ARCHIVE_BUCKET   the archive bucket
//	CAMPAIGN_BUCKET  the bucket of item lists and Map results (campaigns/)
//	TABLE_PREFIX     prefix of the DynamoDB table names
//	EVENT_BUS        the EventBridge bus domain events go to
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
//
// The configuration is checked here; the service (which checks its tables)
// is made on the first invocation.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	common, err := jobsenv.FromEnv(getenv, logw)
	if err != nil {
		return nil, err
	}
	c := reprocessConfig{Config: common}
	if c.campaigns, err = lambdaenv.Need(getenv, "CAMPAIGN_BUCKET"); err != nil {
		return nil, err
	}
	svc := &lambdaenv.Lazy[*campaign.Service]{Make: c.service}
	return func(ctx context.Context, ev json.RawMessage) (any, error) {
		s, err := svc.Get(ctx)
		if err != nil {
			return nil, fmt.Errorf("reprocess: configure: %w", err)
		}
		return s.Dispatch(ctx, ev)
	}, nil
}

type reprocessConfig struct {
	jobsenv.Config
	campaigns string
}

func (c reprocessConfig) service(ctx context.Context) (*campaign.Service, error) {
	d, err := c.Deps(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.Pipeline(ctx, d)
	if err != nil {
		return nil, err
	}
	return &campaign.Service{Pipeline: p, Objects: awsstore.NewObjectStore(d.S3, c.campaigns), Bucket: c.campaigns,
		Tables: d.Tables, Events: d.Events, Prices: c.Profile.Prices, Clock: d.Clock}, nil
}
