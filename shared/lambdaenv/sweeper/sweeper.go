// Package sweeper builds the sweeper function's handler from its
// environment (functions/sweeper and `magpie invoke --aws sweeper`): the
// schedules the local runtime runs on its clock (runtime.RunSchedules),
// triggered on AWS by EventBridge rules.
package sweeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/jobsenv"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
)

// The tasks, as the rules' constant input {"task": ...} names them.
const (
	TaskDropboxSweep = "dropbox-sweep"
	TaskNightly      = "nightly"
)

// Event is what the sweeper reads of its invocation: the scheduled event
// (or the rule's constant input, which replaces it) carrying the task.
type Event struct {
	Task string `json:"task"`
}

// SweepResult counts what a dropbox sweep did.
type SweepResult struct {
	Task        string `json:"task"`
	Seen        int    `json:"seen"`
	Indexed     int    `json:"indexed"`
	Duplicate   int    `json:"duplicate"`
	Quarantined int    `json:"quarantined"`
	Failed      int    `json:"failed"`
}

// NightlyResult counts what a nightly sweep did (as runtime.NightlySweep).
type NightlyResult struct {
	Task string `json:"task"`
	pipeline.SweepResult
}

// Build wires the sweeper from:
//
//	DROPBOX_BUCKET   the dropbox bucket (quarantine/ lives inside it)
//	ARCHIVE_BUCKET   the archive bucket
//	TABLE_PREFIX     prefix of the DynamoDB table names
//	EVENT_BUS        the EventBridge bus domain events go to
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
//
// The configuration is checked here; the indexer and pipeline (which
// checks its tables) are made on first use.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	c, err := jobsenv.FromEnv(getenv, logw)
	if err != nil {
		return nil, err
	}
	deps := &lambdaenv.Lazy[*deps]{Make: func(ctx context.Context) (*deps, error) { return newDeps(ctx, c) }}
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("sweeper: decode event: %w", err)
		}
		if ev.Task != TaskDropboxSweep && ev.Task != TaskNightly {
			return nil, fmt.Errorf("sweeper: task %q: want %q or %q (the rule's constant input)", ev.Task, TaskDropboxSweep, TaskNightly)
		}
		d, err := deps.Get(ctx)
		if err != nil {
			return nil, fmt.Errorf("sweeper: configure: %w", err)
		}
		if ev.Task == TaskDropboxSweep {
			return d.sweep(ctx)
		}
		p, err := d.pipeline.Get(ctx)
		if err != nil {
			return nil, fmt.Errorf("sweeper: configure pipeline: %w", err)
		}
		return d.nightly(ctx, p)
	}, nil
}

// deps are the AWS-backed parts; the pipeline (tables checked, processors
// registered) is made only when a nightly sweep first needs it.
type deps struct {
	dropbox  store.ObjectStore
	indexer  *ingest.Indexer
	pipeline *lambdaenv.Lazy[*pipeline.Pipeline]
	log      *slog.Logger
}

func newDeps(ctx context.Context, c jobsenv.Config) (*deps, error) {
	d, err := c.Deps(ctx)
	if err != nil {
		return nil, err
	}
	return &deps{dropbox: d.Dropbox, indexer: d.Indexer, log: c.Log,
		pipeline: &lambdaenv.Lazy[*pipeline.Pipeline]{Make: func(ctx context.Context) (*pipeline.Pipeline, error) {
			return c.Pipeline(ctx, d)
		}}}, nil
}

// sweep indexes every dropbox file outside quarantine/ whose event was
// missed. A file that fails is counted and logged, the others go on; the
// invocation fails only if the dropbox cannot be listed or every file failed.
func (d *deps) sweep(ctx context.Context) (SweepResult, error) {
	res := SweepResult{Task: TaskDropboxSweep}
	var keys []string
	err := store.ListAll(ctx, d.dropbox, "", func(o store.ObjectInfo) error {
		if !strings.HasPrefix(o.Key, ingest.QuarantinePrefix) {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("sweeper: list dropbox: %w", err)
	}
	var errs []error
	for _, key := range keys {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("sweeper: stopped before %s: %w", key, ctx.Err()))
			break
		}
		out, err := d.indexer.Index(ctx, key)
		res.Seen++
		switch {
		case err != nil:
			res.Failed++
			d.log.Error("ingest failed", "key", key, "err", err)
			errs = append(errs, fmt.Errorf("index %s: %w", key, err))
		case out.Result == ingest.ResultIndexed:
			res.Indexed++
		case out.Result == ingest.ResultDuplicate:
			res.Duplicate++
		case out.Result == ingest.ResultQuarantined:
			res.Quarantined++
		}
	}
	if res.Seen > 0 {
		d.log.Info("dropbox sweep", "seen", res.Seen, "indexed", res.Indexed, "quarantined", res.Quarantined, "failed", res.Failed)
	}
	if res.Failed > 0 && res.Failed == res.Seen {
		return res, fmt.Errorf("sweeper: every file failed: %w", errors.Join(errs...))
	}
	return res, nil
}

// nightly runs the pipeline's nightly sweep: what runtime.NightlySweep
// does locally.
func (d *deps) nightly(ctx context.Context, p *pipeline.Pipeline) (NightlyResult, error) {
	sum, err := p.NightlySweep(ctx)
	res := NightlyResult{Task: TaskNightly, SweepResult: sum}
	d.log.Info("nightly sweep", "replanned", res.Replanned, "now_pending", res.NowPending, "retried", res.Retried,
		"tags_examined", res.TagsExamined, "tags_healed", res.TagsHealed)
	return res, err
}
