// Package awsevents publishes Magpie's domain events to Amazon SQS queues and
// SNS topics (EventBridge has its own package, events/eventbridge), and
// decodes them again on the consuming side. The message body is the event's
// JSON (type, time, detail), so a consumer reads the same events.Event the
// local in-process bus delivers.
package awsevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/magpie-sdc/magpie/shared/events"
)

// TypeAttribute is the message attribute carrying the event type, so SNS
// subscription filter policies and SQS consumers can route on it without
// parsing the body.
const TypeAttribute = "magpie_event_type"

// SQSAPI is the part of the SQS client the publisher uses.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSPublisher sends each event as one message to one queue.
type SQSPublisher struct {
	API      SQSAPI
	QueueURL string
}

// Publish sends e; the caller retries on error (consumers are idempotent).
func (p *SQSPublisher) Publish(ctx context.Context, e events.Event) error {
	body, err := encode(e)
	if err != nil {
		return err
	}
	_, err = p.API.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(p.QueueURL),
		MessageBody: aws.String(body),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(e.Type)},
		},
	})
	if err != nil {
		return fmt.Errorf("sqs: send %s: %w", e.Type, err)
	}
	return nil
}

// SNSAPI is the part of the SNS client the publisher uses.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSPublisher publishes each event as one message to one topic, with the
// event type as subject and as message attribute.
type SNSPublisher struct {
	API      SNSAPI
	TopicARN string
}

// Publish sends e; the caller retries on error (consumers are idempotent).
func (p *SNSPublisher) Publish(ctx context.Context, e events.Event) error {
	body, err := encode(e)
	if err != nil {
		return err
	}
	_, err = p.API.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.TopicARN),
		Message:  aws.String(body),
		Subject:  aws.String(e.Type),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(e.Type)},
		},
	})
	if err != nil {
		return fmt.Errorf("sns: publish %s: %w", e.Type, err)
	}
	return nil
}

func encode(e events.Event) (string, error) {
	if e.Type == "" {
		return "", errors.New("awsevents: event without a type")
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("awsevents: encode %s: %w", e.Type, err)
	}
	return string(b), nil
}

// Decode reads the event in an SQS message body: either published directly
// (SQSPublisher, or SNS with raw message delivery) or inside the SNS
// notification envelope SNS wraps it in otherwise.
func Decode(body string) (events.Event, error) {
	var doc struct {
		events.Event
		SNSType string `json:"Type"`
		Message string `json:"Message"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return events.Event{}, fmt.Errorf("awsevents: message is not JSON: %w", err)
	}
	if doc.SNSType == "Notification" && doc.Message != "" {
		return Decode(doc.Message)
	}
	if doc.Event.Type == "" || len(doc.Event.Detail) == 0 {
		return events.Event{}, errors.New("awsevents: message is not a Magpie event (no type or detail)")
	}
	return doc.Event, nil
}
