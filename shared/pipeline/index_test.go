package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
)

// indexCatalog is a small catalog exercising every input window: L0 with
// reprocessed versions and missing days, 2-hour L1A/L1B files with gaps
// and mixed versions, calibrations (one far before the span, several
// versions of one day), and attitude with gaps.
func indexCatalog(t *testing.T, first time.Time, hours bool) []catalog.Record {
	t.Helper()
	var recs []catalog.Record
	add := func(name string) {
		n, err := naming.Parse(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, err := catalog.FromName(n)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum := sha256.Sum256([]byte(name))
		r.SHA256, r.Size, r.Ingested = hex.EncodeToString(sum[:]), int64(len(name)), first
		recs = append(recs, r)
	}
	// A calibration long before the span: latest must search the history.
	add("mms1_fgm_srvy_cal_" + first.AddDate(0, 0, -200).Format("20060102") + "_v1.0.0.csv")
	for d := range 12 {
		t0 := first.AddDate(0, 0, d)
		ymd := t0.Format("20060102")
		if d%5 != 3 {
			add("mms1_fgm_srvy_l0_" + ymd + "_v1.0.0.dat")
		}
		if d%4 == 1 {
			add("mms1_fgm_srvy_l0_" + ymd + "_v1.1.0.dat")
		}
		if d >= 6 && d%3 == 0 {
			add("mms1_fgm_srvy_cal_" + ymd + "_v1.0.0.csv")
			add("mms1_fgm_srvy_cal_" + ymd + "_v1.2.0.csv")
		}
		if d%6 != 2 {
			end := t0.AddDate(0, 0, 1)
			add(fmt.Sprintf("MMS1_DEFATT_%d%03d_%d%03d.V%02d", t0.Year(), t0.YearDay(), end.Year(), end.YearDay(), d%2))
		}
		// Daily L1A/L1B for the daily graph, 2-hour ones for the hours graph.
		if !hours {
			if d%4 != 2 {
				add("mms1_fgm_srvy_l1a_" + ymd + "_v2.0.0.cdf")
			}
			if d%4 != 0 {
				add("mms1_fgm_srvy_l1b_" + ymd + "_v2.0.0.cdf")
			}
			if d%4 == 1 {
				add("mms1_fgm_srvy_l1b_" + ymd + "_v2.1.0.cdf")
			}
			continue
		}
		for k := 0; k < 24; k += 2 {
			if d%4 == 2 && k == 10 {
				continue // a day missing a slot: its daily L2 is NOTRUN
			}
			tag := t0.Add(time.Duration(k) * time.Hour).Format("20060102150405")
			add("mms1_fgm_srvy_l1a_" + tag + "_v2.0.0.cdf")
			v := "2.0.0"
			if d%4 == 3 && k == 6 {
				v = "2.1.0" // a recalibrated slot: the day mixes X.Y, L2 waits
			}
			add("mms1_fgm_srvy_l1b_" + tag + "_v" + v + ".cdf")
			if d%4 == 0 && k == 6 {
				add("mms1_fgm_srvy_l1b_" + tag + "_v2.0.1.cdf")
			}
		}
	}
	return recs
}

// TestInputIndexResolvesLikeTheCatalog checks that previewing a slot
// through a plan's InputIndex gives the job Planner.Preview gives (same
// inputs in the same order, same status, same id) for every node and slot,
// including slots outside the index's span, on daily and 2-hour graphs.
func TestInputIndexResolvesLikeTheCatalog(t *testing.T) {
	first := time.Date(2015, 10, 10, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		graph []mission.ProductNode
		hours bool
	}{
		{"daily", testGraph(), false},
		{"2-hour partitions", hoursGraph(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSDC(t, tc.graph, nil)
			if err := s.cat.BulkLoad(s.ctx, indexCatalog(t, first, tc.hours)); err != nil {
				t.Fatal(err)
			}
			planner := s.p.Planner
			// The plan covers days 2..9; slots from day -1 to day 12 are
			// compared, so some queries reach outside the index's span.
			from, to := first.AddDate(0, 0, 2), first.AddDate(0, 0, 10)
			x := planner.NewInputIndex(from, to)
			status := map[string]int{}
			for _, n := range planner.Graph.Nodes {
				step := 24 * time.Hour
				if h := PartitionHours(n.Partition); h > 0 {
					step = time.Duration(h) * time.Hour
				}
				for start := first.AddDate(0, 0, -1); start.Before(first.AddDate(0, 0, 13)); start = start.Add(step) {
					want, err := planner.Preview(s.ctx, n.ID, "mms1", start)
					if err != nil {
						t.Fatal(err)
					}
					got, err := x.Preview(s.ctx, n.ID, "mms1", start)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s %s: index gives\n%+v\nthe catalog gives\n%+v", n.ID, start.Format(time.RFC3339), got, want)
					}
					status[n.ID+" "+want.Status]++
				}
			}
			// The comparison covered both outcomes of every node.
			for _, n := range planner.Graph.Nodes {
				if status[n.ID+" "+StatusPending] == 0 || status[n.ID+" "+StatusNotRun] == 0 {
					t.Errorf("node %s: statuses %v, want PENDING and NOTRUN slots", n.ID, status)
				}
			}
		})
	}
}

