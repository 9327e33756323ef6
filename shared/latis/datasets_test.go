package latis

import (
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func csvOf(t *testing.T, write func(*strings.Builder) error) []string {
	t.Helper()
	var b strings.Builder
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

func TestMetadataCSV(t *testing.T) {
	rows := []MetadataRow{
		{TAI: 1812820830, CDQ: 3, MDQ: 4},
		{TAI: 1812820840, SegmentID: 1013, CDQ: 200, MDQ: 180},
		{TAI: 1812820850, SegmentID: 1013, CDQ: 90, MDQ: 120},
		{TAI: 1812820860, CDQ: 7, MDQ: 6},
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"TAITIMESTAMP,DATASEGMENTID,CDQ,MDQ", "1812820830,,3,4", "1812820840,1013,200,180",
			"1812820850,1013,90,120", "1812820860,,7,6"}},
		{"TAITIMESTAMP%3E=1812820840&TAITIMESTAMP<1812820860", []string{"TAITIMESTAMP,DATASEGMENTID,CDQ,MDQ",
			"1812820840,1013,200,180", "1812820850,1013,90,120"}},
		// Instants: no overlap semantics; a strict bound excludes the buffer.
		{"TAITIMESTAMP>1812820840", []string{"TAITIMESTAMP,DATASEGMENTID,CDQ,MDQ", "1812820850,1013,90,120", "1812820860,,7,6"}},
		{"mdq,taitimestamp&CDQ>=90", []string{"MDQ,TAITIMESTAMP", "180,1812820840", "120,1812820850"}},
		// An empty DATASEGMENTID matches no numeric filter.
		{"TAITIMESTAMP&DATASEGMENTID>0", []string{"TAITIMESTAMP", "1812820840", "1812820850"}},
		{"TAITIMESTAMP&DATASEGMENTID=1013&MDQ<150", []string{"TAITIMESTAMP", "1812820850"}},
		{"?CDQ&CDQ<=3", []string{"CDQ", "3"}},
	} {
		got := csvOf(t, func(b *strings.Builder) error { return MetadataCSV(b, rows, c.query) })
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q:\n got %q\nwant %q", c.query, got, c.want)
		}
	}
	for _, q := range []string{"NOPE", "CDQ>x", "CDQ&NOPE>1", "CDQ>=>1", "CDQ>1&MDQ", "%zz"} {
		if err := MetadataCSV(&strings.Builder{}, rows, q); err == nil {
			t.Errorf("%q: no error", q)
		}
	}
}

func day(h, m int) time.Time { return time.Date(2015, 10, 16, h, m, 0, 0, time.UTC) }

