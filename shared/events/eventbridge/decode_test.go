package eventbridge

import (
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	body := `{"version":"0","id":"6a7e8feb","detail-type":"FileIndexed","source":"magpie.mms","account":"123456789012",
		"time":"2015-10-16T12:00:00Z","region":"us-east-1","resources":[],"detail":{"name":"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"}}`
	e, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "FileIndexed" || !e.Time.Equal(time.Date(2015, 10, 16, 12, 0, 0, 0, time.UTC)) ||
		!strings.Contains(string(e.Detail), "mms1_fgm_srvy_l2") {
		t.Errorf("decoded %+v", e)
	}
	for _, bad := range []string{`not json`, `{"detail-type":"FileIndexed"}`, `{"detail":{}}`, `[]`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) accepted", bad)
		}
	}
}
