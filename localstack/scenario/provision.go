// Package scenario is Magpie's ops scenario: it provisions the SDC's AWS
// resources through the SDK (buckets with S3→SQS notifications, queues with
// a dead-letter queue, an EventBridge bus routing domain events to a queue,
// DynamoDB tables), and hosts the functions the way Lambda's SQS event
// source mapping would, so the same SDC runs against any endpoint that
// speaks the AWS wire protocols: moto and DynamoDB Local in `make test`
// (hosted mode), LocalStack or a real account (see ../README.md).
package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Names are the names of one SDC's resources. Derive them from one prefix
// with NewNames so scenarios sharing an emulator never collide.
type Names struct {
	Dropbox, Archive string // buckets
	IngestQueue      string // receives the dropbox's object-created notifications
	IngestDLQ        string // where ingest messages go after MaxReceiveCount failed receives
	EventsQueue      string // receives the bus's FileIndexed events for processing
	EventsDLQ        string
	Bus              string // the EventBridge bus of domain events
	TablePrefix      string // prefix of the DynamoDB table names
	Workflow         string // bucket of campaign item lists and Map results (campaigns/) and playlists (playlists/)
	SITLTopic        string // SNS topic telling the SITL on duty that a cycle waits for a selection
	SITLInbox        string // queue subscribed to the topic: what the SITL on duty receives
}

// NewNames returns the names of an SDC whose resources start with prefix
// (lower-case letters, digits and dashes, as bucket names require).
func NewNames(prefix string) Names {
	return Names{
		Dropbox: prefix + "-dropbox", Archive: prefix + "-archive",
		IngestQueue: prefix + "-ingest", IngestDLQ: prefix + "-ingest-dlq",
		EventsQueue: prefix + "-events", EventsDLQ: prefix + "-events-dlq",
		Bus: prefix + "-bus", TablePrefix: prefix + "-",
		Workflow: prefix + "-workflow", SITLTopic: prefix + "-sitl", SITLInbox: prefix + "-sitl-inbox",
	}
}

// Clients are the SDK clients provisioning uses.
type Clients struct {
	S3          *s3.Client
	SQS         *sqs.Client
	EventBridge *eb.Client
	SNS         *sns.Client
	Tables      store.TableStore
}

// Queue is one provisioned queue.
type Queue struct {
	Name, URL, ARN string
}

// Resources are the provisioned resources.
type Resources struct {
	Names
	Ingest, IngestDLQ, Events, EventsDLQ Queue
	SITLInbox                            Queue
	SITLTopicARN                         string
}

// Options tune provisioning.
type Options struct {
	// MaxReceiveCount is how many receives a message gets before SQS moves
	// it to the dead-letter queue (the CDK stack uses 5).
	MaxReceiveCount int
	// VisibilityTimeout of the work queues in seconds: longer than the
	// longest handler run, as Lambda requires (6× the function timeout).
	VisibilityTimeout int
}

// Provision creates the SDC's resources; it is not idempotent on purpose
// (a scenario starts from nothing, under fresh names).
func Provision(ctx context.Context, c Clients, n Names, o Options) (Resources, error) {
	if o.MaxReceiveCount <= 0 {
		o.MaxReceiveCount = 5
	}
	if o.VisibilityTimeout <= 0 {
		o.VisibilityTimeout = 300
	}
	r := Resources{Names: n}
	for _, b := range []string{n.Dropbox, n.Archive, n.Workflow} {
		if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return r, fmt.Errorf("provision: bucket %s: %w", b, err)
		}
	}
	var err error
	if r.IngestDLQ, err = createQueue(ctx, c.SQS, n.IngestDLQ, nil); err != nil {
		return r, err
	}
	if r.EventsDLQ, err = createQueue(ctx, c.SQS, n.EventsDLQ, nil); err != nil {
		return r, err
	}
	if r.Ingest, err = createQueue(ctx, c.SQS, n.IngestQueue, workQueueAttrs(r.IngestDLQ.ARN, o)); err != nil {
		return r, err
	}
	if r.Events, err = createQueue(ctx, c.SQS, n.EventsQueue, workQueueAttrs(r.EventsDLQ.ARN, o)); err != nil {
		return r, err
	}
	// Every object created in the dropbox is announced on the ingest queue
	// (S3 then sends an s3:TestEvent, which the indexer ignores).
	if _, err := c.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(n.Dropbox),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			Id: aws.String("magpie-ingest"), QueueArn: aws.String(r.Ingest.ARN),
			Events: []s3types.Event{s3types.EventS3ObjectCreated},
		}}},
	}); err != nil {
		return r, fmt.Errorf("provision: dropbox notifications: %w", err)
	}
	if err := provisionBus(ctx, c.EventBridge, n.Bus, r.Events.ARN); err != nil {
		return r, err
	}
	if r.SITLInbox, err = createQueue(ctx, c.SQS, n.SITLInbox, nil); err != nil {
		return r, err
	}
	if r.SITLTopicARN, err = provisionTopic(ctx, c.SNS, n.SITLTopic, r.SITLInbox.ARN); err != nil {
		return r, err
	}
	return r, provisionTables(ctx, c.Tables)
}

