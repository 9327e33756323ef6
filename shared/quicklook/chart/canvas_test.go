package chart

import (
	"image"
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
)

// ink is how much of pixel (x, y) is covered by black over white, 0..1.
func ink(img *image.RGBA, x, y int) float64 {
	return 1 - float64(img.RGBAAt(x, y).G)/255
}

func loadText(t *testing.T) Text {
	t.Helper()
	txt, err := NewFonts().Load()
	if err != nil {
		t.Fatal(err)
	}
	return txt
}

// TestStrokeLines checks line placement, antialiasing, clipping and that
// overlapping pieces of one polyline add up instead of cancelling.
func TestStrokeLines(t *testing.T) {
	txt := loadText(t)
	black := LineStyle{Color: color.Black, Width: 1}
	tests := []struct {
		name  string
		pts   []vg.Point
		clip  vg.Rectangle // in points, y up; zero: the whole canvas
		check func(t *testing.T, img *image.RGBA)
	}{
		{
			// Centred on a pixel boundary: two rows half covered.
			name: "horizontal on a boundary",
			pts:  []vg.Point{{X: 10, Y: 50}, {X: 90, Y: 50}},
			check: func(t *testing.T, img *image.RGBA) {
				for _, row := range []int{49, 50} {
					if v := ink(img, 50, row); math.Abs(v-0.5) > 0.05 {
						t.Errorf("row %d: ink %.2f, want 0.5", row, v)
					}
				}
				if v := ink(img, 50, 48) + ink(img, 50, 51); v != 0 {
					t.Errorf("ink %.2f beside the line", v)
				}
				// Butt ends: nothing left of x=10, full coverage after.
				if ink(img, 9, 50) != 0 || ink(img, 10, 50) < 0.45 {
					t.Errorf("end at x=10: ink %.2f | %.2f", ink(img, 9, 50), ink(img, 10, 50))
				}
			},
		},
		{
			name: "vertical centred in a column",
			pts:  []vg.Point{{X: 20.5, Y: 10}, {X: 20.5, Y: 90}},
			check: func(t *testing.T, img *image.RGBA) {
				if v := ink(img, 20, 50); v < 0.95 {
					t.Errorf("column 20: ink %.2f, want solid", v)
				}
				if v := ink(img, 19, 50) + ink(img, 21, 50); v != 0 {
					t.Errorf("ink %.2f beside the line", v)
				}
			},
		},
		{
			name: "diagonal is antialiased",
			pts:  []vg.Point{{X: 10, Y: 10}, {X: 90, Y: 37}},
			check: func(t *testing.T, img *image.RGBA) {
				partial := 0
				for y := range 100 {
					for x := range 100 {
						if v := ink(img, x, y); v > 0.05 && v < 0.95 {
							partial++
						}
					}
				}
				if partial < 80 {
					t.Errorf("%d partly covered pixels: not antialiased", partial)
				}
			},
		},
		{
			name: "there and back stays solid",
			pts:  []vg.Point{{X: 10, Y: 30.5}, {X: 90, Y: 30.5}, {X: 10, Y: 30.5}},
			check: func(t *testing.T, img *image.RGBA) {
				if v := ink(img, 50, 69); v < 0.95 {
					t.Errorf("ink %.2f: the way back cancelled the way there", v)
				}
			},
		},
		{
			name: "clipped to the area",
			pts:  []vg.Point{{X: 0, Y: 50.5}, {X: 100, Y: 50.5}},
			clip: vg.Rectangle{Min: vg.Point{X: 30, Y: 20}, Max: vg.Point{X: 70, Y: 80}},
			check: func(t *testing.T, img *image.RGBA) {
				if ink(img, 29, 49) != 0 || ink(img, 70, 49) != 0 {
					t.Error("ink outside the clip")
				}
				if ink(img, 30, 49) < 0.95 || ink(img, 69, 49) < 0.95 {
					t.Error("no ink inside the clip")
				}
			},
		},
		{
			name: "far-away coordinates are clipped, not rasterized",
			pts:  []vg.Point{{X: -1e12, Y: 50.5}, {X: 1e12, Y: 50.5}, {X: 1e12, Y: -1e15}},
			check: func(t *testing.T, img *image.RGBA) {
				if ink(img, 0, 49) < 0.95 || ink(img, 99, 49) < 0.95 {
					t.Error("line across the canvas missing")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, img := canvas(txt, 100, 100)
			if tc.clip != (vg.Rectangle{}) {
				c = c.Clip(tc.clip)
			}
			c.StrokeLines(black, tc.pts...)
			tc.check(t, img)
		})
	}
}

// TestDrawBorderCorners checks that a closed outline has all four
// corners filled out to their outer tips, the one where it starts and
// ends included: a 4 px line leaves a 2 px notch where it does not.
func TestDrawBorderCorners(t *testing.T) {
	c, img := canvas(loadText(t), 100, 100)
	f := Frame{Area: vg.Rectangle{Min: vg.Point{X: 10.5, Y: 10.5}, Max: vg.Point{X: 89.5, Y: 89.5}}}
	f.DrawBorder(c, LineStyle{Color: color.Black, Width: 4})
	for _, p := range []image.Point{{9, 90}, {90, 90}, {90, 9}, {9, 9}} {
		if v := ink(img, p.X, p.Y); v < 0.95 {
			t.Errorf("corner %v: ink %.2f", p, v)
		}
	}
	if ink(img, 50, 50) != 0 {
		t.Error("the outline filled its inside")
	}
}

// TestFillPolygonBands fills a rectangle larger than one rasterizer band
// and checks the covered area and that the bands join without seams.
func TestFillPolygonBands(t *testing.T) {
	const size = 1000
	c, img := canvas(loadText(t), size, size)
	x0, x1, y0, y1 := 20.25, 940.75, 30.5, 960.5 // points = pixels at 72 dpi
	c.FillPolygon(color.Black, []vg.Point{{X: vg.Length(x0), Y: vg.Length(y0)}, {X: vg.Length(x1), Y: vg.Length(y0)},
		{X: vg.Length(x1), Y: vg.Length(y1)}, {X: vg.Length(x0), Y: vg.Length(y1)}})
	if rows := int(y1 - y0); (x1-x0)*float64(rows) < 2*maxBandPixels {
		t.Fatal("the rectangle fits one band: test nothing")
	}
	var sum float64
	for y := range size {
		for x := range size {
			sum += ink(img, x, y)
		}
	}
	if want := (x1 - x0) * (y1 - y0); math.Abs(sum-want)/want > 0.002 {
		t.Errorf("covered %.0f px², want %.0f", sum, want)
	}
	for y := size - 960; y < size-31; y++ {
		if v := ink(img, 500, y); v < 0.99 {
			t.Fatalf("row %d inside the rectangle: ink %.2f (a seam between bands?)", y, v)
		}
	}
}

func TestClipSegment(t *testing.T) {
	box := [4]float64{0, 0, 10, 10}
	tests := []struct {
		name   string
		a, b   [2]float64
		ok     bool
		ca, cb [2]float64
	}{
		{"inside", [2]float64{1, 1}, [2]float64{9, 9}, true, [2]float64{1, 1}, [2]float64{9, 9}},
		{"across", [2]float64{-10, 5}, [2]float64{20, 5}, true, [2]float64{0, 5}, [2]float64{10, 5}},
		{"diagonal out both ends", [2]float64{-5, -5}, [2]float64{15, 15}, true, [2]float64{0, 0}, [2]float64{10, 10}},
		{"above", [2]float64{-5, -1}, [2]float64{15, -1}, false, [2]float64{}, [2]float64{}},
		{"misses the corner", [2]float64{-2, 1}, [2]float64{1, -2}, false, [2]float64{}, [2]float64{}},
	}
	for _, tc := range tests {
		ca, cb, ok := clipSegment(tc.a, tc.b, box)
		if ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if ok && (ca != tc.ca || cb != tc.cb) {
			t.Errorf("%s: %v–%v, want %v–%v", tc.name, ca, cb, tc.ca, tc.cb)
		}
	}
}

func TestClipPolygon(t *testing.T) {
	box := [4]float64{0, 0, 10, 10}
	area := func(pts [][2]float64) float64 {
		var a float64
		for i, p := range pts {
			q := pts[(i+1)%len(pts)]
			a += p[0]*q[1] - q[0]*p[1]
		}
		return math.Abs(a) / 2
	}
	tests := []struct {
		name string
		pts  [][2]float64
		want float64
	}{
		{"inside", [][2]float64{{1, 1}, {4, 1}, {4, 3}}, 3},
		{"covers the box", [][2]float64{{-5, -5}, {15, -5}, {15, 15}, {-5, 15}}, 100},
		{"half out", [][2]float64{{5, 2}, {20, 2}, {20, 4}, {5, 4}}, 10},
		{"outside", [][2]float64{{11, 1}, {14, 1}, {14, 3}}, 0},
	}
	for _, tc := range tests {
		if got := area(clipPolygon(tc.pts, box)); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: area %g, want %g", tc.name, got, tc.want)
		}
	}
}

