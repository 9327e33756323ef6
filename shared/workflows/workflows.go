// Package workflows is the port through which Magpie starts and steers state
// machine executions: the same statemachines/*.asl.json run on AWS Step
// Functions (adapter sfnflow) or in Magpie's own interpreter (adapter
// aslflow). Callers name a state machine by name or ARN, and answer
// callback tasks (.waitForTaskToken) with their task token.
package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors every adapter reports (wrapped), so callers can branch on them.
var (
	// ErrNotFound: no such state machine or execution, or no task waits on
	// the token (already answered, timed out, or never issued).
	ErrNotFound = errors.New("workflows: not found")
	// ErrExists: an execution with that name exists with another input, or
	// has finished (names are unique per state machine).
	ErrExists = errors.New("workflows: execution exists")
	// ErrInvalid: bad name, input that is not JSON, malformed token.
	ErrInvalid = errors.New("workflows: invalid request")
)

// Status is an execution status, named as Step Functions names it.
type Status string

// Execution statuses.
const (
	Running   Status = "RUNNING"
	Succeeded Status = "SUCCEEDED"
	Failed    Status = "FAILED"
	TimedOut  Status = "TIMED_OUT"
	Aborted   Status = "ABORTED"
)

// Done reports whether the execution has stopped.
func (s Status) Done() bool { return s != Running && s != "" && s != "PENDING_REDRIVE" }

// Execution describes one execution.
type Execution struct {
	ID           string          `json:"executionArn"`
	Name         string          `json:"name"`
	StateMachine string          `json:"stateMachineArn"`
	Status       Status          `json:"status"`
	Input        json.RawMessage `json:"input,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	StartTime    time.Time       `json:"startDate"`
	StopTime     time.Time       `json:"stopDate,omitzero"`
}

// Workflows starts executions and answers their callback tasks.
type Workflows interface {
	// Start begins an execution of stateMachine (a name or an ARN) named
	// name (empty: a generated one) with input (empty: {}) and returns the
	// execution id (its ARN). Starting a running execution again with the
	// same name and input returns its id (Step Functions' idempotency).
	Start(ctx context.Context, stateMachine, name string, input json.RawMessage) (string, error)
	// SendTaskSuccess completes the task waiting on token with output.
	SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error
	// SendTaskFailure fails the task waiting on token with an error name and cause.
	SendTaskFailure(ctx context.Context, token, errName, cause string) error
	// SendTaskHeartbeat tells the task waiting on token that work goes on.
	SendTaskHeartbeat(ctx context.Context, token string) error
	// Describe returns the execution with that id.
	Describe(ctx context.Context, executionID string) (Execution, error)
	// List returns the executions of stateMachine (a name or an ARN),
	// newest first, at most limit (0: all). As Step Functions' listing,
	// it carries no input or output: Describe one for those.
	List(ctx context.Context, stateMachine string, limit int) ([]Execution, error)
}
