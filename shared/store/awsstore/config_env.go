package awsstore

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// lambdaConfig builds the configuration from what Lambda puts in a
// function's environment: AWS_REGION and the execution role's credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which is
// all the SDK's standard chain would find there; endpoints as the SDK reads
// them. The Lambda build's loadConfig (config_lambda.go); compiled always
// so its tests run in every build.
func lambdaConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the execution role's credentials)")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN"))),
		Retryer:     newRetryer,
		// Service clients look here for AWS_ENDPOINT_URL_<SERVICE>.
		ConfigSources: []any{envEndpoints{getenv}},
	}
	if v := getenv("AWS_ENDPOINT_URL"); v != "" && !strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		cfg.BaseEndpoint = aws.String(v)
	}
	return cfg, nil
}

// envEndpoints gives service clients the AWS_ENDPOINT_URL_<SDK ID>
// variables, the SDK ID upper-cased with spaces as underscores (as the
// SDK's own environment source does).
type envEndpoints struct{ getenv func(string) string }

func (e envEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := e.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints honours AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (e envEndpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	v := e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	return strings.EqualFold(v, "true"), v != "", nil
}
