package eventbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/events"
)

// Decode reads the domain event out of an EventBridge event, as a rule
// delivers it to an SQS queue or a function: the detail-type is the
// event's type, the detail its detail.
func Decode(body []byte) (events.Event, error) {
	var doc struct {
		DetailType string          `json:"detail-type"`
		Time       time.Time       `json:"time"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return events.Event{}, fmt.Errorf("eventbridge: not an EventBridge event: %w", err)
	}
	if doc.DetailType == "" || len(doc.Detail) == 0 {
		return events.Event{}, errors.New("eventbridge: event without detail-type or detail")
	}
	return events.Event{Type: doc.DetailType, Time: doc.Time, Detail: doc.Detail}, nil
}