func workQueueAttrs(dlqARN string, o Options) map[string]string {
	redrive, _ := json.Marshal(map[string]string{"deadLetterTargetArn": dlqARN, "maxReceiveCount": strconv.Itoa(o.MaxReceiveCount)})
	return map[string]string{
		string(sqstypes.QueueAttributeNameRedrivePolicy):     string(redrive),
		string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(o.VisibilityTimeout),
	}
}

func createQueue(ctx context.Context, api *sqs.Client, name string, attrs map[string]string) (Queue, error) {
	out, err := api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return Queue{}, fmt.Errorf("provision: queue %s: %w", name, err)
	}
	q := Queue{Name: name, URL: aws.ToString(out.QueueUrl)}
	got, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return q, fmt.Errorf("provision: queue %s: arn: %w", name, err)
	}
	q.ARN = got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	return q, nil
}

// provisionBus creates the bus and the rule that sends FileIndexed events
// to the processing queue (the pipeline's trigger, as in the CDK stack).
func provisionBus(ctx context.Context, api *eb.Client, bus, queueARN string) error {
	if _, err := api.CreateEventBus(ctx, &eb.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		return fmt.Errorf("provision: bus %s: %w", bus, err)
	}
	pattern, _ := json.Marshal(map[string][]string{"detail-type": {events.FileIndexed}})
	rule := bus + "-file-indexed"
	if _, err := api.PutRule(ctx, &eb.PutRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus),
		EventPattern: aws.String(string(pattern))}); err != nil {
		return fmt.Errorf("provision: rule %s: %w", rule, err)
	}
	out, err := api.PutTargets(ctx, &eb.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("processing"), Arn: aws.String(queueARN)}}})
	if err != nil {
		return fmt.Errorf("provision: rule %s targets: %w", rule, err)
	}
	if out.FailedEntryCount > 0 {
		return fmt.Errorf("provision: rule %s: %d targets failed", rule, out.FailedEntryCount)
	}
	return nil
}

// provisionTopic creates the SITL topic with the inbox queue subscribed
// (raw delivery: the queue receives the message as published).
func provisionTopic(ctx context.Context, api *sns.Client, name, queueARN string) (string, error) {
	out, err := api.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("provision: topic %s: %w", name, err)
	}
	if _, err := api.Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(queueARN), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		return "", fmt.Errorf("provision: topic %s: subscribe: %w", name, err)
	}
	return aws.ToString(out.TopicArn), nil
}

// provisionTables creates the tables the functions share.
func provisionTables(ctx context.Context, tables store.TableStore) error {
	// The stack's tables (infra/sdc.TableSpecs): the api function expects
	// them to exist, as on AWS.
	for _, spec := range []store.TableSpec{catalog.Spec, pipeline.JobsSpec, release.Spec, auth.Spec, campaign.Spec,
		burst.TableSpec(burst.DefaultTable), sitlcycle.TableSpec(sitlcycle.DefaultTable)} {
		if err := tables.EnsureTable(ctx, spec); err != nil {
			return fmt.Errorf("provision: table %s: %w", spec.Name, err)
		}
	}
	return nil
}
