package campaign

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
)

// RunJobInput is one Map item as the RunJob task receives it.
type RunJobInput struct {
	Action     string `json:"action"`
	CampaignID string `json:"campaign_id"`
	Item       Item   `json:"item"`
}

// errNotFailed means a FAILED job was retried by someone else first.
var errNotFailed = errors.New("job is no longer failed")

// Spec is the campaigns table: one summary per finished campaign (the
// stack creates it from this spec).
var Spec = store.TableSpec{Name: CampaignsTable, PK: "pk"}

// RunJob runs the jobs of one item in order. Each job is planned again at
// run time, so a level sees the outputs its upstream job just made; a job
// that already exists is not run twice (a FAILED one is retried). If any
// job failed it returns a *JobFailed error, so the Map counts the item.
func (s *Service) RunJob(ctx context.Context, in RunJobInput) (*ItemResult, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	it := in.Item
	if it.SC == "" || it.Start.IsZero() || len(it.Jobs) == 0 {
		return nil, fmt.Errorf("run-job: item needs sc, start and jobs")
	}
	res := &ItemResult{SC: it.SC, Tag: it.Tag}
	var failed []string
	for _, pj := range it.Jobs {
		out, err := s.runOne(ctx, it, pj)
		if err != nil {
			return nil, fmt.Errorf("run-job %s %s %s: %w", pj.Node, it.SC, it.Tag, err)
		}
		res.Jobs = append(res.Jobs, out)
		if out.Status == pipeline.StatusFailed {
			failed = append(failed, fmt.Sprintf("%s %s %s: %s", out.Node, it.SC, it.Tag, out.Error))
		}
	}
	if len(failed) > 0 {
		return nil, &JobFailed{Message: strings.Join(failed, "; ")}
	}
	return res, nil
}

func (s *Service) runOne(ctx context.Context, it Item, pj PlannedJob) (JobOutcome, error) {
	p := s.Pipeline
	j, isNew, err := p.Planner.Replan(ctx, pj.Node, it.SC, it.Start)
	if err != nil {
		return JobOutcome{}, err
	}
	if j.Status == pipeline.StatusFailed {
		_, err := p.Jobs.Update(ctx, j.ID, func(j *pipeline.Job) error {
			if j.Status != pipeline.StatusFailed {
				return errNotFailed
			}
			j.Status = pipeline.StatusPending
			j.Messages = append(j.Messages, "re-queued by a reprocessing campaign")
			return nil
		})
		if err != nil && !errors.Is(err, errNotFailed) {
			return JobOutcome{}, err
		}
		j.Status = pipeline.StatusPending
	}
	if j.Status == pipeline.StatusPending {
		if j, err = p.Runner.Run(ctx, j.ID); err != nil {
			return JobOutcome{}, err
		}
	}
	if j.Status == pipeline.StatusRunning && s.Settle != nil {
		// The event-driven pipeline claimed it (the upstream output's
		// FileIndexed reached it first): wait for it, then read the result.
		s.Settle(ctx)
		if j, err = p.Jobs.Get(ctx, j.ID); err != nil {
			return JobOutcome{}, err
		}
	}
	return JobOutcome{Node: pj.Node, JobID: j.ID, Status: j.Status, New: isNew, Version: j.Version,
		Outputs: j.Outputs, Error: j.Error}, nil
}

// SummarizeInput is the Summarize step's payload: the plan state with the
// Map's result details or error.
type SummarizeInput struct {
	Action string `json:"action"`
	Plan   *Plan  `json:"plan"`
}

// Summarize counts the outcome of every planned job from the jobs table
// (the record of truth, whoever ran the job), stores the summary in the
// campaigns table and publishes it.
func (s *Service) Summarize(ctx context.Context, in SummarizeInput) (*Summary, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	p := in.Plan
	if p == nil || p.CampaignID == "" {
		return nil, errors.New("summarize: no plan")
	}
	sum := &Summary{CampaignID: p.CampaignID, Reason: p.Request.Reason, Request: p.Request, Status: "SUCCEEDED",
		Started: p.Planned, Estimate: p.Estimate, NewVersions: []string{}}
	if p.RunError != nil {
		sum.Status, sum.Error = "FAILED", strings.TrimSpace(p.RunError.Error+": "+p.RunError.Cause)
	}
	items, err := s.readItems(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("summarize: %w", err)
	}
	for _, it := range items {
		for _, pj := range it.Jobs {
			sum.Jobs++
			slot, ok, err := s.Pipeline.Jobs.GetSlot(ctx, pj.Node, it.SC, it.Tag)
			if err != nil {
				return nil, fmt.Errorf("summarize: %w", err)
			}
			if !ok || slot.JobID == pj.PreviousJobID && pj.Reason != ReasonFailed {
				sum.Other++ // never reached
				continue
			}
			j, err := s.Pipeline.Jobs.Get(ctx, slot.JobID)
			if err != nil {
				return nil, fmt.Errorf("summarize: %w", err)
			}
			if slot.JobID != pj.PreviousJobID {
				sum.NewJobs++
			}
			switch j.Status {
			case pipeline.StatusSucceeded:
				sum.Succeeded++
				if !j.Finished.Before(p.Planned) {
					sum.NewVersions = append(sum.NewVersions, j.Outputs...)
				}
			case pipeline.StatusFailed:
				sum.Failed++
			case pipeline.StatusNotRun:
				sum.NotRun++
			default:
				sum.Other++
			}
		}
	}
	if p.Run != nil && p.Run.ResultWriterDetails.Key != "" {
		if sum.ItemFailures, err = s.countFailedItems(ctx, p.Run.ResultWriterDetails.Key); err != nil {
			return nil, fmt.Errorf("summarize: %w", err)
		}
	}
	sum.Finished = s.Clock.Now().UTC()
	sum.Duration = sum.Finished.Sub(sum.Started).Seconds()
	if err := NewStore(s.Tables).Put(ctx, sum); err != nil {
		return nil, fmt.Errorf("summarize: %w", err)
	}
	if s.Events != nil {
		ev, err := events.New(CampaignCompleted, sum.Finished, sum)
		if err != nil {
			return nil, fmt.Errorf("summarize: %w", err)
		}
		if err := s.Events.Publish(ctx, ev); err != nil {
			return nil, fmt.Errorf("summarize: publish: %w", err)
		}
	}
	return sum, nil
}

