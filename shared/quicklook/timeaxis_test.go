package quicklook

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/quicklook/chart"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// majors returns the labels of the labelled ticks, and the x of the first.
func majors(ticks []chart.Tick) (labels []string, firstX float64) {
	firstX = math.NaN()
	for _, t := range ticks {
		if t.Label != "" {
			if labels == nil {
				firstX = t.Value
			}
			labels = append(labels, t.Label)
		}
	}
	return labels, firstX
}

func TestTimeAxis(t *testing.T) {
	leapDay := time.Date(2015, 6, 30, 0, 0, 0, 0, time.UTC) // ends with 23:59:60
	tests := []struct {
		name       string
		start      time.Time
		dur        time.Duration
		width      int
		wantLabels []string
		wantFirstX float64
		wantSpan   float64
		wantLabel  string
	}{
		{
			name: "survey day", start: day, dur: 24 * time.Hour, width: 1200,
			wantLabels: []string{"00:00", "02:00", "04:00", "06:00", "08:00", "10:00", "12:00", "14:00", "16:00", "18:00", "20:00", "22:00", "00:00"},
			wantSpan:   86400, wantLabel: "Time (UTC)  2015-10-16",
		},
		{
			name: "narrow day", start: day, dur: 24 * time.Hour, width: 400,
			wantLabels: []string{"00:00", "06:00", "12:00", "18:00", "00:00"},
			wantSpan:   86400, wantLabel: "Time (UTC)  2015-10-16",
		},
		{
			name: "two hours from an odd start", start: day.Add(13*time.Hour + 7*time.Minute), dur: 2 * time.Hour, width: 1200,
			wantLabels: []string{"13:10", "13:20", "13:30", "13:40", "13:50", "14:00", "14:10", "14:20", "14:30", "14:40", "14:50", "15:00"},
			wantFirstX: 3 * 60, wantSpan: 7200, wantLabel: "Time (UTC)  2015-10-16",
		},
		{
			name: "one minute of burst", start: day.Add(9 * time.Hour), dur: time.Minute, width: 1200,
			wantLabels: []string{"09:00:00", "09:00:05", "09:00:10", "09:00:15", "09:00:20", "09:00:25", "09:00:30", "09:00:35", "09:00:40", "09:00:45", "09:00:50", "09:00:55", "09:01:00"},
			wantSpan:   60, wantLabel: "Time (UTC)  2015-10-16",
		},
		{
			name: "three days", start: day, dur: 72 * time.Hour, width: 1200,
			wantLabels: []string{"Oct 16", "06:00", "12:00", "18:00", "Oct 17", "06:00", "12:00", "18:00", "Oct 18", "06:00", "12:00", "18:00", "Oct 19"},
			wantSpan:   3 * 86400, wantLabel: "Time (UTC)  2015-10-16 to 2015-10-18",
		},
		{
			name: "leap-second day is 86401 s long", start: leapDay, dur: 24 * time.Hour, width: 400,
			wantLabels: []string{"00:00", "06:00", "12:00", "18:00", "00:00"},
			wantSpan:   86401, wantLabel: "Time (UTC)  2015-06-30",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t0, err := timeutil.UTCToTT2000(tc.start)
			if err != nil {
				t.Fatal(err)
			}
			ax, err := newTimeAxis(tc.start, tc.start.Add(tc.dur), t0, tc.width)
			if err != nil {
				t.Fatal(err)
			}
			labels, firstX := majors(ax.ticks)
			if !slices.Equal(labels, tc.wantLabels) {
				t.Errorf("labels %q, want %q", labels, tc.wantLabels)
			}
			if firstX != tc.wantFirstX {
				t.Errorf("first major at x=%g, want %g", firstX, tc.wantFirstX)
			}
			if ax.span != tc.wantSpan {
				t.Errorf("span %g, want %g", ax.span, tc.wantSpan)
			}
			if ax.label != tc.wantLabel {
				t.Errorf("axis label %q, want %q", ax.label, tc.wantLabel)
			}
			if len(labels) > max(2, tc.width/pxPerMajorTick)+1 {
				t.Errorf("%d labels crowd a %d px axis", len(labels), tc.width)
			}
			for _, tk := range ax.ticks {
				if tk.Value < 0 || tk.Value > ax.span {
					t.Errorf("tick %q at %g outside [0, %g]", tk.Label, tk.Value, ax.span)
				}
			}
		})
	}
}

func TestLinearTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		max    int
		want   []string
	}{
		{-32.5, 127.5, 4, []string{"0", "50", "100"}},
		{-245, 150, 5, []string{"-200", "-100", "0", "100"}},
		{0.31, 0.52, 5, []string{"0.35", "0.40", "0.45", "0.50"}},
		{2.0, 4.0, 5, []string{"2.0", "2.5", "3.0", "3.5", "4.0"}},
		{0, 3e6, 4, []string{"0", "1e+06", "2e+06", "3e+06"}},
		{1.5e7, 1.9e7, 4, []string{"1.5e+07", "1.6e+07", "1.7e+07", "1.8e+07", "1.9e+07"}},
		{1.5e7, 1.9e7, 2, []string{"1.6e+07", "1.8e+07"}},
		{-1.1, 1.1, 2, []string{"-1", "0", "1"}},                    // step 2 would label only 0
		{0.119, 0.181, 1, []string{"0.12", "0.14", "0.16", "0.18"}}, // 0.1 and 0.05 label too few

	}
	for _, tc := range tests {
		labels, _ := majors(linearTicks{max: tc.max}.Ticks(tc.lo, tc.hi))
		if !slices.Equal(labels, tc.want) {
			t.Errorf("linearTicks(%g, %g, max %d) = %q, want %q", tc.lo, tc.hi, tc.max, labels, tc.want)
		}
	}
	for _, r := range [][2]float64{{1, 1}, {1e6, 1e6 + 1e-9}, {2, 1}, {math.Inf(-1), 0}} {
		if ticks := (linearTicks{max: 5}).Ticks(r[0], r[1]); ticks != nil {
			t.Errorf("range %v: ticks %v, want none", r, ticks)
		}
	}
}

func TestLogTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		max    int
		want   []string
	}{
		{0.01, 1e6, 10, []string{"0.01", "0.1", "1", "10", "100", "1000", "10000", "1e5", "1e6"}},
		{0.01, 1e6, 4, []string{"0.01", "1", "100", "10000", "1e6"}},
		{1e-3, 1e10, 3, []string{"1", "1e5", "1e10"}},
		{1, 10, 2, []string{"1", "10"}},
	}
	for _, tc := range tests {
		labels, _ := majors(logTicks{max: tc.max}.Ticks(tc.lo, tc.hi))
		if !slices.Equal(labels, tc.want) {
			t.Errorf("logTicks(%g, %g, max %d) = %q, want %q", tc.lo, tc.hi, tc.max, labels, tc.want)
		}
	}
}
