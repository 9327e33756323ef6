package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/store"
)

type namingVersion = naming.Version

func storePut() store.PutOptions { return store.PutOptions{} }

func TestRequiredAndFeedingInputs(t *testing.T) {
	s := newSDC(t, testGraph(), nil)

	// A feeding input alone starts nothing.
	att, attBody := attFile()
	s.drop(att, attBody)
	if js := s.jobs(""); len(js) != 0 {
		t.Fatalf("attitude alone started %d jobs", len(js))
	}

	// L0 triggers L1A; L1A triggers L1B, which lacks its calibration.
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))
	if got := s.newest("l1a"); got != "mms1_fgm_srvy_l1a_20151016_v2.0.0.cdf" {
		t.Fatalf("l1a = %s", got)
	}
	nr := s.jobs(StatusNotRun)
	if len(nr) != 1 || nr[0].Node != "l1b" || len(nr[0].Missing) != 1 || !strings.HasPrefix(nr[0].Missing[0], "cal ") {
		t.Fatalf("want l1b NOTRUN missing cal, got %+v", nr)
	}
	if s.runs("fake-l1b") != 0 {
		t.Fatal("l1b ran without its calibration")
	}
	notrunID := nr[0].ID

	// The calibration arrives: L1B runs, then L2 (the attitude is there).
	name, body := calFile("1.1.0")
	s.drop(name, body)
	if got := s.newest("l1b"); got != "mms1_fgm_srvy_l1b_20151016_v2.1.0.cdf" {
		t.Fatalf("l1b = %s", got)
	}
	if got := s.newest("l2"); got != "mms1_fgm_srvy_l2_20151016_v2.1.0.cdf" {
		t.Fatalf("l2 = %s", got)
	}
	if nr := s.jobs(StatusNotRun); len(nr) != 0 {
		t.Fatalf("NOTRUN jobs left after the input arrived: %+v", nr)
	}
	if got := len(s.jobs(StatusSucceeded)); got != 3 {
		t.Fatalf("%d SUCCEEDED jobs, want 3", got)
	}
	// The superseded NOTRUN job is still there to look at.
	old, err := s.p.Jobs.Get(s.ctx, notrunID)
	if err != nil || old.Status != StatusNotRun || old.SupersededBy == "" {
		t.Fatalf("superseded job: %+v %v", old, err)
	}
}

func TestFeedingInputReplansNotRun(t *testing.T) {
	s := newSDC(t, testGraph(), nil)
	name, body := calFile("1.1.0")
	s.drop(name, body)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))
	nr := s.jobs(StatusNotRun)
	if len(nr) != 1 || nr[0].Node != "l2" || !strings.HasPrefix(nr[0].Missing[0], "att ") {
		t.Fatalf("want l2 NOTRUN missing att, got %+v", nr)
	}
	att, attBody := attFile()
	s.drop(att, attBody)
	if got := s.newest("l2"); got != "mms1_fgm_srvy_l2_20151016_v2.1.0.cdf" {
		t.Fatalf("l2 after the attitude arrived: %s", got)
	}
	j := s.jobOf("l2")
	if j.Status != StatusSucceeded || len(j.Inputs) != 2 || j.Attempts != 1 {
		t.Fatalf("l2 job %+v", j)
	}
}

func TestDuplicateTriggersRunOnce(t *testing.T) {
	s := newSDC(t, testGraph()[:1], nil)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))
	rec, err := s.cat.Get(s.ctx, "mms1_fgm_srvy_l0_20151016_v1.0.0.dat")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := events.New(events.FileIndexed, s.clock.Now(), rec)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.bus.Publish(s.ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	s.bus.Drain()
	// And the same file dropped again (a re-delivery).
	if _, err := s.dropbox.Put(s.ctx, rec.Name, strings.NewReader(string(l0("day one"))), storePut()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.p.Runner.Indexer.Index(s.ctx, rec.Name); err != nil {
		t.Fatal(err)
	}
	s.bus.Drain()
	if n := s.runs("fake-l1a"); n != 1 {
		t.Fatalf("processor ran %d times, want 1", n)
	}
	if js := s.jobs(""); len(js) != 1 {
		t.Fatalf("%d jobs, want 1", len(js))
	}
	if v := s.versions("l1a"); !slices.Equal(v, []string{"2.0.0"}) {
		t.Fatalf("l1a versions %v", v)
	}
}

func TestChangedInputsIncrementZ(t *testing.T) {
	s := newSDC(t, testGraph()[:1], nil)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("first delivery"))
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.1.dat", l0("complete re-delivery"))
	if v := s.versions("l1a"); !slices.Equal(v, []string{"2.0.0", "2.0.1"}) {
		t.Fatalf("l1a versions %v, want 2.0.0 and 2.0.1", v)
	}
	if got := s.newest("l1a"); got != "mms1_fgm_srvy_l1a_20151016_v2.0.1.cdf" {
		t.Fatalf("newest l1a = %s", got)
	}
	// The new version was made from the new L0 only.
	j := s.jobs(StatusSucceeded)[0]
	if j.Version != "2.0.1" || j.Inputs[0].FileName != "mms1_fgm_srvy_l0_20151016_v1.0.1.dat" {
		t.Fatalf("newest job %+v", j)
	}
}

