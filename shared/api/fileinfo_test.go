package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
)

// The hand-written file_info encoding gives json.Marshal's bytes.
func TestFileInfoEncoding(t *testing.T) {
	at := time.Date(2015, 10, 16, 8, 30, 53, 999_000_000, time.FixedZone("x", 3600))
	recs := []catalog.Record{
		{Name: "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", Kind: catalog.KindScience, Size: 1 << 40, Start: at, Ingested: at.Add(time.Hour)},
		{Name: "MMS1_DEFATT_2015289_2015290.V00", Kind: catalog.KindAncillary, Size: 0, Start: at, End: at.AddDate(0, 0, 1), Ingested: at},
		{Name: `odd<&>"\name` + "\u2028\x01é", Kind: catalog.KindScience, Size: -1},
		{Name: "far", Kind: catalog.KindAncillary, Start: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	rec := httptest.NewRecorder()
	writeFileInfo(rec, recs)
	var want bytes.Buffer
	want.WriteString(`{"files":[`)
	for i, r := range recs {
		if i > 0 {
			want.WriteByte(',')
		}
		b, err := json.Marshal(infoOf(r))
		if err != nil {
			t.Fatal(err)
		}
		want.Write(b)
	}
	want.WriteString(`]}`)
	if got := rec.Body.String(); got != want.String() {
		t.Fatalf("file_info\n got %s\nwant %s", got, want.String())
	}
	if rec.Header().Get("Content-Length") != strconv.Itoa(want.Len()) {
		t.Fatalf("Content-Length %q for %d bytes", rec.Header().Get("Content-Length"), want.Len())
	}
}
