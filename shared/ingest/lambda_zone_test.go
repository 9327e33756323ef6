package ingest

import "testing"

// moto writes eventTime without a zone ("2026-11-21T06:46:50.014678"); the
// indexer does not use the field, so such a notification must still parse.
func TestParseBodyIgnoresEventTime(t *testing.T) {
	body := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-11-21T06:46:50.014678",
		"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"magpie-dropbox"},"object":{"key":"a+b.cdf","size":3}}}]}`
	refs, err := parseBody([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0] != (ObjectRef{Bucket: "magpie-dropbox", Key: "a b.cdf"}) {
		t.Fatalf("refs %+v", refs)
	}
}
