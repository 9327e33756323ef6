package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/store"
)

// The campaigns pages show reprocessing campaigns to the team: what was
// asked, what it was estimated to cost, how it went. They merge two
// sources: the campaigns table (a summary per finished campaign, the
// durable record) and, when the SDC hosts its own workflows, the
// executions of the reprocessing state machine (running campaigns and dry
// runs, which store no summary).

var (
	campaignsTemplate = pageTemplate("campaigns.html")
	campaignTemplate  = pageTemplate("campaign.html")
)

// campaignID is what a campaign id (an execution name) may be.
var campaignID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// campaignView is one campaign as the pages show it.
type campaignView struct {
	ID          string
	ExecutionID string
	// Status is the execution's (RUNNING, SUCCEEDED, FAILED, ...) or the
	// summary's; DryRun campaigns stop after the estimate.
	Status   string
	DryRun   bool
	Request  campaign.Request
	Estimate *campaign.Estimate
	// Planned jobs by reason (dry runs), and the outcome (finished runs).
	Jobs, Items                       int
	ByReason                          map[string]int
	Summary                           *campaign.Summary
	Started, Finished                 time.Time
	Error, Cause                      string
	Succeeded, Failed, NotRun, Others int
}

// What describes the request in a few words.
func (c campaignView) What() string {
	r := c.Request
	var parts []string
	if len(r.Products) > 0 {
		parts = append(parts, strings.Join(r.Products, ", "))
	}
	if len(r.Instruments) > 0 {
		levels := "all levels"
		if len(r.Levels) > 0 {
			levels = strings.Join(r.Levels, ", ")
		}
		parts = append(parts, strings.Join(r.Instruments, ", ")+" ("+levels+")")
	}
	sc := "all spacecraft"
	if len(r.Spacecraft) > 0 {
		sc = strings.Join(r.Spacecraft, ", ")
	}
	days := r.Start
	if r.End != "" && r.End != r.Start {
		days += " … " + r.End
	}
	return strings.Join(parts, "; ") + " · " + sc + " · " + days
}

// Duration is how long the campaign ran (so far, while running).
func (c campaignView) Duration(now time.Time) string {
	if c.Started.IsZero() {
		return ""
	}
	end := c.Finished
	if end.IsZero() {
		end = now
	}
	return end.Sub(c.Started).Round(time.Second).String()
}

// dryRunResult is the output of the state machine's DryRunDone state.
type dryRunResult struct {
	CampaignID string             `json:"campaign_id"`
	DryRun     bool               `json:"dry_run"`
	Jobs       int                `json:"jobs"`
	Items      int                `json:"items"`
	ByReason   map[string]int     `json:"by_reason"`
	Estimate   *campaign.Estimate `json:"estimate"`
}

// fromExecution reads a campaign out of its execution: the input is the
// request; the output the dry-run result or the summary (a failed
// campaign's summary is the cause of its CampaignFailed error).
func fromExecution(ex asl.Execution) campaignView {
	v := campaignView{ID: ex.Name, ExecutionID: ex.ID, Status: string(ex.Status), Started: ex.StartTime,
		Finished: ex.StopTime, Error: ex.Error, Cause: ex.Cause}
	_ = json.Unmarshal(ex.Input, &v.Request) // a foreign input leaves the request empty
	v.DryRun = v.Request.DryRun
	out := ex.Output
	if len(out) == 0 && ex.Error == "CampaignFailed" {
		out = json.RawMessage(ex.Cause)
	}
	if len(out) == 0 {
		return v
	}
	if v.DryRun {
		var d dryRunResult
		if json.Unmarshal(out, &d) == nil && d.DryRun {
			v.Jobs, v.Items, v.ByReason, v.Estimate = d.Jobs, d.Items, d.ByReason, d.Estimate
		}
		return v
	}
	var sum campaign.Summary
	if json.Unmarshal(out, &sum) == nil && sum.CampaignID != "" {
		v.withSummary(&sum)
	}
	return v
}

