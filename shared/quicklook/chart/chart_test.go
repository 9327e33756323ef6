package chart

import (
	"image"
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
)

func TestAxisNorm(t *testing.T) {
	tests := []struct {
		name string
		a    Axis
		v    float64
		want float64
	}{
		{"linear min", Axis{Min: -5, Max: 15}, -5, 0},
		{"linear max", Axis{Min: -5, Max: 15}, 15, 1},
		{"linear quarter", Axis{Min: -5, Max: 15}, 0, 0.25},
		{"linear outside", Axis{Min: 0, Max: 10}, 20, 2},
		{"log decade", Axis{Min: 1, Max: 1000, Log: true}, 10, 1.0 / 3},
		{"log max", Axis{Min: 0.01, Max: 100, Log: true}, 100, 1},
		{"log middle", Axis{Min: 0.01, Max: 100, Log: true}, 1, 0.5},
	}
	for _, tc := range tests {
		if got := tc.a.Norm(tc.v); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: Norm(%g) = %g, want %g", tc.name, tc.v, got, tc.want)
		}
	}
	if n := (Axis{Min: 1, Max: 10, Log: true}).Norm(0); !math.IsInf(n, -1) {
		t.Errorf("log Norm(0) = %g, want -Inf (the caller drops it)", n)
	}
}

func TestFontsParsedOnce(t *testing.T) {
	f := NewFonts()
	a, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if a.font != b.font {
		t.Error("second Load parsed the fonts again")
	}
	c, err := NewFonts().Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.font == a.font {
		t.Error("two Fonts share a cache: state is global")
	}
	sty := a.Style(10, color.Black)
	if w := sty.Width("buffers"); w < vg.Points(20) || w > vg.Points(60) {
		t.Errorf("width of 'buffers' at 10 pt = %v, want a real glyph width", w)
	}
}

// canvas is a white w×h image at 72 dpi, so that 1 pt is 1 pixel.
func canvas(txt Text, w, h int) (*Canvas, *image.RGBA) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	return NewCanvas(img, 72, txt), img
}

func dark(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r+g+b < 3*0x8000
}

// TestDrawTicks draws a frame whose area is x 50..250, y 40..140 (image
// rows 60..160) and checks where the marks and labels land.
func TestDrawTicks(t *testing.T) {
	txt, err := NewFonts().Load()
	if err != nil {
		t.Fatal(err)
	}
	c, img := canvas(txt, 300, 200)
	f := Frame{
		Area: vg.Rectangle{Min: vg.Point{X: 50, Y: 40}, Max: vg.Point{X: 250, Y: 140}},
		X:    Axis{Min: 0, Max: 10, Ticks: []Tick{{0, "0"}, {2.5, ""}, {5, "5"}, {10, "10"}, {11, "out"}}},
		Y:    Axis{Min: 1, Max: 100, Log: true, Ticks: []Tick{{1, "1"}, {10, "10"}, {100, "100"}}},
	}
	sty := TickStyle{Line: LineStyle{Color: color.Black, Width: 1}, Length: 6, Gap: 2, Label: txt.Style(10, color.Black)}
	f.DrawXTicks(c, sty, true)
	f.DrawYTicks(c, sty)

	const bottomRow = 200 - 40 // image row of the area's lower edge
	// Rows 3 and 5 below the edge: majors reach both, the minor (3 pt
	// long) only the first.
	for _, tc := range []struct {
		x          int
		short, tip bool
	}{{50, true, true}, {100, true, false}, {150, true, true}, {250, true, true}, {75, false, false}, {200, false, false}} {
		near := func(row int) bool { return dark(img, tc.x, row) || dark(img, tc.x-1, row) }
		if got := near(bottomRow + 2); got != tc.short {
			t.Errorf("x=%d, 2 px below the area: mark %v, want %v", tc.x, got, tc.short)
		}
		if got := near(bottomRow + 5); got != tc.tip {
			t.Errorf("x=%d, 5 px below the area: mark %v, want %v", tc.x, got, tc.tip)
		}
	}
	// Labels: ink in the band below the marks, under the labelled ticks
	// only; the tick at 11 is off the axis.
	band := func(x0, x1, y0, y1 int) (n int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if dark(img, x, y) {
					n++
				}
			}
		}
		return n
	}
	for _, x := range []int{50, 150, 250} {
		if n := band(x-8, x+8, bottomRow+8, bottomRow+20); n < 5 {
			t.Errorf("no label ink under the tick at x=%d (%d px)", x, n)
		}
	}
	if n := band(95, 106, bottomRow+8, bottomRow+20); n != 0 {
		t.Errorf("%d px of ink under the minor tick", n)
	}
	if n := band(262, 300, bottomRow+8, bottomRow+20); n != 0 {
		t.Errorf("%d px of ink right of the axis: an off-axis tick was labelled", n)
	}
	// Y labels: right-aligned left of the marks at rows of 1, 10, 100.
	for _, row := range []int{160, 110, 60} {
		if n := band(20, 42, row-5, row+5); n < 5 {
			t.Errorf("no y label ink at row %d (%d px)", row, n)
		}
		if n := band(43, 50, row-10, row+10); n < 5 {
			t.Errorf("no y tick mark at row %d", row)
		}
	}
}

