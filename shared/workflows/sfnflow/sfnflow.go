// Package sfnflow implements the workflows port on AWS Step Functions.
package sfnflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/magpie-sdc/magpie/shared/workflows"
)

// API is the part of the Step Functions client the adapter uses.
type API interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, opts ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, opts ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
}

// Workflows starts and steers Step Functions executions.
type Workflows struct {
	API API
	// ARNPrefix turns a state machine name into its ARN, e.g.
	// "arn:aws:states:us-east-1:123456789012:stateMachine:magpie-prod-";
	// names that are ARNs already are used as they are.
	ARNPrefix string
}

var _ workflows.Workflows = (*Workflows)(nil)

func (w *Workflows) arn(stateMachine string) string {
	if strings.HasPrefix(stateMachine, "arn:") {
		return stateMachine
	}
	return w.ARNPrefix + stateMachine
}

// Start begins an execution; see workflows.Workflows.
func (w *Workflows) Start(ctx context.Context, stateMachine, name string, input json.RawMessage) (string, error) {
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(w.arn(stateMachine))}
	if name != "" {
		in.Name = aws.String(name)
	}
	if len(input) == 0 {
		input = json.RawMessage(`{}`)
	}
	if !json.Valid(input) {
		return "", fmt.Errorf("sfn: start %s: input is not JSON: %w", stateMachine, workflows.ErrInvalid)
	}
	in.Input = aws.String(string(input))
	out, err := w.API.StartExecution(ctx, in)
	if err != nil {
		return "", fmt.Errorf("sfn: start %s: %w", stateMachine, mapErr(err))
	}
	return aws.ToString(out.ExecutionArn), nil
}

// SendTaskSuccess completes the task waiting on token.
func (w *Workflows) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	if !json.Valid(output) {
		return fmt.Errorf("sfn: send task success: output is not JSON: %w", workflows.ErrInvalid)
	}
	_, err := w.API.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	if err != nil {
		return fmt.Errorf("sfn: send task success: %w", mapErr(err))
	}
	return nil
}

// SendTaskFailure fails the task waiting on token.
func (w *Workflows) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	_, err := w.API.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String(errName), Cause: aws.String(cause)})
	if err != nil {
		return fmt.Errorf("sfn: send task failure: %w", mapErr(err))
	}
	return nil
}

// SendTaskHeartbeat tells the task waiting on token that work goes on.
func (w *Workflows) SendTaskHeartbeat(ctx context.Context, token string) error {
	if _, err := w.API.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
		return fmt.Errorf("sfn: send task heartbeat: %w", mapErr(err))
	}
	return nil
}

// Describe returns the execution with that id (its ARN).
func (w *Workflows) Describe(ctx context.Context, executionID string) (workflows.Execution, error) {
	out, err := w.API.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionID)})
	if err != nil {
		return workflows.Execution{}, fmt.Errorf("sfn: describe %s: %w", executionID, mapErr(err))
	}
	ex := workflows.Execution{
		ID: aws.ToString(out.ExecutionArn), Name: aws.ToString(out.Name), StateMachine: aws.ToString(out.StateMachineArn),
		Status: workflows.Status(out.Status), Error: aws.ToString(out.Error), Cause: aws.ToString(out.Cause),
		StartTime: aws.ToTime(out.StartDate), StopTime: aws.ToTime(out.StopDate),
	}
	if out.Input != nil {
		ex.Input = json.RawMessage(*out.Input)
	}
	if out.Output != nil && ex.Status == workflows.Succeeded {
		ex.Output = json.RawMessage(*out.Output)
	}
	return ex, nil
}

// List returns the executions of a state machine, newest first (Step
// Functions' order), following the pages up to limit.
func (w *Workflows) List(ctx context.Context, stateMachine string, limit int) ([]workflows.Execution, error) {
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(w.arn(stateMachine))}
	var out []workflows.Execution
	for {
		if limit > 0 {
			in.MaxResults = int32(min(limit-len(out), 1000))
		}
		page, err := w.API.ListExecutions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("sfn: list %s: %w", stateMachine, mapErr(err))
		}
		for _, it := range page.Executions {
			out = append(out, workflows.Execution{ID: aws.ToString(it.ExecutionArn), Name: aws.ToString(it.Name),
				StateMachine: aws.ToString(it.StateMachineArn), Status: workflows.Status(it.Status),
				StartTime: aws.ToTime(it.StartDate), StopTime: aws.ToTime(it.StopDate)})
		}
		if page.NextToken == nil || limit > 0 && len(out) >= limit {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// mapErr adds the port's error kind to a Step Functions error by its code.
func mapErr(err error) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err
	}
	var kind error
	switch api.ErrorCode() {
	case "StateMachineDoesNotExist", "ExecutionDoesNotExist", "TaskDoesNotExist", "TaskTimedOut", "InvalidToken":
		// InvalidToken: AWS's answer to a well-formed token it does not know too.
		kind = workflows.ErrNotFound
	case "ExecutionAlreadyExists":
		kind = workflows.ErrExists
	case "InvalidArn", "InvalidName", "InvalidExecutionInput", "InvalidOutput", "ValidationException":
		kind = workflows.ErrInvalid
	default:
		return err
	}
	return &portError{err, kind}
}

// portError is an AWS error that also matches the port's error kind.
type portError struct{ err, kind error }

func (e *portError) Error() string   { return e.err.Error() }
func (e *portError) Unwrap() []error { return []error{e.err, e.kind} }
