package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/workflows"
)

// StepFunctions serves the part of the AWS Step Functions API the SDC's
// code calls (StartExecution, DescribeExecution, SendTaskSuccess,
// SendTaskFailure, SendTaskHeartbeat, ListExecutions in one page; JSON 1.0
// protocol) on top of a
// workflows port — in hosted mode, Magpie's interpreter running
// statemachines/*.asl.json. The functions and the API then talk to their
// state machines through the SDK exactly as they do on AWS, with
// AWS_ENDPOINT_URL_SFN pointing here; the emulators have no Step Functions
// that runs Lambda code without Docker.
type StepFunctions struct {
	Workflows workflows.Workflows
}

// sfnError is an error in the protocol's shape: HTTP 400, {"__type", "message"}.
type sfnError struct {
	code, message string
}

func (h *StepFunctions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	if r.Method != http.MethodPost || !ok {
		writeSFN(w, http.StatusBadRequest, map[string]string{"__type": "UnknownOperationException",
			"message": "want POST with X-Amz-Target: AWSStepFunctions.<operation>"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeSFN(w, http.StatusBadRequest, map[string]string{"__type": "ValidationException", "message": err.Error()})
		return
	}
	out, serr := h.call(r, op, body)
	if serr != nil {
		status := http.StatusBadRequest
		if serr.code == "InternalFailure" {
			status = http.StatusInternalServerError
		}
		writeSFN(w, status, map[string]string{"__type": serr.code, "message": serr.message})
		return
	}
	writeSFN(w, http.StatusOK, out)
}

func (h *StepFunctions) call(r *http.Request, op string, body []byte) (any, *sfnError) {
	var in struct {
		StateMachineArn, Name, Input    string
		ExecutionArn, TaskToken, Output string
		Error, Cause                    string
		MaxResults                      int
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &sfnError{"ValidationException", "body: " + err.Error()}
	}
	ctx := r.Context()
	switch op {
	case "StartExecution":
		id, err := h.Workflows.Start(ctx, in.StateMachineArn, in.Name, json.RawMessage(in.Input))
		if err != nil {
			return nil, toSFN(err, "StateMachineDoesNotExist", "ExecutionAlreadyExists", "InvalidExecutionInput")
		}
		ex, err := h.Workflows.Describe(ctx, id)
		if err != nil {
			return nil, toSFN(err, "ExecutionDoesNotExist", "", "InvalidArn")
		}
		return map[string]any{"executionArn": id, "startDate": epoch(ex.StartTime)}, nil
	case "DescribeExecution":
		ex, err := h.Workflows.Describe(ctx, in.ExecutionArn)
		if err != nil {
			return nil, toSFN(err, "ExecutionDoesNotExist", "", "InvalidArn")
		}
		out := map[string]any{"executionArn": ex.ID, "stateMachineArn": ex.StateMachine, "name": ex.Name,
			"status": string(ex.Status), "startDate": epoch(ex.StartTime), "input": string(ex.Input)}
		if !ex.StopTime.IsZero() {
			out["stopDate"] = epoch(ex.StopTime)
		}
		if len(ex.Output) > 0 {
			out["output"] = string(ex.Output)
		}
		if ex.Error != "" {
			out["error"], out["cause"] = ex.Error, ex.Cause
		}
		return out, nil
	case "ListExecutions":
		list, err := h.Workflows.List(ctx, in.StateMachineArn, in.MaxResults)
		if err != nil {
			return nil, toSFN(err, "StateMachineDoesNotExist", "", "InvalidArn")
		}
		items := []map[string]any{}
		for _, ex := range list {
			it := map[string]any{"executionArn": ex.ID, "stateMachineArn": ex.StateMachine, "name": ex.Name,
				"status": string(ex.Status), "startDate": epoch(ex.StartTime)}
			if !ex.StopTime.IsZero() {
				it["stopDate"] = epoch(ex.StopTime)
			}
			items = append(items, it)
		}
		return map[string]any{"executions": items}, nil
	case "SendTaskSuccess":
		return struct{}{}, toSFN(h.Workflows.SendTaskSuccess(ctx, in.TaskToken, json.RawMessage(in.Output)), "TaskDoesNotExist", "", "InvalidOutput")
	case "SendTaskFailure":
		return struct{}{}, toSFN(h.Workflows.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause), "TaskDoesNotExist", "", "InvalidToken")
	case "SendTaskHeartbeat":
		return struct{}{}, toSFN(h.Workflows.SendTaskHeartbeat(ctx, in.TaskToken), "TaskDoesNotExist", "", "InvalidToken")
	}
	return nil, &sfnError{"UnknownOperationException", fmt.Sprintf("operation %s is not served by the hosted Step Functions", op)}
}

// toSFN turns a port error into the operation's error code; nil stays nil.
func toSFN(err error, notFound, exists, invalid string) *sfnError {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, workflows.ErrNotFound):
		return &sfnError{notFound, err.Error()}
	case errors.Is(err, workflows.ErrExists) && exists != "":
		return &sfnError{exists, err.Error()}
	case errors.Is(err, workflows.ErrInvalid):
		return &sfnError{invalid, err.Error()}
	}
	return &sfnError{"InternalFailure", err.Error()}
}

func writeSFN(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// epoch is the protocol's timestamp: seconds since 1970 with a fraction.
func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
