package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/store"
	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// The campaigns pages show reprocessing campaigns to the team: what was
// asked, what it was estimated to cost, how it went. They merge two
// sources: the campaigns table (a summary per finished campaign, the
// durable record) and, when the SDC hosts its own workflows, the
// executions of the reprocessing state machine (running campaigns and dry
// runs, which store no summary).

// campaignID is what a campaign id (an execution name) may be.
var campaignID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// campaignView is one campaign as the pages show it.
type campaignView struct {
	ID          string `json:"campaign_id"`
	ExecutionID string `json:"execution_id,omitempty"`
	// Status is the execution's (RUNNING, SUCCEEDED, FAILED, ...) or the
	// summary's; DryRun campaigns stop after the estimate.
	Status   string             `json:"status"`
	DryRun   bool               `json:"dry_run"`
	Request  campaign.Request   `json:"request"`
	Estimate *campaign.Estimate `json:"estimate,omitempty"`
	// Planned jobs by reason (dry runs), and the outcome (finished runs).
	Jobs      int               `json:"jobs"`
	Items     int               `json:"items"`
	ByReason  map[string]int    `json:"by_reason,omitempty"`
	Summary   *campaign.Summary `json:"summary,omitempty"`
	Started   time.Time         `json:"started,omitzero"`
	Finished  time.Time         `json:"finished,omitzero"`
	Error     string            `json:"error,omitempty"`
	Cause     string            `json:"cause,omitempty"`
	Succeeded int               `json:"succeeded"`
	Failed    int               `json:"failed"`
	NotRun    int               `json:"notrun"`
	Others    int               `json:"others"`
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
	s.render(w, "campaigns", campaignsView(d))
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
	s.render(w, "campaign", campaignDetailView(d))
}

func campaignsView(d campaignsData) g.Node {
	if !d.Configured {
		return page(d.pageBase, muted(g.Text("This server runs no reprocessing workflows, so there are no campaigns to show.")))
	}
	var list g.Node
	if len(d.Campaigns) == 0 {
		list = muted(g.Text("No campaigns yet. Start one with "), h.Code(g.Text("magpie reprocess")), g.Text(" or "),
			h.Code(g.Text("POST /api/v1/reprocess")), g.Text("."))
	} else {
		list = h.Table(
			h.Tr(th("Campaign"), th("Status"), th("Request"), th("Reason"), thNum("Jobs"), thNum("Succeeded"), thNum("Failed"), thNum("NOTRUN"),
				thNum("Estimate"), th("Started (UTC)"), thNum("Took"), th("Links")),
			g.Map(d.Campaigns, func(c campaignView) g.Node { return campaignRow(c, d.NowTime) }),
		)
	}
	return page(d.pageBase,
		h.Div(h.Class("cards"),
			card(decimal(len(d.Campaigns)), g.Text("campaigns")),
			g.Map(slices.Sorted(maps.Keys(d.Counts)), func(st string) g.Node {
				return h.Div(h.Class("card"), h.B(h.Class("status-"+st), g.Text(decimal(d.Counts[st]))), g.Text(st))
			}),
		),
		h.H2(g.Text("Campaigns, newest first")),
		list,
	)
}

func campaignRow(c campaignView, now time.Time) g.Node {
	outcome := func(n int) string {
		if c.DryRun {
			return ""
		}
		return decimal(n)
	}
	failed := g.Text(outcome(c.Failed))
	if !c.DryRun && c.Failed > 0 {
		failed = h.Span(h.Class("bad"), g.Text(decimal(c.Failed)))
	}
	estimate := ""
	if c.Estimate != nil {
		estimate = fmt.Sprintf("$%.4f", c.Estimate.TotalDollars)
	}
	return h.Tr(
		h.Td(h.A(h.Href("/team/campaigns/"+c.ID), h.Code(h.Title(c.ID), g.Text(short(c.ID))))),
		h.Td(h.Class("status-"+c.Status), g.Text(c.Status), g.If(c.DryRun, g.Group{g.Text(" "), h.Span(h.Class("muted"), g.Text("(dry run)"))})),
		td(c.What()), td(c.Request.Reason),
		tdNum(decimal(c.Jobs)),
		tdNum(outcome(c.Succeeded)),
		h.Td(h.Class("num"), failed),
		tdNum(outcome(c.NotRun)),
		tdNum(estimate),
		td(when(c.Started)), tdNum(c.Duration(now)),
		h.Td(link("/team/campaigns/"+c.ID, "details"), g.Text(" · "), link("/api/v1/reprocess/"+c.ID, "JSON")),
	)
}

