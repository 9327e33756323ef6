package main

import (
	"context"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/lambdaenv/lambdaenvtest"
)

func TestBuildNeedsItsConfiguration(t *testing.T) {
	lambdaenvtest.Check(t, build, map[string]string{"DROPBOX_BUCKET": "drop", "ARCHIVE_BUCKET": "arch", "EVENT_BUS": "magpie",
		"TABLE_PREFIX": "magpie-test-", "AWS_REGION": "us-east-1"}, []lambdaenvtest.Case{
		{},
		{Over: map[string]string{"SITL_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:sitl", "SITL_DEADLINE": "90m"}},
		{Over: map[string]string{"SITL_DEADLINE": "soon"}, Want: "SITL_DEADLINE"},
		{Over: map[string]string{"SITL_DEADLINE": "-1h"}, Want: "SITL_DEADLINE"},
		{Over: map[string]string{"DROPBOX_BUCKET": ""}, Want: "DROPBOX_BUCKET"},
		// The rest of the common environment: jobsenv's tests.
	})
}

// An invocation that is not an SQS batch is refused before any AWS call.
func TestHandlerRefusesWhatIsNotAnSQSBatch(t *testing.T) {
	h, err := build(context.Background(), func(k string) string {
		return map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "EVENT_BUS": "b", "AWS_REGION": "us-east-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{`"not an event"`, `{"Records":[]}`, `{"detail-type":"FileIndexed","detail":{}}`} {
		if _, err := h(context.Background(), []byte(ev)); err == nil || !strings.Contains(err.Error(), "processor") {
			t.Errorf("%s: error %v", ev, err)
		}
	}
}
