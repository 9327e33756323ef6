package main

import (
	"context"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/lambdaenv/lambdaenvtest"
	sitlenv "github.com/magpie-sdc/magpie/shared/lambdaenv/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
)

func TestBuildNeedsItsConfiguration(t *testing.T) {
	lambdaenvtest.Check(t, build, map[string]string{"ARCHIVE_BUCKET": "arch", "PLAYLIST_BUCKET": "ops", "TABLE_PREFIX": "magpie-test-",
		"AWS_REGION": "us-east-1"}, []lambdaenvtest.Case{
		{},
		{Over: map[string]string{"SITL_STEP": sitlcycle.FnApply}},
		{Over: map[string]string{"SITL_STEP": "sitl-nope"}, Want: "names no step"},
		{Over: map[string]string{"ARCHIVE_BUCKET": ""}, Want: "ARCHIVE_BUCKET"},
		{Over: map[string]string{"PLAYLIST_BUCKET": ""}, Want: "PLAYLIST_BUCKET"},
		{Over: map[string]string{"LOG_LEVEL": "loud"}, Want: "loud"},
	})
	if got := sitlenv.Steps(); len(got) != 6 {
		t.Errorf("steps %v, want the six of the state machine", got)
	}
}

// A payload must name a step the function serves; that is checked before
// any AWS call, so these run without AWS.
func TestHandlerRejectsUnknownSteps(t *testing.T) {
	h, err := build(context.Background(), func(k string) string {
		return map[string]string{"ARCHIVE_BUCKET": "arch", "PLAYLIST_BUCKET": "ops", "AWS_REGION": "us-east-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	for payload, want := range map[string]string{
		`{"cycle_id":"c1"}`:                      "names no step",
		`{"cycle_id":"c1","step":"sitl-launch"}`: "sitl-launch",
		`[1,2]`:                                  "payload",
	} {
		if _, err := h(context.Background(), []byte(payload)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one about %s", payload, err, want)
		}
	}
}