func campaignDetailView(d campaignData) g.Node {
	c := d.Campaign
	duration := c.Duration(d.NowTime)
	if duration == "" {
		duration = "–"
	}
	status := "status"
	if c.DryRun {
		status = "dry run"
	}
	errorText := c.Error
	if c.Summary == nil && c.Cause != "" {
		errorText += ": " + c.Cause
	}
	row := func(label string, value ...g.Node) g.Node { return h.Tr(th(label), h.Td(value...)) }
	return page(d.pageBase,
		h.P(h.Class("crumbs"), link("/team/campaigns", "Campaigns"), g.Text(" › "), h.Code(g.Text(c.ID))),
		h.Div(h.Class("cards"),
			h.Div(h.Class("card"), h.B(h.Class("status-"+c.Status), g.Text(c.Status)), g.Text(status)),
			card(decimal(c.Jobs), g.Text("jobs")),
			g.If(!c.DryRun, g.Group{
				h.Div(h.Class("card"), h.B(h.Class("status-SUCCEEDED"), g.Text(decimal(c.Succeeded))), g.Text("succeeded")),
				h.Div(h.Class("card"), h.B(h.Class("status-FAILED"), g.Text(decimal(c.Failed))), g.Text("failed")),
				h.Div(h.Class("card"), h.B(h.Class("status-NOTRUN"), g.Text(decimal(c.NotRun))), g.Text("NOTRUN")),
				g.If(c.Others > 0, card(decimal(c.Others), g.Text("not finished"))),
			}),
			card(duration, g.Text("duration")),
		),
		g.If(c.Error != "", h.P(h.Class("bad"), g.Text(errorText))),
		h.H2(g.Text("Request")),
		h.Table(
			row("What", g.Text(c.What())),
			row("Reason", g.Text(c.Request.Reason)),
			row("Dry run", g.Text(strconv.FormatBool(c.Request.DryRun))),
			row("Concurrency", g.Text(decimal(c.Request.Concurrency))),
			row("Tolerated failures", g.Text(fmt.Sprint(c.Request.ToleratedFailurePercentage)+" %")),
			row("Started (UTC)", g.Text(when(c.Started))),
			row("Finished (UTC)", g.Text(when(c.Finished))),
			g.If(c.ExecutionID != "", row("Execution", h.Code(g.Text(c.ExecutionID)), g.Text(" · "), link("/api/v1/reprocess/"+c.ID, "JSON"))),
		),
		g.If(len(c.ByReason) > 0, g.Group{
			h.H2(g.Text("Planned jobs by reason")),
			h.Table(h.Tr(th("Reason"), thNum("Jobs")), g.Map(slices.Sorted(maps.Keys(c.ByReason)), func(reason string) g.Node {
				return h.Tr(td(reason), tdNum(decimal(c.ByReason[reason])))
			})),
		}),
		g.Iff(c.Estimate != nil, func() g.Node { return estimateTable(c.Estimate) }),
		g.Iff(c.Summary != nil, func() g.Node { return campaignOutcome(c.Summary) }),
	)
}

func estimateTable(e *campaign.Estimate) g.Node {
	row := func(label, value string) g.Node { return h.Tr(th(label), tdNum(value)) }
	return g.Group{
		h.H2(g.Text("Estimate")),
		h.Table(
			row("Jobs · items", decimal(e.Jobs)+" · "+decimal(e.Items)),
			row("Input", humanBytes(e.InputBytes)),
			row("Lambda", fmt.Sprintf("%d requests, %.1f GB-s: $%.4f", e.LambdaRequests, e.LambdaGBSeconds, e.LambdaDollars)),
			row("Step Functions", fmt.Sprintf("%d transitions, %d child executions: $%.4f", e.StateTransitions, e.ChildExecutions, e.StepFunctionsDollars)),
			row("S3", fmt.Sprintf("%d GETs, %d PUTs: $%.4f", e.S3Gets, e.S3Puts, e.S3Dollars)),
			h.Tr(th("Total"), h.Td(h.Class("num"), h.B(g.Textf("$%.4f", e.TotalDollars)))),
		),
		muted(g.Text(e.PriceSource)),
	}
}

func campaignOutcome(sum *campaign.Summary) g.Node {
	var versions g.Node
	if len(sum.NewVersions) == 0 {
		versions = muted(g.Text("None: every planned job was already up to date or did not succeed."))
	} else {
		versions = h.Table(h.Tr(th("File")), g.Map(sum.NewVersions, func(name string) g.Node {
			return h.Tr(h.Td(h.A(h.Href("/team/files/"+url.PathEscape(name)+"/download"), h.Code(g.Text(name)))))
		}))
	}
	return g.Group{
		h.H2(g.Textf("New versions (%d)", len(sum.NewVersions))),
		versions,
		h.P(link("/team/jobs", "Processing jobs"), g.If(sum.ItemFailures > 0, g.Group{
			g.Text(" · "), h.Span(h.Class("bad"), g.Textf("%d failed items", sum.ItemFailures)),
			g.Text(" ("), link("/team/jobs?status=FAILED", "failed jobs"), g.Text(")"),
		})),
	}
}
