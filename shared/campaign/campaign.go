// Package campaign runs reprocessing campaigns: a request (products or whole
// instruments and levels, spacecraft, a day range, a reason) is planned
// through the product graph into jobs, downstream levels included, written
// as a JSON-lines item list to the object store, estimated at the profile's
// prices, run by the distributed Map of statemachines/reprocess.asl.json and
// summarized into the campaigns table and an event. The four task handlers
// (plan, estimate, run-job, summarize) are plain Go functions: registered
// with shared/asl locally, deployable as Lambda functions unchanged.
//
// Planning is idempotent: a slot whose current job already has the inputs
// and processor version it would get now, and did not fail, is not planned
// again, so re-running an unchanged campaign plans nothing.
package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Event types a campaign publishes.
const (
	// CampaignCompleted carries the Summary of a finished campaign.
	CampaignCompleted = "CampaignCompleted"
)

// Defaults of a request.
const (
	DefaultConcurrency = 10
	maxDays            = 20 * 366
)

// Request is what a campaign reprocesses: the products (node ids such as
// "fgm-srvy-l2" or product keys such as "fgm/srvy/l2") or the instruments
// and levels (all levels when empty), for some spacecraft (all when empty),
// over the days Start..End (inclusive, YYYY-MM-DD).
type Request struct {
	Products    []string `json:"products,omitempty"`
	Instruments []string `json:"instruments,omitempty"`
	Levels      []string `json:"levels,omitempty"`
	Spacecraft  []string `json:"spacecraft,omitempty"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Reason      string   `json:"reason,omitempty"`
	DryRun      bool     `json:"dry_run"`
	// Concurrency is the Map's MaxConcurrency (default 10).
	Concurrency int `json:"concurrency,omitempty"`
	// ToleratedFailurePercentage of items may fail before the Map fails.
	ToleratedFailurePercentage float64 `json:"tolerated_failure_percentage,omitempty"`
}

// Reasons a job is in a plan.
const (
	ReasonNew      = "new"      // the slot was never planned
	ReasonChanged  = "changed"  // inputs or processor version differ from the current job's
	ReasonFailed   = "failed"   // the current job failed: retried
	ReasonUpstream = "upstream" // an upstream job of the same slot is in the plan
	ReasonNotRun   = "notrun"   // a required input is still missing: planned NOTRUN
)

// PlannedJob is one job of an item, in dependency order.
type PlannedJob struct {
	Node          string `json:"node"`
	PreviousJobID string `json:"previous_job_id,omitempty"`
	Reason        string `json:"reason"`
	InputBytes    int64  `json:"input_bytes"`
	InputFiles    int    `json:"input_files"`
	Outputs       int    `json:"outputs"`
}

// Item is one line of the item list: the jobs of one spacecraft and time
// tag, run in order by one Map iteration (a level's inputs are the
// previous level's outputs).
type Item struct {
	SC    string       `json:"sc"`
	Tag   string       `json:"tag"`
	Start time.Time    `json:"start"`
	Jobs  []PlannedJob `json:"jobs"`
}

// Plan is the Plan step's output and the state the later steps carry.
type Plan struct {
	CampaignID string    `json:"campaign_id"`
	Request    Request   `json:"request"`
	Planned    time.Time `json:"planned"`
	Nodes      []string  `json:"nodes"`
	// Bucket and Key locate the JSON-lines item list.
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Items  int    `json:"items"`
	Jobs   int    `json:"jobs"`
	// ByReason counts the jobs per reason.
	ByReason                   map[string]int `json:"by_reason"`
	InputBytes                 int64          `json:"input_bytes"`
	InputFiles                 int            `json:"input_files"`
	OutputFiles                int            `json:"output_files"`
	Concurrency                int            `json:"concurrency"`
	ToleratedFailurePercentage float64        `json:"tolerated_failure_percentage"`
	Estimate                   *Estimate      `json:"estimate,omitempty"`
	// Run and RunError are set by the Map state (its ResultWriter details,
	// or the error that stopped it).
	Run      *RunDetails `json:"run,omitempty"`
	RunError *StepError  `json:"run_error,omitempty"`
}

// RunDetails is the distributed Map's output with a ResultWriter.
type RunDetails struct {
	MapRunArn           string `json:"MapRunArn"`
	ResultWriterDetails struct {
		Bucket string `json:"Bucket"`
		Key    string `json:"Key"`
	} `json:"ResultWriterDetails"`
}

// StepError is a caught Step Functions error.
type StepError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// JobOutcome is what happened to one planned job.
type JobOutcome struct {
	Node    string   `json:"node"`
	JobID   string   `json:"job_id"`
	Status  string   `json:"status"`
	New     bool     `json:"new"`
	Version string   `json:"version,omitempty"`
	Outputs []string `json:"outputs,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// ItemResult is the run-job handler's output.
type ItemResult struct {
	SC   string       `json:"sc"`
	Tag  string       `json:"tag"`
	Jobs []JobOutcome `json:"jobs"`
}

// JobFailed is the error run-job returns when a job of the item failed; its
// type name is the Step Functions error name, so the Map counts the item as
// failed against ToleratedFailurePercentage.
type JobFailed struct{ Message string }

func (e *JobFailed) Error() string { return e.Message }

// Summary is a finished campaign, as stored and published.
type Summary struct {
	CampaignID string  `json:"campaign_id"`
	Reason     string  `json:"reason,omitempty"`
	Request    Request `json:"request"`
	// Status is SUCCEEDED, or FAILED when the Map stopped (too many
	// failures) or could not run.
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	Jobs      int    `json:"jobs"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	NotRun    int    `json:"notrun"`
	// Other counts jobs still PENDING or RUNNING (e.g. not reached when the
	// Map stopped early).
	Other int `json:"other"`
	// NewJobs counts jobs the campaign created (not already in the table).
	NewJobs      int       `json:"new_jobs"`
	ItemFailures int       `json:"item_failures"`
	NewVersions  []string  `json:"new_versions"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	Duration     float64   `json:"duration_seconds"`
	Estimate     *Estimate `json:"estimate,omitempty"`
}

// Service holds what the handlers need. Pipeline is the SDC's pipeline
// (the same planner, runner and jobs table the event-driven processing
// uses).
type Service struct {
	Pipeline *pipeline.Pipeline
	// Objects holds the item lists (and, through the state machine's
	// ResultWriter, the Map results); Bucket is its name as the state
	// machine sees it.
	Objects store.ObjectStore
	Bucket  string
	Tables  store.TableStore
	Events  events.Publisher
	Prices  mission.Prices
	Clock   clock.Clock
	// Settle, if set, waits until work started elsewhere (the event-driven
	// pipeline) has finished; run-job calls it when it finds one of its
	// jobs claimed by another runner. Locally: the bus's Drain.
	Settle func(ctx context.Context)
}

func (s *Service) check() error {
	if s.Pipeline == nil || s.Objects == nil || s.Tables == nil || s.Clock == nil {
		return errors.New("campaign: incomplete service configuration")
	}
	return nil
}

// window parses the request's day range into [from, to).
func (r Request) window() (time.Time, time.Time, error) {
	from, err := time.Parse(time.DateOnly, r.Start)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("start %q: want YYYY-MM-DD", r.Start)
	}
	end, err := time.Parse(time.DateOnly, r.End)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("end %q: want YYYY-MM-DD", r.End)
	}
	if end.Before(from) {
		return time.Time{}, time.Time{}, fmt.Errorf("end %s is before start %s", r.End, r.Start)
	}
	if end.Sub(from) > maxDays*24*time.Hour {
		return time.Time{}, time.Time{}, fmt.Errorf("range %s..%s is longer than %d days", r.Start, r.End, maxDays)
	}
	return from, end.AddDate(0, 0, 1), nil
}

