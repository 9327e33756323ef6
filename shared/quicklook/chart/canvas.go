package chart

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
	"gonum.org/v1/plot/vg"
)

// LineStyle is how a line is stroked.
type LineStyle struct {
	Color color.Color
	Width vg.Length
}

// Canvas draws antialiased lines, fills and text on an RGBA image. Its
// coordinates are points with y up, as in print, over the whole image;
// the embedded rectangle is the area it draws in, and nothing lands
// outside it. A canvas and the ones Clip makes from it share buffers:
// use them from one goroutine.
type Canvas struct {
	vg.Rectangle
	img    *image.RGBA
	clip   image.Rectangle // Rectangle in pixels, within img
	scale  float64         // pixels per point
	origin image.Point     // image pixel of the point (0, 0) at the top: left, bottom
	shared *scratch
}

// scratch is what drawing reuses between calls.
type scratch struct {
	ras   vector.Rasterizer
	path  []float32 // x, y pairs of closed polygons in pixels
	ends  []int     // index in path after each polygon
	text  Text
	faces map[vg.Length]font.Face // by size in points
}

// NewCanvas paints img white and returns a canvas over all of it at dpi
// pixels per inch, setting text in the face of txt.
func NewCanvas(img *image.RGBA, dpi float64, txt Text) *Canvas {
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	scale := dpi / 72
	b := img.Bounds()
	return &Canvas{
		Rectangle: vg.Rectangle{Max: vg.Point{X: vg.Length(float64(b.Dx()) / scale), Y: vg.Length(float64(b.Dy()) / scale)}},
		img:       img,
		clip:      b,
		scale:     scale,
		origin:    image.Pt(b.Min.X, b.Max.Y),
		shared:    &scratch{text: txt, faces: map[vg.Length]font.Face{}},
	}
}

// Clip returns a canvas that draws only inside r (and inside c).
func (c *Canvas) Clip(r vg.Rectangle) *Canvas {
	out := *c
	lo, hi := c.pixel(r.Min), c.pixel(r.Max) // hi is above: smaller row
	px := image.Rect(int(math.Round(lo[0])), int(math.Round(hi[1])), int(math.Round(hi[0])), int(math.Round(lo[1])))
	out.clip = c.clip.Intersect(px)
	out.Rectangle = vg.Rectangle{
		Min: vg.Point{X: max(c.Min.X, r.Min.X), Y: max(c.Min.Y, r.Min.Y)},
		Max: vg.Point{X: min(c.Max.X, r.Max.X), Y: min(c.Max.Y, r.Max.Y)},
	}
	return &out
}

// Contains reports whether p lies in the canvas's area.
func (c *Canvas) Contains(p vg.Point) bool {
	return p.X >= c.Min.X && p.X <= c.Max.X && p.Y >= c.Min.Y && p.Y <= c.Max.Y
}

// Center is the middle of the canvas's area.
func (c *Canvas) Center() vg.Point {
	return vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
}

// pixel converts a point to image pixel coordinates (y down).
func (c *Canvas) pixel(p vg.Point) [2]float64 {
	return [2]float64{float64(c.origin.X) + float64(p.X)*c.scale, float64(c.origin.Y) - float64(p.Y)*c.scale}
}

// StrokeLine2 strokes the line from (x0, y0) to (x1, y1).
func (c *Canvas) StrokeLine2(sty LineStyle, x0, y0, x1, y1 vg.Length) {
	c.StrokeLines(sty, vg.Point{X: x0, Y: y0}, vg.Point{X: x1, Y: y1})
}

// StrokeLines strokes the polyline through pts. Its ends are cut square
// at the end points, unless it ends where it starts; its corners are
// filled by running each segment on for half the line width.
func (c *Canvas) StrokeLines(sty LineStyle, pts ...vg.Point) {
	hw := float64(sty.Width) * c.scale / 2
	if len(pts) < 2 || !(hw > 0) || sty.Color == nil {
		return
	}
	// Segments are clipped to the drawing area grown by the line width,
	// which keeps the visible part exact and the rasterizer's work
	// bounded whatever the coordinates.
	box := c.clipBox(hw + 1)
	s := c.shared
	s.path, s.ends = s.path[:0], s.ends[:0]
	closed := len(pts) > 2 && pts[0] == pts[len(pts)-1]
	for i := 1; i < len(pts); i++ {
		a, b := c.pixel(pts[i-1]), c.pixel(pts[i])
		dx, dy := b[0]-a[0], b[1]-a[1]
		l := math.Hypot(dx, dy)
		if !(l > 0) || math.IsInf(l, 0) {
			continue
		}
		ux, uy := dx/l, dy/l
		if i > 1 || closed {
			a[0], a[1] = a[0]-ux*hw, a[1]-uy*hw
		}
		if i < len(pts)-1 || closed {
			b[0], b[1] = b[0]+ux*hw, b[1]+uy*hw
		}
		var ok bool
		if a, b, ok = clipSegment(a, b, box); !ok {
			continue
		}
		// The quad's corners, always in the same turning direction so
		// that overlapping segments add up instead of cancelling.
		nx, ny := -uy*hw, ux*hw
		s.addPolygon(
			[2]float64{a[0] + nx, a[1] + ny}, [2]float64{b[0] + nx, b[1] + ny},
			[2]float64{b[0] - nx, b[1] - ny}, [2]float64{a[0] - nx, a[1] - ny})
	}
	c.fill(sty.Color)
}

