package burstplot

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/mission"
)

// month builds 30 days of metrics with data on every other day.
func month() burst.Metrics {
	var m burst.Metrics
	d0 := time.Date(2015, 10, 1, 0, 0, 0, 0, time.UTC)
	for d := range 30 {
		m.Days = append(m.Days, d0.AddDate(0, 0, d).Format(time.DateOnly))
		held, over, nw := map[int]int{}, map[int]int{}, map[int]int{}
		st := map[string]int{}
		if d%2 == 0 {
			held[0], held[3] = 100+d, 400
			over[4] = 20
			nw[0], nw[2] = 50, 80
			st["COMPLETE+FINISHED"], st["HELD"] = 100, 30
		}
		m.HeldByCategory = append(m.HeldByCategory, held)
		m.OverwrittenByCategory = append(m.OverwrittenByCategory, over)
		m.NewByCategory = append(m.NewByCategory, nw)
		m.NewByStatus = append(m.NewByStatus, st)
		m.Transmitted = append(m.Transmitted, 110*(1-d%2))
	}
	return m
}

func TestPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := PNG(&buf, month()); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != int(Width.Dots(96)) && b.Dx() < 600 {
		t.Fatalf("size %v", b)
	}
	// Each of the five panels draws coloured bars: count saturated pixels
	// per fifth of the figure.
	for p := range 5 {
		coloured := 0
		for y := b.Min.Y + p*b.Dy()/5; y < b.Min.Y+(p+1)*b.Dy()/5; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				hi, lo := max(r, g, bl), min(r, g, bl)
				if hi-lo > 0x4000 {
					coloured++
				}
			}
		}
		if coloured < 500 {
			t.Errorf("panel %d: %d coloured pixels, want bars", p, coloured)
		}
	}
	if dir := os.Getenv("BURSTPLOT_OUT"); dir != "" {
		os.WriteFile(dir+"/metrics.png", buf.Bytes(), 0o644)
	}
}

func TestPNGEmptyAndBad(t *testing.T) {
	m, err := burst.ComputeMetrics(nil, mission.Burst{}, time.Date(2015, 10, 30, 0, 0, 0, 0, time.UTC), 30)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := PNG(&buf, m); err != nil {
		t.Fatalf("empty month: %v", err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
	bad := month()
	bad.Transmitted = bad.Transmitted[:3]
	if err := PNG(&buf, bad); err == nil {
		t.Error("ragged metrics: no error")
	}
	if err := PNG(&buf, burst.Metrics{}); err == nil {
		t.Error("no days: no error")
	}
}

func BenchmarkPNG(b *testing.B) {
	m := month()
	for b.Loop() {
		var buf bytes.Buffer
		if err := PNG(&buf, m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBarsToScale draws panel (c) with bars on two days only, one twice
// the other, and measures them in the image: same baseline, heights in
// the ratio of the values, at the x of their days.
func TestBarsToScale(t *testing.T) {
	m := month()
	for d := range m.Transmitted {
		m.Transmitted[d] = 0
	}
	m.Transmitted[2], m.Transmitted[22] = 400, 200
	var buf bytes.Buffer
	if err := PNG(&buf, m); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != int(Width.Dots(96)) || b.Dy() != int(Height.Dots(96)) {
		t.Fatalf("size %v, want %.0f×%.0f", b, Width.Dots(96), Height.Dots(96))
	}
	want := palette[7] // the colour of "transmitted"
	type bar struct{ x0, x1, top, bottom int }
	var bars []bar
	// Panel (c) is the middle fifth; scan its columns for the bar colour.
	y0, y1 := 2*b.Dy()/5, 3*b.Dy()/5
	in := false
	for x := range b.Dx() {
		top, bottom := -1, -1
		for y := y0; y < y1; y++ {
			if img.At(x, y) == color.Color(want) || sameRGB(img.At(x, y), want) {
				if top < 0 {
					top = y
				}
				bottom = y
			}
		}
		switch {
		case top >= 0 && bottom-top > 12 && !in:
			bars = append(bars, bar{x0: x, x1: x, top: top, bottom: bottom})
			in = true
		case top >= 0 && bottom-top > 12:
			bars[len(bars)-1].x1 = x
		default:
			in = false
		}
	}
	// The legend's colour box is small (under 12 px tall) and skipped.
	if len(bars) != 2 {
		t.Fatalf("found %d bars %+v, want 2", len(bars), bars)
	}
	a, c := bars[0], bars[1]
	if d := a.bottom - c.bottom; d < -1 || d > 1 {
		t.Errorf("baselines at rows %d and %d", a.bottom, c.bottom)
	}
	ha, hc := float64(a.bottom-a.top+1), float64(c.bottom-c.top+1)
	if r := ha / hc; r < 1.95 || r > 2.05 {
		t.Errorf("bar heights %.0f and %.0f px, ratio %.3f, want 2", ha, hc, r)
	}
	// Twenty days apart; each bar is 0.75 of a day wide.
	slot := (float64(c.x0+c.x1) - float64(a.x0+a.x1)) / 2 / 20
	if w := float64(a.x1 - a.x0 + 1); math.Abs(w-0.75*slot) > 2 {
		t.Errorf("bar %.0f px wide in a %.1f px day slot, want 0.75 of it", w, slot)
	}
}

func sameRGB(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	return uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(b>>8) == want.B
}

func TestCountTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []string
	}{
		{0, 1.08, []string{"0", "1"}},
		{0, 5.4, []string{"0", "2", "4"}},
		{0, 4.3, []string{"0", "1", "2", "3", "4"}},
		{0, 21.6, []string{"0", "5", "10", "15", "20"}},
		{0, 570, []string{"0", "200", "400"}},
		{0, 2700, []string{"0", "1000", "2000"}},
		{-30, 120, []string{"0", "50", "100"}},
	}
	for _, tc := range tests {
		var got []string
		for _, tk := range countTicks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
			if tk.Value < tc.lo || tk.Value > tc.hi {
				t.Errorf("countTicks(%g, %g): tick %g outside", tc.lo, tc.hi, tk.Value)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("countTicks(%g, %g) = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestPlotterConcurrent draws with one plotter from several goroutines:
// they share the parsed font, and every picture must come out the same.
func TestPlotterConcurrent(t *testing.T) {
	p := NewPlotter()
	m := month()
	out := make([][]byte, 3)
	errs := make([]error, len(out))
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			var buf bytes.Buffer
			errs[i] = p.PNG(&buf, m)
			out[i] = buf.Bytes()
		})
	}
	wg.Wait()
	for i := range out {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(out[i], out[0]) {
			t.Errorf("picture %d differs from picture 0", i)
		}
	}
}
