package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// ObjectRef names one object an event reports as created.
type ObjectRef struct {
	Bucket, Key string
	// Created is when S3 reports the object created (the event's time);
	// zero when the event does not say.
	Created time.Time
}

// Handler is the indexer's Lambda entry: it accepts the shapes AWS delivers
// object-created notifications in — an S3 event (one record or a batch), an
// SQS batch whose bodies are S3 events (directly, wrapped in SNS, or as
// EventBridge events), and EventBridge "Object Created" events — and indexes
// every object of the dropbox bucket it names.
type Handler struct {
	Indexer *Indexer
	// Bucket is the dropbox bucket's name; records for other buckets are
	// ignored with a warning (a misconfigured notification must not make the
	// indexer touch another bucket).
	Bucket string
	// Metrics, when set, receives the data latency of every newly indexed
	// file (telemetry.MetricDataLatency): from the dropbox object's
	// creation to its catalog record.
	Metrics *telemetry.Metrics
}

// Response is the handler's result. For SQS batches, BatchItemFailures lists
// the messages whose objects hit a transient error, so only those are
// redelivered (ReportBatchItemFailures).
type Response struct {
	Outcomes          []Outcome                       `json:"outcomes"`
	BatchItemFailures []awsevents.SQSBatchItemFailure `json:"batchItemFailures"`
}

// Handle processes one invocation payload.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (Response, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return Response{}, fmt.Errorf("indexer: event is not JSON: %w", err)
	}
	if len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs" {
		var ev awsevents.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return Response{}, fmt.Errorf("indexer: bad SQS event: %w", err)
		}
		return h.handleSQS(ctx, ev), nil
	}
	refs, err := parseBody(payload)
	if err != nil {
		return Response{}, err
	}
	return h.indexAll(ctx, refs)
}

// indexAll indexes the objects of a direct invocation; any transient error
// fails the invocation so Lambda retries it (every step is idempotent).
func (h *Handler) indexAll(ctx context.Context, refs []ObjectRef) (Response, error) {
	var resp Response
	var errs []error
	for _, ref := range refs {
		out, err := h.indexRef(ctx, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		resp.Outcomes = append(resp.Outcomes, out)
	}
	return resp, errors.Join(errs...)
}

func (h *Handler) handleSQS(ctx context.Context, ev awsevents.SQSEvent) Response {
	var resp Response
	for _, msg := range ev.Records {
		refs, err := parseBody([]byte(msg.Body))
		if err != nil {
			// A message that can never be parsed would be redelivered forever;
			// report it so it ends in the DLQ after the queue's max receives.
			h.Indexer.Log.ErrorContext(ctx, "unreadable message", "message_id", msg.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, awsevents.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		failed := false
		for _, ref := range refs {
			out, err := h.indexRef(ctx, ref)
			if err != nil {
				h.Indexer.Log.ErrorContext(ctx, "index failed", "key", ref.Key, "err", err)
				failed = true
				continue
			}
			resp.Outcomes = append(resp.Outcomes, out)
		}
		if failed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, awsevents.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

func (h *Handler) indexRef(ctx context.Context, ref ObjectRef) (Outcome, error) {
	if h.Bucket != "" && ref.Bucket != h.Bucket {
		h.Indexer.Log.WarnContext(ctx, "event for another bucket ignored", "bucket", ref.Bucket, "key", ref.Key)
		return Outcome{Key: ref.Key, Result: ResultSkipped, Reason: "not the dropbox bucket"}, nil
	}
	out, err := h.Indexer.Index(ctx, ref.Key)
	if err == nil && out.Result == ResultIndexed && out.Record != nil {
		h.recordLatency(ctx, ref, *out.Record)
	}
	return out, err
}

// recordLatency emits the seconds from the object's creation to its
// catalog write. Only newly indexed files count: a duplicate's latency
// would measure the redelivery, not the data.
func (h *Handler) recordLatency(ctx context.Context, ref ObjectRef, rec catalog.Record) {
	if h.Metrics == nil || ref.Created.IsZero() || rec.Ingested.IsZero() {
		return
	}
	// Clocks of S3 and Lambda may disagree by a little: never negative.
	secs := max(rec.Ingested.Sub(ref.Created).Seconds(), 0)
	if err := h.Metrics.Put(rec.Ingested, telemetry.MetricDataLatency, telemetry.UnitSeconds, secs); err != nil {
		h.Indexer.Log.WarnContext(ctx, "data latency not recorded", "file", rec.Name, "err", err)
	}
}

// eventTime reads an event's time: RFC 3339, or without a zone (as moto
// writes S3 event times), then UTC. Unreadable is zero: the latency is
// then not measured, and the file indexed all the same.
func eventTime(s string) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// parseBody extracts the created objects from an S3 notification, an SNS
// envelope around one, or an EventBridge event. An s3:TestEvent yields none.
func parseBody(b []byte) ([]ObjectRef, error) {
	var doc struct {
		Records    []json.RawMessage `json:"Records"`
		Event      string            `json:"Event"`
		Type       string            `json:"Type"`
		Message    string            `json:"Message"`
		DetailType string            `json:"detail-type"`
		Source     string            `json:"source"`
		Time       string            `json:"time"`
		Detail     struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("indexer: message is not JSON: %w", err)
	}
	switch {
	case doc.Event == "s3:TestEvent":
		return nil, nil
	case doc.Type == "Notification" && doc.Message != "":
		return parseBody([]byte(doc.Message))
	case doc.DetailType != "":
		if doc.DetailType != "Object Created" {
			return nil, nil
		}
		if doc.Detail.Object.Key == "" {
			return nil, errors.New("indexer: EventBridge event without detail.object.key")
		}
		return []ObjectRef{{Bucket: doc.Detail.Bucket.Name, Key: doc.Detail.Object.Key, Created: eventTime(doc.Time)}}, nil
	case len(doc.Records) > 0:
		// Only the fields the indexer uses are decoded, eventTime as a
		// string (moto writes it without a zone): the event's other fields
		// must not make a valid notification unreadable.
		var ev struct {
			Records []struct {
				EventName string `json:"eventName"`
				EventTime string `json:"eventTime"`
				S3        struct {
					Bucket struct {
						Name string `json:"name"`
					} `json:"bucket"`
					Object struct {
						Key string `json:"key"`
					} `json:"object"`
				} `json:"s3"`
			} `json:"Records"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			return nil, fmt.Errorf("indexer: bad S3 event: %w", err)
		}
		var refs []ObjectRef
		for _, r := range ev.Records {
			if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				continue
			}
			// S3 notifications URL-encode keys (a space arrives as '+').
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return nil, fmt.Errorf("indexer: bad key encoding %q: %w", r.S3.Object.Key, err)
			}
			refs = append(refs, ObjectRef{Bucket: r.S3.Bucket.Name, Key: key, Created: eventTime(r.EventTime)})
		}
		return refs, nil
	}
	return nil, errors.New("indexer: not an S3, SNS or EventBridge object-created event")
}
