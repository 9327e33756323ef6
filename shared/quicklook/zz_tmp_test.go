package quicklook

import (
	"math"
	"os"
	"testing"
	"time"
)

func TestTmpImages(t *testing.T) {
	save := func(name string, fig Figure, w, h int) {
		f, _ := os.Create("/tmp/ql-" + name + ".png")
		defer f.Close()
		if err := Render(f, fig, w, h); err != nil {
			t.Fatal(err)
		}
	}
	fig := mmsLikeFigure(t)
	zoom := fig
	zoom.Start, zoom.End = day.Add(12*time.Hour), day.Add(14*time.Hour)
	zoom.Title = "MMS1 2 h zoom"
	save("zoom", zoom, 1000, 700)
	save("small", fig, 300, 390)
	ts := cadenceTimes(t, day, 1e9, 100)
	nan := make([]float64, 100)
	for i := range nan {
		nan[i] = math.NaN()
	}
	empty := Figure{
		Title: "empty day", Subtitle: "nothing arrived", Start: day, End: day.Add(24 * time.Hour),
		Panels: []Panel{
			{YLabel: "no series [nT]"},
			{YLabel: "empty [cm^-3]", LogY: true, Series: []Series{{Label: "Ni"}}},
			{YLabel: "all NaN [km/s]", Series: []Series{{Label: "Vx", Times: ts, Values: nan}, {Label: "Vy", Times: ts, Values: ts2f(ts)}}},
		},
	}
	save("empty", empty, 800, 600)
	multi := fig
	multi.End = day.Add(72 * time.Hour)
	save("multi", multi, 1200, 900)
}

func ts2f(ts []int64) []float64 {
	out := make([]float64, len(ts))
	for i := range ts {
		out[i] = float64(i % 7)
	}
	return out
}
