package api

import (
	"context"
	"github.com/magpie-sdc/magpie/shared/burst"
	"strings"
	"testing"
	"time"
)

// TestEventsPage checks the mission events page: the latest 7 days by
// default, a chosen range, the public view without the unreleased
// ephemeris's orbits, and 400 for bad dates.
func TestEventsPage(t *testing.T) {
	f := newCycleFixture(t, true)
	ingestBytes(t, f.fixture, "MMS3_DEFEPH_2015289_2015290.V00", defeph(time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)))
	ingestBytes(t, f.fixture, "MMS3_DEFEPH_2015290_2015291.V00", defeph(time.Date(2015, 10, 17, 0, 0, 0, 0, time.UTC)))
	if a := f.upload(t, "sitl_selections_2026-01-02-03-04-05.csv", f.selectionsCSV(t, 1200, 1500, "SITL")); a.status != 200 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	f.applied(t)
	held := time.Date(2015, 10, 16, 12, 0, 0, 0, time.UTC)
	for _, ct := range []burst.Contact{{Start: held, End: held.Add(time.Hour)}, {Start: held.Add(6 * time.Hour), End: held.Add(7 * time.Hour), Missed: true}} {
		if _, ran, err := f.wf.RunContact(context.Background(), ct, 100); err != nil || !ran {
			t.Fatalf("contact %s: ran=%v %v", ct.Start, ran, err)
		}
	}
	row := func(start, end, typ, sc string) string {
		return "<tr><td>" + start + "</td><td>" + end + "</td><td>" + typ + "</td><td>" + sc + "</td>"
	}
	perigee := row("2015-10-16 02:00:00", "2015-10-16 02:00:00", "perigee", "mms3")
	sroi := row("2015-10-16 10:00:04", "2015-10-16 11:00:04", "SROI", "mms2")
	roi := row("2015-10-16 10:00:04", "2015-10-16 11:00:04", "science_roi", "mms")
	window := row("2015-10-16 10:00:04", "2015-10-16 11:00:04", "sitl_window", "mms")
	contact := row("2015-10-16 12:00:00", "2015-10-16 13:00:00", "dsn_contact", "mms")
	missed := row("2015-10-16 18:00:00", "2015-10-16 19:00:00", "dsn_contact", "mms")
	orbit3 := row("2015-10-17 02:00:00", "2015-10-17 14:00:00", "orbit", "mms3")
	for _, tc := range []struct {
		path, user string
		status     int
		want, not  []string
	}{
		// The latest event starts on 2015-10-17: the default is the 7 days up to it.
		{"/team/events", "scientist", 200, []string{"Timeline 2015-10-11 to 2015-10-17", perigee, sroi, roi, window, contact, missed, orbit3,
			"120 buffers downlinked", "MISSED contact", `<a href="/team/events" class="on">Events</a>`, "<svg", "perigee mms3</text>",
			"dsn_contact mms</text>", `fill="#d62728"`, "/mms/sdc/sitl/latis/dap/mms_events_view.csv"}, nil},
		{"/events", "", 200, []string{sroi, roi, window, contact, missed, `<a href="/events" class="on">Events</a>`, "science_roi mms</text>",
			"/mms/sdc/public/service/latis/mms_events_view.csv"}, []string{"perigee", "apogee", "orbit</td>", "DEFEPH", "/mms/sdc/sitl/"}},
		{"/team/events?start_date=2015-10-17&end_date=2015-10-17", "scientist", 200, []string{"Timeline 2015-10-17 to 2015-10-17", orbit3},
			[]string{sroi, contact, perigee}},
		{"/team/events?start_date=2015-10-16&end_date=2015-10-16", "scientist", 200, []string{perigee, sroi, missed}, []string{orbit3}},
		{"/events?start_date=2015-10-20&end_date=2015-10-22", "", 200, []string{"No events in these days"}, []string{"<svg"}},
		{"/team/events", "", 401, nil, nil},
		{"/events?start_date=2015-13-01", "", 400, []string{"start_date"}, nil},
		{"/events?end_date=yesterday", "", 400, []string{"end_date"}, nil},
		{"/team/events?start_date=2015-10-17&end_date=2015-10-16", "scientist", 400, []string{"after end_date"}, nil},
		{"/events?start_date=2015-01-01&end_date=2015-12-31", "", 400, []string{"at most 31 days"}, nil},
		{"/events?start_date=2015-01-01", "", 400, []string{"at most 31 days"}, nil},
	} {
		a := f.do(t, call{path: tc.path, user: tc.user})
		if a.status != tc.status {
			t.Errorf("%s as %q: %d, want %d: %.300s", tc.path, tc.user, a.status, tc.status, a.body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(a.body, w) {
				t.Errorf("%s as %q: missing %q", tc.path, tc.user, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(a.body, n) {
				t.Errorf("%s as %q: shows %q", tc.path, tc.user, n)
			}
		}
	}
}
