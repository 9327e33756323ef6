package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/statemachines"
)

// DefinitionFile is the campaign state machine in statemachines/.
const DefinitionFile = "reprocess.asl.json"

// Local handler names the definition's placeholders resolve to.
const (
	PlanHandler      = "campaign-plan"
	EstimateHandler  = "campaign-estimate"
	RunJobHandler    = "campaign-run-job"
	SummarizeHandler = "campaign-summarize"
)

// LocalSubstitutions map the definition's ${...} placeholders to the local
// handler names and the bucket name.
func LocalSubstitutions(bucket string) map[string]string {
	return map[string]string{
		"PlanFunctionArn": PlanHandler, "EstimateFunctionArn": EstimateHandler,
		"RunJobFunctionArn": RunJobHandler, "SummarizeFunctionArn": SummarizeHandler,
		"CampaignBucket": bucket,
	}
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Substitute replaces ${Name} placeholders as CloudFormation's
// DefinitionSubstitutions do; a placeholder without a value is an error.
func Substitute(def []byte, subs map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := subs[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		b, _ := json.Marshal(v) // a JSON string: keep quotes and escapes right
		return b[1 : len(b)-1]
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no substitution for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// Definition loads statemachines/reprocess.asl.json with the given
// substitutions.
func Definition(subs map[string]string) (*asl.Definition, error) {
	raw, err := statemachines.Files.ReadFile(DefinitionFile)
	if err != nil {
		return nil, fmt.Errorf("campaign: %w", err)
	}
	b, err := Substitute(raw, subs)
	if err != nil {
		return nil, fmt.Errorf("campaign: %s: %w", DefinitionFile, err)
	}
	def, err := asl.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("campaign: %s: %w", DefinitionFile, err)
	}
	def.Name = "reprocess"
	return def, nil
}

// Handlers are the four task handlers under their local names.
func (s *Service) Handlers() map[string]any {
	return map[string]any{
		PlanHandler:      s.Plan,
		EstimateHandler:  s.Estimate,
		RunJobHandler:    s.RunJob,
		SummarizeHandler: s.Summarize,
	}
}

// Dispatch serves all four actions from one function, by the payload's
// "action" field: the shape of a single deployed Lambda.
func (s *Service) Dispatch(ctx context.Context, payload json.RawMessage) (any, error) {
	var head struct {
		Action string `json:"action"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return nil, fmt.Errorf("campaign: payload: %w", err)
	}
	decode := func(v any) error {
		if err := json.Unmarshal(payload, v); err != nil {
			return fmt.Errorf("campaign: %s payload: %w", head.Action, err)
		}
		return nil
	}
	switch head.Action {
	case "plan":
		var in PlanInput
		if err := decode(&in); err != nil {
			return nil, err
		}
		return s.Plan(ctx, in)
	case "estimate":
		var in EstimateInput
		if err := decode(&in); err != nil {
			return nil, err
		}
		return s.Estimate(ctx, in)
	case "run-job":
		var in RunJobInput
		if err := decode(&in); err != nil {
			return nil, err
		}
		return s.RunJob(ctx, in)
	case "summarize":
		var in SummarizeInput
		if err := decode(&in); err != nil {
			return nil, err
		}
		return s.Summarize(ctx, in)
	}
	return nil, fmt.Errorf("campaign: unknown action %q", head.Action)
}

// NewEngine builds an interpreter wired to the service: its handlers, its
// object store for the item list and results, and the given persistence.
// observe, if set, sees every history event.
func (s *Service) NewEngine(persist asl.Persistence, observe func(executionID string, ev asl.HistoryEvent)) (*asl.Engine, *asl.Definition, error) {
	def, err := Definition(LocalSubstitutions(s.Bucket))
	if err != nil {
		return nil, nil, err
	}
	eng, err := asl.NewEngine(asl.Config{Clock: s.Clock, Handlers: s.Handlers(), Objects: s.Objects, Persistence: persist,
		Observer: observe})
	if err != nil {
		return nil, nil, fmt.Errorf("campaign: %w", err)
	}
	return eng, def, nil
}
