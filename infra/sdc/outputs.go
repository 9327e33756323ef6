package sdc

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Output names: what `cdk deploy --outputs-file` writes for the deployed
// ops scenario (localstack/scenario.LoadOutputs reads these names) and for
// operators.
const (
	OutDropbox         = "DropboxBucket"
	OutArchive         = "ArchiveBucket"
	OutWorkflow        = "WorkflowBucket"
	OutTablePrefix     = "TablePrefix"
	OutEventBus        = "EventBusName"
	OutIngestQueue     = "IngestQueueUrl"
	OutIngestDLQ       = "IngestDLQUrl"
	OutProcessingDLQ   = "ProcessingDLQUrl"
	OutAPIEndpoint     = "ApiEndpoint"
	OutReprocessArn    = "ReprocessStateMachineArn"
	OutSITLCycleArn    = "SitlCycleStateMachineArn"
	processingDLQChild = "ProcessingDLQ"
)

// addOutputs names the resources an operator (and the deployed scenario)
// drives and observes. Resources a stage lacks (no api function, no SITL
// state machine) have no output.
func addOutputs(sdc *SDC, s Settings, busName *string) {
	out := func(name string, v *string) {
		awscdk.NewCfnOutput(sdc.Stack, jsii.String(name), &awscdk.CfnOutputProps{Value: v})
	}
	st := sdc.Storage
	out(OutDropbox, st.Dropbox.BucketName())
	out(OutArchive, st.Archive.BucketName())
	out(OutWorkflow, st.Workflow.BucketName())
	out(OutTablePrefix, jsii.String(s.TablePrefix()))
	out(OutEventBus, busName)
	out(OutIngestQueue, st.Ingest.QueueUrl())
	out(OutIngestDLQ, st.IngestDLQ.QueueUrl())
	if q := processingDLQ(sdc.Functions); q != nil {
		out(OutProcessingDLQ, q.QueueUrl())
	}
	if sdc.Access != nil && sdc.Access.API != nil {
		out(OutAPIEndpoint, sdc.Access.API.ApiEndpoint())
	}
	for name, key := range map[string]string{"reprocess": OutReprocessArn, sitlMachine: OutSITLCycleArn} {
		if sm, ok := sdc.Workflows.ByName[name]; ok {
			out(key, sm.StateMachineArn())
		}
	}
}
