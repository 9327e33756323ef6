package pipeline

import (
	"context"
	"errors"
	"fmt"
)

// SweepResult counts what a nightly sweep did.
type SweepResult struct {
	// Replanned NOTRUN jobs; NowPending of them found their inputs and ran.
	Replanned  int `json:"replanned"`
	NowPending int `json:"now_pending"`
	// Retried FAILED jobs (run once more each).
	Retried int `json:"retried"`
}

// NightlySweep re-plans every NOTRUN job that was not planned again since
// (an input that arrived while its event was lost, or a window that filled
// up), runs those that now have their inputs, and retries every FAILED job
// once. The local runtime runs it on its clock; the sweeper Lambda on an
// EventBridge schedule.
func (p *Pipeline) NightlySweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	notrun, err := p.Jobs.List(ctx, StatusNotRun, 0)
	if err != nil {
		return res, fmt.Errorf("nightly: list NOTRUN jobs: %w", err)
	}
	var errs []error
	for _, j := range notrun {
		if j.SupersededBy != "" {
			continue
		}
		nj, isNew, err := p.Planner.Replan(ctx, j.Node, j.SC, j.Start)
		if err != nil {
			errs = append(errs, fmt.Errorf("nightly: replan %s: %w", j.ID, err))
			continue
		}
		res.Replanned++
		if isNew && nj.Status == StatusPending {
			res.NowPending++
			if _, err := p.Runner.Run(ctx, nj.ID); err != nil {
				errs = append(errs, fmt.Errorf("nightly: run %s: %w", nj.ID, err))
			}
		}
	}
	ids, err := p.RetryFailed(ctx)
	res.Retried = len(ids)
	if err != nil {
		errs = append(errs, fmt.Errorf("nightly: retry FAILED jobs: %w", err))
	}
	return res, errors.Join(errs...)
}