func TestCalibrationChangeMakesNewY(t *testing.T) {
	s := newSDC(t, testGraph(), nil)
	att, attBody := attFile()
	s.drop(att, attBody)
	name, body := calFile("1.1.0")
	s.drop(name, body)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))
	if got := s.newest("l2"); got != "mms1_fgm_srvy_l2_20151016_v2.1.0.cdf" {
		t.Fatalf("l2 = %s", got)
	}
	// A new calibration (Y 2) reprocesses L1B, and L2 follows.
	name, body = calFile("1.2.0")
	s.drop(name, body)
	if got := s.newest("l1b"); got != "mms1_fgm_srvy_l1b_20151016_v2.2.0.cdf" {
		t.Fatalf("l1b after recalibration = %s", got)
	}
	if got := s.newest("l2"); got != "mms1_fgm_srvy_l2_20151016_v2.2.0.cdf" {
		t.Fatalf("l2 after recalibration = %s", got)
	}
	// The old versions stay archived and queryable.
	if v := s.versions("l2"); !slices.Equal(v, []string{"2.1.0", "2.2.0"}) {
		t.Fatalf("l2 versions %v", v)
	}
	old, err := s.cat.Query(s.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"},
		Level: []string{"l1b"}, Descriptor: []string{""}, Version: "2.1.0"})
	if err != nil || len(old) != 1 {
		t.Fatalf("old l1b version: %v %v", old, err)
	}
	if _, err := s.archive.Head(s.ctx, old[0].ArchiveKey); err != nil {
		t.Fatalf("old l1b archive copy: %v", err)
	}
	// L1A was not redone: its inputs did not change.
	if n := s.runs("fake-l1a"); n != 1 {
		t.Fatalf("l1a ran %d times", n)
	}
}

func TestGraphValidation(t *testing.T) {
	builtins := []string{"fake-l1a", "fake-l1b", "fake-l2"}
	tests := []struct {
		name  string
		edit  func(g []mission.ProductNode) []mission.ProductNode
		wants string
	}{
		{"valid", func(g []mission.ProductNode) []mission.ProductNode { return g }, ""},
		{"cycle", func(g []mission.ProductNode) []mission.ProductNode {
			g[0].Inputs = append(g[0].Inputs, mission.NodeInput{Name: "back", ProductRef: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "l2"}, Window: WindowSame})
			return g
		}, "cycle: l1a needs l2 needs l1b needs l1a"},
		{"unknown input product", func(g []mission.ProductNode) []mission.ProductNode {
			g[1].Inputs[1].Level = "calibration"
			return g
		}, `unknown data level "calibration"`},
		{"unknown output product", func(g []mission.ProductNode) []mission.ProductNode {
			g[2].Output.Instrument = "xyz"
			return g
		}, `unknown instrument "xyz"`},
		{"two producers", func(g []mission.ProductNode) []mission.ProductNode {
			extra := g[2]
			extra.ID = "l2-again"
			return append(g, extra)
		}, `output fgm/srvy/l2 is already produced by node "l2"`},
		{"unknown processor", func(g []mission.ProductNode) []mission.ProductNode {
			g[0].Processor = "nope"
			return g
		}, `unknown processor "nope"`},
		{"no trigger", func(g []mission.ProductNode) []mission.ProductNode {
			g[0].Inputs[0].Trigger = false
			return g
		}, "needs a required trigger input"},
		{"bad window", func(g []mission.ProductNode) []mission.ProductNode {
			g[2].Inputs[1].Window = "sometime"
			return g
		}, `unknown window "sometime"`},
		{"burst input for a daily job", func(g []mission.ProductNode) []mission.ProductNode {
			g[0].Inputs[0].Rate = "brst"
			return g
		}, "cannot be the burst product"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := mission.Default()
			prof := *p
			prof.Products = tc.edit(testGraph())
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

func TestNextVersion(t *testing.T) {
	v := func(x, y, z int) namingVersion { return namingVersion{X: x, Y: y, Z: z} }
	tests := []struct {
		existing []namingVersion
		x, y     int
		want     string
	}{
		{nil, 4, 1, "4.1.0"},
		{[]namingVersion{v(4, 1, 0)}, 4, 1, "4.1.1"},
		{[]namingVersion{v(4, 1, 0), v(4, 1, 7), v(4, 1, 3)}, 4, 1, "4.1.8"},
		{[]namingVersion{v(4, 1, 5)}, 4, 2, "4.2.0"}, // new calibration resets Z
		{[]namingVersion{v(4, 1, 5)}, 5, 1, "5.1.0"}, // new format resets Z
	}
	for _, tc := range tests {
		if got := NextVersion(tc.existing, tc.x, tc.y).String(); got != tc.want {
			t.Errorf("NextVersion(%v, %d, %d) = %s, want %s", tc.existing, tc.x, tc.y, got, tc.want)
		}
	}
}
