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

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/lambdaenv/jobsenv"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/simulate"
	"github.com/magpie-sdc/magpie/shared/store"
)

// The tasks, as the rules' constant input {"task": ...} names them.
const (
	TaskDropboxSweep = "dropbox-sweep"
	TaskNightly      = "nightly"
	// TaskContact holds the ground-station contact of the current period
	// of the profile's simulated contacts (simulation.contacts).
	TaskContact = "contact"
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

// ContactResult is what a contact task did: the contact, and whether it
// ran now (false: it had run before, a retry).
type ContactResult struct {
	Task string `json:"task"`
	burst.Contact
	Ran bool `json:"ran"`
}

// NightlyResult counts what a nightly sweep did (as runtime.NightlySweep).
type NightlyResult struct {
	Task string `json:"task"`
	pipeline.SweepResult
	// Released files of approved instrument levels whose embargo passed.
	Released int `json:"released"`
}

// Build wires the sweeper from the environment the job-running functions
// share (jobsenv.Config: DROPBOX_BUCKET, ARCHIVE_BUCKET, EVENT_BUS,
// TABLE_PREFIX, MISSION_PROFILE, LOG_LEVEL). The configuration is checked
// here; the indexer and pipeline (which checks its tables) are made on
// first use.
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
		switch ev.Task {
		case TaskDropboxSweep, TaskNightly:
		case TaskContact:
			if !c.Profile.Simulation.Contacts.Enabled() {
				return nil, fmt.Errorf("sweeper: task %q: the mission profile simulates no ground contacts (simulation.contacts)", ev.Task)
			}
		default:
			return nil, fmt.Errorf("sweeper: task %q: want %q, %q or %q (the rule's constant input)", ev.Task, TaskDropboxSweep, TaskNightly, TaskContact)
		}
		d, err := deps.Get(ctx)
		if err != nil {
			return nil, fmt.Errorf("sweeper: configure: %w", err)
		}
		switch ev.Task {
		case TaskDropboxSweep:
			return d.sweep(ctx)
		case TaskContact:
			return d.contact(ctx, c)
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
	release  *release.Service
	dropbox  store.ObjectStore
	tables   store.TableStore
	clock    clock.Clock
	indexer  *ingest.Indexer
	pipeline *lambdaenv.Lazy[*pipeline.Pipeline]
	log      *slog.Logger
}

func newDeps(ctx context.Context, c jobsenv.Config) (*deps, error) {
	d, err := c.Deps(ctx)
	if err != nil {
		return nil, err
	}
	return &deps{dropbox: d.Dropbox, tables: d.Tables, clock: d.Clock, indexer: d.Indexer, log: c.Log,
		release: &release.Service{Catalog: d.Catalog, Tables: d.Tables, Profile: c.Profile, Clock: d.Clock},
		pipeline: &lambdaenv.Lazy[*pipeline.Pipeline]{Make: func(ctx context.Context) (*pipeline.Pipeline, error) {
			return c.Pipeline(ctx, d)
		}}}, nil
}

// contact holds the contact of the current period of the profile's
// simulated contacts on the BDM: the AWS counterpart of the local
// runtime's contacts, invoked by a schedule at each period. Run twice in a
// period (a retry), it does nothing the second time.
func (d *deps) contact(ctx context.Context, c jobsenv.Config) (ContactResult, error) {
	cfg := c.Profile.Simulation.Contacts
	res := ContactResult{Task: TaskContact}
	ct, err := simulate.ContactAt(cfg, d.clock.Now())
	if err != nil {
		return res, fmt.Errorf("sweeper: contact: %w", err)
	}
	bdm, err := burst.Open(ctx, d.tables, burst.Config{Burst: c.Profile.Burst, Spacecraft: c.Profile.Spacecraft, Clock: d.clock})
	if err != nil {
		return res, fmt.Errorf("sweeper: contact: %w", err)
	}
	log, err := burst.OpenContactLog(ctx, d.tables)
	if err != nil {
		return res, fmt.Errorf("sweeper: contact: %w", err)
	}
	res.Contact, res.Ran, err = burst.RunContact(ctx, bdm, log, ct, cfg.BuffersPerContact, c.Profile.Spacecraft)
	if err != nil {
		return res, fmt.Errorf("sweeper: %w", err)
	}
	d.log.InfoContext(ctx, "ground contact", "start", res.Start, "missed", res.Missed, "sent", res.Sent, "ran", res.Ran)
	return res, nil
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
	// The release workflow's automatic part: what the embargo allows now
	// (the stack's releases table exists; nothing to create).
	n, rerr := d.release.AutoRelease(ctx)
	res.Released = n
	d.log.Info("nightly sweep", "replanned", res.Replanned, "now_pending", res.NowPending, "retried", res.Retried,
		"tags_examined", res.TagsExamined, "tags_healed", res.TagsHealed, "feed_backfilled", res.FeedBackfilled, "released", res.Released)
	return res, errors.Join(err, rerr)
}