// FillPolygon fills the polygon through pts.
func (c *Canvas) FillPolygon(col color.Color, pts []vg.Point) {
	if len(pts) < 3 || col == nil {
		return
	}
	px := make([][2]float64, len(pts))
	for i, p := range pts {
		px[i] = c.pixel(p)
	}
	s := c.shared
	s.path, s.ends = s.path[:0], s.ends[:0]
	s.addPolygon(clipPolygon(px, c.clipBox(1))...)
	c.fill(col)
}

// FillCircle fills the disc of radius r around p.
func (c *Canvas) FillCircle(col color.Color, p vg.Point, r vg.Length) {
	const sides = 16 // smooth at the few pixels a marker dot has
	pts := make([]vg.Point, sides)
	for i := range pts {
		sin, cos := math.Sincos(2 * math.Pi * float64(i) / sides)
		pts[i] = vg.Point{X: p.X + r*vg.Length(cos), Y: p.Y + r*vg.Length(sin)}
	}
	c.FillPolygon(col, pts)
}

// clipBox is the drawing area in pixels grown by margin on every side.
func (c *Canvas) clipBox(margin float64) [4]float64 {
	r := c.clip
	return [4]float64{float64(r.Min.X) - margin, float64(r.Min.Y) - margin, float64(r.Max.X) + margin, float64(r.Max.Y) + margin}
}

// addPolygon appends a closed polygon to the path.
func (s *scratch) addPolygon(pts ...[2]float64) {
	if len(pts) < 3 {
		return
	}
	for _, p := range pts {
		s.path = append(s.path, float32(p[0]), float32(p[1]))
	}
	s.ends = append(s.ends, len(s.path))
}

// fill rasterizes the polygons of the path over their bounding box
// within the drawing area and paints col through them.
func (c *Canvas) fill(col color.Color) {
	s := c.shared
	if len(s.path) == 0 {
		return
	}
	x0, y0 := float32(math.Inf(1)), float32(math.Inf(1))
	x1, y1 := float32(math.Inf(-1)), float32(math.Inf(-1))
	for i := 0; i < len(s.path); i += 2 {
		x0, x1 = min(x0, s.path[i]), max(x1, s.path[i])
		y0, y1 = min(y0, s.path[i+1]), max(y1, s.path[i+1])
	}
	r := image.Rect(int(math.Floor(float64(x0))), int(math.Floor(float64(y0))),
		int(math.Ceil(float64(x1))), int(math.Ceil(float64(y1)))).Intersect(c.clip)
	if r.Empty() {
		return
	}
	// The rasterizer covers only r, a band of rows at a time: its
	// buffers hold 8 bytes a pixel, which for a line across a
	// 4096×4096 image would be 128 MiB at once.
	band := max(1, maxBandPixels/r.Dx())
	src := image.NewUniform(col)
	for top := r.Min.Y; top < r.Max.Y; top += band {
		br := image.Rect(r.Min.X, top, r.Max.X, min(top+band, r.Max.Y))
		ox, oy := float32(br.Min.X), float32(br.Min.Y)
		s.ras.Reset(br.Dx(), br.Dy())
		start := 0
		for _, end := range s.ends {
			if s.spansRows(start, end, float32(br.Min.Y), float32(br.Max.Y)) {
				s.ras.MoveTo(s.path[start]-ox, s.path[start+1]-oy)
				for i := start + 2; i < end; i += 2 {
					s.ras.LineTo(s.path[i]-ox, s.path[i+1]-oy)
				}
				s.ras.ClosePath()
			}
			start = end
		}
		s.ras.Draw(c.img, br, src, image.Point{})
	}
}

// maxBandPixels bounds the pixels the rasterizer covers at once.
const maxBandPixels = 1 << 18

// spansRows reports whether the polygon path[start:end] reaches into the
// rows y0..y1; one wholly above or below adds nothing to them.
func (s *scratch) spansRows(start, end int, y0, y1 float32) bool {
	lo, hi := s.path[start+1], s.path[start+1]
	for i := start + 3; i < end; i += 2 {
		lo, hi = min(lo, s.path[i]), max(hi, s.path[i])
	}
	return hi > y0 && lo < y1
}

