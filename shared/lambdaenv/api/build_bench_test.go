package api

import (
	"context"
	"io"
	"testing"
)

// BenchmarkBuild measures the api function's in-process initialisation
// (configuration, profile, SDK config, shared/api's handler).
func BenchmarkBuild(b *testing.B) {
	env := map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "AWS_REGION": "us-east-1"}
	for b.Loop() {
		if _, err := Build(context.Background(), func(k string) string { return env[k] }, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
