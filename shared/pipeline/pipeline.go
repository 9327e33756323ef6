package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Config wires a pipeline.
type Config struct {
	Profile *mission.Profile
	// Builtins are the Go processors (shared/processors.Registry()); the
	// profile's external processors are added to them.
	Builtins Registry
	Tables   store.TableStore
	Catalog  *catalog.Catalog
	Archive  store.ObjectStore
	Dropbox  store.ObjectStore
	Indexer  Ingester
	Clock    clock.Clock
	Log      *slog.Logger
	WorkDir  string
	// Events receives JobFailed events (nil: none are published).
	Events events.Publisher
	// TagHealBatch bounds how many catalog records one nightly sweep
	// checks the archive tags of; 0 means DefaultTagHealBatch.
	TagHealBatch int
	// ExternalTimeout bounds an external processor run unless its
	// declaration says otherwise; 0 means one hour.
	ExternalTimeout time.Duration
}

// Pipeline plans and runs the jobs that indexed files start.
type Pipeline struct {
	Graph   *Graph
	Jobs    *Jobs
	Planner *Planner
	Runner  *Runner
	log     *slog.Logger
	// tables holds the sweep's own state (the tag-healing cursor) in the
	// jobs table.
	tables       store.TableStore
	tagHealBatch int
}

// New validates the product graph and prepares the jobs table.
func New(ctx context.Context, cfg Config) (*Pipeline, error) {
	if cfg.Profile == nil || cfg.Tables == nil || cfg.Catalog == nil || cfg.Archive == nil || cfg.Dropbox == nil ||
		cfg.Indexer == nil || cfg.Clock == nil || cfg.WorkDir == "" {
		return nil, errors.New("pipeline: incomplete configuration")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ExternalTimeout == 0 {
		cfg.ExternalTimeout = time.Hour
	}
	reg := Registry{}
	for id, p := range cfg.Builtins {
		reg[id] = p
	}
	g, err := NewGraph(cfg.Profile, reg.IDs())
	if err != nil {
		return nil, err
	}
	if err := reg.AddExternal(cfg.Profile.Processors, cfg.ExternalTimeout); err != nil {
		return nil, err
	}
	jobs := NewJobs(cfg.Tables)
	if err := jobs.EnsureTable(ctx); err != nil {
		return nil, err
	}
	if cfg.TagHealBatch <= 0 {
		cfg.TagHealBatch = DefaultTagHealBatch
	}
	return &Pipeline{
		Graph: g, Jobs: jobs, log: cfg.Log, tables: cfg.Tables, tagHealBatch: cfg.TagHealBatch,
		Planner: &Planner{Graph: g, Registry: reg, Catalog: cfg.Catalog, Jobs: jobs, Clock: cfg.Clock},
		Runner: &Runner{Profile: cfg.Profile, Graph: g, Registry: reg, Catalog: cfg.Catalog, Jobs: jobs, Archive: cfg.Archive,
			Dropbox: cfg.Dropbox, Indexer: cfg.Indexer, Clock: cfg.Clock, Log: cfg.Log, Events: cfg.Events, WorkDir: cfg.WorkDir},
	}, nil
}

// HandleEvent is the FileIndexed handler: it plans the jobs the file
// starts and runs them. Outputs are indexed, which publishes their own
// FileIndexed events, so the next levels follow. Safe to deliver twice.
func (p *Pipeline) HandleEvent(ctx context.Context, e events.Event) error {
	if e.Type != events.FileIndexed {
		return nil
	}
	var rec catalog.Record
	if err := json.Unmarshal(e.Detail, &rec); err != nil {
		return fmt.Errorf("pipeline: FileIndexed detail: %w", err)
	}
	jobs, err := p.Planner.OnFile(ctx, rec)
	errs := []error{err}
	for _, j := range jobs {
		if _, err := p.Runner.Run(ctx, j.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pipeline: %s: %w", rec.Name, err)
	}
	return nil
}

// Recover is run at start-up: jobs left RUNNING by a crash go back to
// PENDING, and every PENDING job runs.
func (p *Pipeline) Recover(ctx context.Context) error {
	running, err := p.Jobs.List(ctx, StatusRunning, 0)
	if err != nil {
		return err
	}
	for _, j := range running {
		if _, err := p.Jobs.Update(ctx, j.ID, func(j *Job) error {
			if j.Status == StatusRunning {
				j.Status = StatusPending
				j.Messages = append(j.Messages, "attempt interrupted; re-queued at start-up")
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return p.RunPending(ctx)
}

// RunPending runs every PENDING job.
func (p *Pipeline) RunPending(ctx context.Context) error {
	pending, err := p.Jobs.List(ctx, StatusPending, 0)
	if err != nil {
		return err
	}
	var errs []error
	for _, j := range pending {
		if _, err := p.Runner.Run(ctx, j.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RequeueFailed moves every FAILED job back to PENDING and returns their
// ids; run them with RunPending (or let the SDC's start-up sweep do it).
func RequeueFailed(ctx context.Context, jobs *Jobs) ([]string, error) {
	failed, err := jobs.List(ctx, StatusFailed, 0)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, j := range failed {
		_, err := jobs.Update(ctx, j.ID, func(j *Job) error {
			if j.Status != StatusFailed {
				return errNotPending
			}
			j.Status = StatusPending
			return nil
		})
		if errors.Is(err, errNotPending) {
			continue
		}
		if err != nil {
			return ids, err
		}
		ids = append(ids, j.ID)
	}
	return ids, nil
}

// RetryFailed re-queues the FAILED jobs and runs them.
func (p *Pipeline) RetryFailed(ctx context.Context) ([]string, error) {
	ids, err := RequeueFailed(ctx, p.Jobs)
	if err != nil {
		return ids, err
	}
	var errs []error
	for _, id := range ids {
		if _, err := p.Runner.Run(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return ids, errors.Join(errs...)
}
