package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/magpie-sdc/magpie/shared/awstest"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
)

// testProcessor runs the processor's bootstrap on FileIndexed events in
// SQS batches: configuration errors at init, a malformed message reported
// as a batch item failure (so it reaches the DLQ), and, on the emulators,
// the pipeline planning the jobs of an indexed L0 file.
func testProcessor(t *testing.T, bin string) {
	for _, missing := range []string{"DROPBOX_BUCKET", "ARCHIVE_BUCKET", "EVENT_BUS"} {
		t.Run("init error without "+missing, func(t *testing.T) {
			env := map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "EVENT_BUS": "b", "AWS_REGION": awstest.Region}
			delete(env, missing)
			initError(t, bin, env, missing)
		})
	}

	t.Run("emulators", func(t *testing.T) {
		e := newEmulatorSDC(t)
		ctx, tables, cat, drop := context.Background(), e.tables, e.cat, e.drop
		// Index the L0 file as the indexer function would; its event is
		// what the processing queue receives.
		prof, err := mission.Default()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := drop.Put(ctx, sampleKey, bytes.NewReader(l0), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		bus := &recorder{}
		ix := &ingest.Indexer{Profile: prof, Dropbox: drop, Archive: awsstore.NewObjectStore(e.s3, e.archive), Catalog: cat,
			Events: bus, Clock: clock.Real{}, Log: slog.New(slog.DiscardHandler)}
		if _, err := ix.Index(ctx, sampleKey); err != nil || len(bus.events) != 1 {
			t.Fatalf("index: %v, %d events", err, len(bus.events))
		}
		detail := string(bus.events[0].Detail)

		p := start(t, bin, e.env(nil))
		raw := sampleEvent(t, "sqs-eventbridge-file-indexed.json")
		var batch struct {
			Records []map[string]any `json:"Records"`
		}
		if err := json.Unmarshal(raw, &batch); err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(batch.Records[0]["body"].(string)), &body); err != nil {
			t.Fatal(err)
		}
		body["detail"] = json.RawMessage(detail)
		b, _ := json.Marshal(body)
		good := batch.Records[0]
		good["body"] = string(b)
		bad := map[string]any{}
		for k, v := range good {
			bad[k] = v
		}
		bad["messageId"], bad["body"] = "not-an-eventbridge-event", "{}"
		batch.Records = []map[string]any{good, bad}
		ev, _ := json.Marshal(batch)

		r := p.invoke(t, ev)
		var resp struct {
			Failures []struct {
				ID string `json:"itemIdentifier"`
			} `json:"batchItemFailures"`
		}
		if r.Error != nil || json.Unmarshal(r.Response, &resp) != nil {
			t.Fatalf("invoke: %+v %s", r.Error, r.Response)
		}
		if len(resp.Failures) != 1 || resp.Failures[0].ID != "not-an-eventbridge-event" {
			t.Errorf("batch item failures %+v, want only the malformed message", resp.Failures)
		}
		// The L0 file's L1A job was planned: NOTRUN (its attitude and
		// ephemeris are missing) or run.
		jobs, err := pipeline.NewJobs(tables).List(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var mine []string
		for _, j := range jobs {
			for _, in := range j.Inputs {
				if in.FileName == sampleKey {
					mine = append(mine, j.Node+":"+j.Status)
				}
			}
		}
		if len(mine) == 0 {
			t.Errorf("no job planned for %s; jobs: %+v", sampleKey, jobs)
		}
		p.alive(t)
	})
}

// recorder is an events.Publisher keeping what it was given.
type recorder struct{ events []events.Event }

func (r *recorder) Publish(_ context.Context, e events.Event) error {
	r.events = append(r.events, e)
	return nil
}
