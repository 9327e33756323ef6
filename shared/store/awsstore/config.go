// Package awsstore implements the storage ports on AWS: store.ObjectStore on
// one S3 bucket and store.TableStore on DynamoDB tables. Both pass the same
// contract suites (storetest) as the local adapters, run against moto and
// DynamoDB Local.
package awsstore

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// Retry policy of every client built from LoadConfig. Throttling
// (ThrottlingException, ProvisionedThroughputExceeded, S3 SlowDown/503) and
// transient errors are retried by the SDK's standard retryer with
// exponential jittered back-off:
//   - more attempts than the SDK's 3, because on-demand DynamoDB tables
//     throttle while they split partitions under a reprocessing burst;
//   - back-off capped at 5 s so a Lambda never stalls for long on one call;
//   - no client-side retry quota (token bucket): its 500-token budget is
//     shared by every call of a client and, once spent in a throttling burst,
//     fails calls without sending them; the attempt cap bounds retries.
const (
	retryMaxAttempts = 8
	retryMaxBackoff  = 5 * time.Second
)

// LoadConfig loads the AWS configuration with Magpie's retry policy and
// X-Ray tracing of AWS calls when running traced in Lambda (see
// telemetry.InstrumentAWS). The CLI and tests load it the SDK's standard
// way (environment, shared config files and SSO profiles, instance roles:
// config_sdk.go); the Lambda functions, built with the lambda.norpc tag,
// read the environment Lambda sets (config_lambda.go), which keeps the
// SDK's STS and SSO clients, unused there, out of their binaries.
//
// Endpoints come from the SDK's standard variables in both: AWS_ENDPOINT_URL
// for all services, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB / ... for
// one. Build clients with NewS3Client and NewDynamoDBClient, which apply
// what emulators need.
func LoadConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := loadConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	telemetry.InstrumentAWS(&cfg)
	return cfg, nil
}

func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = retryMaxAttempts
		o.MaxBackoff = retryMaxBackoff
		o.RateLimiter = ratelimit.None
	})
}

// NewS3Client returns an S3 client for cfg. When an endpoint override is set
// (cfg.BaseEndpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) it uses
// path-style addressing, because emulators such as moto serve buckets as
// paths, not as virtual hosts under their own domain.
func NewS3Client(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
	override := cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	fns := append([]func(*s3.Options){func(o *s3.Options) {
		o.UsePathStyle = override
		// Range reads and objects stored without a full-object checksum
		// cannot be validated; the SDK would log that on every such Get.
		o.DisableLogOutputChecksumValidationSkipped = true
	}}, optFns...)
	return s3.NewFromConfig(cfg, fns...)
}

// NewDynamoDBClient returns a DynamoDB client for cfg.
func NewDynamoDBClient(cfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, optFns...)
}
