package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/runtime"
)

func TestInvokeUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"indexer"}, {"--event", "../../events/s3-put.json"},
		{"nope", "--event", "../../events/s3-put.json"},
		{"indexer", "--event", "no-such-file.json"},
		{"indexer", "--event", "invoke.go"},
		{"indexer", "--event", "../../events/s3-put.json", "extra"},
	} {
		var out, errb bytes.Buffer
		if code := invokeCommand(args, &out, &errb); code != 2 || out.Len() != 0 || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("invoke %q: exit %d, stdout %q, stderr %q; want 2 and one line", args, code, out.String(), errb.String())
		}
	}
}

func TestInvokeLocal(t *testing.T) {
	data := t.TempDir()
	l0 := append([]byte{0x08, 0x01, 0xC0, 0x00, 0x00, 0x1D}, bytes.Repeat([]byte{0x5A}, 30)...)
	if err := os.MkdirAll(filepath.Join(data, "dropbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "dropbox", "mms1_fgm_srvy_l0_20151016_v1.0.0.dat"), l0, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := invokeCommand([]string{"--event", "../../events/s3-put.json", "--data", data, "indexer"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var resp struct {
		Outcomes []struct{ Result, Key string }
	}
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil || len(resp.Outcomes) != 1 || resp.Outcomes[0].Result != "indexed" {
		t.Fatalf("response %s (%v)", out.String(), err)
	}

	// The processor on a batch: the indexed file's FileIndexed event goes
	// to the pipeline; a message that is not an EventBridge event is a
	// batch item failure (so SQS retries it and then parks it in the DLQ).
	raw, err := os.ReadFile("../../events/sqs-eventbridge-file-indexed.json")
	if err != nil {
		t.Fatal(err)
	}
	var sqsEvent struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(raw, &sqsEvent); err != nil {
		t.Fatal(err)
	}
	bad := map[string]any{"messageId": "not-eventbridge", "body": "{}", "eventSource": "aws:sqs"}
	sqsEvent.Records = append(sqsEvent.Records, bad)
	batchFile := filepath.Join(t.TempDir(), "batch.json")
	b, _ := json.Marshal(sqsEvent)
	if err := os.WriteFile(batchFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := invokeCommand([]string{"processor", "--event", batchFile, "--data", data}, &out, &errb); code != 0 {
		t.Fatalf("processor: exit %d: %s", code, errb.String())
	}
	var batch struct {
		Failures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out.Bytes(), &batch); err != nil || len(batch.Failures) != 1 || batch.Failures[0].ItemIdentifier != "not-eventbridge" {
		t.Errorf("processor response %s (%v), want the one bad message failed", out.String(), err)
	}

	// A bad event is the handler's error: exit 1.
	badFile := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(badFile, []byte(`{"hello":"world"}`), 0o644)
	out.Reset()
	errb.Reset()
	if code := invokeCommand([]string{"indexer", "--event", badFile, "--data", data}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not an S3") {
		t.Errorf("bad event: exit %d, stderr %q", code, errb.String())
	}

	// A running server holds the data folder: one clear line, exit 2.
	sdc, err := runtime.Open(context.Background(), runtime.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer sdc.Close()
	errb.Reset()
	if code := invokeCommand([]string{"indexer", "--event", "../../events/s3-put.json", "--data", data}, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "in use") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("busy data folder: exit %d, stderr %q", code, errb.String())
	}
}
