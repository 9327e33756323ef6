package quicklook

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
	"time"
)

// render renders fig and decodes the PNG, failing the test on error.
func render(t *testing.T, fig Figure, w, h int) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, fig, w, h); err != nil {
		t.Fatalf("Render: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	return img
}

// oneSeries is a one-panel figure over the synthetic day.
func oneSeries(s Series) Figure {
	return Figure{
		Title: "test", Start: day, End: day.Add(24 * time.Hour),
		Panels: []Panel{{YLabel: "X [nT]", Series: []Series{s}}},
	}
}

// manyPanels is a figure of n small linear panels.
func manyPanels(t *testing.T, n int) Figure {
	ts := cadenceTimes(t, day, 60e9, 1440)
	vs := make([]float64, len(ts))
	for i := range vs {
		vs[i] = math.Sin(float64(i) / 100)
	}
	fig := Figure{Title: "many panels", Start: day, End: day.Add(24 * time.Hour)}
	for i := range n {
		fig.Panels = append(fig.Panels, Panel{YLabel: "quantity [unit]", LogY: i%2 == 1, Series: []Series{{Label: "q", Times: ts, Values: vs}}})
	}
	return fig
}

var magenta = color.RGBA{R: 255, B: 255, A: 255}

// isMagenta matches pixels drawn in magenta, including antialiased ones
// blended with the white background.
func isMagenta(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r > 0xc000 && b > 0xc000 && g+0x3000 < r && g+0x3000 < b
}

func TestRenderSizes(t *testing.T) {
	mms := mmsLikeFigure(t)
	tests := []struct {
		name string
		fig  Figure
		w, h int
	}{
		{"four-panel MMS day", mms, 1200, 900},
		{"small one panel", oneSeries(Series{Label: "x", Times: cadenceTimes(t, day, 60e9, 1440), Values: make([]float64, 1440)}), MinWidthPx, 200},
		{"odd size", mms, 1001, 777},
		{"smallest allowed for four panels", mms, MinWidthPx, headerAndFooter + 4*minPanelHeight},
		{"smallest allowed for the most panels", manyPanels(t, MaxPanels), MinWidthPx, headerAndFooter + MaxPanels*minPanelHeight},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := render(t, tc.fig, tc.w, tc.h)
			if got := img.Bounds(); got != image.Rect(0, 0, tc.w, tc.h) {
				t.Fatalf("bounds %v, want %dx%d", got, tc.w, tc.h)
			}
			var dark int
			for y := 0; y < tc.h; y++ {
				for x := 0; x < tc.w; x++ {
					if r, g, b, _ := img.At(x, y).RGBA(); r+g+b < 3*0x8000 {
						dark++
					}
				}
			}
			if dark < 500 {
				t.Errorf("only %d dark pixels: nothing drawn?", dark)
			}
		})
	}
}

// TestRenderFillIsAGap draws a constant series interrupted by NaN and by
// FILLVAL and checks the image: the line must have two holes, and no
// pixel may be far from the line's row (a fill plotted as data would pull
// the axis to -1e31 and draw a vertical spike).
func TestRenderFillIsAGap(t *testing.T) {
	ts := cadenceTimes(t, day, 1e9, 86400)
	vs := make([]float64, len(ts))
	for i := range vs {
		vs[i] = 3
		switch h := i / 3600; {
		case h >= 6 && h < 9:
			vs[i] = math.NaN()
		case h >= 15 && h < 18:
			vs[i] = -1e31
		}
	}
	img := render(t, oneSeries(Series{Label: "x", Times: ts, Values: vs, Color: magenta}), 1200, 400)

	b := img.Bounds()
	cols := make([]bool, b.Dx())
	minRow, maxRow := b.Dy(), -1
	first, last := b.Dx(), -1
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx()-100; x++ { // the legend swatch is right of the panel
			if isMagenta(img.At(x, y)) {
				cols[x] = true
				minRow, maxRow = min(minRow, y), max(maxRow, y)
				first, last = min(first, x), max(last, x)
			}
		}
	}
	if last < 0 {
		t.Fatal("series not drawn")
	}
	if maxRow-minRow > 3 {
		t.Errorf("line spans rows %d..%d: fill drawn as data?", minRow, maxRow)
	}
	// Holes: runs of empty columns between the first and last drawn one.
	var holes []int
	run := 0
	for x := first; x <= last; x++ {
		if cols[x] {
			if run > 0 {
				holes = append(holes, run)
			}
			run = 0
			continue
		}
		run++
	}
	span := last - first
	if len(holes) != 2 {
		t.Fatalf("holes %v, want two", holes)
	}
	for _, h := range holes { // each gap is 3 h of 24
		if frac := float64(h) / float64(span); frac < 0.10 || frac > 0.15 {
			t.Errorf("hole of %d of %d columns (%.3f), want ~0.125", h, span, frac)
		}
	}
}

// TestRenderWindows covers time axes from a millisecond to decades.
func TestRenderWindows(t *testing.T) {
	ts := cadenceTimes(t, day, 1e6, 1000) // 1 kS/s for one second
	vs := make([]float64, len(ts))
	for i := range vs {
		vs[i] = float64(i % 10)
	}
	for _, dur := range []time.Duration{time.Millisecond, time.Second, 10 * time.Minute, 400 * 24 * time.Hour, 20 * 365 * 24 * time.Hour} {
		fig := oneSeries(Series{Label: "x", Times: ts, Values: vs})
		fig.End = fig.Start.Add(dur)
		img := render(t, fig, 600, 300)
		if img.Bounds().Dx() != 600 || img.Bounds().Dy() != 300 {
			t.Errorf("%s: bounds %v", dur, img.Bounds())
		}
	}
}

