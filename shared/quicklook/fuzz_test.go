package quicklook

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// FuzzDecimate feeds arbitrary series (any float bit pattern, fill times,
// backwards steps) through decimate and checks that it either reports an
// error or returns a well-formed trace.
func FuzzDecimate(f *testing.F) {
	f.Add([]byte("\x01\x00\x00\x00\x00\x00\xf0\x3f\x02\x00\x00\x00\x00\x00\x00\x40"), uint16(10), false)
	f.Add([]byte("\xff\xff\x00\x00\x00\x00\xf8\x7f\x00\x80\x00\x00\x00\x00\xf0\xff"), uint16(1), true)
	f.Fuzz(func(t *testing.T, data []byte, bins uint16, logY bool) {
		win := binning{t0: 0, t1: 3600e9, bins: int(bins%2000) + 1}
		n := len(data) / 10
		times, values := make([]int64, n), make([]float64, n)
		var tt int64
		for i := range n {
			rec := data[i*10 : i*10+10]
			step := int64(int16(binary.LittleEndian.Uint16(rec))) // may go backwards
			tt += step * 1e7
			times[i] = tt
			if step == math.MinInt16 {
				times[i] = timeutil.FillTT2000
			}
			values[i] = math.Float64frombits(binary.LittleEndian.Uint64(rec[2:]))
		}
		tr, err := win.decimate(times, values, int64(bins)*1e6, logY)
		if err != nil {
			return
		}
		if len(tr.x) != len(tr.y) {
			t.Fatalf("%d x but %d y", len(tr.x), len(tr.y))
		}
		if len(tr.y) > 3*win.bins {
			t.Fatalf("%d points for %d bins", len(tr.y), win.bins)
		}
		prev := math.Inf(-1)
		for i, y := range tr.y {
			if math.IsNaN(y) {
				continue
			}
			if isMissing(y) || (logY && y <= 0) {
				t.Fatalf("missing value %g drawn", y)
			}
			if x := tr.x[i]; x < prev || x < 0 || x >= 3600 {
				t.Fatalf("x %g out of order or window (prev %g)", x, prev)
			}
			prev = tr.x[i]
		}
	})
}
