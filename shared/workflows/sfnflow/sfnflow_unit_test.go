package sfnflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/magpie-sdc/magpie/shared/workflows"
)

// fakeAPI records requests and answers with err, or a canned execution.
type fakeAPI struct {
	err  error
	last any
}

func (f *fakeAPI) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.last = in
	if f.err != nil {
		return nil, f.err
	}
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:exec:" + aws.ToString(in.Name))}, nil
}
func (f *fakeAPI) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.last = in
	return &sfn.SendTaskSuccessOutput{}, f.err
}
func (f *fakeAPI) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.last = in
	return &sfn.SendTaskFailureOutput{}, f.err
}
func (f *fakeAPI) SendTaskHeartbeat(_ context.Context, in *sfn.SendTaskHeartbeatInput, _ ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	f.last = in
	return &sfn.SendTaskHeartbeatOutput{}, f.err
}
func (f *fakeAPI) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.last = in
	if f.err != nil {
		return nil, f.err
	}
	t := time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Name: aws.String("n"), StateMachineArn: aws.String("sm"),
		Status: types.ExecutionStatusSucceeded, Input: aws.String(`{}`), Output: aws.String(`{"a":1}`), StartDate: &t, StopDate: &t}, nil
}

// ListExecutions serves 5 executions, newest first, 2 per page.
func (f *fakeAPI) ListExecutions(_ context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	f.last = in
	if f.err != nil {
		return nil, f.err
	}
	from := 0
	if in.NextToken != nil {
		from = int(aws.ToString(in.NextToken)[0] - '0')
	}
	n := 2
	if in.MaxResults > 0 && int(in.MaxResults) < n {
		n = int(in.MaxResults)
	}
	out := &sfn.ListExecutionsOutput{}
	for i := from; i < 5 && i < from+n; i++ {
		t := time.Date(2015, 10, 16, 5-i, 0, 0, 0, time.UTC)
		out.Executions = append(out.Executions, types.ExecutionListItem{ExecutionArn: aws.String(fmt.Sprintf("arn:exec:%d", i)),
			Name: aws.String(fmt.Sprint(i)), StateMachineArn: in.StateMachineArn, Status: types.ExecutionStatusRunning, StartDate: &t})
	}
	if from+n < 5 {
		out.NextToken = aws.String(fmt.Sprint(from + n))
	}
	return out, nil
}

func TestListFollowsPagesUpToTheLimit(t *testing.T) {
	w := &Workflows{API: &fakeAPI{}, ARNPrefix: "arn:aws:states:us-east-1:1:stateMachine:magpie-"}
	for _, c := range []struct{ limit, want int }{{0, 5}, {3, 3}, {1, 1}, {9, 5}} {
		got, err := w.List(context.Background(), "reprocess", c.limit)
		if err != nil || len(got) != c.want {
			t.Fatalf("limit %d: %d executions %v, want %d", c.limit, len(got), err, c.want)
		}
		for i, ex := range got {
			if ex.ID != fmt.Sprintf("arn:exec:%d", i) || ex.Status != workflows.Running ||
				ex.StateMachine != "arn:aws:states:us-east-1:1:stateMachine:magpie-reprocess" {
				t.Errorf("limit %d: execution %d: %+v", c.limit, i, ex)
			}
		}
	}
	api := &fakeAPI{err: &smithy.GenericAPIError{Code: "StateMachineDoesNotExist", Message: "no"}}
	if _, err := (&Workflows{API: api}).List(context.Background(), "arn:aws:states:us-east-1:1:stateMachine:x", 0); !errors.Is(err, workflows.ErrNotFound) {
		t.Errorf("unknown machine: %v", err)
	}
}

func TestRequestsAndErrorMapping(t *testing.T) {
	ctx := context.Background()
	api := &fakeAPI{}
	w := &Workflows{API: api, ARNPrefix: "arn:aws:states:us-east-1:1:stateMachine:magpie-prod-"}

	id, err := w.Start(ctx, "reprocess", "c1", nil)
	in := api.last.(*sfn.StartExecutionInput)
	if err != nil || id != "arn:exec:c1" || aws.ToString(in.StateMachineArn) != "arn:aws:states:us-east-1:1:stateMachine:magpie-prod-reprocess" || aws.ToString(in.Input) != "{}" {
		t.Fatalf("start: %q %v %+v", id, err, in)
	}
	if _, err := w.Start(ctx, "arn:aws:states:eu-west-1:2:stateMachine:x", "", nil); err != nil ||
		aws.ToString(api.last.(*sfn.StartExecutionInput).StateMachineArn) != "arn:aws:states:eu-west-1:2:stateMachine:x" || api.last.(*sfn.StartExecutionInput).Name != nil {
		t.Fatalf("an ARN is used as it is, an empty name left to AWS: %+v %v", api.last, err)
	}
	if err := w.SendTaskFailure(ctx, "tok", "Magpie.Rejected", "no"); err != nil {
		t.Fatal(err)
	}
	if f := api.last.(*sfn.SendTaskFailureInput); aws.ToString(f.TaskToken) != "tok" || aws.ToString(f.Error) != "Magpie.Rejected" || aws.ToString(f.Cause) != "no" {
		t.Fatalf("failure request %+v", f)
	}
	ex, err := w.Describe(ctx, "arn:exec:c1")
	if err != nil || ex.Status != workflows.Succeeded || string(ex.Output) != `{"a":1}` || ex.StopTime.IsZero() {
		t.Fatalf("describe %+v %v", ex, err)
	}
	if err := w.SendTaskSuccess(ctx, "tok", json.RawMessage(`{bad`)); !errors.Is(err, workflows.ErrInvalid) {
		t.Errorf("output that is not JSON: %v", err)
	}

	for code, want := range map[string]error{
		"TaskDoesNotExist": workflows.ErrNotFound, "TaskTimedOut": workflows.ErrNotFound, "InvalidToken": workflows.ErrNotFound,
		"ExecutionDoesNotExist": workflows.ErrNotFound, "StateMachineDoesNotExist": workflows.ErrNotFound,
		"ExecutionAlreadyExists": workflows.ErrExists, "InvalidName": workflows.ErrInvalid, "InvalidExecutionInput": workflows.ErrInvalid,
		"ThrottlingException": nil,
	} {
		api.err = &smithy.GenericAPIError{Code: code, Message: "m"}
		errs := []error{
			second(w.Start(ctx, "x", "n", nil)), w.SendTaskSuccess(ctx, "t", json.RawMessage(`{}`)),
			w.SendTaskFailure(ctx, "t", "e", "c"), w.SendTaskHeartbeat(ctx, "t"), second(w.Describe(ctx, "e")),
		}
		for i, err := range errs {
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != code {
				t.Errorf("%s call %d: AWS error lost: %v", code, i, err)
			}
			for _, kind := range []error{workflows.ErrNotFound, workflows.ErrExists, workflows.ErrInvalid} {
				if errors.Is(err, kind) != (kind == want) {
					t.Errorf("%s call %d: errors.Is(%v) = %v", code, i, kind, !(kind == want))
				}
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }
