package runtime

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/oklog/ulid/v2"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/statemachines"
)

// The region and account the local interpreter puts in ARNs (the engine's
// defaults), so the SITL definition's function ARNs name its handlers.
const (
	localRegion  = "us-east-1"
	localAccount = "123456789012"
)

// State machine names of the local executions (the ARN's
// execution:<name>:<execution> part).
const (
	ReprocessMachine = "reprocess"
	SITLMachine      = "sitl-cycle"
)

// WorkflowsConfig tunes the workflows host.
type WorkflowsConfig struct {
	// Observer, if set, sees every history event of every execution (after
	// the host's own bookkeeping). It must not block for long.
	Observer func(executionID string, ev asl.HistoryEvent)
}

// Workflows hosts the SDC's state machines on one interpreter: the
// reprocessing campaign and the SITL cycle, their executions persisted in
// the SDC's tables (asl_executions, asl_history: what `magpie workflow
// list` reads), so executions survive a restart of the server.
type Workflows struct {
	Engine    *asl.Engine
	Campaigns *campaign.Service
	SITL      *sitlcycle.Service
	BDM       *burst.BDM
	// Contacts records the simulated ground-station contacts.
	Contacts *burst.ContactLog

	l         *Local
	reprocess *asl.Definition
	sitlDef   *asl.Definition
	observer  func(string, asl.HistoryEvent)

	mu        sync.Mutex
	estimates map[string]chan json.RawMessage // execution id → waiting StartCampaign
}

// StartWorkflows builds the workflows host, resumes the executions a
// previous run left RUNNING and hands the SITL cycles what was submitted
// while the SDC was stopped. Close it before closing l.
func (l *Local) StartWorkflows(ctx context.Context, cfg WorkflowsConfig) (*Workflows, error) {
	w := &Workflows{l: l, observer: cfg.Observer, estimates: map[string]chan json.RawMessage{}}
	camp, err := l.CampaignService(ctx)
	if err != nil {
		return nil, err
	}
	w.Campaigns = camp
	w.BDM, err = burst.Open(ctx, l.Tables, burst.Config{Burst: l.Profile.Burst, Spacecraft: l.Profile.Spacecraft, Clock: l.Clock})
	if err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	if w.Contacts, err = burst.OpenContactLog(ctx, l.Tables); err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	// The SITL service reaches the engine through a closure: the engine is
	// built with the service's handlers.
	w.SITL, err = sitlcycle.New(ctx, sitlcycle.Config{Tables: l.Tables, BDM: w.BDM, Burst: l.Profile.Burst,
		Metadata: &sitlcycle.ArchiveMetadata{Catalog: l.Catalog, Archive: l.Archive,
			Product: l.Profile.Simulation.BurstMetadata, Spacecraft: l.Profile.Spacecraft},
		Playlists: l.Archive, Notify: l.Bus, Events: l.Bus, Clock: l.Clock,
		Tasks: sitlcycle.SendFunc(func(tok string, out json.RawMessage) error { return w.Engine.SendTaskSuccess(tok, out) })})
	if err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	if w.reprocess, err = campaign.Definition(campaign.LocalSubstitutions(camp.Bucket)); err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	w.reprocess.Name = ReprocessMachine
	raw, err := statemachines.Files.ReadFile("sitl-cycle.asl.json")
	if err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	if w.sitlDef, err = sitlcycle.LoadDefinition(raw, sitlcycle.LocalSubstitutions(localRegion, localAccount)); err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	w.sitlDef.Name = SITLMachine

	persist, err := asl.NewTablePersistence(ctx, l.Tables)
	if err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	handlers := camp.Handlers()
	for name, h := range w.SITL.Handlers() {
		handlers[name] = h
	}
	w.Engine, err = asl.NewEngine(asl.Config{Clock: l.Clock, Handlers: handlers, Integrations: w.SITL.Integrations(),
		Objects: camp.Objects, Persistence: persist, Region: localRegion, Account: localAccount, Observer: w.observe})
	if err != nil {
		return nil, fmt.Errorf("runtime: workflows: %w", err)
	}
	n, err := w.Engine.Resume(ctx)
	if n > 0 {
		l.Log.Info("workflows resumed", "executions", n)
	}
	if err != nil {
		// One unreadable execution must not keep the SDC down: log it.
		l.Log.Error("workflows: resume", "err", err)
	}
	if err := w.SITL.Deliver(ctx); err != nil {
		l.Log.Error("workflows: deliver queued SITL submissions", "err", err)
	}
	return w, nil
}

// Close stops the executions' goroutines; running executions stay RUNNING
// in the tables and resume at the next start.
func (w *Workflows) Close() { w.Engine.Close() }