// withSummary fills the outcome from a stored or returned summary.
func (v *campaignView) withSummary(sum *campaign.Summary) {
	v.Summary = sum
	v.Jobs, v.Estimate = sum.Jobs, sum.Estimate
	v.Succeeded, v.Failed, v.NotRun, v.Others = sum.Succeeded, sum.Failed, sum.NotRun, sum.Other
	if v.Request.Start == "" {
		v.Request = sum.Request
	}
	if v.Status == "" || v.Status == string(asl.StatusSucceeded) {
		v.Status = sum.Status
	}
	if v.Started.IsZero() {
		v.Started = sum.Started
	}
	if v.Finished.IsZero() {
		v.Finished = sum.Finished
	}
	if v.Error == "" {
		v.Error = sum.Error
	}
}

// campaigns lists every campaign the SDC knows, newest first.
func (s *Server) campaigns(ctx context.Context) ([]campaignView, error) {
	wf := s.b.Workflows
	byID := map[string]*campaignView{}
	var order []string
	if wf.ListCampaigns != nil {
		exs, err := wf.ListCampaigns(ctx)
		if err != nil {
			return nil, err
		}
		for _, ex := range exs {
			v := fromExecution(ex)
			byID[v.ID] = &v
			order = append(order, v.ID)
		}
	}
	if wf.Campaigns != nil {
		sums, err := wf.Campaigns.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, sum := range sums {
			if v, ok := byID[sum.CampaignID]; ok {
				v.withSummary(sum)
				continue
			}
			v := campaignView{ID: sum.CampaignID}
			v.withSummary(sum)
			byID[v.ID] = &v
			order = append(order, v.ID)
		}
	}
	out := make([]campaignView, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, nil
}

type campaignsData struct {
	pageBase
	Configured bool
	Campaigns  []campaignView
	Counts     map[string]int
	NowTime    time.Time
}

// campaignsPage lists the campaigns with their status, request, estimate,
// counts and duration.
func (s *Server) campaignsPage(w http.ResponseWriter, r *http.Request) {
	wf := s.b.Workflows
	d := campaignsData{pageBase: s.base(r, "Reprocessing campaigns", "campaigns"), Counts: map[string]int{},
		Configured: wf.ListCampaigns != nil || wf.Campaigns != nil, NowTime: s.b.Clock.Now()}
	if d.Configured {
		var err error
		if d.Campaigns, err = s.campaigns(r.Context()); err != nil {
			s.internal(w, err)
			return
		}
	}
	for _, c := range d.Campaigns {
		d.Counts[c.Status]++
		if c.Status == string(asl.StatusRunning) {
			d.Refresh = 10
		}
	}
	s.render(w, campaignsTemplate, d)
}

type campaignData struct {
	pageBase
	Campaign campaignView
	NowTime  time.Time
}

// campaignPage shows one campaign: request, estimate, outcome, the new
// versions it made.
func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !campaignID.MatchString(id) {
		writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("campaign id %q is not valid", id))
		return
	}
	wf := s.b.Workflows
	d := campaignData{pageBase: s.base(r, "Campaign "+id, "campaigns"), NowTime: s.b.Clock.Now()}
	found := false
	if wf.DescribeCampaign != nil {
		ex, err := wf.DescribeCampaign(r.Context(), id)
		switch {
		case err == nil:
			d.Campaign, found = fromExecution(ex), true
		case !errors.Is(err, asl.ErrNotFound):
			s.internal(w, err)
			return
		}
	}
	if wf.Campaigns != nil {
		sum, err := wf.Campaigns.Get(r.Context(), id)
		switch {
		case err == nil:
			if !found {
				d.Campaign = campaignView{ID: id}
			}
			d.Campaign.withSummary(sum)
			found = true
		case !errors.Is(err, store.ErrNotFound):
			s.internal(w, err)
			return
		}
	}
	if !found {
		writeError(w, http.StatusNotFound, "not-found", "no campaign "+id)
		return
	}
	if d.Campaign.Status == string(asl.StatusRunning) {
		d.Refresh = 10
	}
	s.render(w, campaignTemplate, d)
}
