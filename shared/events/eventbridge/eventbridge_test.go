package eventbridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/magpie-sdc/magpie/shared/events"
)

type fakeAPI struct {
	got    []types.PutEventsRequestEntry
	failed bool
}

func (f *fakeAPI) PutEvents(_ context.Context, in *eb.PutEventsInput, _ ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
	f.got = append(f.got, in.Entries...)
	if f.failed {
		return &eb.PutEventsOutput{FailedEntryCount: 1, Entries: []types.PutEventsResultEntry{{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("slow down")}}}, nil
	}
	return &eb.PutEventsOutput{Entries: []types.PutEventsResultEntry{{EventId: aws.String("1")}}}, nil
}

func TestPublishMapsTypeAndDetail(t *testing.T) {
	api := &fakeAPI{}
	p := &Publisher{API: api, Bus: "magpie", Source: "magpie.mms"}
	ev, _ := events.New(events.FileIndexed, time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC), map[string]string{"file_name": "x.cdf"})
	if err := p.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	e := api.got[0]
	if aws.ToString(e.DetailType) != events.FileIndexed || aws.ToString(e.Detail) != `{"file_name":"x.cdf"}` ||
		aws.ToString(e.EventBusName) != "magpie" || aws.ToString(e.Source) != "magpie.mms" {
		t.Fatalf("entry %+v", e)
	}
	api.failed = true
	if err := p.Publish(context.Background(), ev); err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("partial failure not reported: %v", err)
	}
}