// observe picks the campaign estimate out of the history for StartCampaign,
// then passes the event on.
func (w *Workflows) observe(id string, ev asl.HistoryEvent) {
	if ev.Index == nil && (ev.StateName == "Estimate" && ev.Type == "TaskStateExited" || isExecutionEnd(ev.Type)) {
		w.mu.Lock()
		ch := w.estimates[id]
		w.mu.Unlock()
		if ch != nil {
			var out json.RawMessage
			if !isExecutionEnd(ev.Type) {
				out, _ = json.Marshal(ev.Output)
			}
			select {
			case ch <- out:
			default:
			}
		}
	}
	if w.observer != nil {
		w.observer(id, ev)
	}
}

func isExecutionEnd(typ string) bool {
	return strings.HasPrefix(typ, "Execution") && typ != "ExecutionStarted"
}

// CampaignStarted is what starting a campaign returns: the execution and
// the plan with its estimate (the state machine's Estimate step output).
type CampaignStarted struct {
	ExecutionID string         `json:"execution_id"`
	Name        string         `json:"name"`
	Plan        *campaign.Plan `json:"plan,omitempty"`
}

// StartCampaign starts a reprocessing campaign and waits until its estimate
// is known (the plan and estimate steps; a dry run ends there). The
// campaign then runs on in the background. A request the plan step
// rejects is an error wrapping asl.ErrInvalidInput.
func (w *Workflows) StartCampaign(ctx context.Context, req campaign.Request) (CampaignStarted, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return CampaignStarted{}, fmt.Errorf("runtime: campaign request: %w", err)
	}
	name := "campaign-" + strings.ToLower(ulid.MustNew(ulid.Timestamp(w.l.Clock.Now()), rand.Reader).String())
	id := w.executionID(ReprocessMachine, name)
	ch := make(chan json.RawMessage, 1)
	w.mu.Lock()
	w.estimates[id] = ch
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.estimates, id)
		w.mu.Unlock()
	}()
	if _, err := w.Engine.Start(ctx, w.reprocess, name, in); err != nil {
		return CampaignStarted{}, fmt.Errorf("runtime: start campaign: %w", err)
	}
	res := CampaignStarted{ExecutionID: id, Name: name}
	var out json.RawMessage
	select {
	case out = <-ch:
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if out == nil {
		ex, err := w.Engine.Describe(ctx, id)
		if err != nil {
			return res, err
		}
		if ex.Status != asl.StatusSucceeded {
			return res, fmt.Errorf("runtime: campaign %s %s before its estimate: %s: %s: %w", name, ex.Status, ex.Error, ex.Cause, asl.ErrInvalidInput)
		}
		out = ex.Output
	}
	var plan campaign.Plan
	if err := json.Unmarshal(out, &plan); err != nil {
		return res, fmt.Errorf("runtime: campaign %s estimate: %w", name, err)
	}
	res.Plan = &plan
	return res, nil
}

// Describe returns an execution of the host (running or finished).
func (w *Workflows) Describe(ctx context.Context, id string) (asl.Execution, error) {
	return w.Engine.Describe(ctx, id)
}

// ListCampaigns returns the executions of the reprocessing state machine
// (running and finished, dry runs included).
func (w *Workflows) ListCampaigns(ctx context.Context) ([]asl.Execution, error) {
	all, err := w.Engine.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("runtime: list campaigns: %w", err)
	}
	prefix := w.executionID(ReprocessMachine, "")
	var out []asl.Execution
	for _, ex := range all {
		if strings.HasPrefix(ex.ID, prefix) {
			out = append(out, ex)
		}
	}
	return out, nil
}

// executionID is the ARN the engine gives an execution.
func (w *Workflows) executionID(machine, name string) string {
	return "arn:aws:states:" + localRegion + ":" + localAccount + ":execution:" + machine + ":" + name
}

// CampaignExecutionID returns the execution ARN of a campaign given its
// name or ARN.
func (w *Workflows) CampaignExecutionID(nameOrID string) string {
	if strings.HasPrefix(nameOrID, "arn:") {
		return nameOrID
	}
	return w.executionID(ReprocessMachine, nameOrID)
}

// StartSITLCycle starts the SITL cycle of window win, named after the
// window ("sitl-<cycle id>"), and returns its execution id. It is
// idempotent: a window whose cycle was already started (running or
// finished) is not started again, and started reports false.
func (w *Workflows) StartSITLCycle(ctx context.Context, win sitlcycle.Window) (id string, started bool, err error) {
	in, err := sitlcycle.NewInput(win, w.l.Clock.Now())
	if err != nil {
		return "", false, err
	}
	b, err := json.Marshal(in)
	if err != nil {
		return "", false, fmt.Errorf("runtime: sitl cycle input: %w", err)
	}
	name := "sitl-" + in.CycleID
	id, err = w.Engine.Start(ctx, w.sitlDef, name, b)
	if errors.Is(err, asl.ErrExecutionExists) {
		return w.executionID(SITLMachine, name), false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("runtime: start sitl cycle %s: %w", in.CycleID, err)
	}
	return id, true, nil
}
