package quicklook

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// binning splits the TT2000 window [t0, t1) into bins equal to within a
// nanosecond, one per pixel column. Bin k is [edge(k), edge(k+1)).
type binning struct {
	t0, t1 int64
	bins   int
}

// width is the duration of one bin in nanoseconds (at least 1).
func (b binning) width() int64 {
	return max(1, (b.t1-b.t0)/int64(b.bins))
}

// edge is the start of bin k (0 ≤ k ≤ bins): t0 + ⌊span·k/bins⌋, in
// 128-bit arithmetic so that long windows cannot overflow.
func (b binning) edge(k int) int64 {
	hi, lo := bits.Mul64(uint64(b.t1-b.t0), uint64(k))
	q, _ := bits.Div64(hi, lo, uint64(b.bins)) // hi < bins as k ≤ bins
	return b.t0 + int64(q)
}

// binOf returns the bin holding t, which must be in [t0, t1): a float
// estimate corrected against the exact edges.
func (b binning) binOf(t int64) int {
	k := int(float64(t-b.t0) / float64(b.t1-b.t0) * float64(b.bins))
	k = min(max(k, 0), b.bins-1)
	for k > 0 && b.edge(k) > t {
		k--
	}
	for k < b.bins-1 && b.edge(k+1) <= t {
		k++
	}
	return k
}

// trace is a decimated series ready to draw: x is seconds since the window
// start, and a NaN in y separates line segments (a gap).
type trace struct {
	x, y       []float64
	valid      int // samples that were inside the window and not missing
	ymin, ymax float64
}

// add appends the point at TT2000 time t, relative to the window start t0.
func (tr *trace) add(t0, t int64, v float64) {
	tr.x = append(tr.x, float64(t-t0)/1e9)
	tr.y = append(tr.y, v)
}

// addBin appends a bin's extremes in time order (one point if they are
// the same sample).
func (tr *trace) addBin(t0 int64, e extremes) {
	switch {
	case e.minT == e.maxT:
		tr.add(t0, e.minT, e.minV)
	case e.minT < e.maxT:
		tr.add(t0, e.minT, e.minV)
		tr.add(t0, e.maxT, e.maxV)
	default:
		tr.add(t0, e.maxT, e.maxV)
		tr.add(t0, e.minT, e.minV)
	}
}

// extremes are the smallest and largest value of a bin and their times.
type extremes struct {
	minV, maxV float64
	minT, maxT int64
}

// decimate reduces one series to the minimum and maximum of each bin, in
// time order, so the drawn envelope is the same as drawing every sample
// while the output has at most three points per bin whatever the input
// size. Samples outside the window, with fill times, or with missing
// values (and non-positive values when positiveOnly, for log axes) are
// dropped. Consecutive kept samples further apart than maxGap nanoseconds
// (raised to one bin width, as a narrower gap would not be visible) are
// not joined. Times must be non-decreasing apart from fill.
func (b binning) decimate(times []int64, values []float64, maxGap int64, positiveOnly bool) (trace, error) {
	if len(times) != len(values) {
		return trace{}, fmt.Errorf("%d times but %d values", len(times), len(values))
	}
	if b.bins <= 0 || b.t1 <= b.t0 {
		return trace{}, fmt.Errorf("bad binning: %d bins over [%d, %d)", b.bins, b.t0, b.t1)
	}
	maxGap = max(maxGap, b.width())
	size := min(len(times), 2*b.bins) + 8 // usual output size; gaps may add more
	tr := trace{x: make([]float64, 0, size), y: make([]float64, 0, size), ymin: math.Inf(1), ymax: math.Inf(-1)}

	var (
		open   bool     // cur holds at least one sample
		cur    extremes // of the open bin
		binEnd int64    // end of the open bin
		lastT  int64    // time of the last kept sample
		prevT  = int64(math.MinInt64)
		prevI  = -1
	)
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
		tr.valid++
		if open && t < binEnd && t-lastT <= maxGap { // same bin and segment
			if v < cur.minV {
				cur.minV, cur.minT = v, t
			} else if v > cur.maxV {
				cur.maxV, cur.maxT = v, t
			}
			lastT = t
			continue
		}
		if open {
			tr.addBin(b.t0, cur)
			if t-lastT > maxGap {
				tr.x = append(tr.x, math.NaN())
				tr.y = append(tr.y, math.NaN())
			}
		}
		open = true
		cur = extremes{minV: v, maxV: v, minT: t, maxT: t}
		binEnd = b.edge(b.binOf(t) + 1)
		lastT = t
	}
	if open {
		tr.addBin(b.t0, cur)
	}
	// Every bin's extremes are in the output, so the range comes from it.
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
