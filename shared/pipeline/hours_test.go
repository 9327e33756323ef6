package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
)

func TestPartitionHours(t *testing.T) {
	for p, want := range map[string]int{"2h": 2, "1h": 1, "12h": 12, "6h": 6, "5h": 0, "24h": 0, "0h": 0, "-2h": 0,
		"02h": 0, "2": 0, "h": 0, "daily": 0, "segment": 0, "2H": 0} {
		if got := PartitionHours(p); got != want {
			t.Errorf("PartitionHours(%q) = %d, want %d", p, got, want)
		}
	}
}

// hoursGraph: daily L0 -> 2-hour L1A -> 2-hour L1B (+cal) -> daily L2
// gathering the day's twelve L1B files (+defatt feeding).
func hoursGraph() []mission.ProductNode {
	g := testGraph()
	g[0].Partition, g[1].Partition = "2h", "2h"
	return g
}

func TestHoursPartitionGraphValidation(t *testing.T) {
	builtins := []string{"fake-l1a", "fake-l1b", "fake-l2"}
	tests := []struct {
		name  string
		edit  func(g []mission.ProductNode)
		wants string
	}{
		{"2h chain with a daily gatherer", func(g []mission.ProductNode) {}, ""},
		{"2h to the end", func(g []mission.ProductNode) { g[2].Partition = "2h" }, ""},
		{"not dividing the day", func(g []mission.ProductNode) { g[1].Partition = "5h" }, `partition "5h" is not daily, segment or <N>h`},
		{"slot for slot across partitions", func(g []mission.ProductNode) { g[1].Partition = "3h" },
			"a 3h partition cannot read the 2h partition of fgm/srvy/l1a"},
		{"burst input", func(g []mission.ProductNode) { g[0].Inputs[0].Rate = "brst" }, "cannot be the burst product"},
		{"segment job on a 2h product", func(g []mission.ProductNode) { g[1].Partition = PartitionSegment },
			"must be a burst product"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := mission.Default()
			prof := *p
			g := hoursGraph()
			tc.edit(g)
			prof.Products = g
			_, err := NewGraph(&prof, builtins)
			switch {
			case tc.wants == "" && err != nil:
				t.Fatalf("valid graph rejected: %v", err)
			case tc.wants != "" && (err == nil || !strings.Contains(err.Error(), tc.wants)):
				t.Fatalf("error %v, want it to contain %q", err, tc.wants)
			}
		})
	}
}

func TestHoursPartitionFanOutAndGather(t *testing.T) {
	s := newSDC(t, hoursGraph(), nil)
	att, attBody := attFile()
	s.drop(att, attBody)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))

	// One daily L0 file makes twelve 2-hour L1A jobs, on the 2-hour grid,
	// each told its two hours.
	var tags []string
	for _, j := range s.jobs(StatusSucceeded) {
		if j.Node == "l1a" {
			tags = append(tags, j.TimeTag())
		}
	}
	slices.Sort(tags)
	if len(tags) != 12 || tags[0] != "20151016000000" || tags[1] != "20151016020000" || tags[11] != "20151016220000" {
		t.Fatalf("l1a slots %v, want the twelve 2-hour slots of the day", tags)
	}
	n := s.p.Planner.Graph.Node("l1a")
	if start, end := partitionSpan(n, day.Add(2*time.Hour)); !start.Equal(day.Add(2*time.Hour)) || !end.Equal(day.Add(4*time.Hour)) {
		t.Fatalf("2h span %v – %v", start, end)
	}
	if v := s.versions("l1a"); len(v) != 12 {
		t.Fatalf("%d l1a files, want 12", len(v))
	}
	// Reprocessing campaigns see the same slots.
	for node, want := range map[string]int{"l1a": 12, "l1b": 12} {
		starts, err := s.p.Planner.SlotStarts(s.ctx, s.p.Planner.Graph.Node(node), "mms1", day, day.AddDate(0, 0, 1))
		if err != nil || len(starts) != want || !slices.ContainsFunc(starts, func(t time.Time) bool { return t.Equal(day.Add(22 * time.Hour)) }) {
			t.Fatalf("%s slot starts %v %v, want %d", node, starts, err, want)
		}
	}
	// L1B waits for its calibration.
	if nr := s.jobs(StatusNotRun); len(nr) != 12 || countFunc(nr, func(j Job) bool { return j.Node == "l1b" }) != 12 {
		t.Fatalf("%d NOTRUN jobs, want the 12 l1b", len(nr))
	}

	name, body := calFile("1.1.0")
	s.drop(name, body)
	if got := s.runs("fake-l1b"); got != 12 {
		t.Fatalf("l1b ran %d times, want 12", got)
	}
	// The daily L2 ran once, after the last 2-hour file, with all twelve.
	if got := s.runs("fake-l2"); got != 1 {
		t.Fatalf("l2 ran %d times, want once", got)
	}
	if got := s.newest("l2"); got != "mms1_fgm_srvy_l2_20151016_v2.1.0.cdf" {
		t.Fatalf("l2 = %s", got)
	}
	if nr := s.jobs(StatusNotRun); len(nr) != 0 {
		t.Fatalf("NOTRUN jobs left: %+v", nr)
	}

	if starts, err := s.p.Planner.SlotStarts(s.ctx, s.p.Planner.Graph.Node("l2"), "mms1", day, day.AddDate(0, 0, 1)); err != nil ||
		len(starts) != 1 || !starts[0].Equal(day) {
		t.Fatalf("l2 slot starts %v %v, want the day", starts, err)
	}

	// A new calibration: twelve new L1B files, one new L2 with Y 2 once all
	// twelve carry it (never a mix of calibrations).
	name, body = calFile("1.2.0")
	s.drop(name, body)
	if got := s.runs("fake-l2"); got != 2 {
		t.Fatalf("l2 ran %d times after recalibration, want 2", got)
	}
	if got := s.versions("l2"); !slices.Equal(sorted(got), []string{"2.1.0", "2.2.0"}) {
		t.Fatalf("l2 versions %v", got)
	}
	// Each L2 job read twelve L1B files of one calibration.
	var ys []string
	for _, j := range s.jobs(StatusSucceeded) {
		if j.Node != "l2" {
			continue
		}
		var vs []string
		for _, in := range j.Inputs {
			if in.Input == "l1b" {
				vs = append(vs, in.Version)
			}
		}
		if len(vs) != 12 || slices.Compact(sorted(vs))[0] != vs[0] || len(slices.Compact(sorted(vs))) != 1 {
			t.Fatalf("l2 job %s read l1b versions %v", j.ID, vs)
		}
		ys = append(ys, vs[0])
	}
	if !slices.Equal(sorted(ys), []string{"2.1.0", "2.2.0"}) {
		t.Fatalf("l2 jobs read l1b versions %v", ys)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
