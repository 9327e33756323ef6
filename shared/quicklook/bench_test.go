package quicklook

import (
	"io"
	"math"
	"testing"
	"time"
)

// fullDayB is one panel of B GSE: four components of one 16 S/s survey
// day, 1,382,400 points each, sharing one time array as CDF data does.
func fullDayB(b *testing.B) Figure {
	b.Helper()
	ts := cadenceTimes(b, day, 1e9/fgmRate, fgmPoints)
	comp := make([][]float64, 4)
	for c := range comp {
		comp[c] = make([]float64, fgmPoints)
	}
	for i := range fgmPoints {
		h := float64(i) / (fgmRate * 3600)
		comp[0][i] = 10*math.Cos(h/4) + 3*math.Sin(float64(i)/7)
		comp[1][i] = -8 + 5*math.Sin(h/3) + 2*math.Cos(float64(i)/5)
		comp[2][i] = 20*math.Sin(h/2) + math.Sin(float64(i)/3)
		comp[3][i] = math.Sqrt(comp[0][i]*comp[0][i] + comp[1][i]*comp[1][i] + comp[2][i]*comp[2][i])
	}
	names := []string{"Bx", "By", "Bz", "|B|"}
	p := Panel{YLabel: "B GSE [nT]"}
	for c, n := range names {
		p.Series = append(p.Series, Series{Label: n, Times: ts, Values: comp[c]})
	}
	return Figure{Title: "MMS1 FGM srvy L2 2015-10-16", Start: day, End: day.Add(24 * time.Hour), Panels: []Panel{p}}
}

// BenchmarkRenderFullDay4Components renders the four-component panel to
// a 1200×400 PNG; B/op is the memory allocated per render.
func BenchmarkRenderFullDay4Components(b *testing.B) {
	fig := fullDayB(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := Render(io.Discard, fig, 1200, 400); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderMMSDay renders the four-panel summary (FGM at 16 S/s,
// FPI at 4.5 s) to 1200×900.
func BenchmarkRenderMMSDay(b *testing.B) {
	fig := mmsLikeFigure(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := Render(io.Discard, fig, 1200, 900); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecimateDay reduces one full-day component to 1200 bins.
func BenchmarkDecimateDay(b *testing.B) {
	fig := fullDayB(b)
	s := fig.Panels[0].Series[0]
	win := dayBinning(b, 1200)
	gap := gapThreshold(s)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := win.decimate(s.Times, s.Values, gap, false); err != nil {
			b.Fatal(err)
		}
	}
}
