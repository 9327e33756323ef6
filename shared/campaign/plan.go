package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
)

// PlanInput is the Plan step's payload.
type PlanInput struct {
	Action     string  `json:"action"`
	CampaignID string  `json:"campaign_id"`
	Request    Request `json:"request"`
}

// ItemListKey is where a campaign's item list is written.
func ItemListKey(campaignID string) string { return "campaigns/" + campaignID + "/items.jsonl" }

// Plan expands the request through the product graph into items and
// writes them as JSON lines. It records nothing in the jobs table, so a
// dry run leaves no trace but the item list.
func (s *Service) Plan(ctx context.Context, in PlanInput) (*Plan, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if in.CampaignID == "" {
		return nil, fmt.Errorf("plan: no campaign_id")
	}
	req := in.Request
	from, to, err := req.window()
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	g := s.Pipeline.Graph
	ids, err := req.selectNodes(g)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	nodes, err := g.WithDownstream(ids)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	scs := req.Spacecraft
	if len(scs) == 0 {
		scs = g.Profile.Spacecraft
	}
	if req.Concurrency == 0 {
		req.Concurrency = DefaultConcurrency
	}
	p := &Plan{CampaignID: in.CampaignID, Request: req, Planned: s.Clock.Now().UTC(), Bucket: s.Bucket,
		Key: ItemListKey(in.CampaignID), ByReason: map[string]int{}, Concurrency: req.Concurrency,
		ToleratedFailurePercentage: req.ToleratedFailurePercentage}
	for _, n := range nodes {
		p.Nodes = append(p.Nodes, n.ID)
	}
	// Spacecraft are independent: plan them side by side (the planner only
	// reads), then list their items in the request's spacecraft order.
	perSC := make([][]*Item, len(scs))
	errs := make([]error, len(scs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, sc := range scs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			perSC[i], errs[i] = s.planSpacecraft(ctx, nodes, sc, from, to)
		}()
	}
	wg.Wait()
	var items []*Item
	for i, sc := range scs {
		if errs[i] != nil {
			return nil, fmt.Errorf("plan %s: %w", sc, errs[i])
		}
		items = append(items, perSC[i]...)
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, it := range items {
		for _, j := range it.Jobs {
			p.Jobs++
			p.ByReason[j.Reason]++
			p.InputBytes += j.InputBytes
			p.InputFiles += j.InputFiles
			p.OutputFiles += j.Outputs
		}
		if err := enc.Encode(it); err != nil {
			return nil, fmt.Errorf("plan: encode item: %w", err)
		}
	}
	p.Items = len(items)
	if _, err := s.Objects.Put(ctx, p.Key, &body, store.PutOptions{ContentType: "application/x-ndjson"}); err != nil {
		return nil, fmt.Errorf("plan: write item list: %w", err)
	}
	return p, nil
}

// planSpacecraft plans one spacecraft: nodes in dependency order, each
// over the slots its primary input has in the range plus the slots an
// upstream job of the plan will (re)make.
func (s *Service) planSpacecraft(ctx context.Context, nodes []*mission.ProductNode, sc string, from, to time.Time) ([]*Item, error) {
	planner, jobs := s.Pipeline.Planner, s.Pipeline.Jobs
	// The plan reads each input product of the spacecraft once, not once a slot.
	inputs := planner.NewInputIndex(from, to)
	byTag := map[string]*Item{}
	// dirty[node][start]: the plan will make new outputs of node there.
	dirty := map[string]map[time.Time]bool{}
	for _, n := range nodes {
		dirty[n.ID] = map[time.Time]bool{}
		starts, err := planner.SlotStarts(ctx, n, sc, from, to)
		if err != nil {
			return nil, err
		}
		upstream := map[time.Time]bool{}
		for _, up := range s.Pipeline.Graph.Upstream(n) {
			for t := range dirty[up] {
				upstream[t] = true
			}
		}
		have := make(map[time.Time]bool, len(starts))
		for _, t := range starts {
			have[t] = true
		}
		for t := range upstream {
			if !have[t] {
				starts = append(starts, t)
			}
		}
		for _, start := range starts {
			preview, err := inputs.Preview(ctx, n.ID, sc, start)
			if err != nil {
				return nil, err
			}
			tag := preview.TimeTag()
			slot, ok, err := jobs.GetSlot(ctx, n.ID, sc, tag)
			if err != nil {
				return nil, err
			}
			pj := PlannedJob{Node: n.ID, Outputs: len(pipeline.OutputExtensions(n)), InputFiles: len(preview.Inputs)}
			if ok {
				pj.PreviousJobID = slot.JobID
			}
			for _, in := range preview.Inputs {
				pj.InputBytes += in.Size
			}
			same := ok && slot.JobID == preview.ID
			if same && !upstream[start] {
				// The slot's status is the plan's; the job has the run's.
				cur, err := jobs.Get(ctx, slot.JobID)
				if err != nil {
					return nil, err
				}
				if cur.Status != pipeline.StatusFailed {
					continue // unchanged: idempotent
				}
			}
			switch {
			case upstream[start]:
				pj.Reason = ReasonUpstream
			case same:
				pj.Reason = ReasonFailed
			case preview.Status == pipeline.StatusNotRun:
				pj.Reason = ReasonNotRun
			case ok:
				pj.Reason = ReasonChanged
			default:
				pj.Reason = ReasonNew
			}
			if pj.Reason != ReasonNotRun {
				dirty[n.ID][start] = true
			}
			it := byTag[tag]
			if it == nil {
				it = &Item{SC: sc, Tag: tag, Start: start}
				byTag[it.Tag] = it
			}
			it.Jobs = append(it.Jobs, pj)
		}
	}
	out := make([]*Item, 0, len(byTag))
	for _, it := range byTag {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out, nil
}
