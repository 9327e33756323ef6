package latis

import (
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

func segs(t *testing.T) []*burst.Segment {
	t.Helper()
	start, err := timeutil.ParseUTC("2015-06-12 17:20:05")
	if err != nil {
		t.Fatal(err)
	}
	tai, err := timeutil.UTCToTAI(start)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2015, 6, 13, 1, 2, 3, 0, time.UTC)
	return []*burst.Segment{
		{ID: 1013, TAIStart: tai, TAIEnd: 1812821430, FOM: 87.5, Source: "ABS", Status: burst.StatusComplete | burst.StatusFinished,
			CreateTime: created, FinishTime: created.Add(48 * time.Hour), EvalCycles: 1, ParameterSetID: "abs_1",
			Obs: []burst.Obs{{Buffers: 60, Alloc: 0, Remaining: 0}, {Buffers: 60, Alloc: 0, Remaining: 0}, {Buffers: 60, Alloc: 0, Remaining: 0}, {Buffers: 60, Alloc: 0, Remaining: 0}}, Discussion: "KH waves, MP crossing"},
		{ID: 1014, TAIStart: 1812821440, TAIEnd: 1812821500, FOM: 150, Source: "SITL", Status: burst.StatusHeld, Pending: true,
			CreateTime: created, Obs: []burst.Obs{{Buffers: 7, Alloc: 7, Remaining: 7}, {Buffers: 7, Alloc: 7, Remaining: 7}, {Buffers: 0, Alloc: 0, Remaining: 0}, {Buffers: 7, Alloc: 0, Remaining: 7}}},
	}
}

func TestSegmentsCSVCheckValue(t *testing.T) {
	ss := segs(t)
	if ss[0].TAIStart != 1812820840 {
		t.Fatalf("2015-06-12T17:20:05 UTC = TAI %d, want 1812820840", ss[0].TAIStart)
	}
	end, _ := timeutil.TAIToUTC(ss[0].TAIEnd)
	if timeutil.FormatUTC(end) != "2015-06-12 17:29:55" {
		t.Errorf("TAI end %d = %s", ss[0].TAIEnd, end)
	}
	var b strings.Builder
	if err := SegmentsCSV(&b, ss, ""); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if lines[0] != strings.Join(SegmentColumns, ",") || len(SegmentColumns) != 25 {
		t.Fatalf("header %s", lines[0])
	}
	want := "1013,1812820840,1812821430,abs_1,87.5,0,0,COMPLETE+FINISHED,1,ABS,2015-06-13 01:02:03,2015-06-15 01:02:03," +
		"60,60,60,60,0,0,0,0,0,0,0,0,KH waves, MP crossing"
	if lines[1] != want {
		t.Errorf("row\n got %s\nwant %s", lines[1], want)
	}
	// Clients index by position: the 25th field onwards is the discussion.
	if f := strings.SplitN(lines[2], ",", 25); len(f) != 25 || f[11] != "" || f[5] != "1" || f[7] != "HELD" || f[19] != "0" {
		t.Errorf("pending row %q", lines[2])
	}
}

func TestSegmentsCSVQueries(t *testing.T) {
	cases := []struct {
		query string
		want  string // expected body without header, rows joined by ';'
		err   bool
	}{
		{query: "DATASEGMENTID,FOM", want: "1013,87.5;1014,150"},
		{query: "DATASEGMENTID&FOM>100", want: "1014"},
		{query: "DATASEGMENTID&FOM%3E=87.5", want: "1013;1014"},
		{query: "?DATASEGMENTID&STATUS=COMPLETE+FINISHED", want: "1013"},
		{query: "DATASEGMENTID&STATUS=COMPLETE%2BFINISHED", want: "1013"},
		// Overlap: segment 1013 ends (last buffer start) at 1812821430.
		{query: "DATASEGMENTID&TAISTARTTIME>=1812821430", want: "1014"},
		{query: "DATASEGMENTID&TAISTARTTIME>=1812821429", want: "1013;1014"},
		{query: "DATASEGMENTID&TAIENDTIME%3C=1812821440", want: "1013"},
		{query: "DATASEGMENTID&TAIENDTIME<1812821441", want: "1013;1014"},
		{query: "DATASEGMENTID&TAISTARTTIME>1812821000&TAIENDTIME<1812821100", want: "1013"},
		{query: "DATASEGMENTID&ISPENDING=1", want: "1014"},
		{query: "BOGUS", err: true},
		{query: "DATASEGMENTID&FOM>abc", err: true},
		{query: "DATASEGMENTID&FOM=>3", err: true},
		{query: "FOM>3&DATASEGMENTID", err: true},
		{query: "DATASEGMENTID&FOM%ZZ3", err: true},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			var b strings.Builder
			err := SegmentsCSV(&b, segs(t), c.query)
			if c.err {
				if err == nil {
					t.Fatalf("accepted: %s", b.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if got := strings.Join(lines[1:], ";"); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