func TestEventsCSV(t *testing.T) {
	evs := []Event{
		{Start: day(12, 0), End: day(18, 0), Type: EventSITLWindow, SC: "mms", Source: "SITL", Description: "window, 3 segments",
			Discussion: "applied SITL", StartOrbit: 2, EndOrbit: 2, Tag: "APPLIED", ID: "sitl_window-20151016-120000"},
		{Start: day(2, 0), End: day(2, 0), Type: EventPerigee, SC: "mms1", Source: "DEFEPH", StartOrbit: 1, EndOrbit: 1, ID: "p1"},
		{Start: day(2, 0), End: day(14, 0), Type: EventOrbit, SC: "mms1", Source: "DEFEPH", StartOrbit: 1, EndOrbit: 1, ID: "o1"},
		{Start: day(8, 0), End: day(8, 0), Type: EventApogee, SC: "mms1", Source: "DEFEPH", StartOrbit: 1, EndOrbit: 1, ID: "a1"},
		{Start: day(6, 0), End: day(10, 0), Type: EventSROI, SC: "mms2", Source: "burst metadata", ID: "r2"},
	}
	head := "start_time_utc,end_time_utc,event_type,sc_id,source,description,discussion,start_orbit,end_orbit,tag,id"
	all := csvOf(t, func(b *strings.Builder) error { return EventsCSV(b, evs, "") })
	want := []string{head,
		"2015-10-16 02:00:00,2015-10-16 02:00:00,perigee,mms1,DEFEPH,,,1,1,,p1",
		"2015-10-16 02:00:00,2015-10-16 14:00:00,orbit,mms1,DEFEPH,,,1,1,,o1",
		"2015-10-16 06:00:00,2015-10-16 10:00:00,SROI,mms2,burst metadata,,,,,,r2",
		"2015-10-16 08:00:00,2015-10-16 08:00:00,apogee,mms1,DEFEPH,,,1,1,,a1",
		// A comma inside a middle column would shift the columns.
		"2015-10-16 12:00:00,2015-10-16 18:00:00,sitl_window,mms,SITL,window; 3 segments,applied SITL,2,2,APPLIED,sitl_window-20151016-120000",
	}
	if strings.Join(all, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(all, "\n"), strings.Join(want, "\n"))
	}
	ids := func(q string) string {
		lines := csvOf(t, func(b *strings.Builder) error { return EventsCSV(b, evs, q) })
		return strings.Join(lines[1:], " ")
	}
	for _, c := range []struct{ query, want string }{
		{"id&event_type=orbit", "o1"},
		{"ID&EVENT_TYPE=orbit", "o1"}, // column names are case-insensitive
		// Overlap: a lower bound keeps events ending after it, an upper
		// bound events starting before it.
		{"id&start_time_utc>=2015-10-16 09:00:00", "o1 r2 sitl_window-20151016-120000"},
		{"id&end_time_utc%3C=2015-10-16T07:00:00", "p1 o1 r2"},
		{"id&start_time_utc>2015-10-16T07:00:00&end_time_utc<2015-10-16 09:00", "o1 r2 a1"},
		{"id&start_time_utc>=2015-10-17", ""},
		{"id&start_orbit>=2", "sitl_window-20151016-120000"},
		{"id&sc_id=mms1&event_type>b", "p1 o1"},
		{"id,tag&tag=APPLIED", "sitl_window-20151016-120000,APPLIED"},
	} {
		if got := ids(c.query); got != c.want {
			t.Errorf("%q: %q, want %q", c.query, got, c.want)
		}
	}
	for _, q := range []string{"start_time_utc>yesterday", "start_orbit>one", "colour=red"} {
		if err := EventsCSV(&strings.Builder{}, evs, q); err == nil {
			t.Errorf("%q: no error", q)
		}
	}
}

func TestBounds(t *testing.T) {
	lo, hi, hasLo, hasHi := MetadataTable.Bounds("CDQ&TAITIMESTAMP>=100&TAITIMESTAMP>150&TAITIMESTAMP<400&TAITIMESTAMP<=300", "TAITIMESTAMP")
	if !hasLo || !hasHi || lo != 150 || hi != 300 {
		t.Errorf("bounds %v %v %v %v", lo, hi, hasLo, hasHi)
	}
	if _, _, hasLo, hasHi := MetadataTable.Bounds("CDQ>3", "TAITIMESTAMP"); hasLo || hasHi {
		t.Error("bounds without a filter")
	}
	lo, _, hasLo, _ = EventsTable.Bounds("start_time_utc>=2015-10-16", "start_time_utc")
	if !hasLo || int64(lo) != day(0, 0).Unix() {
		t.Errorf("time bound %v", lo)
	}
}

// ephemeris writes a DEFEPH-style file of an orbit whose distance is
// 40,000 − 30,000 cos(2π t / 12 h) km: perigees at 00:00 and 12:00.
func ephemeris(from time.Time, hours int) string {
	var b strings.Builder
	b.WriteString("DEFINITIVE EPHEMERIS\nSpacecraft:         MMS1\nEpoch (UTC)  X (km) Y (km) Z (km) VX VY VZ\n")
	for s := 0; s <= hours*3600; s += 30 {
		at := from.Add(time.Duration(s) * time.Second)
		r := 40000 - 30000*math.Cos(2*math.Pi*float64(at.Unix()%43200)/43200)
		fmt.Fprintf(&b, "%04d-%03d/%02d:%02d:%02d.000 %16.6f %16.6f %16.6f %12.6f %12.6f %12.6f\n", at.Year(), at.YearDay(),
			at.Hour(), at.Minute(), at.Second(), r*0.6, r*0.8, 0.0, 1.0, 2.0, 3.0)
	}
	return b.String()
}

