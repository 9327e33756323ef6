//go:build !lambda.norpc

package awsstore

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// loadConfig is the SDK's standard chain (environment, shared config and
// credentials files, SSO, container and instance roles).
func loadConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, config.WithRetryer(newRetryer))
}
