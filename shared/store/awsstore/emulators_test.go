package awsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The contract tests run against emulators whose endpoints these variables
// give (scripts/emulators/start.sh writes them to .tools/emulators.env);
// without them the tests skip, unless MAGPIE_REQUIRE_EMULATORS=1.
const (
	s3EndpointEnv       = "MAGPIE_TEST_S3_ENDPOINT"
	dynamoDBEndpointEnv = "MAGPIE_TEST_DYNAMODB_ENDPOINT"
	requireEnv          = "MAGPIE_REQUIRE_EMULATORS"
)

// emulator returns the endpoint in env, or skips (fails when required).
func emulator(tb testing.TB, env string) string {
	tb.Helper()
	ep := os.Getenv(env)
	if ep == "" {
		if os.Getenv(requireEnv) == "1" {
			tb.Fatalf("%s is not set and %s=1; run scripts/emulators/start.sh and source .tools/emulators.env", env, requireEnv)
		}
		tb.Skipf("%s not set; run scripts/emulators/start.sh and source .tools/emulators.env", env)
	}
	return ep
}

// emulatorConfig is LoadConfig's (the retry policy) with dummy credentials
// and us-east-1, so the tests never touch a real account whatever the
// environment holds.
func emulatorConfig(tb testing.TB) aws.Config {
	tb.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryer(newRetryer),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithSharedConfigProfile(""),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func emulatorS3(tb testing.TB) *s3.Client {
	ep := emulator(tb, s3EndpointEnv)
	return NewS3Client(emulatorConfig(tb), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ep)
		o.UsePathStyle = true
	})
}

func emulatorDynamoDB(tb testing.TB) *dynamodb.Client {
	ep := emulator(tb, dynamoDBEndpointEnv)
	return NewDynamoDBClient(emulatorConfig(tb), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) })
}

// uniqueName returns prefix followed by random hex, for buckets and tables.
func uniqueName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
