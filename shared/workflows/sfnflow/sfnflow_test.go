package sfnflow

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/magpie-sdc/magpie/shared/awstest"
	"github.com/magpie-sdc/magpie/shared/workflows/workflowstest"
)

// motoNoCallbacks is why the moto run skips callback tasks. moto runs
// executions (and their SQS callback tasks) only with its Step Functions
// parser switched on (server-wide), and moto 5.2's parser then fails every
// StartExecution after the first one with a 500: it deep-copies the state
// machine, which references the backend holding the first execution's
// locks. So the moto run uses the control-plane backend, where
// executions stay RUNNING and SendTask* accept anything.
const motoNoCallbacks = "moto 5.2 runs only one execution per server (deepcopy of its backend fails afterwards)"

// controlPlaneOnly switches moto's Step Functions to its control-plane
// backend, whatever another test set.
func controlPlaneOnly(t *testing.T, endpoint string) {
	t.Helper()
	body := []byte(`{"stepfunctions": {"execute_state_machine": false}}`)
	resp, err := http.Post(endpoint+"/moto-api/config", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("moto config: %s", resp.Status)
	}
}

func TestContractAgainstMoto(t *testing.T) {
	ep := awstest.Endpoint(t, awstest.MotoEnv)
	controlPlaneOnly(t, ep)
	cfg := awstest.Config(t, ep)
	ctx := context.Background()
	api := sfn.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name("magpie-tokens-"))})
	if err != nil {
		t.Fatal(err)
	}
	w := &Workflows{API: api, ARNPrefix: "arn:aws:states:us-east-1:123456789012:stateMachine:"}
	workflowstest.Run(t, workflowstest.Harness{
		Workflows: w,
		QueueURL:  aws.ToString(queue.QueueUrl),
		Deploy: func(t *testing.T, definition string) string {
			name := awstest.Name("magpie-callback-")
			if _, err := api.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
				Name: aws.String(name), Definition: aws.String(definition),
				RoleArn: aws.String("arn:aws:iam::123456789012:role/magpie-sfn"),
			}); err != nil {
				t.Fatal(err)
			}
			return name // resolved through ARNPrefix
		},
		NextToken: func(t *testing.T) string {
			for range 10 {
				out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 1})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range out.Messages {
					q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: queue.QueueUrl, ReceiptHandle: m.ReceiptHandle})
					var body struct{ Token string }
					if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &body); err != nil || body.Token == "" {
						t.Fatalf("callback message %q: %v", aws.ToString(m.Body), err)
					}
					return body.Token
				}
			}
			t.Fatal("no task token within 10 s")
			return ""
		},
		NoCallbacks: motoNoCallbacks,
		Poll:        10 * time.Second,
	})
}