// TestInputIndexKeepsVersionsAndCalibrations pins what the comparison
// above relies on: the index picks the newest L0 version and the newest
// calibration in force, reaching back before its span for it.
func TestInputIndexKeepsVersionsAndCalibrations(t *testing.T) {
	first := time.Date(2015, 10, 10, 0, 0, 0, 0, time.UTC)
	s := newSDC(t, testGraph(), nil)
	if err := s.cat.BulkLoad(s.ctx, indexCatalog(t, first, false)); err != nil {
		t.Fatal(err)
	}
	x := s.p.Planner.NewInputIndex(first.AddDate(0, 0, 2), first.AddDate(0, 0, 10))
	inputs := func(node string, start time.Time) map[string]string {
		t.Helper()
		j, err := x.Preview(s.ctx, node, "mms1", start)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, in := range j.Inputs {
			out[in.Input] = in.FileName
		}
		return out
	}
	if got, want := inputs("l1a", first.AddDate(0, 0, 5))["l0"], "mms1_fgm_srvy_l0_20151015_v1.1.0.dat"; got != want {
		t.Errorf("l0 of day 5: %s, want %s", got, want)
	}
	if got, want := inputs("l1b", first.AddDate(0, 0, 4))["cal"], "mms1_fgm_srvy_cal_20150324_v1.0.0.csv"; got != want {
		t.Errorf("calibration in force on day 4: %s, want %s (before the span)", got, want)
	}
	if got, want := inputs("l1b", first.AddDate(0, 0, 7))["cal"], "mms1_fgm_srvy_cal_20151016_v1.2.0.csv"; got != want {
		t.Errorf("calibration in force on day 7: %s, want %s", got, want)
	}
}

// TestJobIDIsStable pins the text jobID hashes to the format it has always
// had (written with fmt), so that recorded jobs keep their ids.
func TestJobIDIsStable(t *testing.T) {
	reference := func(j Job) string {
		var b strings.Builder
		fmt.Fprintf(&b, "node=%s\nprocessor=%s\nsoftware=%s\nformat=%d\nsc=%s\ntag=%s\n",
			j.Node, j.Processor, j.SoftwareVersion, j.FormatVersion, j.SC, j.TimeTag())
		ins := make([]string, 0, len(j.Inputs))
		for _, in := range j.Inputs {
			ins = append(ins, "input="+in.Input+"|"+in.FileName+"|"+in.SHA256)
		}
		sort.Strings(ins)
		for _, s := range append(ins, j.Missing...) {
			b.WriteString(s)
			b.WriteByte('\n')
		}
		sum := sha256.Sum256([]byte(b.String()))
		return hex.EncodeToString(sum[:16])
	}
	base := Job{Node: "l1b", Processor: "fgm-l1b", SoftwareVersion: "2.1", FormatVersion: 3, SC: "mms1",
		Start: time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC), TimeDigits: 8}
	hourly := base
	hourly.Start, hourly.TimeDigits, hourly.FormatVersion = base.Start.Add(2*time.Hour), 14, -1
	withInputs := base
	withInputs.Inputs = []JobInput{{Input: "l1a", FileName: "b.cdf", SHA256: "02"}, {Input: "cal", FileName: "a.csv", SHA256: "01"}}
	withInputs.Missing = []string{"att (ancillary/defatt, covering)"}
	for _, j := range []Job{base, hourly, withInputs} {
		if got, want := jobID(j), reference(j); got != want {
			t.Errorf("jobID(%+v) = %s, want %s", j, got, want)
		}
	}
}
