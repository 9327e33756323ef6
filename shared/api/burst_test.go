package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// burstOrange is the colour of FOM category 1 in the metrics plot.
var burstOrange = color.RGBA{0xe6, 0x7e, 0x22, 0xff}

// cycleFixture is a workflow fixture with an hour of burst metadata
// (10:00–11:00 UTC on 2015-10-16, CDQ 5+i on spacecraft i, 200+i from
// 10:20 to 10:25) and a SITL cycle over it waiting for a submission.
type cycleFixture struct {
	*workflowFixture
	start   int64 // TAI of the first buffer
	cycleID string
	execID  string
}

func ingestBytes(t *testing.T, f *fixture, name, body string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.l.Dropbox.Put(ctx, "test/"+name, strings.NewReader(body), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := f.l.Ingest(ctx, "test/"+name); err != nil || out.Result != "indexed" {
		t.Fatalf("ingest %s: %+v %v", name, out, err)
	}
}

func newCycleFixture(t *testing.T, startCycle bool) *cycleFixture {
	t.Helper()
	f := &cycleFixture{workflowFixture: newWorkflowFixture(t)}
	// The workflow fixture's API does not index uploads; this one does.
	wf := f.wf
	h := New(Backend{Profile: f.l.Profile, Catalog: f.l.Catalog, Dropbox: f.l.Dropbox, Archive: f.l.Archive, Clock: f.clk,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ingest: f.l.Ingest, MaxUpload: 1 << 20, Passwords: f.users, Release: f.rel,
		Workflows: Workflows{SITL: wf.SITL, Segments: func(ctx context.Context) ([]*burst.Segment, error) { return wf.BDM.Segments(ctx) },
			Contacts: wf.Contacts.List}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	g := *f.fixture
	g.srv, g.api = srv, h
	f.fixture = &g
	win, err := runtime.DayWindow(time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC), 10)
	if err != nil {
		t.Fatal(err)
	}
	f.start = win.StartTAI + 36000
	for i, sc := range f.l.Profile.Spacecraft {
		var b strings.Builder
		b.WriteString("TAITIME,CDQ\n")
		for k := range 360 {
			q := 5 + i
			if k >= 120 && k < 150 {
				q = 200 + i
			}
			fmt.Fprintf(&b, "%d,%d\n", f.start+int64(k)*10, q)
		}
		ingestBytes(t, f.fixture, sc+"_bdm_srvy_l0_cdq_20151016_v1.0.0.csv", b.String())
	}
	if !startCycle {
		return f
	}
	id, started, err := f.wf.StartSITLCycle(context.Background(), sitlcycle.Window{StartTAI: f.start, EndTAI: f.start + 3600,
		Deadline: f.clk.Now().Add(time.Hour)})
	if err != nil || !started {
		t.Fatalf("start cycle: %v %v", started, err)
	}
	if w := <-f.waits; w != "WaitForSubmission" {
		t.Fatalf("waits in %s", w)
	}
	f.execID = id
	c, err := f.wf.SITL.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.cycleID = c.ID
	return f
}

// at is the UTC time of start+sec as the selections CSV writes it.
func (f *cycleFixture) at(t *testing.T, sec int64) string {
	u, err := timeutil.TAIToUTC(f.start + sec)
	if err != nil {
		t.Fatal(err)
	}
	return u.Format(time.DateTime)
}

// selectionsCSV is one selection from start+from to start+to.
func (f *cycleFixture) selectionsCSV(t *testing.T, from, to int64, source string) string {
	return "start_time, stop_time, fom, sourceid, discussion\n" + f.at(t, from) + ", " + f.at(t, to) + ", 150, " + source + ", a crossing, seen by all four\n"
}

func (f *cycleFixture) upload(t *testing.T, name, body string) answer {
	return f.do(t, call{method: "POST", path: "/mms/sdc/sitl/files/api/v1/upload/sitl_selections", query: map[string][]string{"file": {name}},
		user: "sitl", body: body})
}

func (f *cycleFixture) archived(t *testing.T, name string) bool {
	recs, err := f.l.Catalog.Query(context.Background(), catalog.Filter{Kind: catalog.KindSelection, Names: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) == 1
}

// applied waits for the cycle to finish and returns it.
func (f *cycleFixture) applied(t *testing.T) *sitlcycle.Cycle {
	ex, err := f.wf.Engine.Wait(context.Background(), f.execID)
	if err != nil || ex.Status != asl.StatusSucceeded {
		t.Fatalf("cycle: %+v %v", ex, err)
	}
	c, err := f.wf.SITL.Get(context.Background(), f.cycleID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSITLSelectionsThroughMMSUpload(t *testing.T) {
	f := newCycleFixture(t, true)
	const name = "sitl_selections_2026-01-02-03-04-05.csv"
	for _, c := range []struct {
		what, name, body, want string
	}{
		{"not selections", "sitl_selections_2026-01-02-03-00-00.csv", "hello, world\n", "bad-selections"},
		{"no rows", "sitl_selections_2026-01-02-03-00-01.csv", "start_time, stop_time, fom, sourceid, discussion\n", "no selections"},
		{"stop before start", "sitl_selections_2026-01-02-03-00-02.csv", f.selectionsCSV(t, 1500, 1200, "SITL"), `"rejected"`},
		{"after the window", "sitl_selections_2026-01-02-03-00-03.csv", f.selectionsCSV(t, 3500, 3700, "SITL"), `"rejected"`},
	} {
		a := f.upload(t, c.name, c.body)
		if a.status != 400 || !strings.Contains(a.body, c.want) {
			t.Errorf("%s: %d %s, want 400 %s", c.what, a.status, a.body, c.want)
		}
		if f.archived(t, c.name) {
			t.Errorf("%s: archived", c.what)
		}
	}
	if n, err := f.wf.SITL.Current(context.Background()); err != nil || n.Submissions != 0 {
		t.Fatalf("refused uploads were submitted: %+v %v", n, err)
	}
	// No Content-Length: 411, as the MMS service answers.
	req := httptest.NewRequest("POST", "/mms/sdc/sitl/files/api/v1/upload/sitl_selections?file="+name, strings.NewReader("x"))
	req.ContentLength = -1
	req.SetBasicAuth("sitl", password)
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	if rec.Code != 411 {
		t.Errorf("no length: %d %s", rec.Code, rec.Body)
	}

	a := f.upload(t, name, f.selectionsCSV(t, 1200, 1500, "SITL"))
	if a.status != 200 || a.body != "File successfully uploaded." || a.header.Get("X-Magpie-Verdict") != "accepted" ||
		a.header.Get("X-Magpie-Cycle") != f.cycleID || a.header.Get("X-Magpie-Submission") != "1" {
		t.Fatalf("upload: %d %v %q", a.status, a.header, a.body)
	}
	if !f.archived(t, name) {
		t.Error("the submitted file is not archived")
	}
	c := f.applied(t)
	if c.Source != "SITL" || c.Applied != 1 || len(c.Segments) != 1 {
		t.Fatalf("applied: %+v", c)
	}
	sub, err := f.wf.SITL.Submission(context.Background(), c.ID, 1)
	if err != nil || sub.Name != name || len(sub.Rows) != 1 || sub.Rows[0].Discussion != "a crossing, seen by all four" {
		t.Errorf("submission: %+v %v", sub, err)
	}
	// The cycle is closed now: refused, and nothing stored.
	late := "sitl_selections_2026-01-02-04-00-00.csv"
	if a = f.upload(t, late, f.selectionsCSV(t, 1200, 1500, "SITL")); a.status != 400 || !strings.Contains(a.body, "closed") {
		t.Errorf("after the cycle: %d %s", a.status, a.body)
	}
	if f.archived(t, late) {
		t.Error("a refused upload was archived")
	}
	// Other uploads are unaffected.
	if a = f.upload(t, "abs_selections_2026-01-02-04-00-00.csv", "anything\n"); a.status != 200 {
		t.Errorf("abs selections: %d %s", a.status, a.body)
	}
}

func TestGLSSelectionsThroughMMSUpload(t *testing.T) {
	f := newCycleFixture(t, false)
	const name = "gls_selections_mp-dl-unh_2026-01-02-03-04-05.csv"
	body := f.selectionsCSV(t, 600, 900, "GLS")
	if a := f.upload(t, name, body); a.status != 400 || !strings.Contains(a.body, "no-cycle") {
		t.Fatalf("without a cycle: %d %s", a.status, a.body)
	}
	id, _, err := f.wf.StartSITLCycle(context.Background(), sitlcycle.Window{StartTAI: f.start, EndTAI: f.start + 3600,
		Deadline: f.clk.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	<-f.waits
	f.execID = id
	c0, _ := f.wf.SITL.Current(context.Background())
	f.cycleID = c0.ID
	a := f.upload(t, name, body)
	if a.status != 200 || a.body != "File successfully uploaded." || a.header.Get("X-Magpie-Verdict") != "accepted" {
		t.Fatalf("gls upload: %d %v %s", a.status, a.header, a.body)
	}
	if !f.archived(t, name) {
		t.Error("the GLS file is not archived")
	}
	if c := f.applied(t); len(c.Segments) != 1 {
		t.Errorf("applied: %+v", c)
	}
}

// lines splits a CSV answer.
func lines(body string) []string { return strings.Split(strings.TrimSuffix(body, "\n"), "\n") }

func TestBurstMetadataDataset(t *testing.T) {
	f := newCycleFixture(t, true)
	if a := f.upload(t, "sitl_selections_2026-01-02-03-04-05.csv", f.selectionsCSV(t, 1200, 1500, "SITL")); a.status != 200 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	c := f.applied(t)
	seg := strconv.FormatInt(c.Segments[0], 10)
	base := "/mms/sdc/sitl/latis/dap/mms2_burst_metadata.csv"
	a := f.do(t, call{path: base, user: "scientist"})
	rows := lines(a.body)
	if a.status != 200 || rows[0] != "TAITIMESTAMP,DATASEGMENTID,CDQ,MDQ" || len(rows) != 361 {
		t.Fatalf("all: %d, %d lines, header %q", a.status, len(rows), rows[0])
	}
	// mms2 reports 6 (201 in the active stretch); the mission quality is
	// the rounded mean of 5..8 (of 200..203, 202, in the active stretch).
	if want := fmt.Sprintf("%d,,6,7", f.start); rows[1] != want {
		t.Errorf("first row %q, want %q", rows[1], want)
	}
	q := func(query string) []string {
		t.Helper()
		a := f.do(t, call{path: base + "?" + query, user: "scientist"})
		if a.status != 200 {
			t.Fatalf("%s: %d %s", query, a.status, a.body)
		}
		return lines(a.body)
	}
	from, to := f.start+1200, f.start+1210
	got := q(fmt.Sprintf("TAITIMESTAMP%%3E=%d&TAITIMESTAMP<=%d", from, to))
	want := []string{"TAITIMESTAMP,DATASEGMENTID,CDQ,MDQ", fmt.Sprintf("%d,%s,201,202", from, seg), fmt.Sprintf("%d,%s,201,202", to, seg)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("window: %q, want %q", got, want)
	}
	// The segment covers 1200..1500 s: 30 buffers.
	if got = q("TAITIMESTAMP&DATASEGMENTID=" + seg); len(got) != 31 || got[1] != strconv.FormatInt(from, 10) {
		t.Errorf("buffers of the segment: %d lines, first %q", len(got), got[1])
	}
	if got = q("CDQ,MDQ&CDQ>100"); len(got) != 31 || got[0] != "CDQ,MDQ" || got[1] != "201,202" {
		t.Errorf("active buffers: %d lines %q", len(got), got[:2])
	}
	if got = q(fmt.Sprintf("TAITIMESTAMP>%d", f.start+3600)); len(got) != 1 {
		t.Errorf("after the data: %q", got)
	}
	for _, bad := range []string{"NOPE", "CDQ>high"} {
		if a := f.do(t, call{path: base + "?" + bad, user: "scientist"}); a.status != 400 {
			t.Errorf("%s: %d", bad, a.status)
		}
	}
	// Team only; one dataset per spacecraft.
	if a := f.do(t, call{path: "/mms/sdc/public/service/latis/mms2_burst_metadata.csv"}); a.status != 404 {
		t.Errorf("public metadata: %d", a.status)
	}
	if a := f.do(t, call{path: "/mms/sdc/sitl/latis/dap/mms4_burst_metadata.csv?CDQ&TAITIMESTAMP=" + strconv.FormatInt(f.start, 10), user: "scientist"}); a.body != "CDQ\n8\n" {
		t.Errorf("mms4: %q", a.body)
	}
}

// defeph is a DEFEPH-style file over a day whose distance is
// 40,000 − 30,000 cos(2π (t − 2 h) / 12 h) km (perigees at 02:00 and 14:00 UTC).
func defeph(day time.Time) string {
	var b strings.Builder
	b.WriteString("DEFINITIVE EPHEMERIS\nEpoch (UTC) X (km) Y (km) Z (km) VX (km/s) VY (km/s) VZ (km/s)\n")
	for s := 0; s <= 86400; s += 30 {
		at := day.Add(time.Duration(s) * time.Second)
		r := 40000 - 30000*math.Cos(2*math.Pi*float64((s+36000)%43200)/43200)
		fmt.Fprintf(&b, "%04d-%03d/%02d:%02d:%02d.000 %.6f 0.0 0.0 0.0 1.0 0.0\n", at.Year(), at.YearDay(), at.Hour(), at.Minute(), at.Second(), r)
	}
	return b.String()
}

func TestEventsDataset(t *testing.T) {
	f := newCycleFixture(t, true)
	// An unreleased ephemeris of mms3 (mms1 and mms2 hold only text).
	ingestBytes(t, f.fixture, "MMS3_DEFEPH_2015289_2015290.V00", defeph(time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)))
	ingestBytes(t, f.fixture, "MMS3_DEFEPH_2015290_2015291.V00", defeph(time.Date(2015, 10, 17, 0, 0, 0, 0, time.UTC)))
	if a := f.upload(t, "sitl_selections_2026-01-02-03-04-05.csv", f.selectionsCSV(t, 1200, 1500, "SITL")); a.status != 200 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	c := f.applied(t)
	// A held contact that sends the 30-buffer segment, then a missed one.
	ctx := context.Background()
	held := time.Date(2015, 10, 16, 12, 0, 0, 0, time.UTC)
	for _, ct := range []burst.Contact{{Start: held, End: held.Add(time.Hour)}, {Start: held.Add(6 * time.Hour), End: held.Add(7 * time.Hour), Missed: true}} {
		if _, ran, err := f.wf.RunContact(ctx, ct, 100); err != nil || !ran {
			t.Fatalf("contact %s: ran=%v %v", ct.Start, ran, err)
		}
	}
	team := "/mms/sdc/sitl/latis/dap/mms_events_view.csv"
	public := "/mms/sdc/public/service/latis/mms_events_view.csv"
	a := f.do(t, call{path: team, user: "scientist"})
	rows := lines(a.body)
	if a.status != 200 || rows[0] != "start_time_utc,end_time_utc,event_type,sc_id,source,description,discussion,start_orbit,end_orbit,tag,id" {
		t.Fatalf("team events: %d %q", a.status, rows[0])
	}
	for i := 2; i < len(rows); i++ {
		if rows[i][:19] < rows[i-1][:19] {
			t.Errorf("not sorted by start: %q before %q", rows[i-1], rows[i])
		}
	}
	want := []string{
		"2015-10-16 02:00:00,2015-10-16 02:00:00,perigee,mms3,DEFEPH,perigee; 10000 km,,1,1,,perigee-mms3-20151016T020000",
		"2015-10-16 02:00:00,2015-10-16 14:00:00,orbit,mms3,DEFEPH,orbit 1,,1,1,,orbit-mms3-20151016T020000",
		"2015-10-16 08:00:00,2015-10-16 08:00:00,apogee,mms3,DEFEPH,apogee; 70000 km,,1,1,,apogee-mms3-20151016T080000",
		"2015-10-16 10:00:04,2015-10-16 11:00:04,SROI,mms1,burst metadata,region of interest; 360 buffers,,1,1,,SROI-mms1-20151016T100004",
		"2015-10-16 10:00:04,2015-10-16 11:00:04,SROI,mms4,burst metadata,region of interest; 360 buffers,,1,1,,SROI-mms4-20151016T100004",
		"2015-10-16 10:00:04,2015-10-16 11:00:04,science_roi,mms,burst metadata,region of interest; 360 buffers,,1,1,,science_roi-mms-20151016T100004",
		"2015-10-16 10:00:04,2015-10-16 11:00:04,sitl_window,mms,SITL,SITL window " + c.ID,
		"2015-10-17 02:00:00,2015-10-17 14:00:00,orbit,mms3,DEFEPH,orbit 3,,3,3,,orbit-mms3-20151017T020000",
		"2015-10-16 12:00:00,2015-10-16 13:00:00,dsn_contact,mms,ground station,contact: 120 buffers downlinked (mms1 30; mms2 30; mms3 30; mms4 30),,1,1,held,dsn_contact-mms-20151016T120000",
		"2015-10-16 18:00:00,2015-10-16 19:00:00,dsn_contact,mms,ground station,MISSED contact: nothing downlinked,,2,2,missed,dsn_contact-mms-20151016T180000",
	}
	for _, w := range want {
		found := false
		for _, r := range rows {
			found = found || strings.HasPrefix(r, w)
		}
		if !found {
			t.Errorf("team events lack %q", w)
		}
	}
	var window string
	for _, r := range rows {
		if strings.Contains(r, ",sitl_window,") {
			window = r
		}
	}
	if !strings.HasSuffix(window, ",applied SITL selections (1 segments),1,1,CLOSED,sitl_window-"+c.ID) {
		t.Errorf("sitl window row %q", window)
	}
	// Filters and projection, with overlap semantics on the times.
	a = f.do(t, call{path: team + "?event_type,sc_id&start_time_utc>=2015-10-16T10:30:00&end_time_utc<=2015-10-16T10:45:00&event_type<sitl", user: "scientist"})
	if got := strings.Join(lines(a.body), "|"); got != "event_type,sc_id|orbit,mms3|SROI,mms1|SROI,mms2|SROI,mms3|SROI,mms4|science_roi,mms" {
		t.Errorf("filtered: %d %q", a.status, got)
	}
	a = f.do(t, call{path: team + "?id&start_orbit>=3&event_type=perigee", user: "scientist"})
	if got := strings.Join(lines(a.body), "|"); got != "id|perigee-mms3-20151017T020000|perigee-mms3-20151017T140000" {
		t.Errorf("orbit filter: %q", got)
	}
	if a = f.do(t, call{path: team + "?start_time_utc>tomorrow", user: "scientist"}); a.status != 400 {
		t.Errorf("bad time: %d %s", a.status, a.body)
	}
	// The public sees no orbits from an unreleased ephemeris, but the
	// windows and regions.
	a = f.do(t, call{path: public + "?event_type"})
	if a.status != 200 || strings.Contains(a.body, "orbit") || strings.Contains(a.body, "perigee") || !strings.Contains(a.body, "sitl_window") ||
		!strings.Contains(a.body, "science_roi") {
		t.Errorf("public events: %d %q", a.status, a.body)
	}
}

func TestBurstPage(t *testing.T) {
	f := newCycleFixture(t, true)
	if a := f.upload(t, "sitl_selections_2026-01-02-03-04-05.csv", f.selectionsCSV(t, 1200, 1500, "SITL")); a.status != 200 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	c := f.applied(t)
	a := f.do(t, call{path: "/team/burst", user: "scientist"})
	for _, w := range []string{"cycle " + c.ID, "CLOSED", "ABS selections of cycle", "a crossing, seen by all four", "HELD",
		`<a href="/team/burst" class="on">Burst</a>`, "/team/burst/metrics.png", "Behind (Mbit)", "mms4 held"} {
		if !strings.Contains(a.body, w) {
			t.Errorf("burst page lacks %q", w)
		}
	}
	if a.status != 200 {
		t.Fatalf("page: %d", a.status)
	}
	// The nav entry is on every team page, not on public ones.
	if a = f.do(t, call{path: "/team/recent", user: "scientist"}); !strings.Contains(a.body, `href="/team/burst"`) {
		t.Errorf("no Burst entry in the team nav: %d", a.status)
	}
	if a = f.do(t, call{path: "/recent"}); a.status != 200 || strings.Contains(a.body, `/team/burst"`) {
		t.Error("Burst entry in the public nav")
	}
	a = f.do(t, call{path: "/team/burst/metrics.png", user: "scientist"})
	if _, err := png.Decode(bytes.NewReader([]byte(a.body))); err != nil || a.header.Get("Content-Type") != "image/png" {
		t.Errorf("metrics png: %d %v", a.status, err)
	}
	a = f.do(t, call{path: "/api/v1/burst/metrics", user: "scientist"})
	var m struct {
		Days          []string         `json:"days"`
		NewByCategory []map[string]int `json:"new_by_category"`
		NewByStatus   []map[string]int `json:"new_by_status"`
	}
	if err := json.Unmarshal([]byte(a.body), &m); err != nil || len(m.Days) != 30 || m.Days[29] != ingestTime.Format(time.DateOnly) {
		t.Fatalf("metrics: %d %v %s", a.status, err, a.body[:min(len(a.body), 200)])
	}
	// The segment (30 buffers on each of 4 spacecraft, FOM 150: category 1)
	// was held today.
	if m.NewByCategory[29]["1"] != 120 || m.NewByStatus[29]["HELD"] != 120 {
		t.Errorf("new today: %v %v", m.NewByCategory[29], m.NewByStatus[29])
	}
	for _, bad := range []string{"0", "367", "x"} {
		if a = f.do(t, call{path: "/api/v1/burst/metrics?days=" + bad, user: "scientist"}); a.status != 400 {
			t.Errorf("days=%s: %d", bad, a.status)
		}
	}
	a = f.do(t, call{path: "/api/v1/burst/metrics?days=7", user: "scientist"})
	if err := json.Unmarshal([]byte(a.body), &m); err != nil || len(m.Days) != 7 {
		t.Errorf("days=7: %v %.300s", err, a.body)
	}
	a = f.do(t, call{path: "/api/v1/burst/reports", user: "scientist"})
	var rep struct {
		Reports []struct {
			Observatory    string  `json:"observatory"`
			Held           int     `json:"held"`
			HeldMB         float64 `json:"held_mb"`
			BehindMegabits float64 `json:"behind_megabits"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(a.body), &rep); err != nil || len(rep.Reports) != 4 || rep.Reports[0].Held != 30 ||
		rep.Reports[0].HeldMB <= 0 || rep.Reports[3].BehindMegabits != 0 {
		t.Errorf("reports: %v %s", err, a.body)
	}

	if testing.Short() {
		return
	}
	bin := chromium(t)
	srv := httptest.NewServer(asTeam(f.api))
	t.Cleanup(srv.Close)
	dir := os.Getenv("MAGPIE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	file := filepath.Join(dir, "burst-team.png")
	os.Remove(file)
	dom := string(runChromium(t, bin, "--dump-dom", srv.URL+"/team/burst"))
	if !strings.Contains(dom, "cycle "+c.ID) || !strings.Contains(dom, "Burst memory metrics") {
		t.Errorf("DOM of the burst page: %.300s", dom)
	}
	runChromium(t, bin, "--screenshot="+file, srv.URL+"/team/burst")
	img := readPNG(t, file)
	if v := lumaVariance(img); v < 100 {
		t.Errorf("screenshot looks blank: luma variance %.1f", v)
	}
	// The metrics plot shows: the bars of category 1 (orange) are drawn.
	if n := countColour(img, burstOrange); n < 50 {
		t.Errorf("the metrics plot is not drawn (%d orange pixels)", n)
	}
}