// readItems reads a plan's item list back.
func (s *Service) readItems(ctx context.Context, p *Plan) ([]Item, error) {
	rc, _, err := s.Objects.Get(ctx, p.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("read item list %s: %w", p.Key, err)
	}
	defer rc.Close()
	var out []Item
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var it Item
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("item list %s: %w", p.Key, err)
		}
		out = append(out, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read item list %s: %w", p.Key, err)
	}
	return out, nil
}

// countFailedItems reads the ResultWriter manifest and counts the entries
// of its FAILED result files.
func (s *Service) countFailedItems(ctx context.Context, manifestKey string) (int, error) {
	var manifest struct {
		ResultFiles map[string][]struct {
			Key string `json:"Key"`
		} `json:"ResultFiles"`
	}
	if err := s.getJSON(ctx, manifestKey, &manifest); err != nil {
		return 0, err
	}
	n := 0
	for _, f := range manifest.ResultFiles["FAILED"] {
		rc, _, err := s.Objects.Get(ctx, f.Key, nil)
		if err != nil {
			return 0, fmt.Errorf("result file %s: %w", f.Key, err)
		}
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			if len(strings.TrimSpace(sc.Text())) > 0 {
				n++
			}
		}
		err = sc.Err()
		rc.Close()
		if err != nil {
			return 0, fmt.Errorf("result file %s: %w", f.Key, err)
		}
	}
	return n, nil
}

func (s *Service) getJSON(ctx context.Context, key string, v any) error {
	rc, _, err := s.Objects.Get(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// Campaigns table layout: pk = "C#<campaign id>", doc = the summary JSON,
// finished = RFC 3339 time (for listing).
const CampaignsTable = "campaigns"

// Store keeps campaign summaries on the table-store port.
type Store struct{ db store.TableStore }

// NewStore returns the campaigns repository.
func NewStore(db store.TableStore) *Store { return &Store{db: db} }

// EnsureTable creates the campaigns table if needed.
func (c *Store) EnsureTable(ctx context.Context) error {
	if err := c.db.EnsureTable(ctx, Spec); err != nil {
		return fmt.Errorf("campaigns: ensure table: %w", err)
	}
	return nil
}

// Put stores (or replaces) a summary.
func (c *Store) Put(ctx context.Context, sum *Summary) error {
	if err := c.EnsureTable(ctx); err != nil {
		return err
	}
	doc, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("campaigns: encode %s: %w", sum.CampaignID, err)
	}
	it := store.Item{"pk": "C#" + sum.CampaignID, "doc": string(doc), "finished": sum.Finished.Format("2006-01-02T15:04:05.000Z07:00")}
	if err := c.db.Put(ctx, CampaignsTable, it, store.Cond{}); err != nil {
		return fmt.Errorf("campaigns: put %s: %w", sum.CampaignID, err)
	}
	return nil
}

// Get returns a stored summary, or an error wrapping store.ErrNotFound.
func (c *Store) Get(ctx context.Context, id string) (*Summary, error) {
	it, err := c.db.Get(ctx, CampaignsTable, store.Key{PK: "C#" + id})
	if err != nil {
		return nil, fmt.Errorf("campaigns: get %s: %w", id, err)
	}
	var sum Summary
	if err := json.Unmarshal([]byte(it.String("doc")), &sum); err != nil {
		return nil, fmt.Errorf("campaigns: decode %s: %w", id, err)
	}
	return &sum, nil
}

// List returns every stored summary, the most recently finished first. The
// table holds one item per campaign (a few a week), so a scan is enough.
func (c *Store) List(ctx context.Context) ([]*Summary, error) {
	if err := c.EnsureTable(ctx); err != nil {
		return nil, err
	}
	var out []*Summary
	cursor := ""
	for {
		page, err := c.db.Scan(ctx, CampaignsTable, cursor, 0)
		if err != nil {
			return nil, fmt.Errorf("campaigns: list: %w", err)
		}
		for _, it := range page.Items {
			var sum Summary
			if err := json.Unmarshal([]byte(it.String("doc")), &sum); err != nil {
				return nil, fmt.Errorf("campaigns: decode %s: %w", it.String("pk"), err)
			}
			out = append(out, &sum)
		}
		if page.Cursor == "" {
			break
		}
		cursor = page.Cursor
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Finished.After(out[j].Finished) })
	return out, nil
}
