package main

import (
	"context"
	"strings"
	"testing"

	sitlenv "github.com/magpie-sdc/magpie/shared/lambdaenv/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
)

func TestBuildNeedsItsConfiguration(t *testing.T) {
	env := map[string]string{"ARCHIVE_BUCKET": "arch", "PLAYLIST_BUCKET": "ops", "TABLE_PREFIX": "magpie-test-",
		"AWS_REGION": "us-east-1"}
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
		{map[string]string{"SITL_STEP": sitlcycle.FnApply}, ""},
		{map[string]string{"SITL_STEP": "sitl-nope"}, "names no step"},
		{map[string]string{"ARCHIVE_BUCKET": ""}, "ARCHIVE_BUCKET"},
		{map[string]string{"PLAYLIST_BUCKET": ""}, "PLAYLIST_BUCKET"},
		{map[string]string{"LOG_LEVEL": "loud"}, "loud"},
	} {
		h, err := build(context.Background(), get(c.over))
		switch {
		case c.want == "" && (err != nil || h == nil):
			t.Errorf("%v: %v", c.over, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one about %s", c.over, err, c.want)
		}
	}
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
