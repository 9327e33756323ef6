package sdc

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/magpie-sdc/magpie/shared/mission"
)

// Storage is the SDC's buckets and the dropbox's notification queue.
type Storage struct {
	Dropbox, Archive, Public, Logs awss3.Bucket
	// Workflow holds the workflows' working data: reprocessing campaigns'
	// item lists and Map results (campaigns/) and the SITL cycle's
	// downlink playlists for the operations center (playlists/).
	Workflow awss3.Bucket
	// Ingest receives the dropbox's object-created notifications; messages
	// the indexer fails on maxReceives times go to IngestDLQ.
	Ingest, IngestDLQ awssqs.Queue
}

// ingestMaxReceives is how often a notification is tried before it is
// parked in the DLQ (a poison file, or a bug: an operator looks at it).
const ingestMaxReceives = 5

// indexerTimeoutSeconds bounds one indexer batch; the queue's visibility
// timeout must be at least six times it (AWS's advice for Lambda sources).
const indexerTimeoutSeconds = 120

// NewStorage creates the buckets: all private, TLS-only, encrypted, logged,
// and kept when the stack is deleted.
func NewStorage(scope constructs.Construct, id string, s Settings, p *mission.Profile) (*Storage, error) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := &Storage{}
	st.Logs = awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED, // server access logs cannot be written with KMS
		// CloudFront's standard logs are delivered with ACLs.
		ObjectOwnership: awss3.ObjectOwnership_OBJECT_WRITER,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-access-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(s.AccessLogDays))),
		}},
	})
	data := func(name string, versioned bool, rules []*awss3.LifecycleRule) awss3.Bucket {
		return awss3.NewBucket(c, jsii.String(name), &awss3.BucketProps{
			BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL:             jsii.Bool(true),
			Encryption:             awss3.BucketEncryption_S3_MANAGED,
			ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			Versioned:              jsii.Bool(versioned),
			RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
			ServerAccessLogsBucket: st.Logs,
			ServerAccessLogsPrefix: jsii.String("s3/" + name + "/"),
			LifecycleRules:         &rules,
		})
	}
	abortUploads := &awss3.LifecycleRule{
		Id:                                  jsii.String("abort-incomplete-uploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
	}
	archiveRules, err := ArchiveLifecycle(p.Archive)
	if err != nil {
		return nil, err
	}
	st.Dropbox = data("Dropbox", false, []*awss3.LifecycleRule{abortUploads})
	st.Archive = data("Archive", true, append(archiveRules, abortUploads))
	st.Public = data("Public", false, []*awss3.LifecycleRule{abortUploads})
	st.Workflow = data("Workflow", false, []*awss3.LifecycleRule{abortUploads})

	// The archive is immutable: a new version of a file is a new object, and
	// nobody (no role of this stack, no operator) deletes archived data.
	st.Archive.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ArchiveIsImmutable"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:DeleteObject", "s3:DeleteObjectVersion"),
		Resources:  jsii.Strings(*st.Archive.BucketArn(), *st.Archive.ArnForObjects(jsii.String("*"))),
	}))

	st.IngestDLQ = awssqs.NewQueue(c, jsii.String("IngestDLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	st.Ingest = awssqs.NewQueue(c, jsii.String("Ingest"), &awssqs.QueueProps{
		// SSE-SQS (not KMS): S3 can deliver notifications to it without a key policy.
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * indexerTimeoutSeconds)),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: st.IngestDLQ, MaxReceiveCount: jsii.Number(ingestMaxReceives)},
	})
	// Every object created in the dropbox is a file to ingest; the indexer
	// ignores its own quarantine/ objects.
	st.Dropbox.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewSqsDestination(st.Ingest))
	return st, nil
}

// ArchiveLifecycle turns the profile's archive policy into lifecycle rules.
// Archive keys put the level in the middle of the path
// (<sc>/<instr>/<rate>/<level>/...), so rules select files by the object
// tags the archive writes: "level" and "superseded".
func ArchiveLifecycle(a mission.Archive) ([]*awss3.LifecycleRule, error) {
	var rules []*awss3.LifecycleRule
	for _, r := range a.Lifecycle {
		for _, level := range r.Levels {
			var ts []*awss3.Transition
			for _, t := range r.Transitions {
				sc, err := storageClass(t.Class)
				if err != nil {
					return nil, fmt.Errorf("archive lifecycle of level %s: %w", level, err)
				}
				ts = append(ts, &awss3.Transition{StorageClass: sc, TransitionAfter: awscdk.Duration_Days(jsii.Number(float64(t.Days)))})
			}
			rules = append(rules, &awss3.LifecycleRule{
				Id:          jsii.String("level-" + level),
				TagFilters:  &map[string]any{"level": level},
				Transitions: &ts,
			})
		}
	}
	if a.SupersededDays > 0 {
		class := a.SupersededClass
		if class == "" {
			class = "DEEP_ARCHIVE"
		}
		sc, err := storageClass(class)
		if err != nil {
			return nil, fmt.Errorf("archive superseded class: %w", err)
		}
		after := awscdk.Duration_Days(jsii.Number(float64(a.SupersededDays)))
		rules = append(rules,
			&awss3.LifecycleRule{
				Id:          jsii.String("superseded-files"),
				TagFilters:  &map[string]any{"superseded": "true"},
				Transitions: &[]*awss3.Transition{{StorageClass: sc, TransitionAfter: after}},
			},
			&awss3.LifecycleRule{
				Id:                           jsii.String("noncurrent-versions"),
				NoncurrentVersionTransitions: &[]*awss3.NoncurrentVersionTransition{{StorageClass: sc, TransitionAfter: after}},
			})
	}
	return rules, nil
}

func storageClass(name string) (awss3.StorageClass, error) {
	switch name {
	case "STANDARD_IA":
		return awss3.StorageClass_INFREQUENT_ACCESS(), nil
	case "INTELLIGENT_TIERING":
		return awss3.StorageClass_INTELLIGENT_TIERING(), nil
	case "GLACIER_IR":
		return awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(), nil
	case "GLACIER":
		return awss3.StorageClass_GLACIER(), nil
	case "DEEP_ARCHIVE":
		return awss3.StorageClass_DEEP_ARCHIVE(), nil
	}
	return nil, fmt.Errorf("unknown storage class %q", name)
}