// clipSegment cuts the segment ab to the box {x0, y0, x1, y1}
// (Liang–Barsky); ok is false when nothing of it is inside.
func clipSegment(a, b [2]float64, box [4]float64) (ca, cb [2]float64, ok bool) {
	t0, t1 := 0.0, 1.0
	d := [2]float64{b[0] - a[0], b[1] - a[1]}
	for axis := range 2 {
		for _, edge := range []struct{ p, q float64 }{
			{-d[axis], a[axis] - box[axis]},
			{d[axis], box[axis+2] - a[axis]},
		} {
			switch {
			case edge.p == 0:
				if edge.q < 0 {
					return a, b, false
				}
			case edge.p < 0:
				t0 = max(t0, edge.q/edge.p)
			default:
				t1 = min(t1, edge.q/edge.p)
			}
		}
	}
	if !(t0 < t1) {
		return a, b, false
	}
	return [2]float64{a[0] + t0*d[0], a[1] + t0*d[1]}, [2]float64{a[0] + t1*d[0], a[1] + t1*d[1]}, true
}

// clipPolygon cuts the polygon pts to the box {x0, y0, x1, y1}, one edge
// of the box at a time (Sutherland–Hodgman).
func clipPolygon(pts [][2]float64, box [4]float64) [][2]float64 {
	for edge := range 4 {
		axis, limit, below := edge%2, box[edge], edge < 2
		inside := func(p [2]float64) bool {
			if below {
				return p[axis] >= limit
			}
			return p[axis] <= limit
		}
		var out [][2]float64
		for i, p := range pts {
			q := pts[(i+1)%len(pts)]
			if inside(p) {
				out = append(out, p)
			}
			if inside(p) != inside(q) {
				t := (limit - p[axis]) / (q[axis] - p[axis])
				out = append(out, [2]float64{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])})
			}
		}
		if pts = out; len(pts) == 0 {
			return nil
		}
	}
	return pts
}

// face returns the drawing face for size points, made on first use.
func (c *Canvas) face(size vg.Length) (font.Face, error) {
	if f, ok := c.shared.faces[size]; ok {
		return f, nil
	}
	f, err := opentype.NewFace(c.shared.text.font, &opentype.FaceOptions{
		Size: float64(size), DPI: 72 * c.scale, Hinting: font.HintingNone,
	})
	if err != nil {
		return nil, err
	}
	c.shared.faces[size] = f
	return f, nil
}

// FillText writes txt in sty with its anchor at pt.
func (c *Canvas) FillText(sty Style, pt vg.Point, txt string) {
	if txt == "" || sty.Color == nil || c.shared.text.font == nil {
		return
	}
	face, err := c.face(sty.Size)
	if err != nil {
		return // a size the face cannot take (zero, huge): nothing to draw
	}
	x := pt.X + vg.Length(sty.XAlign)*sty.Width(txt)
	p := c.pixel(vg.Point{X: x, Y: sty.baseline(pt.Y)})
	d := font.Drawer{
		Dst:  c.img.SubImage(c.clip).(*image.RGBA),
		Src:  image.NewUniform(sty.Color),
		Face: face,
		Dot:  fixed.Point26_6{X: fixed.Int26_6(math.Round(p[0] * 64)), Y: fixed.Int26_6(math.Round(p[1] * 64))},
	}
	d.DrawString(txt)
}

// FillTextUp writes txt in sty turned a quarter turn anticlockwise, to
// read upwards; the alignments apply to the turned text as read, so
// XCenter, YTop puts the middle of the text at pt.Y and its top (now its
// left edge) at pt.X.
func (c *Canvas) FillTextUp(sty Style, pt vg.Point, txt string) {
	if txt == "" || sty.Color == nil || c.shared.text.font == nil {
		return
	}
	face, err := c.face(sty.Size)
	if err != nil {
		return
	}
	// Set the text level in a mask of its own, then copy the mask
	// turned, pixel for pixel: a quarter turn needs no resampling.
	w := int(math.Ceil(float64(sty.Width(txt))*c.scale)) + 2
	h := int(math.Ceil(float64(sty.Height(txt))*c.scale)) + 2
	level := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{
		Dst: level, Src: image.Opaque, Face: face,
		Dot: fixed.Point26_6{X: 64, Y: fixed.Int26_6(math.Round((1 + float64(sty.Ascent())*c.scale) * 64))},
	}
	d.DrawString(txt)
	up := image.NewAlpha(image.Rect(0, 0, h, w))
	for v := range h {
		for u := range w {
			up.Pix[(w-1-u)*up.Stride+v] = level.Pix[v*level.Stride+u]
		}
	}
	// Unturned, the text box spans YAlign·H..(YAlign+1)·H above the
	// anchor and XAlign·W..(XAlign+1)·W right of it; a quarter turn
	// anticlockwise takes up to left and right to up. In the masks the
	// box starts 1 px in from the left and top (level), which the turn
	// makes 1 px in from the left and bottom (up).
	wt, ht := float64(sty.Width(txt))*c.scale, float64(sty.Height(txt))*c.scale
	anchor := c.pixel(pt)
	left := anchor[0] - (float64(sty.YAlign)+1)*ht
	bottom := anchor[1] - float64(sty.XAlign)*wt
	at := image.Pt(int(math.Round(left-1)), int(math.Round(bottom-float64(w-1))))
	dst := c.img.SubImage(c.clip).(*image.RGBA)
	draw.DrawMask(dst, up.Bounds().Add(at), image.NewUniform(sty.Color), image.Point{}, up, image.Point{}, draw.Over)
}
