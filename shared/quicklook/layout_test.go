package quicklook

import (
	"bytes"
	"image"
	"math"
	"testing"
)

// ink reports whether a pixel is darker than mid grey.
func ink(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r+g+b < 3*0x9000
}

// countInk counts inked pixels in [x0, x1) × [y0, y1).
func countInk(img image.Image, x0, x1, y0, y1 int) (n int) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if ink(img, x, y) {
				n++
			}
		}
	}
	return n
}

// bottomFrame finds the lower edge of the bottom panel: the lowest row
// inked across at least half the image, with its first and last column.
func bottomFrame(t *testing.T, img image.Image) (row, left, right int) {
	t.Helper()
	b := img.Bounds()
	for y := b.Max.Y - 1; y >= 0; y-- {
		l, r, n := -1, -1, 0
		for x := range b.Dx() {
			if ink(img, x, y) {
				if l < 0 {
					l = x
				}
				r = x
				n++
			}
		}
		if n > b.Dx()/2 {
			return y, l, r
		}
	}
	t.Fatal("no panel frame found")
	return 0, 0, 0
}

// runs returns the centre column of each run of inked pixels in row y.
func runs(img image.Image, y int) []float64 {
	var out []float64
	start := -1
	for x := 0; x <= img.Bounds().Dx(); x++ {
		on := x < img.Bounds().Dx() && ink(img, x, y)
		switch {
		case on && start < 0:
			start = x
		case !on && start >= 0:
			out = append(out, float64(start+x-1)/2)
			start = -1
		}
	}
	return out
}

// TestRenderTimeTicks checks the drawn time axis of a day on 1200 px: 13
// major tick marks, two hours apart, from the left edge of the data area
// to its right edge, each with its label under it, and the minor marks
// (every 30 min) shorter than the majors.
func TestRenderTimeTicks(t *testing.T) {
	ts := cadenceTimes(t, day, 60e9, 1440)
	vs := make([]float64, len(ts))
	for i := range vs {
		vs[i] = math.Sin(float64(i) / 50)
	}
	img := render(t, oneSeries(Series{Label: "Bx", Times: ts, Values: vs, Color: magenta}), 1200, 400)
	row, left, right := bottomFrame(t, img)

	// Majors are 4 pt (5.3 px) long, minors half that: 4 px below the
	// frame only majors remain.
	majors := runs(img, row+4)
	if len(majors) != 13 {
		t.Fatalf("%d major tick marks at %v, want 13", len(majors), majors)
	}
	step := float64(right-left) / 12
	for k, x := range majors {
		if want := float64(left) + float64(k)*step; math.Abs(x-want) > 1.5 {
			t.Errorf("major tick %d at x=%.1f, want %.1f", k, x, want)
		}
		if n := countInk(img, int(x)-12, int(x)+13, row+8, row+24); n < 15 {
			t.Errorf("major tick %d: %d px of label ink under it", k, n)
		}
	}
	if all := runs(img, row+1); len(all) != 13+12*3 {
		t.Errorf("%d tick marks right below the frame, want 13 majors and 36 minors", len(all))
	}
	// The axis title line is below the labels, centred.
	if n := countInk(img, left+(right-left)/2-80, left+(right-left)/2+80, row+26, 400); n < 50 {
		t.Errorf("axis title: %d px of ink", n)
	}
}

// TestRenderLabelsDrawn checks that title, y label, y tick labels and the
// legend label (in the series colour) leave ink where they belong, and
// that nothing of them lands in the data area.
func TestRenderLabelsDrawn(t *testing.T) {
	ts := cadenceTimes(t, day, 60e9, 1440)
	vs := make([]float64, len(ts))
	for i := range vs {
		vs[i] = 50 + float64(i%100)
	}
	fig := oneSeries(Series{Label: "Bx long label", Times: ts, Values: vs, Color: magenta})
	fig.Title = "MMS1 FGM srvy L2  2015-10-16"
	img := render(t, fig, 800, 400)
	row, left, right := bottomFrame(t, img)

	if n := countInk(img, 250, 550, 0, 24); n < 100 {
		t.Errorf("title: %d px of ink in the top band", n)
	}
	// The y label is rotated in the strip at the left edge; tick labels
	// sit between it and the frame.
	if n := countInk(img, 6, 24, 60, row); n < 60 {
		t.Errorf("y label: %d px of ink in the left strip", n)
	}
	if n := countInk(img, 26, left-6, 40, row); n < 40 {
		t.Errorf("y tick labels: %d px of ink", n)
	}
	var legend int
	for y := 30; y < row; y++ {
		for x := right + 26; x < img.Bounds().Dx(); x++ {
			if isMagenta(img.At(x, y)) {
				legend++
			}
		}
	}
	if legend < 60 {
		t.Errorf("legend label: %d magenta px right of the panel", legend)
	}
	// Inside the data area only the series (magenta, lighter than the
	// ink threshold), the light grey grid and white: no text.
	if n := countInk(img, left+3, right-2, 40, row-3); n > 0 {
		t.Errorf("%d px of ink inside the data area", n)
	}
}

// TestPlotterReuse renders two figures with one plotter: the output is
// the same as from fresh plotters, so nothing of one render leaks into
// the next.
func TestPlotterReuse(t *testing.T) {
	p := NewPlotter()
	figs := []Figure{mmsLikeFigure(t), manyPanels(t, 3)}
	for i, fig := range figs {
		var reused, fresh bytes.Buffer
		if err := p.Render(&reused, fig, 900, 600); err != nil {
			t.Fatal(err)
		}
		if err := Render(&fresh, fig, 900, 600); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(reused.Bytes(), fresh.Bytes()) {
			t.Errorf("figure %d: reused plotter drew different bytes", i)
		}
	}
}
