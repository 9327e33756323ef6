// Package asl is Magpie's interpreter of the Amazon States Language
// (JSONPath query language): it runs the same statemachines/*.asl.json files
// that are deployed to AWS Step Functions, with AWS's input/output
// processing, error names, retry and catch rules, Map and Parallel states,
// task tokens and an execution history. Time comes from an injected clock;
// executions are persisted after each top-level transition so a restarted
// process can resume them.
package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Error names defined by the States Language.
const (
	ErrAll                             = "States.ALL"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrTimeout                         = "States.Timeout"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrRuntime                         = "States.Runtime"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrAborted                         = "States.Aborted"
)

// StateError is a named error, as states report them (Error and Cause).
// Integrations return one to choose the error name; any other error is
// reported as States.TaskFailed.
type StateError struct {
	Name  string
	Cause string
}

func (e *StateError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

func stateErr(name, format string, a ...any) *StateError {
	return &StateError{Name: name, Cause: fmt.Sprintf(format, a...)}
}

// asStateError turns any error into a StateError.
func asStateError(err error) *StateError {
	var se *StateError
	if errors.As(err, &se) {
		return se
	}
	return &StateError{Name: ErrTaskFailed, Cause: err.Error()}
}

// Integration is a service integration: it receives the task's effective
// parameters as JSON and returns the result JSON. Other packages register
// them under a resource ARN such as arn:aws:states:::sns:publish.
type Integration func(ctx context.Context, params json.RawMessage) (json.RawMessage, error)

// Status is an execution status, named as Step Functions names it.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// Execution describes one execution.
type Execution struct {
	ID              string          `json:"executionArn"`
	Name            string          `json:"name"`
	StateMachineArn string          `json:"stateMachineArn"`
	Status          Status          `json:"status"`
	Input           json.RawMessage `json:"input,omitempty"`
	Output          json.RawMessage `json:"output,omitempty"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	StartTime       time.Time       `json:"startDate"`
	StopTime        time.Time       `json:"stopDate,omitzero"`
}

// HistoryEvent is one entry of an execution's event history, shaped after
// Step Functions' GetExecutionHistory (the details are flattened).
// Input, Output and Parameters hold decoded JSON (numbers as json.Number).
type HistoryEvent struct {
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`
	Timestamp       time.Time `json:"timestamp"`
	Type            string    `json:"type"`
	StateName       string    `json:"name,omitempty"`
	Resource        string    `json:"resource,omitempty"`
	ResourceType    string    `json:"resourceType,omitempty"`
	Index           *int      `json:"index,omitempty"` // Map iteration
	Input           any       `json:"input,omitempty"`
	Output          any       `json:"output,omitempty"`
	Parameters      any       `json:"parameters,omitempty"`
	Error           string    `json:"error,omitempty"`
	Cause           string    `json:"cause,omitempty"`
}

// Record is the persisted state of an execution: its description plus, while
// it runs, the checkpoint to resume from.
type Record struct {
	ExecutionID      string          `json:"executionId"`
	Name             string          `json:"name"`
	StateMachineName string          `json:"stateMachineName"`
	Definition       json.RawMessage `json:"definition"`
	Status           Status          `json:"status"`
	Input            any             `json:"input"`
	Output           any             `json:"output,omitempty"`
	Error            string          `json:"error,omitempty"`
	Cause            string          `json:"cause,omitempty"`
	StartTime        time.Time       `json:"startTime"`
	StopTime         time.Time       `json:"stopTime,omitzero"`
	Checkpoint       *Checkpoint     `json:"checkpoint,omitempty"`
}

// Checkpoint is where a running execution stands at the top level: the
// state it is in and that state's raw input, plus what a Wait or a task
// token needs to carry on after a restart.
type Checkpoint struct {
	State       string    `json:"state"`
	Input       any       `json:"input"`
	EnteredTime time.Time `json:"enteredTime"`
	RetryCounts []int     `json:"retryCounts,omitempty"`
	// WaitUntil is set while a Wait state waits.
	WaitUntil time.Time `json:"waitUntil,omitzero"`
	// TaskToken is set while a .waitForTaskToken task waits; TaskStarted is
	// when it was scheduled (TimeoutSeconds counts from there).
	TaskToken   string    `json:"taskToken,omitempty"`
	TaskStarted time.Time `json:"taskStarted,omitzero"`
	// RetryAt is set while a retrier waits for its back-off.
	RetryAt time.Time `json:"retryAt,omitzero"`
}

func (r *Record) execution(arnPrefix string) Execution {
	ex := Execution{
		ID: r.ExecutionID, Name: r.Name, Status: r.Status,
		StateMachineArn: arnPrefix + "stateMachine:" + r.StateMachineName,
		Error:           r.Error, Cause: r.Cause, StartTime: r.StartTime, StopTime: r.StopTime,
	}
	ex.Input = mustJSON(r.Input)
	if r.Status == StatusSucceeded {
		ex.Output = mustJSON(r.Output)
	}
	return ex
}
