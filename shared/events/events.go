// Package events is the domain-event port: handlers publish what happened
// (a file was indexed, a job finished) and others react. Locally an in-process
// Bus delivers them; on AWS an EventBridge/SNS adapter does.
package events

import (
	"context"
	"encoding/json"
	"time"
)

// Event types published by Magpie.
const (
	FileIndexed     = "FileIndexed"
	FileQuarantined = "FileQuarantined"
)

// Event is one domain event. Detail is the JSON payload, so events cross
// process and cloud boundaries unchanged.
type Event struct {
	Type   string          `json:"type"`
	Time   time.Time       `json:"time"`
	Detail json.RawMessage `json:"detail"`
}

// New builds an event with detail marshalled to JSON.
func New(typ string, at time.Time, detail any) (Event, error) {
	b, err := json.Marshal(detail)
	if err != nil {
		return Event{}, err
	}
	return Event{Type: typ, Time: at.UTC(), Detail: b}, nil
}

// Publisher publishes domain events.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Handler reacts to one event. A returned error is logged and counted by the
// runtime; handlers must be idempotent because delivery is at least once.
type Handler func(ctx context.Context, e Event) error
