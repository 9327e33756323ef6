package sdc

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/pipeline"
)

const (
	// processorTimeoutSeconds bounds one batch: a processor job runs in it.
	processorTimeoutSeconds = 900
	// processingMaxReceives is how often an event is tried before it is
	// left in the processing DLQ for an operator.
	processingMaxReceives = 3
	// sitlMachine is the SITL cycle's statemachines/ file name.
	sitlMachine = "sitl-cycle"
)

// wireProcessor gives the processor function its queue: an EventBridge rule
// sends the bus's FileIndexed events to the processing queue (with a DLQ),
// whose event source mapping invokes the function a few events at a time.
// The function plans and runs jobs as the indexer's events arrive, which is
// how products follow their inputs on AWS.
func wireProcessor(fn awslambda.Function, r *Resources) {
	wireJobs(fn, r)
	if r.Settings.SITLDeadline != "" {
		fn.AddEnvironment(jsii.String("SITL_DEADLINE"), jsii.String(r.Settings.SITLDeadline), nil)
	}

	dlq := awssqs.NewQueue(fn, jsii.String(processingDLQChild), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	queue := awssqs.NewQueue(fn, jsii.String("Processing"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		// Lambda's rule for queues it reads: at least 6× the function timeout.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * processorTimeoutSeconds)),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(processingMaxReceives)},
	})
	awsevents.NewRule(fn, jsii.String("FileIndexedRule"), &awsevents.RuleProps{
		EventBus:     r.Bus,
		Description:  jsii.String("sends every FileIndexed event to the processing queue"),
		EventPattern: &awsevents.EventPattern{DetailType: jsii.Strings(events.FileIndexed)},
		Targets:      &[]awsevents.IRuleTarget{awseventstargets.NewSqsQueue(queue, nil)},
	})
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, &awslambdaeventsources.SqsEventSourceProps{
		// Jobs are long: a small batch keeps one slow job from holding
		// many events past their visibility timeout.
		BatchSize:               jsii.Number(2),
		ReportBatchItemFailures: jsii.Bool(true),
		// Caps concurrent processors (protects the tables and the
		// archive) without reserving account concurrency.
		MaxConcurrency: jsii.Number(float64(max(2, r.Settings.IndexerConcurrency))),
	}))
}

// WireSITLTrigger lets the processor start SITL cycles: it gets the SITL
// state machine's ARN and may start executions of it, nothing else. Called
// once the state machines exist (they name the functions, not the other
// way round).
func WireSITLTrigger(fns *Functions, wf *Workflows) {
	fn, ok := fns.ByName["processor"]
	sm, ok2 := wf.ByName[sitlMachine]
	if !ok || !ok2 {
		return
	}
	fn.AddEnvironment(jsii.String("SITL_STATE_MACHINE_ARN"), sm.StateMachineArn(), nil)
	sm.GrantStartExecution(fn)
}

// processingDLQ is the processor's dead-letter queue, or nil without a
// processor function.
func processingDLQ(fns *Functions) awssqs.Queue {
	fn, ok := fns.ByName["processor"]
	if !ok {
		return nil
	}
	q, _ := fn.Node().TryFindChild(jsii.String(processingDLQChild)).(awssqs.Queue)
	return q
}

// wireJobs gives a function that indexes files and runs jobs
// (shared/lambdaenv/jobsenv: processor, reprocess, sweeper) the common
// environment and what that work needs, nothing more.
func wireJobs(fn awslambda.Function, r *Resources) {
	st := r.Storage
	fn.AddEnvironment(jsii.String("DROPBOX_BUCKET"), st.Dropbox.BucketName(), nil)
	fn.AddEnvironment(jsii.String("ARCHIVE_BUCKET"), st.Archive.BucketName(), nil)
	fn.AddEnvironment(jsii.String("EVENT_BUS"), r.Bus.EventBusName(), nil)
	// Indexes files as the indexer does (read, remove once archived,
	// rejects under quarantine/); jobs put their outputs into the dropbox.
	st.Dropbox.GrantReadWrite(fn, nil)
	st.Dropbox.GrantDelete(fn, jsii.String("*"))
	// Reads inputs, archives files; never deletes.
	st.Archive.GrantPut(fn, jsii.String("*"))
	st.Archive.GrantRead(fn, nil)
	for _, t := range []string{catalog.TableName, pipeline.JobsSpec.Name} {
		r.Tables.ByName[t].GrantReadWriteData(fn)
	}
	grantEnsureTables(fn, r, pipeline.JobsSpec.Name)
	r.Bus.GrantPutEventsTo(fn, nil)
}
