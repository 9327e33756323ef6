package awsevents

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/magpie-sdc/magpie/shared/awstest"
	"github.com/magpie-sdc/magpie/shared/events"
)

func sample(t *testing.T, typ string) events.Event {
	t.Helper()
	e, err := events.New(typ, time.Date(2015, 10, 16, 13, 7, 0, 0, time.UTC), map[string]string{"file_name": "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDecode(t *testing.T) {
	e := events.Event{Type: events.FileIndexed, Time: time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC), Detail: json.RawMessage(`{"a":1}`)}
	body, err := encode(e)
	if err != nil {
		t.Fatal(err)
	}
	envelope, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m1", "Message": body, "TopicArn": "arn:aws:sns:us-east-1:1:t"})
	for name, in := range map[string]string{"direct": body, "sns envelope": string(envelope)} {
		got, err := Decode(in)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("%s: Decode = %+v, %v; want %+v", name, got, err, e)
		}
	}
	for _, bad := range []string{"", "not json", `{"Type":"Notification","Message":"{}"}`, `{"type":"X"}`, `[1]`} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
	if _, err := encode(events.Event{Detail: json.RawMessage(`{}`)}); err == nil {
		t.Error("event without type encoded")
	}
}

// The contract: whatever goes through a publisher comes out of the queue as
// the same event, with the type attribute set.
func TestPublishersAgainstMoto(t *testing.T) {
	ep := awstest.Endpoint(t, awstest.MotoEnv)
	cfg := awstest.Config(t, ep)
	ctx := context.Background()
	q := sqs.NewFromConfig(cfg)
	sn := sns.NewFromConfig(cfg)

	newQueue := func(t *testing.T) string {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name("magpie-ev-"))})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	queueARN := func(t *testing.T, url string) string {
		out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	}
	// receive drains what the queue holds now.
	receive := func(t *testing.T, url string) []sqstypes.Message {
		var all []sqstypes.Message
		for {
			out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
				MessageAttributeNames: []string{"All"}}) // moto delivers SNS→SQS synchronously
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 0 {
				return all
			}
			all = append(all, out.Messages...)
		}
	}
	newTopic := func(t *testing.T, queueURL string, attrs map[string]string) string {
		top, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(awstest.Name("magpie-ev-"))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: top.TopicArn, Protocol: aws.String("sqs"),
			Endpoint: aws.String(queueARN(t, queueURL)), Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(top.TopicArn)
	}

	for _, tc := range []struct {
		name      string
		publisher func(t *testing.T, queueURL string) events.Publisher
	}{
		{"sqs", func(t *testing.T, url string) events.Publisher { return &SQSPublisher{API: q, QueueURL: url} }},
		{"sns envelope", func(t *testing.T, url string) events.Publisher {
			return &SNSPublisher{API: sn, TopicARN: newTopic(t, url, nil)}
		}},
		{"sns raw", func(t *testing.T, url string) events.Publisher {
			return &SNSPublisher{API: sn, TopicARN: newTopic(t, url, map[string]string{"RawMessageDelivery": "true"})}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := newQueue(t)
			p := tc.publisher(t, url)
			want := []events.Event{sample(t, events.FileIndexed), sample(t, events.FileQuarantined)}
			for _, e := range want {
				if err := p.Publish(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			msgs := receive(t, url)
			if len(msgs) != len(want) {
				t.Fatalf("%d messages, want %d", len(msgs), len(want))
			}
			got := map[string]events.Event{}
			for _, m := range msgs {
				e, err := Decode(aws.ToString(m.Body))
				if err != nil {
					t.Fatalf("%v in %s", err, aws.ToString(m.Body))
				}
				got[e.Type] = e
				if tc.name != "sns envelope" { // an envelope keeps attributes inside the body
					if a := m.MessageAttributes[TypeAttribute]; aws.ToString(a.StringValue) != e.Type {
						t.Errorf("attribute %s = %q, want %q", TypeAttribute, aws.ToString(a.StringValue), e.Type)
					}
				}
			}
			for _, e := range want {
				if !reflect.DeepEqual(got[e.Type], e) {
					t.Errorf("got %+v, want %+v", got[e.Type], e)
				}
			}
		})
	}

	t.Run("sns filter policy on the type attribute", func(t *testing.T) {
		url := newQueue(t)
		p := &SNSPublisher{API: sn, TopicARN: newTopic(t, url, map[string]string{
			"RawMessageDelivery": "true", "FilterPolicy": `{"` + TypeAttribute + `":["` + events.FileQuarantined + `"]}`})}
		for _, typ := range []string{events.FileIndexed, events.FileQuarantined, events.FileIndexed} {
			if err := p.Publish(ctx, sample(t, typ)); err != nil {
				t.Fatal(err)
			}
		}
		msgs := receive(t, url)
		if len(msgs) != 1 || !strings.Contains(aws.ToString(msgs[0].Body), events.FileQuarantined) {
			t.Fatalf("filtered subscription received %d messages: %+v", len(msgs), msgs)
		}
	})

	t.Run("errors name the event", func(t *testing.T) {
		p := &SQSPublisher{API: q, QueueURL: ep + "/000000000000/no-such-queue"}
		if err := p.Publish(ctx, sample(t, events.FileIndexed)); err == nil || !strings.Contains(err.Error(), events.FileIndexed) {
			t.Fatalf("publish to a missing queue: %v", err)
		}
		s := &SNSPublisher{API: sn, TopicARN: "arn:aws:sns:us-east-1:123456789012:no-such-topic"}
		if err := s.Publish(ctx, sample(t, events.FileIndexed)); err == nil || !strings.Contains(err.Error(), events.FileIndexed) {
			t.Fatalf("publish to a missing topic: %v", err)
		}
	})
}
