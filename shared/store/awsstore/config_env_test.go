package awsstore

import (
	"context"
	"strings"
	"testing"
)

func TestLambdaConfig(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "token", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2"}
	get := func(over map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := over[k]; ok {
				return v
			}
			return env[k]
		}
	}
	cfg, err := lambdaConfig(get(nil))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKID" || creds.SessionToken != "token" || cfg.Region != "eu-west-1" {
		t.Errorf("config: %+v %+v %v", cfg, creds, err)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:1" {
		t.Errorf("base endpoint %v", cfg.BaseEndpoint)
	}
	if got := *NewDynamoDBClient(cfg).Options().BaseEndpoint; got != "http://127.0.0.1:2" {
		t.Errorf("DynamoDB endpoint %q, want AWS_ENDPOINT_URL_DYNAMODB's", got)
	}
	if cfg, _ = lambdaConfig(get(map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})); cfg.BaseEndpoint != nil {
		t.Errorf("ignored endpoints still set: %v", *cfg.BaseEndpoint)
	}
	for _, c := range []struct {
		over map[string]string
		want string
	}{
		{map[string]string{"AWS_REGION": ""}, "AWS_REGION"},
		{map[string]string{"AWS_SECRET_ACCESS_KEY": ""}, "AWS_SECRET_ACCESS_KEY"},
	} {
		if _, err := lambdaConfig(get(c.over)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error about %s", c.over, err, c.want)
		}
	}
}
