package ingest

import (
	"testing"
	"time"
)

// moto writes eventTime without a zone ("2026-11-21T06:46:50.014678"): such a
// notification must still parse, its time read as UTC; an unreadable time
// only loses the latency measurement, never the file.
func TestParseBodyEventTimes(t *testing.T) {
	tests := []struct {
		eventTime string
		want      time.Time
	}{
		{"2026-11-21T06:46:50.014678", time.Date(2026, 11, 21, 6, 46, 50, 14678000, time.UTC)},
		{"2015-10-17T00:41:02.000Z", time.Date(2015, 10, 17, 0, 41, 2, 0, time.UTC)},
		{"2015-10-17T02:41:02+02:00", time.Date(2015, 10, 17, 0, 41, 2, 0, time.UTC)},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
	}
	for _, tc := range tests {
		body := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"` + tc.eventTime + `",
		"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"magpie-dropbox"},"object":{"key":"a+b.cdf","size":3}}}]}`
		refs, err := parseBody([]byte(body))
		if err != nil {
			t.Fatalf("%q: %v", tc.eventTime, err)
		}
		if len(refs) != 1 || refs[0].Bucket != "magpie-dropbox" || refs[0].Key != "a b.cdf" || !refs[0].Created.Equal(tc.want) {
			t.Errorf("%q: refs %+v, want created %v", tc.eventTime, refs, tc.want)
		}
	}
}
