package runtime

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// WorkflowBucket is the local bucket (DataDir/workflows) that holds
// campaign item lists and Map results.
const WorkflowBucket = "workflows"

// CampaignService wires reprocessing campaigns to this SDC: a pipeline on
// the same stores and jobs table as the event-driven one (planning and
// running are stateless, the tables are shared), its outputs indexed through
// the same indexer, and the bus drained when a job was claimed by the
// event-driven pipeline.
func (l *Local) CampaignService(ctx context.Context) (*campaign.Service, error) {
	p, err := pipeline.New(ctx, pipeline.Config{
		Profile: l.Profile, Builtins: processors.Registry(l.Profile), Tables: l.Tables, Catalog: l.Catalog,
		Archive: l.Archive, Dropbox: l.Dropbox, Indexer: l.Indexer, Clock: l.Clock, Log: l.Log,
		WorkDir: filepath.Join(l.DataDir, "work"), Events: l.Bus,
	})
	if err != nil {
		return nil, fmt.Errorf("runtime: campaigns: %w", err)
	}
	objs, err := local.NewObjectStore(filepath.Join(l.DataDir, WorkflowBucket))
	if err != nil {
		return nil, fmt.Errorf("runtime: campaigns: %w", err)
	}
	return &campaign.Service{Pipeline: p, Objects: objs, Bucket: WorkflowBucket, Tables: l.Tables, Events: l.Bus,
		Prices: l.Profile.Prices, Clock: l.Clock, Settle: func(context.Context) { l.Bus.Drain() }}, nil
}