func TestTicksRoom(t *testing.T) {
	txt, err := NewFonts().Load()
	if err != nil {
		t.Fatal(err)
	}
	sty := TickStyle{Length: 4, Gap: 2, Label: txt.Style(9, color.Black)}
	short := YTicksWidth(sty, Axis{Min: 0, Max: 10, Ticks: []Tick{{0, "0"}, {5, "5"}}})
	long := YTicksWidth(sty, Axis{Min: 0, Max: 1e6, Ticks: []Tick{{0, "0"}, {5e5, "500000"}}})
	unlabelled := YTicksWidth(sty, Axis{Min: 0, Max: 1, Ticks: []Tick{{0.5, ""}}})
	offAxis := YTicksWidth(sty, Axis{Min: 0, Max: 1, Ticks: []Tick{{5, "500000"}}})
	if !(short > 6 && long > short+vg.Points(15)) {
		t.Errorf("widths: '5' %v, '500000' %v", short, long)
	}
	if unlabelled != 4 || offAxis != 4 {
		t.Errorf("without labels the room is the tick length 4, got %v and %v", unlabelled, offAxis)
	}
	if h := XTicksHeight(sty); h < 4+2+vg.Points(8) || h > 4+2+vg.Points(14) {
		t.Errorf("XTicksHeight = %v", h)
	}
}

// TestVerticalLabel checks that the text reads upwards right of x: its
// ink is taller than wide and starts at x.
func TestVerticalLabel(t *testing.T) {
	txt, err := NewFonts().Load()
	if err != nil {
		t.Fatal(err)
	}
	c, img := canvas(txt, 100, 200)
	VerticalLabel(c, txt.Style(12, color.Black), 20, 100, "B GSE [nT]")
	x0, x1, y0, y1 := 100, -1, 200, -1
	for y := range 200 {
		for x := range 100 {
			if dark(img, x, y) {
				x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		t.Fatal("nothing drawn")
	}
	if x0 < 19 || x1 > 20+16 {
		t.Errorf("ink spans columns %d..%d, want within 20..36", x0, x1)
	}
	if h := y1 - y0; h < 40 || h > 90 || (y0+y1)/2 < 90 || (y0+y1)/2 > 110 {
		t.Errorf("ink spans rows %d..%d, want ~60 px centred on row 100", y0, y1)
	}
}

// BenchmarkLoadFonts is the cost that a Plotter kept between renders
// saves on each image.
func BenchmarkLoadFonts(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewFonts().Load(); err != nil {
			b.Fatal(err)
		}
	}
}
