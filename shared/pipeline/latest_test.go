package pipeline

import (
	"testing"
	"time"
)

// TestLatestLooksBackBeyondItsWindows checks the calibration in force is
// found however far back it is: latest searches growing windows back from
// the slot (4, 64, 1024 days, then everything), and must pick what a search of
// the whole history picks.
func TestLatestLooksBackBeyondItsWindows(t *testing.T) {
	s := newSDC(t, testGraph(), nil)
	slot := time.Date(2018, 10, 16, 0, 0, 0, 0, time.UTC)
	cal := func(d time.Time, version string) string {
		name := "mms1_fgm_srvy_cal_" + d.Format("20060102") + "_v" + version + ".csv"
		s.drop(name, []byte("axis,gain,offset\nx,64,"+version+"\n"))
		return name
	}
	inForce := func() string {
		t.Helper()
		j, err := s.p.Planner.Preview(s.ctx, "l1b", "mms1", slot)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range j.Inputs {
			if in.Input == "cal" {
				return in.FileName
			}
		}
		return ""
	}
	if got := inForce(); got != "" {
		t.Fatalf("no calibration yet, got %s", got)
	}
	calName := func(d time.Time, version string) string {
		return "mms1_fgm_srvy_cal_" + d.Format("20060102") + "_v" + version + ".csv"
	}
	near := slot.AddDate(0, 0, -3)
	for _, step := range []struct {
		day     time.Time
		version string
		want    string
	}{
		{slot.AddDate(-3, 0, 0), "1.0.0", calName(slot.AddDate(-3, 0, 0), "1.0.0")},     // beyond every window
		{slot.AddDate(0, 0, -100), "1.0.0", calName(slot.AddDate(0, 0, -100), "1.0.0")}, // in the third window
		{slot.AddDate(0, 0, -100), "1.1.0", calName(slot.AddDate(0, 0, -100), "1.1.0")}, // a newer version of that day
		{slot.AddDate(0, 0, -30), "1.0.0", calName(slot.AddDate(0, 0, -30), "1.0.0")},   // in the second window
		{near, "1.0.0", calName(near, "1.0.0")},                                         // in the first window
		{near, "0.9.0", calName(near, "1.0.0")},                                         // an older version does not win
		{slot, "1.0.0", calName(slot, "1.0.0")},                                         // the slot's own day is in force
		{slot.AddDate(0, 0, 1), "2.0.0", calName(slot, "1.0.0")},                        // after the slot: not yet
	} {
		name := cal(step.day, step.version)
		if got := inForce(); got != step.want {
			t.Fatalf("after %s: calibration in force %s, want %s", name, got, step.want)
		}
	}
}
