package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/store"
)

// SweepResult counts what a nightly sweep did.
type SweepResult struct {
	// Replanned NOTRUN jobs; NowPending of them found their inputs and ran.
	Replanned  int `json:"replanned"`
	NowPending int `json:"now_pending"`
	// Retried FAILED jobs (run once more each).
	Retried int `json:"retried"`
	// TagsExamined catalog records had their archive tags checked this
	// run; TagsHealed archive objects got tags they lacked.
	TagsExamined int `json:"tags_examined"`
	TagsHealed   int `json:"tags_healed"`
	// FeedBackfilled records cataloged before the change feed existed
	// joined it (a one-off migration, resumed across nights if cut short).
	FeedBackfilled int `json:"feed_backfilled"`
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
	// Old records join the change feed first: tag healing walks the feed,
	// and starts over when records joined it behind its position.
	if res.FeedBackfilled, err = p.Runner.Catalog.BackfillChangeFeed(ctx, nil); err != nil {
		errs = append(errs, fmt.Errorf("nightly: %w", err))
	}
	if res.FeedBackfilled > 0 {
		if err := p.tables.Delete(ctx, JobsTable, tagHealKey, store.Cond{}); err != nil {
			errs = append(errs, fmt.Errorf("nightly: restart tag healing: %w", err))
		}
	}
	heal, err := p.HealArchiveTags(ctx)
	res.TagsExamined, res.TagsHealed = heal.Examined, heal.Retagged
	if err != nil {
		errs = append(errs, fmt.Errorf("nightly: %w", err))
	}
	return res, errors.Join(errs...)
}

// DefaultTagHealBatch is how many catalog records one nightly sweep checks
// the archive tags of: at two requests each (HEAD and GetObjectTagging on
// S3) a few cents a year, and a mission's backlog of untagged files is
// worked off over successive nights.
const DefaultTagHealBatch = 5000

// tagHealKey is the jobs-table item holding how far tag healing has got
// (the catalog change feed's cursor). Its pk prefix is its own, and it has
// no status attribute, so job listings never see it.
var tagHealKey = store.Key{PK: "W#archive-tags", SK: "W"}

// HealArchiveTags gives archive objects the level/kind/superseded tags they
// lack (see ingest.HealTags), for the next batch of catalog records after
// where the previous run stopped, and saves the new position. Once it has
// caught up it only looks at files cataloged since the previous run.
func (p *Pipeline) HealArchiveTags(ctx context.Context) (ingest.TagHealResult, error) {
	cursor := ""
	it, err := p.tables.Get(ctx, JobsTable, tagHealKey)
	switch {
	case err == nil:
		cursor = it.String("cursor")
	case !errors.Is(err, store.ErrNotFound):
		return ingest.TagHealResult{}, fmt.Errorf("archive tags: read position: %w", err)
	}
	res, healErr := ingest.HealTags(ctx, p.Runner.Archive, p.Runner.Catalog, cursor, p.tagHealBatch, p.Runner.Clock.Now())
	if res.Cursor != cursor {
		item := store.Item{"pk": tagHealKey.PK, "sk": tagHealKey.SK, "cursor": res.Cursor}
		if err := p.tables.Put(ctx, JobsTable, item, store.Cond{}); err != nil {
			return res, errors.Join(healErr, fmt.Errorf("archive tags: save position: %w", err))
		}
	}
	p.log.InfoContext(ctx, "archive tags healed", "examined", res.Examined, "retagged", res.Retagged, "batch", p.tagHealBatch, "caught_up", res.Examined < p.tagHealBatch)
	if healErr != nil {
		return res, fmt.Errorf("archive tags: %w", healErr)
	}
	return res, nil
}
