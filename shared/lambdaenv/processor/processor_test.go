package processor

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	magpieevents "github.com/magpie-sdc/magpie/shared/events"
)

// HandleBatch reports exactly the messages whose event failed or could not
// be decoded, and hands every decodable event to the handler.
func TestHandleBatchReportsFailedMessages(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "sqs-eventbridge-file-indexed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample events.SQSEvent
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	good := sample.Records[0]
	failing := good
	failing.MessageId = "failing"
	notEB := good
	notEB.MessageId, notEB.Body = "not-eventbridge", `{"Records":[{"eventSource":"aws:s3"}]}`
	garbage := good
	garbage.MessageId, garbage.Body = "garbage", "not json"

	var seen []string
	h := func(_ context.Context, e magpieevents.Event) error {
		if e.Type != magpieevents.FileIndexed || len(e.Detail) == 0 {
			t.Errorf("event %+v", e)
		}
		seen = append(seen, e.Type)
		if len(seen) == 2 { // the second decodable message is "failing"
			return errors.New("job store unavailable")
		}
		return nil
	}
	resp := HandleBatch(context.Background(), events.SQSEvent{Records: []events.SQSMessage{good, failing, notEB, garbage}}, h,
		slog.New(slog.DiscardHandler))
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if want := []string{"failing", "not-eventbridge", "garbage"}; !slices.Equal(ids, want) {
		t.Errorf("failures %v, want %v", ids, want)
	}
	if len(seen) != 2 {
		t.Errorf("handler saw %d events, want 2", len(seen))
	}
}
