package main

import (
	"context"
	"strings"
	"testing"
)

func TestBuildNeedsItsConfiguration(t *testing.T) {
	env := map[string]string{"DROPBOX_BUCKET": "drop", "ARCHIVE_BUCKET": "arch", "CAMPAIGN_BUCKET": "camp",
		"EVENT_BUS": "magpie", "TABLE_PREFIX": "magpie-test-", "AWS_REGION": "us-east-1"}
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
		{map[string]string{"DROPBOX_BUCKET": ""}, "DROPBOX_BUCKET"},
		{map[string]string{"ARCHIVE_BUCKET": ""}, "ARCHIVE_BUCKET"},
		{map[string]string{"CAMPAIGN_BUCKET": ""}, "CAMPAIGN_BUCKET"},
		{map[string]string{"EVENT_BUS": ""}, "EVENT_BUS"},
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
