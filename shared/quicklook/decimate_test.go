package quicklook

import (
	"math"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// dayBinning is the window of the synthetic day split into n bins.
func dayBinning(tb testing.TB, n int) binning {
	tb.Helper()
	t0, err := timeutil.UTCToTT2000(day)
	if err != nil {
		tb.Fatal(err)
	}
	return binning{t0: t0, t1: t0 + 86400e9, bins: n}
}

// segments splits a trace at its NaN breaks.
func segments(tr trace) [][]float64 {
	var out [][]float64
	var cur []float64
	for _, y := range tr.y {
		if math.IsNaN(y) {
			out = append(out, cur)
			cur = nil
			continue
		}
		cur = append(cur, y)
	}
	return append(out, cur)
}

func TestDecimateKeepsEveryBinsExtremes(t *testing.T) {
	times := cadenceTimes(t, day, 1e9/fgmRate, fgmPoints)
	values := make([]float64, len(times))
	for i := range values {
		values[i] = math.Sin(float64(i) / 5000)
	}
	values[123457] = 55   // one-sample spike up
	values[999999] = -77  // and down
	values[1382399] = 9.5 // last sample of the day
	for _, bins := range []int{1, 7, 1000, 1200} {
		win := dayBinning(t, bins)
		tr, err := win.decimate(times, values, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if tr.valid != len(times) {
			t.Errorf("bins=%d: valid = %d, want %d", bins, tr.valid, len(times))
		}
		if len(tr.y) > 2*bins {
			t.Errorf("bins=%d: %d points out, want at most %d", bins, len(tr.y), 2*bins)
		}
		if tr.ymax != 55 || tr.ymin != -77 {
			t.Errorf("bins=%d: range [%g, %g], want [-77, 55]", bins, tr.ymin, tr.ymax)
		}

		// Brute force: every bin's min and max must be among the output
		// points that fall into that bin.
		wantMin, wantMax := make([]float64, bins), make([]float64, bins)
		for b := range bins {
			wantMin[b], wantMax[b] = math.Inf(1), math.Inf(-1)
		}
		// Bins by the definition: bin k is [t0 + ⌊span·k/bins⌋, the next
		// edge), computed exactly and searched independently of binOf.
		edges := make([]int64, bins+1)
		for k := range edges {
			q := new(big.Int).Mul(big.NewInt(86400e9), big.NewInt(int64(k)))
			edges[k] = win.t0 + q.Div(q, big.NewInt(int64(bins))).Int64()
		}
		binOf := func(tt int64) int {
			return sort.Search(len(edges), func(k int) bool { return edges[k] > tt }) - 1
		}
		for i, tt := range times {
			b := binOf(tt)
			wantMin[b] = math.Min(wantMin[b], values[i])
			wantMax[b] = math.Max(wantMax[b], values[i])
		}
		gotMin, gotMax := make([]float64, bins), make([]float64, bins)
		for b := range bins {
			gotMin[b], gotMax[b] = math.Inf(1), math.Inf(-1)
		}
		prevX := -1.0
		for i, x := range tr.x {
			if math.IsNaN(tr.y[i]) {
				t.Fatalf("bins=%d: unexpected gap at output %d", bins, i)
			}
			if x < prevX {
				t.Fatalf("bins=%d: x not in time order at output %d: %g after %g", bins, i, x, prevX)
			}
			prevX = x
			b := binOf(win.t0 + int64(math.Round(x*1e9)))
			gotMin[b] = math.Min(gotMin[b], tr.y[i])
			gotMax[b] = math.Max(gotMax[b], tr.y[i])
		}
		for b := range bins {
			if gotMin[b] != wantMin[b] || gotMax[b] != wantMax[b] {
				t.Fatalf("bins=%d bin %d: got [%g, %g], want [%g, %g]", bins, b, gotMin[b], gotMax[b], wantMin[b], wantMax[b])
			}
		}
	}
}

func TestDecimateGapsAndFill(t *testing.T) {
	win := dayBinning(t, 1000) // 86.4 s bins
	sec := int64(1e9)
	ones := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	tests := []struct {
		name       string
		times      func() []int64
		values     func([]int64) []float64
		maxGap     int64
		logY       bool
		wantSegs   int
		wantValid  int
		wantYRange [2]float64
	}{
		{
			name:   "contiguous 1 Hz",
			times:  func() []int64 { return cadenceTimes(t, day, sec, 86400) },
			values: func(ts []int64) []float64 { return ones(len(ts)) },
			maxGap: 3 * sec, wantSegs: 1, wantValid: 86400, wantYRange: [2]float64{1, 1},
		},
		{
			name:  "one hour of NaN and one of FILLVAL break the line twice",
			times: func() []int64 { return cadenceTimes(t, day, sec, 86400) },
			values: func(ts []int64) []float64 {
				v := ones(len(ts))
				for i := 3600 * 5; i < 3600*6; i++ {
					v[i] = math.NaN()
				}
				for i := 3600 * 12; i < 3600*13; i++ {
					v[i] = -1e31
				}
				v[3600*18] = math.Inf(-1)
				return v
			},
			// A single missing sample is narrower than a pixel column.
			maxGap: 3 * sec, wantSegs: 3, wantValid: 86400 - 7201, wantYRange: [2]float64{1, 1},
		},
		{
			name: "a time gap without samples breaks the line",
			times: func() []int64 {
				ts := cadenceTimes(t, day, sec, 86400)
				return append(ts[:3600*3:3600*3], ts[3600*5:]...)
			},
			values: func(ts []int64) []float64 { return ones(len(ts)) },
			maxGap: 3 * sec, wantSegs: 2, wantValid: 86400 - 7200, wantYRange: [2]float64{1, 1},
		},
		{
			name: "fill times are skipped, not sorted against",
			times: func() []int64 {
				ts := cadenceTimes(t, day, sec, 86400)
				ts[100] = timeutil.FillTT2000
				return ts
			},
			values: func(ts []int64) []float64 { return ones(len(ts)) },
			maxGap: 3 * sec, wantSegs: 1, wantValid: 86399, wantYRange: [2]float64{1, 1},
		},
		{
			name:  "samples outside the window are dropped",
			times: func() []int64 { return cadenceTimes(t, day.Add(-time.Hour), sec, 86400+7200) },
			values: func(ts []int64) []float64 {
				v := ones(len(ts))
				v[0], v[len(v)-1] = 1000, -1000
				return v
			},
			maxGap: 3 * sec, wantSegs: 1, wantValid: 86400, wantYRange: [2]float64{1, 1},
		},
		{
			name:  "log axis drops non-positive values",
			times: func() []int64 { return cadenceTimes(t, day, sec, 86400) },
			values: func(ts []int64) []float64 {
				v := ones(len(ts))
				for i := 3600 * 2; i < 3600*4; i++ {
					v[i] = 0
				}
				v[50000] = -3
				v[60000] = 100
				return v
			},
			logY: true, maxGap: 3 * sec, wantSegs: 2, wantValid: 86400 - 7201, wantYRange: [2]float64{1, 100},
		},
		{
			name:   "empty series",
			times:  func() []int64 { return nil },
			values: func([]int64) []float64 { return nil },
			maxGap: 0, wantSegs: 1, wantValid: 0, wantYRange: [2]float64{math.Inf(1), math.Inf(-1)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := tc.times()
			tr, err := win.decimate(ts, tc.values(ts), tc.maxGap, tc.logY)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(segments(tr)); got != tc.wantSegs {
				t.Errorf("segments = %d, want %d", got, tc.wantSegs)
			}
			if tr.valid != tc.wantValid {
				t.Errorf("valid = %d, want %d", tr.valid, tc.wantValid)
			}
			if tr.ymin != tc.wantYRange[0] || tr.ymax != tc.wantYRange[1] {
				t.Errorf("y range [%g, %g], want %v", tr.ymin, tr.ymax, tc.wantYRange)
			}
			if len(tr.y) > 3*win.bins {
				t.Errorf("%d points out for %d bins", len(tr.y), win.bins)
			}
		})
	}
}

func TestDecimateRejectsBadInput(t *testing.T) {
	win := dayBinning(t, 100)
	ts := cadenceTimes(t, day, 1e9, 10)
	ts[4], ts[5] = ts[5], ts[4]
	_, err := win.decimate(ts, make([]float64, 10), 0, false)
	if err == nil || !strings.Contains(err.Error(), "not sorted") {
		t.Errorf("unsorted times: err = %v, want a not-sorted error", err)
	}
	if _, err := win.decimate(ts[:3], make([]float64, 4), 0, false); err == nil {
		t.Error("mismatched lengths: no error")
	}
	if _, err := (binning{t0: 5, t1: 5, bins: 10}).decimate(nil, nil, 0, false); err == nil {
		t.Error("empty window: no error")
	}
}

func TestGapThreshold(t *testing.T) {
	fgm := cadenceTimes(t, day, 1e9/fgmRate, fgmPoints)
	// A burst interval at 128 S/s must not change the survey estimate.
	burst := append(cadenceTimes(t, day, 1e9/128, 1000), cadenceTimes(t, day.Add(time.Minute), 1e9/fgmRate, 100000)...)
	tests := []struct {
		name string
		s    Series
		want int64
	}{
		{"16 S/s survey", Series{Times: fgm}, 3 * 1e9 / fgmRate},
		{"mostly survey with a burst", Series{Times: burst}, 3 * 1e9 / fgmRate},
		{"explicit MaxGap wins", Series{Times: fgm, MaxGap: time.Minute}, int64(time.Minute)},
		{"one sample", Series{Times: fgm[:1]}, 0},
		{"no samples", Series{}, 0},
	}
	for _, tc := range tests {
		if got := gapThreshold(tc.s); got != tc.want {
			t.Errorf("%s: gapThreshold = %d, want %d", tc.name, got, tc.want)
		}
	}
}
