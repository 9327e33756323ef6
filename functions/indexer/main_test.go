package main

import (
	"context"
	"strings"
	"testing"
)

func TestBuildNeedsItsConfiguration(t *testing.T) {
	env := map[string]string{"DROPBOX_BUCKET": "drop", "ARCHIVE_BUCKET": "arch", "EVENT_BUS": "magpie",
		"TABLE_PREFIX": "magpie-test-", "AWS_REGION": "us-east-1"}
	for _, missing := range []string{"DROPBOX_BUCKET", "ARCHIVE_BUCKET", "EVENT_BUS"} {
		get := func(k string) string {
			if k == missing {
				return ""
			}
			return env[k]
		}
		if _, err := build(context.Background(), get); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: %v", missing, err)
		}
	}
	h, err := build(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if h.Bucket != "drop" || h.Indexer.Profile.ID != "mms" {
		t.Fatalf("handler %+v", h)
	}
	bad := func(k string) string {
		if k == "LOG_LEVEL" {
			return "loud"
		}
		return env[k]
	}
	if _, err := build(context.Background(), bad); err == nil {
		t.Error("bad LOG_LEVEL accepted")
	}
}
