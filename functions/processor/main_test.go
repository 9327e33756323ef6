package main

import (
	"context"
	"strings"
	"testing"
)

func TestBuildNeedsItsConfiguration(t *testing.T) {
	env := map[string]string{"DROPBOX_BUCKET": "drop", "ARCHIVE_BUCKET": "arch", "EVENT_BUS": "magpie",
		"TABLE_PREFIX": "magpie-test-", "AWS_REGION": "us-east-1"}
	get := func(over map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := over[k]; ok {
				return v
			}
			return env[k]
		}
	}
	for _, c := range []struct {
		over map[string]string
		want string // "" for success, else part of the error
	}{
		{nil, ""},
		{map[string]string{"SITL_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:sitl", "SITL_DEADLINE": "90m"}, ""},
		{map[string]string{"DROPBOX_BUCKET": ""}, "DROPBOX_BUCKET"},
		{map[string]string{"ARCHIVE_BUCKET": ""}, "ARCHIVE_BUCKET"},
		{map[string]string{"EVENT_BUS": ""}, "EVENT_BUS"},
		{map[string]string{"SITL_DEADLINE": "soon"}, "SITL_DEADLINE"},
		{map[string]string{"SITL_DEADLINE": "-1h"}, "SITL_DEADLINE"},
		{map[string]string{"LOG_LEVEL": "loud"}, "loud"},
		{map[string]string{"MISSION_PROFILE": "/nonexistent/profile.yaml"}, "profile.yaml"},
	} {
		h, err := build(context.Background(), get(c.over))
		switch {
		case c.want == "" && (err != nil || h == nil):
			t.Errorf("%v: %v", c.over, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one about %s", c.over, err, c.want)
		}
	}
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
