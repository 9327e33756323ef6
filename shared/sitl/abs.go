// Package sitl holds the Scientist-in-the-Loop steps: automated burst
// selections (ABS) from burst metadata, parsing and validating SITL
// submissions and back-structure edits.
package sitl

import (
	"fmt"
	"slices"

	"github.com/magpie-sdc/magpie/shared/mission"
)

// Quality is the burst metadata of one buffer: its start (TAI-1958 s) and
// the trigger quality (0..quality max).
type Quality struct {
	TAI int64
	Q   int
}

// ABSOptions are the ABS parameters; zero fields take the profile's.
type ABSOptions struct {
	mission.ABSParams
	// MinQuality is the lowest quality that starts a candidate (default 1).
	MinQuality int
}

// Span is a selected interval: TAIStart and TAIEnd are the starts of the
// first and last buffers.
type Span struct {
	TAIStart, TAIEnd int64
	FOM              float64
}

// ABS selects segments from a quality series ordered by time (one entry
// per buffer; gaps in it are data gaps). Runs of buffers of quality ≥
// MinQuality are padded, widened to the minimum length, merged when they
// touch, split to the maximum, given the mean quality as FOM, and the best
// kept until the target buffer budget is used. The result is in time order.
func ABS(series []Quality, b mission.Burst, opt ABSOptions) ([]Span, error) {
	p := b.ABS
	if opt.TargetBuffers > 0 {
		p.TargetBuffers = opt.TargetBuffers
	}
	if opt.MinSegmentBuffers > 0 {
		p.MinSegmentBuffers = opt.MinSegmentBuffers
	}
	if opt.MaxSegmentBuffers > 0 {
		p.MaxSegmentBuffers = opt.MaxSegmentBuffers
	}
	if opt.PaddingBuffers > 0 {
		p.PaddingBuffers = opt.PaddingBuffers
	}
	minQ := max(opt.MinQuality, 1)
	bs := int64(b.BufferSeconds)
	if bs <= 0 || p.MaxSegmentBuffers <= 0 || p.MinSegmentBuffers > p.MaxSegmentBuffers {
		return nil, fmt.Errorf("abs: bad parameters %+v (buffer %d s)", p, bs)
	}
	for k, s := range series {
		if s.TAI%bs != 0 || (k > 0 && s.TAI <= series[k-1].TAI) {
			return nil, fmt.Errorf("abs: metadata at %d: not increasing on %d-s boundaries", s.TAI, bs)
		}
	}
	if len(series) == 0 {
		return nil, nil
	}
	first, last := series[0].TAI, series[len(series)-1].TAI
	// 1. Runs of good buffers, as buffer indexes [a, z].
	type run struct{ a, z int64 }
	var runs []run
	for _, s := range series {
		i := (s.TAI - first) / bs
		if s.Q < minQ {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].z == i-1 {
			runs[n-1].z = i
		} else {
			runs = append(runs, run{i, i})
		}
	}
	nmax := (last - first) / bs
	clamp := func(r run) run { return run{max(r.a, 0), min(r.z, nmax)} }
	// 2. Pad, then 3. widen short runs symmetrically.
	for k := range runs {
		r := run{runs[k].a - int64(p.PaddingBuffers), runs[k].z + int64(p.PaddingBuffers)}
		if short := int64(p.MinSegmentBuffers) - (r.z - r.a + 1); short > 0 {
			r.a -= short / 2
			r.z += short - short/2
		}
		runs[k] = clamp(r)
	}
	// 4. Merge overlapping or adjacent runs.
	var merged []run
	for _, r := range runs {
		if n := len(merged); n > 0 && r.a <= merged[n-1].z+1 {
			merged[n-1].z = max(merged[n-1].z, r.z)
			continue
		}
		merged = append(merged, r)
	}
	// 5. Split long runs into near-equal pieces no longer than the maximum.
	quality := make(map[int64]int, len(series))
	for _, s := range series {
		quality[(s.TAI-first)/bs] = s.Q
	}
	var spans []Span
	maxLen := int64(p.MaxSegmentBuffers)
	for _, r := range merged {
		length := r.z - r.a + 1
		pieces := (length + maxLen - 1) / maxLen
		for k := int64(0); k < pieces; k++ {
			a := r.a + k*length/pieces
			z := r.a + (k+1)*length/pieces - 1
			sum := 0
			for i := a; i <= z; i++ {
				sum += quality[i]
			}
			spans = append(spans, Span{TAIStart: first + a*bs, TAIEnd: first + z*bs, FOM: float64(sum) / float64(z-a+1)})
		}
	}
	// 6. Rank: best FOM first (earlier first on ties), keep within budget.
	ranked := slices.Clone(spans)
	slices.SortStableFunc(ranked, func(x, y Span) int {
		switch {
		case x.FOM > y.FOM:
			return -1
		case x.FOM < y.FOM:
			return 1
		}
		return 0
	})
	var out []Span
	used := 0
	for _, s := range ranked {
		n := int((s.TAIEnd-s.TAIStart)/bs) + 1
		if p.TargetBuffers > 0 && used+n > p.TargetBuffers {
			continue
		}
		used += n
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y Span) int { return int(x.TAIStart - y.TAIStart) })
	return out, nil
}