func TestOrbits(t *testing.T) {
	d0 := time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)
	// Two daily files; they share the midnight row.
	a, err := ReadEphemeris(strings.NewReader(ephemeris(d0, 24)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadEphemeris(strings.NewReader(ephemeris(d0.AddDate(0, 0, 1), 24)))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2881 || math.Abs(a[0].RadiusKm-10000) > 1e-3 {
		t.Fatalf("%d samples, first %v", len(a), a[0])
	}
	evs := Orbits("mms1", "DEFEPH", append(b, a...))
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s-%s %d", e.Type, e.Start.Format("02T15"), e.End.Format("02T15"), e.StartOrbit))
	}
	// The very first and last samples are not extrema (no neighbour).
	want := []string{"apogee 16T06-16T06 0", "perigee 16T12-16T12 1", "apogee 16T18-16T18 1", "perigee 17T00-17T00 2",
		"apogee 17T06-17T06 2", "perigee 17T12-17T12 3", "apogee 17T18-17T18 3",
		"orbit 16T12-17T00 1", "orbit 17T00-17T12 2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("orbits:\n got %q\nwant %q", got, want)
	}
	if n := OrbitAt(evs, d0.Add(20*time.Hour)); n != 1 {
		t.Errorf("orbit at 20:00: %d", n)
	}
	if n := OrbitAt(evs, d0.Add(2*time.Hour)); n != 0 {
		t.Errorf("orbit before the first perigee: %d", n)
	}
	if _, err := ReadEphemeris(strings.NewReader("2015-289/00:00:00.000 1.0 x 3.0\n")); err == nil {
		t.Error("bad position: no error")
	}
	if _, err := ReadEphemeris(strings.NewReader("2015-289/00:00:00.000 1.0\n")); err == nil {
		t.Error("short row: no error")
	}
	if ps, err := ReadEphemeris(strings.NewReader("text of a file\n")); err != nil || len(ps) != 0 {
		t.Errorf("no rows: %v %v", ps, err)
	}
}

func TestRegions(t *testing.T) {
	for _, c := range []struct {
		tais []int64
		want string
	}{
		{nil, "[]"},
		{[]int64{100}, "[[100 110]]"},
		{[]int64{120, 100, 110, 110, 140, 150}, "[[100 130] [140 160]]"},
	} {
		if got := fmt.Sprint(Regions(c.tais, 10)); got != c.want && !(c.want == "[]" && got == "[]") {
			t.Errorf("%v: %s, want %s", c.tais, got, c.want)
		}
	}
}

// BenchmarkMetadataCSV writes a day of one spacecraft's buffers (8,640
// rows) filtered to an hour and projected.
func BenchmarkMetadataCSV(b *testing.B) {
	rows := make([]MetadataRow, 8640)
	for i := range rows {
		rows[i] = MetadataRow{TAI: 1823644840 + int64(i)*10, SegmentID: int64(i / 60), CDQ: i % 256, MDQ: (i * 7) % 256}
	}
	q := "TAITIMESTAMP,CDQ&TAITIMESTAMP>=1823680840&TAITIMESTAMP<1823684440"
	for b.Loop() {
		if err := MetadataCSV(io.Discard, rows, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventsCSV writes a year of daily events (2,000 rows), all of
// them, sorted.
func BenchmarkEventsCSV(b *testing.B) {
	d0 := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []Event
	for d := range 365 {
		for k, typ := range []string{EventOrbit, EventPerigee, EventApogee, EventSITLWindow, EventScienceROI} {
			at := d0.AddDate(0, 0, d).Add(time.Duration(k) * time.Hour)
			evs = append(evs, Event{Start: at, End: at.Add(12 * time.Hour), Type: typ, SC: "mms1", ID: EventID(typ, "mms1", at), StartOrbit: d + 1, EndOrbit: d + 1})
		}
	}
	for b.Loop() {
		if err := EventsCSV(io.Discard, evs, ""); err != nil {
			b.Fatal(err)
		}
	}
}
