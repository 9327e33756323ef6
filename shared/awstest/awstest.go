// Package awstest gives tests of AWS adapters their emulator endpoints and
// an SDK configuration that can only reach them. Endpoints come from the
// variables scripts/emulators/start.sh writes to .tools/emulators.env; a
// test without them skips, unless MAGPIE_REQUIRE_EMULATORS=1 makes it fail.
package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Environment variables naming the emulators.
const (
	// MotoEnv is moto_server's endpoint: S3, SQS, SNS, Step Functions, EventBridge.
	MotoEnv = "MAGPIE_TEST_S3_ENDPOINT"
	// DynamoDBEnv is DynamoDB Local's endpoint.
	DynamoDBEnv = "MAGPIE_TEST_DYNAMODB_ENDPOINT"
	// RequireEnv set to 1 turns a missing endpoint into a failure.
	RequireEnv = "MAGPIE_REQUIRE_EMULATORS"
)

// Region is the region every emulator test uses.
const Region = "us-east-1"

// Endpoint returns the endpoint in env, or skips (fails when required).
func Endpoint(tb testing.TB, env string) string {
	tb.Helper()
	ep := os.Getenv(env)
	if ep == "" {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("%s is not set and %s=1; run scripts/emulators/start.sh and source .tools/emulators.env", env, RequireEnv)
		}
		tb.Skipf("%s not set; run scripts/emulators/start.sh and source .tools/emulators.env", env)
	}
	return ep
}

// Config returns an SDK configuration with dummy credentials, us-east-1 and
// endpoint as base endpoint, so a test never reaches a real account whatever
// the environment holds.
func Config(tb testing.TB, endpoint string) aws.Config {
	tb.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithSharedConfigProfile(""),
		config.WithBaseEndpoint(endpoint),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// Name returns prefix followed by random hex: names of buckets, tables,
// queues and state machines that do not collide between tests sharing an
// emulator.
func Name(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
