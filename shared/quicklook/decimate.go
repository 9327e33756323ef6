package quicklook

import (
	"fmt"
	"math"
	"slices"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// binning splits the TT2000 window [t0, t1) into equal-width bins, one per
// pixel column.
type binning struct {
	t0, t1 int64
	bins   int
}

// width is the duration of one bin in nanoseconds (at least 1).
func (b binning) width() int64 {
	return max(1, (b.t1-b.t0)/int64(b.bins))
}

// trace is a decimated series ready to draw: x is seconds since the window
// start, and a NaN in y separates line segments (a gap).
type trace struct {
	x, y       []float64
	valid      int // samples that were inside the window and not missing
	ymin, ymax float64
}

// decimate reduces one series to the minimum and maximum of each bin, in
// time order, so the drawn envelope is the same as drawing every sample
// while the output has at most about three points per bin whatever the
// input size. Samples outside the window, with fill times, or with
// missing values (and non-positive values when positiveOnly, for log axes)
// are dropped. Consecutive kept samples further apart than maxGap
// nanoseconds (raised to one bin width, as a narrower gap would not be
// visible) are not joined. Times must be non-decreasing apart from fill.
func (b binning) decimate(times []int64, values []float64, maxGap int64, positiveOnly bool) (trace, error) {
	if len(times) != len(values) {
		return trace{}, fmt.Errorf("%d times but %d values", len(times), len(values))
	}
	if b.bins <= 0 || b.t1 <= b.t0 {
		return trace{}, fmt.Errorf("bad binning: %d bins over [%d, %d)", b.bins, b.t0, b.t1)
	}
	maxGap = max(maxGap, b.width())
	scale := float64(b.bins) / float64(b.t1-b.t0)

	size := min(len(times), 2*b.bins) + 8 // usual output size; gaps may add more
	tr := trace{x: make([]float64, 0, size), y: make([]float64, 0, size), ymin: math.Inf(1), ymax: math.Inf(-1)}
	emit := func(t int64, v float64) {
		tr.x = append(tr.x, float64(t-b.t0)/1e9)
		tr.y = append(tr.y, v)
	}
	// The open bin: its extremes and when they occurred.
	var (
		open       bool
		cur        int
		minV, maxV float64
		minT, maxT int64
		lastT      int64 // time of the last kept sample
		prevT      = int64(math.MinInt64)
		prevI      = -1
	)
	flush := func() { // emits the open bin's extremes in time order
		switch {
		case minT == maxT:
			emit(minT, minV)
		case minT < maxT:
			emit(minT, minV)
			emit(maxT, maxV)
		default:
			emit(maxT, maxV)
			emit(minT, minV)
		}
	}
	for i, t := range times {
		if t == timeutil.FillTT2000 {
			continue
		}
		if t < prevT {
			return trace{}, fmt.Errorf("times not sorted: time %d (%d) is before time %d (%d)", i, t, prevI, prevT)
		}
		prevT, prevI = t, i
		if t < b.t0 || t >= b.t1 {
			continue
		}
		v := values[i]
		if isMissing(v) || (positiveOnly && v <= 0) {
			continue
		}
		bin := min(int(float64(t-b.t0)*scale), b.bins-1)
		switch {
		case !open:
			open = true
		case t-lastT > maxGap:
			flush()
			tr.x = append(tr.x, math.NaN())
			tr.y = append(tr.y, math.NaN())
		case bin != cur:
			flush()
		default: // same bin, same segment
			if v < minV {
				minV, minT = v, t
			}
			if v > maxV {
				maxV, maxT = v, t
			}
			lastT = t
			tr.valid++
			continue
		}
		cur, minV, maxV, minT, maxT, lastT = bin, v, v, t, t, t
		tr.valid++
	}
	if open {
		flush()
	}
	// Extremes of each bin are in the output, so the range comes from it.
	for _, v := range tr.y {
		if !math.IsNaN(v) {
			tr.ymin = math.Min(tr.ymin, v)
			tr.ymax = math.Max(tr.ymax, v)
		}
	}
	return tr, nil
}

// gapThreshold returns the longest interval between samples that s draws
// as a connected line: s.MaxGap if set, otherwise three times the median
// sampling interval, estimated from up to 1024 pairs spread over the
// series so that the cost does not grow with its length.
func gapThreshold(s Series) int64 {
	if s.MaxGap > 0 {
		return int64(s.MaxGap)
	}
	const samples = 1024
	n := len(s.Times) - 1
	if n < 1 {
		return 0
	}
	step := max(1, n/samples)
	deltas := make([]int64, 0, min(n, samples+1))
	for i := 0; i < n; i += step {
		a, b := s.Times[i], s.Times[i+1]
		if a != timeutil.FillTT2000 && b > a {
			deltas = append(deltas, b-a)
		}
	}
	if len(deltas) == 0 {
		return 0
	}
	slices.Sort(deltas)
	med := deltas[len(deltas)/2]
	if med > math.MaxInt64/3 {
		return math.MaxInt64
	}
	return 3 * med
}
