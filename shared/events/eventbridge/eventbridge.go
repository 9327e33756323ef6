// Package eventbridge publishes Magpie's domain events to an Amazon
// EventBridge bus, where rules route them to the functions and state machines
// that react (the AWS counterpart of the local in-process bus).
package eventbridge

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/magpie-sdc/magpie/shared/events"
)

// API is the part of the EventBridge client the publisher uses.
type API interface {
	PutEvents(ctx context.Context, in *eb.PutEventsInput, opts ...func(*eb.Options)) (*eb.PutEventsOutput, error)
}

// Publisher sends events to one bus. The event type becomes the
// detail-type and the event detail the detail, so rules match on them.
type Publisher struct {
	API    API
	Bus    string
	Source string // e.g. "magpie.mms"
}

// Publish sends one event; a partial failure reported by EventBridge is an
// error so the caller retries (consumers are idempotent).
func (p *Publisher) Publish(ctx context.Context, e events.Event) error {
	out, err := p.API.PutEvents(ctx, &eb.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String(p.Bus),
		Source:       aws.String(p.Source),
		DetailType:   aws.String(e.Type),
		Detail:       aws.String(string(e.Detail)),
		Time:         aws.Time(e.Time),
	}}})
	if err != nil {
		return fmt.Errorf("eventbridge: put %s: %w", e.Type, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		f := out.Entries[0]
		return fmt.Errorf("eventbridge: put %s: %s: %s", e.Type, aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
	}
	return nil
}