// TestRenderAwkwardValues renders values that stress the y axis: near
// fill, constant, varying below float resolution, and tiny positive.
func TestRenderAwkwardValues(t *testing.T) {
	ts := cadenceTimes(t, day, 60e9, 1440)
	tests := []struct {
		name string
		logY bool
		f    func(i int) float64
	}{
		{"constant", false, func(int) float64 { return 42 }},
		{"constant zero", false, func(int) float64 { return 0 }},
		{"below float resolution", false, func(i int) float64 { return 1e6 + float64(i%2)*1e-10 }},
		{"just under fill", false, func(i int) float64 { return float64(i%3-1) * 9.9e29 }},
		{"denormal on log axis", true, func(i int) float64 { return math.SmallestNonzeroFloat64 * float64(1+i%2) }},
		{"huge on log axis", true, func(i int) float64 { return 9e29 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := make([]float64, len(ts))
			for i := range vs {
				vs[i] = tc.f(i)
			}
			fig := oneSeries(Series{Label: "v", Times: ts, Values: vs})
			fig.Panels[0].LogY = tc.logY
			render(t, fig, 600, 300)
		})
	}
}

func TestRenderEmptyData(t *testing.T) {
	ts := cadenceTimes(t, day, 1e9, 100)
	nan := make([]float64, 100)
	for i := range nan {
		nan[i] = math.NaN()
	}
	fig := Figure{
		Title: "empty day", Start: day, End: day.Add(24 * time.Hour),
		Panels: []Panel{
			{YLabel: "no series [nT]"},
			{YLabel: "empty series [cm^-3]", LogY: true, Series: []Series{{Label: "Ni"}}},
			{YLabel: "all NaN [km/s]", Series: []Series{{Label: "Vx", Times: ts, Values: nan}}},
			{YLabel: "next day only [eV]", Series: []Series{{Label: "Ti", Times: cadenceTimes(t, day.Add(25*time.Hour), 1e9, 100), Values: make([]float64, 100)}}},
		},
	}
	img := render(t, fig, 800, 600)
	if img.Bounds().Dx() != 800 || img.Bounds().Dy() != 600 {
		t.Fatalf("bounds %v", img.Bounds())
	}
	win := dayBinning(t, 800)
	for i, p := range fig.Panels {
		pd, err := preparePanel(p, win)
		if err != nil {
			t.Fatal(err)
		}
		if pd.hasData() {
			t.Errorf("panel %d has data", i)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	good := func() Figure {
		return oneSeries(Series{Label: "x", Times: cadenceTimes(t, day, 1e9, 10), Values: make([]float64, 10)})
	}
	unsorted := good()
	unsorted.Panels[0].Series[0].Times[3], unsorted.Panels[0].Series[0].Times[4] = unsorted.Panels[0].Series[0].Times[4], unsorted.Panels[0].Series[0].Times[3]
	mismatched := good()
	mismatched.Panels[0].Series[0].Values = make([]float64, 9)
	noPanels := good()
	noPanels.Panels = nil
	backwards := good()
	backwards.End = backwards.Start.Add(-time.Second)
	before1972 := good()
	before1972.Start = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	negGap := good()
	negGap.Panels[0].Series[0].MaxGap = -time.Second
	tooMany := good()
	for range MaxPanels {
		tooMany.Panels = append(tooMany.Panels, tooMany.Panels[0])
	}
	fourPanels := good()
	fourPanels.Panels = tooMany.Panels[:4]

	tests := []struct {
		name string
		fig  Figure
		w, h int
	}{
		{"mismatched times and values", mismatched, 800, 400},
		{"unsorted times", unsorted, 800, 400},
		{"no panels", noPanels, 800, 400},
		{"end before start", backwards, 800, 400},
		{"start before 1972", before1972, 800, 400},
		{"negative MaxGap", negGap, 800, 400},
		{"too many panels", tooMany, 800, 8000},
		{"too narrow", good(), MinWidthPx - 1, 400},
		{"too wide", good(), MaxSizePx + 1, 400},
		{"too tall", good(), 800, MaxSizePx + 1},
		{"too short for the panels", fourPanels, 800, 390 - 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Render(&buf, tc.fig, tc.w, tc.h)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}

func TestRenderWriteError(t *testing.T) {
	fig := oneSeries(Series{Times: cadenceTimes(t, day, 1e9, 10), Values: make([]float64, 10)})
	err := Render(failingWriter{}, fig, 400, 300)
	if err == nil || !errors.Is(err, errWrite) {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestTimesFromUTC(t *testing.T) {
	got, err := TimesFromUTC([]time.Time{day, day.Add(90 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	want := cadenceTimes(t, day, 90e9, 2)
	if got[0] != want[0] || got[1] != want[1] {
		t.Errorf("TimesFromUTC = %v, want %v", got, want)
	}
	if _, err := TimesFromUTC([]time.Time{{}}); err == nil {
		t.Error("year 1: no error")
	}
}