// Validate checks a request against the mission's product graph and
// returns the selected nodes (without downstream).
func (r Request) selectNodes(g *pipeline.Graph) ([]string, error) {
	p := g.Profile
	if len(r.Products) == 0 && len(r.Instruments) == 0 {
		return nil, errors.New("give products or instruments")
	}
	for _, sc := range r.Spacecraft {
		if !p.HasSpacecraft(sc) {
			return nil, fmt.Errorf("unknown spacecraft %q (mission has %s)", sc, strings.Join(p.Spacecraft, ", "))
		}
	}
	if r.Concurrency < 0 || r.ToleratedFailurePercentage < 0 || r.ToleratedFailurePercentage > 100 {
		return nil, errors.New("concurrency must be >= 0 and tolerated_failure_percentage in 0..100")
	}
	var ids []string
	for _, want := range r.Products {
		found := false
		for _, n := range g.Nodes {
			o := n.Output
			key := o.Instrument + "/" + o.Rate + "/" + o.Level
			if o.Descriptor != "" {
				key += "/" + o.Descriptor
			}
			if n.ID == want || key == want {
				ids, found = append(ids, n.ID), true
			}
		}
		if !found {
			return nil, fmt.Errorf("product %q is not made by any node of the product graph", want)
		}
	}
	for _, in := range r.Instruments {
		found := false
		for _, n := range g.Nodes {
			if n.Output.Instrument == in && (len(r.Levels) == 0 || slices.Contains(r.Levels, n.Output.Level)) {
				ids, found = append(ids, n.ID), true
			}
		}
		if !found {
			return nil, fmt.Errorf("no node of the product graph makes %s at levels %v", in, r.Levels)
		}
	}
	return ids, nil
}
