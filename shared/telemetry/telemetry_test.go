package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelInfo).With("fn", "indexer")
	ctx := WithRequestID(context.Background(), "req-42")
	log.InfoContext(ctx, "indexed", "file", "mms1_fgm.cdf")
	log.Info("no context")
	log.DebugContext(ctx, "hidden below info")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first[RequestIDKey] != "req-42" || first["fn"] != "indexer" || first["file"] != "mms1_fgm.cdf" || first["msg"] != "indexed" {
		t.Errorf("first record %v", first)
	}
	if _, ok := second[RequestIDKey]; ok {
		t.Errorf("record without a request context has a request id: %v", second)
	}
	if RequestID(context.Background()) != "" {
		t.Error("request id from an empty context")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "DEBUG": slog.LevelDebug, "warn": slog.LevelWarn, " error ": slog.LevelError} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) succeeded")
	}
}
