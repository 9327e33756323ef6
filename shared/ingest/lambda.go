package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	awsevents "github.com/aws/aws-lambda-go/events"
)

// ObjectRef names one object an event reports as created.
type ObjectRef struct {
	Bucket, Key string
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
	return h.Indexer.Index(ctx, ref.Key)
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
		return []ObjectRef{{Bucket: doc.Detail.Bucket.Name, Key: doc.Detail.Object.Key}}, nil
	case len(doc.Records) > 0:
		// Only the fields the indexer uses are decoded: the event's other
		// fields (eventTime above all, which moto writes without a zone)
		// must not make a valid notification unreadable.
		var ev struct {
			Records []struct {
				EventName string `json:"eventName"`
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
			refs = append(refs, ObjectRef{Bucket: r.S3.Bucket.Name, Key: key})
		}
		return refs, nil
	}
	return nil, errors.New("indexer: not an S3, SNS or EventBridge object-created event")
}
