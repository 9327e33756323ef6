package runtime

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
)

// Defaults of the schedules.
const (
	DefaultNightlyAt    = 2 * time.Hour // 02:00 UTC
	DefaultSITLDeadline = sitlcycle.DefaultDeadline
)

// ScheduleConfig says what the local runtime runs on its clock: what
// EventBridge schedules and rules trigger on AWS.
type ScheduleConfig struct {
	// NightlyAt is the time of day (UTC, as an offset from midnight) of the
	// nightly sweep that re-plans NOTRUN jobs and retries FAILED ones
	// (default 02:00). Negative disables it.
	NightlyAt time.Duration
	// SweepEvery re-lists the dropbox for files whose event was missed
	// (0: never).
	SweepEvery time.Duration
	// Workflows, when set, starts a SITL cycle when a day's burst metadata
	// has arrived from every spacecraft.
	Workflows *Workflows
	// SITLDeadline is how long after the cycle starts the SITL may submit
	// (default 2 h).
	SITLDeadline time.Duration
	// Contacts, with Workflows, holds the profile's simulated
	// ground-station contacts (simulation.contacts) on the clock: each held
	// contact downlinks the BDM's playlist in FOM order.
	Contacts bool
	// Subscribed, if set, is called once the SITL trigger listens on the
	// bus: start indexing after it, or the first files' events are missed.
	Subscribed func()
}

// RunSchedules runs the schedules until ctx ends: the nightly sweep, the
// periodic dropbox sweep, the SITL trigger (a FileIndexed subscription
// on the bus) and the simulated ground contacts. Errors of one run are logged; the schedules go on.
func (l *Local) RunSchedules(ctx context.Context, cfg ScheduleConfig) error {
	if cfg.NightlyAt == 0 {
		cfg.NightlyAt = DefaultNightlyAt
	}
	if cfg.NightlyAt >= 24*time.Hour {
		return fmt.Errorf("runtime: nightly sweep at %s: want a time of day below 24h", cfg.NightlyAt)
	}
	if cfg.SITLDeadline <= 0 {
		cfg.SITLDeadline = DefaultSITLDeadline
	}
	contacts := cfg.Contacts && cfg.Workflows != nil
	if contacts && !l.Profile.Simulation.Contacts.Enabled() {
		l.Log.Info("no ground contacts: the profile has no simulation.contacts")
		contacts = false
	}
	var p *pipeline.Pipeline
	if cfg.NightlyAt > 0 {
		var err error
		if p, err = l.Pipeline(ctx); err != nil {
			return err
		}
	}
	if cfg.Workflows != nil {
		trig := &sitlcycle.Trigger{Profile: l.Profile, Catalog: l.Catalog, Clock: l.Clock, Deadline: cfg.SITLDeadline,
			Start: cfg.Workflows.StartSITLCycle, Log: l.Log}
		l.Bus.Subscribe(events.FileIndexed, func(ctx context.Context, e events.Event) error {
			if ctx.Err() != nil { // the schedules stopped; the bus lives on
				return nil
			}
			return trig.Handle(ctx, e)
		})
	}
	if cfg.Subscribed != nil {
		cfg.Subscribed()
	}
	var wg sync.WaitGroup
	if p != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.every(ctx, func(now time.Time) time.Duration { return untilTimeOfDay(now, cfg.NightlyAt) }, func() {
				res, err := l.NightlySweep(ctx, p)
				if err != nil {
					l.Log.Error("nightly sweep", "err", err)
				}
				l.Log.Info("nightly sweep", "replanned", res.Replanned, "now_pending", res.NowPending, "retried", res.Retried,
					"released", res.Released)
			})
		}()
	}
	if contacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.runContacts(ctx, cfg.Workflows)
		}()
	}
	if cfg.SweepEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.every(ctx, func(time.Time) time.Duration { return cfg.SweepEvery }, func() {
				res, err := l.Sweep(ctx, nil)
				if err != nil {
					l.Log.Error("dropbox sweep", "err", err)
				} else if res.Seen > 0 {
					l.Log.Info("dropbox sweep", "seen", res.Seen, "indexed", res.Indexed, "quarantined", res.Quarantined, "failed", res.Failed)
				}
			})
		}()
	}
	wg.Wait()
	<-ctx.Done() // the SITL trigger listens until then
	return nil
}

// every runs fn after each wait that next computes, on the injected clock,
// until ctx ends.
func (l *Local) every(ctx context.Context, next func(now time.Time) time.Duration, fn func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.Clock.After(next(l.Clock.Now())):
		}
		if ctx.Err() != nil {
			return
		}
		fn()
	}
}

// untilTimeOfDay is the wait from now to the next at (offset from UTC
// midnight) strictly after now.
func untilTimeOfDay(now time.Time, at time.Duration) time.Duration {
	now = now.UTC()
	t := now.Truncate(24 * time.Hour).Add(at)
	if !t.After(now) {
		t = t.Add(24 * time.Hour)
	}
	return t.Sub(now)
}

// Pipeline is a pipeline on the SDC's stores and jobs table, as the
// event-driven one (planning and running are stateless): for the
// schedules, and for `magpie invoke processor`.
func (l *Local) Pipeline(ctx context.Context) (*pipeline.Pipeline, error) {
	p, err := pipeline.New(ctx, pipeline.Config{
		Profile: l.Profile, Builtins: processors.Registry(l.Profile), Tables: l.Tables, Catalog: l.Catalog,
		Archive: l.Archive, Dropbox: l.Dropbox, Indexer: l.Indexer, Clock: l.Clock, Log: l.Log,
		WorkDir: filepath.Join(l.DataDir, "work"), Events: l.Bus,
	})
	if err != nil {
		return nil, fmt.Errorf("runtime: schedules: %w", err)
	}
	return p, nil
}

// NightlyResult counts what a nightly sweep did.
type NightlyResult struct {
	pipeline.SweepResult
	// Released files of approved instrument levels whose embargo passed.
	Released int `json:"released"`
}

// NightlySweep runs the pipeline's nightly sweep (see
// pipeline.Pipeline.NightlySweep) on the local SDC.
func (l *Local) NightlySweep(ctx context.Context, p *pipeline.Pipeline) (NightlyResult, error) {
	sum, err := p.NightlySweep(ctx)
	res := NightlyResult{SweepResult: sum}
	// The release workflow's automatic part: what the embargo allows now.
	rel := &release.Service{Catalog: l.Catalog, Tables: l.Tables, Profile: l.Profile, Clock: l.Clock}
	if rerr := rel.EnsureTable(ctx); rerr != nil {
		return res, errors.Join(err, rerr)
	}
	n, rerr := rel.AutoRelease(ctx)
	res.Released = n
	return res, errors.Join(err, rerr)
}

// DayWindow is the SITL window of a UTC day (sitlcycle.DayWindow).
func DayWindow(day time.Time, bufferSeconds int) (sitlcycle.Window, error) {
	return sitlcycle.DayWindow(day, bufferSeconds)
}
