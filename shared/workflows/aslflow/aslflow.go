// Package aslflow implements the workflows port on Magpie's own States
// Language interpreter (shared/asl), for the local SDC and the hosted ops
// scenario: the same definitions, the same calls as on Step Functions.
package aslflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/workflows"
)

// Workflows runs the state machines it knows on one engine.
type Workflows struct {
	engine   *asl.Engine
	machines map[string]*asl.Definition
}

// New returns the adapter for engine running machines, keyed by state
// machine name (a definition's Name is set to its key).
func New(engine *asl.Engine, machines map[string]*asl.Definition) (*Workflows, error) {
	if engine == nil {
		return nil, errors.New("aslflow: nil engine")
	}
	m := make(map[string]*asl.Definition, len(machines))
	for name, def := range machines {
		if def == nil {
			return nil, fmt.Errorf("aslflow: state machine %q has no definition", name)
		}
		def.Name = name
		m[name] = def
	}
	return &Workflows{engine: engine, machines: m}, nil
}

var _ workflows.Workflows = (*Workflows)(nil)

// machine resolves a name or a state machine ARN (…:stateMachine:NAME).
func (w *Workflows) machine(ref string) (*asl.Definition, error) {
	name := ref
	if i := strings.LastIndex(ref, ":stateMachine:"); strings.HasPrefix(ref, "arn:") && i >= 0 {
		name = ref[i+len(":stateMachine:"):]
	}
	def, ok := w.machines[name]
	if !ok {
		return nil, fmt.Errorf("aslflow: state machine %q: %w", ref, workflows.ErrNotFound)
	}
	return def, nil
}

// Start begins an execution; see workflows.Workflows.
func (w *Workflows) Start(ctx context.Context, stateMachine, name string, input json.RawMessage) (string, error) {
	def, err := w.machine(stateMachine)
	if err != nil {
		return "", err
	}
	id, err := w.engine.Start(ctx, def, name, input)
	if errors.Is(err, asl.ErrExecutionExists) {
		// Step Functions' idempotency: the same running execution again.
		if same, id := w.sameRunning(ctx, err, input); same {
			return id, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("aslflow: start %s: %w", stateMachine, mapErr(err))
	}
	return id, nil
}

// sameRunning reports whether the execution a Start collided with is
// running with an input equal to input.
func (w *Workflows) sameRunning(ctx context.Context, startErr error, input json.RawMessage) (bool, string) {
	// The engine's error names the execution: "asl: <id>: execution already exists".
	msg := strings.TrimPrefix(startErr.Error(), "asl: ")
	id, _, ok := strings.Cut(msg, ": ")
	if !ok {
		return false, ""
	}
	ex, err := w.engine.Describe(ctx, id)
	if err != nil || ex.Status != asl.StatusRunning {
		return false, ""
	}
	if len(input) == 0 {
		input = json.RawMessage(`{}`)
	}
	return jsonEqual(ex.Input, input), id
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// SendTaskSuccess completes the task waiting on token.
func (w *Workflows) SendTaskSuccess(_ context.Context, token string, output json.RawMessage) error {
	if err := w.engine.SendTaskSuccess(token, output); err != nil {
		return fmt.Errorf("aslflow: send task success: %w", mapErr(err))
	}
	return nil
}

// SendTaskFailure fails the task waiting on token.
func (w *Workflows) SendTaskFailure(_ context.Context, token, errName, cause string) error {
	if err := w.engine.SendTaskFailure(token, errName, cause); err != nil {
		return fmt.Errorf("aslflow: send task failure: %w", mapErr(err))
	}
	return nil
}

// SendTaskHeartbeat restarts the heartbeat timer of the task waiting on token.
func (w *Workflows) SendTaskHeartbeat(_ context.Context, token string) error {
	if err := w.engine.SendTaskHeartbeat(token); err != nil {
		return fmt.Errorf("aslflow: send task heartbeat: %w", mapErr(err))
	}
	return nil
}

// Describe returns the execution with that id.
func (w *Workflows) Describe(ctx context.Context, executionID string) (workflows.Execution, error) {
	ex, err := w.engine.Describe(ctx, executionID)
	if err != nil {
		return workflows.Execution{}, fmt.Errorf("aslflow: describe %s: %w", executionID, mapErr(err))
	}
	return workflows.Execution{
		ID: ex.ID, Name: ex.Name, StateMachine: ex.StateMachineArn, Status: workflows.Status(ex.Status),
		Input: ex.Input, Output: ex.Output, Error: ex.Error, Cause: ex.Cause,
		StartTime: ex.StartTime, StopTime: ex.StopTime,
	}, nil
}

// List returns the executions of a state machine, newest first.
func (w *Workflows) List(ctx context.Context, stateMachine string, limit int) ([]workflows.Execution, error) {
	def, err := w.machine(stateMachine)
	if err != nil {
		return nil, err
	}
	all, err := w.engine.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("aslflow: list %s: %w", stateMachine, err)
	}
	var out []workflows.Execution
	for i := len(all) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- { // the engine lists oldest first
		ex := all[i]
		if !strings.HasSuffix(ex.StateMachineArn, ":stateMachine:"+def.Name) {
			continue
		}
		out = append(out, workflows.Execution{ID: ex.ID, Name: ex.Name, StateMachine: ex.StateMachineArn,
			Status: workflows.Status(ex.Status), StartTime: ex.StartTime, StopTime: ex.StopTime})
	}
	return out, nil
}

// mapErr adds the port's error to the engine's, keeping the engine's text.
func mapErr(err error) error {
	switch {
	case errors.Is(err, asl.ErrNotFound), errors.Is(err, asl.ErrNotRunning):
		return &portError{err, workflows.ErrNotFound}
	case errors.Is(err, asl.ErrExecutionExists):
		return &portError{err, workflows.ErrExists}
	case errors.Is(err, asl.ErrInvalidInput):
		return &portError{err, workflows.ErrInvalid}
	}
	return err
}

// portError is an engine error that also matches the port's error kind.
type portError struct{ err, kind error }

func (e *portError) Error() string   { return e.err.Error() }
func (e *portError) Unwrap() []error { return []error{e.err, e.kind} }
