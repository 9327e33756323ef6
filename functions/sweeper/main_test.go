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
		{Over: map[string]string{"DROPBOX_BUCKET": ""}, Want: "DROPBOX_BUCKET"},
		// The rest of the common environment: jobsenv's tests.
	})
}

// A bad or task-less event is refused before any AWS call.
func TestHandlerRefusesEventsWithoutATask(t *testing.T) {
	h, err := build(context.Background(), func(k string) string {
		return map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "EVENT_BUS": "b", "AWS_REGION": "us-east-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{`"not an event"`, `{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, `{"task":"sweep-everything"}`} {
		if _, err := h(context.Background(), []byte(ev)); err == nil || !strings.Contains(err.Error(), "sweeper") {
			t.Errorf("%s: error %v", ev, err)
		}
	}
}
