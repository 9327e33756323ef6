//go:build lambda.norpc

package awsstore

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// loadConfig builds the configuration from what Lambda puts in a
// function's environment (lambdaConfig).
func loadConfig(context.Context) (aws.Config, error) {
	return lambdaConfig(os.Getenv)
}
