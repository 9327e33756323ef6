package campaign

import (
	"context"
	"errors"
	"math"
)

// Estimate is what a campaign will cost, from its plan and the profile's
// prices. It counts what the state machine does in AWS: one Lambda call
// per step and per item, the parent's and the child executions' state
// transitions, the item list and result objects, and each job's input reads
// and output writes.
type Estimate struct {
	Jobs             int     `json:"jobs"`
	Items            int     `json:"items"`
	InputBytes       int64   `json:"input_bytes"`
	LambdaRequests   int     `json:"lambda_requests"`
	LambdaGBSeconds  float64 `json:"lambda_gb_seconds"`
	StateTransitions int     `json:"state_transitions"`
	ChildExecutions  int     `json:"child_executions"`
	S3Gets           int     `json:"s3_gets"`
	S3Puts           int     `json:"s3_puts"`
	// Dollars per service and in total (USD).
	LambdaDollars        float64 `json:"lambda_usd"`
	StepFunctionsDollars float64 `json:"step_functions_usd"`
	S3Dollars            float64 `json:"s3_usd"`
	TotalDollars         float64 `json:"total_usd"`
	PriceSource          string  `json:"price_source,omitempty"`
}

// State transitions of reprocess.asl.json: the parent's path through Plan,
// Estimate, DryRun?, RunJobs, Summarize, Failed? and CampaignDone, and each
// STANDARD child execution's RunJob state (entering it and ending).
const (
	parentTransitions = 7
	childTransitions  = 2
	// stepSeconds bounds the duration of the plan, estimate and summarize
	// calls, which read the catalog and the jobs table.
	stepSeconds = 10
)

// EstimateInput is the Estimate step's payload.
type EstimateInput struct {
	Action string `json:"action"`
	Plan   *Plan  `json:"plan"`
}

// Estimate fills in the plan's estimate and returns the plan.
func (s *Service) Estimate(_ context.Context, in EstimateInput) (*Plan, error) {
	if in.Plan == nil {
		return nil, errors.New("estimate: no plan")
	}
	p := *in.Plan
	p.Estimate = s.estimate(&p)
	return &p, nil
}

// estimate prices a plan.
func (s *Service) estimate(p *Plan) *Estimate {
	pr := s.Prices
	items, jobs, inputBytes := p.Items, p.Jobs, p.InputBytes
	e := &Estimate{Jobs: jobs, Items: items, InputBytes: inputBytes, PriceSource: pr.Source}
	memGB := float64(pr.JobMemoryMB) / 1024
	// Each job: start-up plus reading its inputs at the assumed throughput.
	jobSeconds := float64(jobs) * pr.JobBaseSeconds
	if pr.JobMBPerSecond > 0 {
		jobSeconds += float64(inputBytes) / 1e6 / pr.JobMBPerSecond
	}
	steps := 3 // plan, estimate, summarize
	if p.Request.DryRun {
		steps = 2
	}
	e.LambdaRequests = steps + items
	e.LambdaGBSeconds = round(memGB*(jobSeconds+float64(steps)*stepSeconds), 3)
	e.ChildExecutions = items
	e.StateTransitions = parentTransitions + childTransitions*items
	inputFiles, outputs := p.InputFiles, p.OutputFiles
	// Reads: item list, every input file; writes: item list, outputs,
	// result files and manifest.
	e.S3Gets = 1 + inputFiles
	e.S3Puts = 1 + outputs + 3
	e.LambdaDollars = round(e.LambdaGBSeconds*pr.LambdaGBSecond+float64(e.LambdaRequests)*pr.LambdaRequest, 4)
	e.StepFunctionsDollars = round(float64(e.StateTransitions)*pr.StateTransition, 4)
	e.S3Dollars = round(float64(e.S3Gets)*pr.S3Get+float64(e.S3Puts)*pr.S3Put, 4)
	e.TotalDollars = round(e.LambdaDollars+e.StepFunctionsDollars+e.S3Dollars, 4)
	return e
}

func round(x float64, digits int) float64 {
	f := math.Pow(10, float64(digits))
	return math.Round(x*f) / f
}
