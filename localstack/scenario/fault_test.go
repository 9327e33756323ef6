package scenario

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestCrashRedeliveryAndDLQ crashes the hosted indexer on two files, one
// before it does anything and one after it has indexed the file: each
// message is redelivered until SQS moves it to the dead-letter queue after
// maxReceiveCount receives, the other files are unaffected, and after the
// fix the DLQ's messages are redriven and indexed. Nothing is lost (the
// unindexed file waits in the dropbox) and nothing is cataloged twice.
func TestCrashRedeliveryAndDLQ(t *testing.T) {
	const maxReceive = 3
	h := newHosted(t, Options{MaxReceiveCount: maxReceive, VisibilityTimeout: 600})
	dir, err := simulated()
	if err != nil {
		t.Fatal(err)
	}
	files, err := dayFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var cals, anc []string
	for _, f := range files {
		switch {
		case strings.HasPrefix(f, "cal/"):
			cals = append(cals, f)
		case strings.HasPrefix(filepath.Base(f), "MMS1_"):
			anc = append(anc, f)
		}
	}
	if len(cals) != 2 || len(anc) != 2 {
		t.Fatalf("want 2 calibrations and 2 ancillary files, got %v %v", cals, anc)
	}
	crashBefore, crashAfter := filepath.Base(cals[0]), filepath.Base(anc[0])
	healthy := []string{filepath.Base(cals[1]), filepath.Base(anc[1])}
	attempts := map[string]int{}
	crashing := func(ctx context.Context, ev json.RawMessage) (any, error) {
		body := string(ev)
		if strings.Contains(body, crashBefore) {
			attempts[crashBefore]++
			panic("indexer crashed before indexing " + crashBefore)
		}
		resp, err := h.indexer(ctx, ev)
		if strings.Contains(body, crashAfter) {
			attempts[crashAfter]++
			panic("indexer crashed after indexing " + crashAfter)
		}
		return resp, err
	}
	h.drop(t, dir, append(cals, anc...)...)
	// Only the ingest queue is hosted: processing is not under test here.
	ingestOnly := func(fn Function) *Host {
		return &Host{Pollers: []*Poller{{API: h.sqs, Queue: h.res.Ingest, Fn: fn, Batch: 1, Region: "us-east-1"}}}
	}
	tot, err := ingestOnly(crashing).RunUntilIdle(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{crashBefore, crashAfter} {
		if attempts[n] != maxReceive {
			t.Errorf("%s: handler ran %d times, want maxReceiveCount=%d", n, attempts[n], maxReceive)
		}
	}
	if len(tot.Errs) != 2*maxReceive {
		t.Errorf("%d crashed invocations, want %d: %v", len(tot.Errs), 2*maxReceive, tot.Errs)
	}
	if n := h.queueDepth(t, h.res.Ingest); n != 0 {
		t.Errorf("ingest queue holds %d messages", n)
	}
	if n := h.queueDepth(t, h.res.IngestDLQ); n != 2 {
		t.Fatalf("DLQ holds %d messages, want the 2 crashed ones", n)
	}
	for _, n := range append(healthy, crashAfter) {
		if _, err := h.sdc.Catalog.Get(h.ctx, n); err != nil {
			t.Errorf("%s not indexed: %v", n, err)
		}
	}
	if _, err := h.sdc.Catalog.Get(h.ctx, crashBefore); err == nil {
		t.Errorf("%s cataloged although its handler always crashed first", crashBefore)
	}
	if _, err := h.sdc.Dropbox.Head(h.ctx, crashBefore); err != nil {
		t.Errorf("%s is no longer in the dropbox although never archived: %v", crashBefore, err)
	}

	// The fix is deployed; the operator redrives the DLQ.
	redriven := redrive(t, h, h.res.IngestDLQ, h.res.Ingest)
	if redriven != 2 {
		t.Fatalf("redrove %d messages, want 2", redriven)
	}
	tot, err = ingestOnly(Function(h.indexer)).RunUntilIdle(h.ctx)
	if err != nil || len(tot.Errs) > 0 || tot.Failed > 0 {
		t.Fatalf("redrive: %v %v, %d failed", err, tot.Errs, tot.Failed)
	}
	recs := allRecords(t, h.ctx, h.sdc.Catalog)
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Name]++
	}
	for _, n := range append(healthy, crashBefore, crashAfter) {
		if seen[n] != 1 {
			t.Errorf("%s cataloged %d times, want once", n, seen[n])
		}
	}
	if len(recs) != 4 {
		t.Errorf("%d records, want 4", len(recs))
	}
	checkCatalogArchive(t, h.ctx, recs, h.sdc.Archive)
	for _, q := range []Queue{h.res.Ingest, h.res.IngestDLQ} {
		if n := h.queueDepth(t, q); n != 0 {
			t.Errorf("queue %s holds %d messages", q.Name, n)
		}
	}
	page, err := h.sdc.Dropbox.List(h.ctx, "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Objects {
		t.Errorf("left in the dropbox: %s", o.Key)
	}
}

// redrive moves every message of from back to to, as the console's
// "start DLQ redrive" does, and returns how many it moved.
func redrive(t *testing.T, h *hosted, from, to Queue) int {
	t.Helper()
	n := 0
	for {
		out, err := h.sqs.ReceiveMessage(h.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(from.URL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return n
		}
		for _, m := range out.Messages {
			if _, err := h.sqs.SendMessage(h.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(to.URL), MessageBody: m.Body}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.sqs.DeleteMessage(h.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(from.URL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
}