// TestFillTextAlignment writes a word anchored at the canvas centre and
// checks which side of the anchor its ink falls on.
func TestFillTextAlignment(t *testing.T) {
	txt := loadText(t)
	tests := []struct {
		name           string
		x              XAlignment
		y              YAlignment
		left, right    bool // ink left / right of column 100
		above, beneath bool // ink above / below row 100
	}{
		{"left bottom", XLeft, YBottom, false, true, true, false},
		{"right top", XRight, YTop, true, false, false, true},
		{"centre centre", XCenter, YCenter, true, true, true, true},
	}
	for _, tc := range tests {
		c, img := canvas(txt, 200, 200)
		sty := txt.Style(20, color.Black)
		sty.XAlign, sty.YAlign = tc.x, tc.y
		c.FillText(sty, vg.Point{X: 100, Y: 100}, "Hxoa") // no descenders
		var left, right, above, beneath bool
		for y := range 200 {
			for x := range 200 {
				if ink(img, x, y) > 0.3 {
					left, right = left || x < 99, right || x > 100
					above, beneath = above || y < 99, beneath || y > 100
				}
			}
		}
		if left != tc.left || right != tc.right || above != tc.above || beneath != tc.beneath {
			t.Errorf("%s: ink left %v right %v above %v beneath %v, want %v %v %v %v", tc.name,
				left, right, above, beneath, tc.left, tc.right, tc.above, tc.beneath)
		}
	}
}

// TestCanvasOffsetImage draws on an image whose bounds do not start at
// 0: the point (0, 0) is its bottom-left pixel corner.
func TestCanvasOffsetImage(t *testing.T) {
	img := image.NewRGBA(image.Rect(50, 40, 150, 140))
	c := NewCanvas(img, 72, loadText(t))
	c.StrokeLines(LineStyle{Color: color.Black, Width: 1}, vg.Point{X: 10.5, Y: 0}, vg.Point{X: 10.5, Y: 100})
	if ink(img, 60, 100) < 0.95 || ink(img, 59, 100)+ink(img, 61, 100) != 0 {
		t.Errorf("line not in column 60: ink %.2f %.2f %.2f", ink(img, 59, 100), ink(img, 60, 100), ink(img, 61, 100))
	}
	c.FillPolygon(color.Black, []vg.Point{{X: 0, Y: 0}, {X: 5, Y: 0}, {X: 5, Y: 5}, {X: 0, Y: 5}})
	if ink(img, 50, 139) < 0.99 || ink(img, 50, 134) != 0 {
		t.Error("square not at the bottom-left corner")
	}
}
