package main

import (
	"testing"

	"github.com/magpie-sdc/magpie/shared/lambdaenv/lambdaenvtest"
)

func TestBuildNeedsItsConfiguration(t *testing.T) {
	lambdaenvtest.Check(t, build, map[string]string{"DROPBOX_BUCKET": "drop", "ARCHIVE_BUCKET": "arch", "CAMPAIGN_BUCKET": "camp",
		"EVENT_BUS": "magpie", "TABLE_PREFIX": "magpie-test-", "AWS_REGION": "us-east-1"}, []lambdaenvtest.Case{
		{},
		{Over: map[string]string{"CAMPAIGN_BUCKET": ""}, Want: "CAMPAIGN_BUCKET"},
		{Over: map[string]string{"DROPBOX_BUCKET": ""}, Want: "DROPBOX_BUCKET"},
		// The rest of the common environment: jobsenv's tests.
	})
}
