package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSAPI is the part of the SQS client the host uses.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// Function is a hosted function's handler: an SQS event in, a response out
// (lambdaenv.Handler has this shape).
type Function func(ctx context.Context, event json.RawMessage) (any, error)

// Poller hosts one function on one queue the way Lambda's SQS event source
// mapping with ReportBatchItemFailures does: it receives a batch, invokes
// the function with it as an SQS event, and deletes the messages that
// succeeded — all of them when the function returns normally without
// batchItemFailures, none when it fails. Failed messages are made visible
// again at once (instead of waiting out the visibility timeout, so a
// scenario never sleeps); SQS counts their receives and moves them to the
// dead-letter queue after the redrive policy's maxReceiveCount.
type Poller struct {
	API   SQSAPI
	Queue Queue
	Fn    Function
	// Batch is the batch size (1..10; 0 means 10).
	Batch int32
	// Region goes into the events' awsRegion.
	Region string
}

// Round is what one poll did.
type Round struct {
	Received, Deleted, Failed int
	// Err is the function's error when it failed the whole batch.
	Err error
}

// Poll receives one batch (without waiting when the queue is empty) and
// runs the function on it. The error is about SQS; the function's own
// failure is in Round.Err.
func (p *Poller) Poll(ctx context.Context) (Round, error) {
	batch := p.Batch
	if batch <= 0 || batch > 10 {
		batch = 10
	}
	out, err := p.API.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.Queue.URL),
		MaxNumberOfMessages: batch, WaitTimeSeconds: 0,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil {
		return Round{}, fmt.Errorf("host %s: receive: %w", p.Queue.Name, err)
	}
	r := Round{Received: len(out.Messages)}
	if r.Received == 0 {
		return r, nil
	}
	ev := awsevents.SQSEvent{}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, awsevents.SQSMessage{MessageId: aws.ToString(m.MessageId),
			ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody),
			Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: p.Queue.ARN, AWSRegion: p.Region})
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return r, fmt.Errorf("host %s: encode event: %w", p.Queue.Name, err)
	}
	failed := map[string]bool{}
	resp, ferr := p.invoke(ctx, payload)
	if ferr != nil {
		r.Err = ferr
		for _, m := range out.Messages {
			failed[aws.ToString(m.MessageId)] = true
		}
	} else if failed, err = batchItemFailures(resp, out.Messages); err != nil {
		// A response Lambda cannot read fails the whole batch, as on AWS.
		r.Err = err
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	var retry []sqstypes.ChangeMessageVisibilityBatchRequestEntry
	for i, m := range out.Messages {
		id := strconv.Itoa(i)
		if failed[aws.ToString(m.MessageId)] {
			retry = append(retry, sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(id), ReceiptHandle: m.ReceiptHandle})
			continue
		}
		del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(id), ReceiptHandle: m.ReceiptHandle})
	}
	r.Deleted, r.Failed = len(del), len(retry)
	if len(del) > 0 {
		d, err := p.API.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.Queue.URL), Entries: del})
		if err != nil {
			return r, fmt.Errorf("host %s: delete: %w", p.Queue.Name, err)
		}
		if len(d.Failed) > 0 {
			return r, fmt.Errorf("host %s: delete: %d entries failed: %s", p.Queue.Name, len(d.Failed), aws.ToString(d.Failed[0].Message))
		}
	}
	if len(retry) > 0 {
		if _, err := p.API.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(p.Queue.URL), Entries: retry}); err != nil {
			return r, fmt.Errorf("host %s: release failed messages: %w", p.Queue.Name, err)
		}
	}
	return r, nil
}

// invoke runs the function, turning a panic into an error as the Lambda
// runtime turns a crash into a failed invocation.
func (p *Poller) invoke(ctx context.Context, payload json.RawMessage) (resp any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("host %s: function crashed: %v", p.Queue.Name, v)
		}
	}()
	return p.Fn(ctx, payload)
}

// batchItemFailures reads a response's batchItemFailures (the partial
// batch response contract); identifiers must name received messages.
func batchItemFailures(resp any, msgs []sqstypes.Message) (map[string]bool, error) {
	failed := map[string]bool{}
	if resp == nil {
		return failed, nil
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	var doc struct {
		Failures []awsevents.SQSBatchItemFailure `json:"batchItemFailures"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return failed, nil // not an object: no partial failures
	}
	known := map[string]bool{}
	for _, m := range msgs {
		known[aws.ToString(m.MessageId)] = true
	}
	for _, f := range doc.Failures {
		if !known[f.ItemIdentifier] {
			return nil, fmt.Errorf("batchItemFailures names unknown message %q", f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}

// Host runs pollers until every queue is drained.
type Host struct {
	Pollers []*Poller
	// MaxRounds bounds RunUntilIdle (0 means 10,000): a function that keeps
	// producing work forever is an error, not a hang.
	MaxRounds int
}

// Totals sums what the host did.
type Totals struct {
	Received, Deleted, Failed int
	Errs                      []error
}

// RunUntilIdle polls every queue in turn until a whole round finds them
// all empty. Failed messages come back at once, so a message that always
// fails is received until SQS moves it to its dead-letter queue.
func (h *Host) RunUntilIdle(ctx context.Context) (Totals, error) {
	max := h.MaxRounds
	if max <= 0 {
		max = 10000
	}
	var t Totals
	for range max {
		busy := false
		for _, p := range h.Pollers {
			r, err := p.Poll(ctx)
			if err != nil {
				return t, err
			}
			t.Received += r.Received
			t.Deleted += r.Deleted
			t.Failed += r.Failed
			if r.Err != nil {
				t.Errs = append(t.Errs, r.Err)
			}
			busy = busy || r.Received > 0
		}
		if !busy {
			return t, nil
		}
	}
	return t, fmt.Errorf("host: queues not idle after %d rounds", max)
}
