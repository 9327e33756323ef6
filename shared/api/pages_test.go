package api

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
)

// qlName is the fixture's quick-look plot (team only: QL is never public).
const qlName = "mms1_fgm_srvy_ql_20151016_v1.0.0.png"

// qlMagenta fills a block of the plot so a screenshot can prove the image
// was loaded and drawn: no page style uses this colour.
var qlMagenta = color.RGBA{255, 0, 255, 255}

// plotPNG draws a small but real plot: axes, a sine-like trace and a
// magenta block.
func plotPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 400; x++ {
			img.Set(x, y, color.White)
		}
	}
	for x := 20; x < 390; x++ {
		img.Set(x, 220, color.Black)
		y := 120 + int(80*tri(float64(x)/60))
		for dy := -1; dy <= 1; dy++ {
			img.Set(x, y+dy, color.RGBA{31, 79, 168, 255})
		}
	}
	for y := 10; y < 230; y++ {
		img.Set(20, y, color.Black)
	}
	for y := 20; y < 120; y++ {
		for x := 260; x < 380; x++ {
			img.Set(x, y, qlMagenta)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tri is a triangle wave in [-1, 1] (enough of a trace for a test plot).
func tri(x float64) float64 {
	f := x - float64(int(x))
	if f < 0.5 {
		return 4*f - 1
	}
	return 3 - 4*f
}

// pagesFixture is the API fixture plus a quick-look plot, a jobs table with
// a failed job, and a handler that knows the jobs.
func pagesFixture(t testing.TB) (*fixture, *Server) {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.l.Dropbox.Put(ctx, "test/"+qlName, bytes.NewReader(plotPNG(t)), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := f.l.Ingest(ctx, "test/"+qlName); err != nil || out.Result != "indexed" {
		t.Fatalf("ingest %s: %+v %v", qlName, out, err)
	}
	jobs := pipeline.NewJobs(f.l.Tables)
	if err := jobs.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.Create(ctx, pipeline.Job{ID: "job-failed-0001", Node: "fgm-l2", Processor: "fgm", SoftwareVersion: "1.2.3",
		SC: "mms1", Start: time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC), TimeDigits: 8, Status: pipeline.StatusFailed,
		Error: "calibration table missing", ExitCode: 3, Created: ingestTime}); err != nil {
		t.Fatal(err)
	}
	b := f.api.b
	b.Jobs = jobs
	return f, New(b)
}

func getPage(t testing.TB, h http.Handler, path, user string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestPages checks what each page shows to whom.
func TestPages(t *testing.T) {
	_, h := pagesFixture(t)
	for _, tc := range []struct {
		path, user string
		status     int
		want, not  []string
	}{
		{"/", "", 200, []string{"Data browser", "Quick-look plots are team-only", "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"}, []string{qlName, "/team/jobs"}},
		{"/team/", "scientist", 200, []string{`src="/team/files/` + qlName + `/download"`, "Quick-look plots · 2015-10-16", `href="/team/jobs"`}, nil},
		{"/browse/", "", 200, []string{`href="/browse/mms1/"`, `href="/browse/mms2/"`}, nil},
		{"/browse/mms1/fgm/", "", 200, []string{`href="/browse/mms1/fgm/l2/"`}, []string{"l1b", "/ql/"}},
		{"/team/browse/mms1/fgm/", "scientist", 200, []string{`href="/team/browse/mms1/fgm/l1b/"`, `href="/team/browse/mms1/fgm/ql/"`}, nil},
		{"/browse/mms1/fgm/l2/", "", 200, []string{`href="/browse/mms1/fgm/l2/2015-10-16"`}, []string{"2015-10-17"}},
		{"/team/browse/mms1/fgm/l2/", "scientist", 200, []string{"2015-10-16", "2015-10-17"}, nil},
		{"/browse/mms1/fgm/l2/2015-10-16", "", 200, []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "/api/v1/files/mms1_fgm_brst_l2_20151016120000_v5.113.0.cdf/download"},
			[]string{"v4.17.0", "v5.9.0", qlName}},
		{"/browse/mms1/fgm/l2/2015-10-16?all_versions=true", "", 200, []string{"v4.17.0", "v5.9.0"}, nil},
		{"/team/browse/mms1/fgm/l2/2015-10-16", "scientist", 200, []string{`<img src="/team/files/` + qlName + `/download"`, "R1"}, nil},
		{"/browse/mms1/fgm/l1b/2015-10-16", "", 200, []string{"No files released"}, []string{"mms1_fgm_srvy_l1b"}},
		{"/browse/mms1/fgm/l2/2015-13-01", "", 400, []string{"YYYY-MM-DD"}, nil},
		{"/browse/MMS1%3Cb%3E/", "", 400, []string{"not a valid name"}, nil},
		{"/availability", "", 200, []string{"fgm · mms1", `fill="#2ca02c"`, `href="/browse/mms1/fgm/l2/2015-10-16"`}, []string{"2015-10-17: 1"}},
		{"/team/availability?instrument_id=fgm&sc_id=mms1", "scientist", 200, []string{"srvy l1b", "srvy ql", "2015-10-17: 1 file(s)"}, []string{"fgm · mms2"}},
		{"/availability?start_date=2015-01-01&end_date=2015-12-31", "", 400, []string{"at most 92 days"}, nil},
		{"/recent", "", 200, []string{"MMS1_DEFEPH_2015289_2015290.V01"}, []string{"mms2_fgm", "l1b"}},
		{"/team/recent", "scientist", 200, []string{"mms2_fgm_srvy_l2_20151016_v4.18.0.cdf", qlName}, nil},
		{"/team/jobs", "scientist", 200, []string{"job-failed-0", "calibration table missing", "status-FAILED"}, nil},
		{"/team/jobs?status=BOGUS", "scientist", 400, nil, nil},
		{"/team/jobs", "", 401, nil, nil},
		{"/team/quarantine", "operator", 200, []string{"No quarantined files"}, nil},
	} {
		code, body := getPage(t, h, tc.path, tc.user)
		if code != tc.status {
			t.Errorf("%s as %q: %d, want %d: %.300s", tc.path, tc.user, code, tc.status, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s as %q: missing %q", tc.path, tc.user, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(body, n) {
				t.Errorf("%s as %q: shows %q", tc.path, tc.user, n)
			}
		}
		for _, n := range unreleased {
			if tc.user == "" && strings.Contains(body, n) {
				t.Errorf("%s leaks %s to the public", tc.path, n)
			}
		}
	}
	// The team download route serves the plot's bytes; the public one hides it.
	if code, body := getPage(t, h, "/team/files/"+qlName+"/download", "scientist"); code != 200 || !strings.HasPrefix(body, "\x89PNG") {
		t.Errorf("team QL download: %d", code)
	}
	if code, _ := getPage(t, h, "/api/v1/files/"+qlName+"/download", ""); code != 404 {
		t.Errorf("public QL download: %d", code)
	}
}
