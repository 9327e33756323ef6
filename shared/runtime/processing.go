package runtime

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
)

// startProcessing validates the product graph, builds the pipeline on the
// SDC's stores and subscribes it to FileIndexed, so every indexed file
// starts the jobs it triggers and their outputs re-enter through the
// indexer. Jobs a crash left RUNNING or PENDING are run again in the
// background, as a bus event, so Close waits for them.
func (l *Local) startProcessing(ctx context.Context) error {
	p, err := pipeline.New(ctx, pipeline.Config{
		Profile: l.Profile, Builtins: processors.Registry(l.Profile), Tables: l.Tables, Catalog: l.Catalog,
		Archive: l.Archive, Dropbox: l.Dropbox, Indexer: l.Indexer, Clock: l.Clock, Log: l.Log,
		WorkDir: filepath.Join(l.DataDir, "work"), Events: l.Bus,
	})
	if err != nil {
		return fmt.Errorf("runtime: processing: %w", err)
	}
	l.Bus.Subscribe(events.FileIndexed, p.HandleEvent)
	l.Bus.Subscribe(recoverJobs, func(ctx context.Context, _ events.Event) error { return p.Recover(ctx) })
	ev, err := events.New(recoverJobs, l.Clock.Now(), struct{}{})
	if err != nil {
		return err
	}
	return l.Bus.Publish(ctx, ev)
}

// recoverJobs is the local-only event that re-runs interrupted jobs.
const recoverJobs = "ProcessingRecover"
