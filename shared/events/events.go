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
	// JobFailed: a processing job ended FAILED (detail: JobFailedDetail).
	// On AWS an EventBridge rule counts them for the job-failures alarm.
	JobFailed = "JobFailed"
	// SITLDeadlineMissed: a SITL cycle's deadline passed without a
	// submission and ABS was applied (detail: SITLDeadlineMissedDetail).
	SITLDeadlineMissed = "SITLDeadlineMissed"
)

// JobFailedDetail is the detail of a JobFailed event.
type JobFailedDetail struct {
	JobID     string `json:"job_id"`
	Node      string `json:"node"`
	Product   string `json:"product"` // the output product, e.g. mms1_fgm_srvy_l2
	Processor string `json:"processor"`
	SC        string `json:"sc_id"`
	TimeTag   string `json:"time_tag"`
	Attempts  int    `json:"attempts"`
	Error     string `json:"error"`
	ExitCode  int    `json:"exit_code,omitempty"`
}

// SITLDeadlineMissedDetail is the detail of a SITLDeadlineMissed event.
type SITLDeadlineMissedDetail struct {
	CycleID  string    `json:"cycle_id"`
	Deadline time.Time `json:"deadline"`
	// Fallback is what was applied instead of a SITL selection ("ABS").
	Fallback string `json:"fallback"`
	// Segments is how many burst segments the fallback selected.
	Segments int `json:"segments"`
}

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
