// Package chart draws the parts of a two-dimensional chart (a frame, axes
// with ticks and labels, grid lines, text) on an RGBA image, rasterizing
// with golang.org/x/image/vector and setting text with
// golang.org/x/image/font/opentype in Liberation Sans Regular, loaded from
// its single-face font package only (about 400 kB; a bold title is not
// worth as much again in every Lambda binary).
//
// It exists to keep plotting small in the Lambda binaries that draw
// quick-looks and metrics: gonum's plotter, vg/draw, text and vgimg
// packages would link twelve Liberation faces, a LaTeX renderer with four
// Go fonts, and JPEG, TIFF, PDF, SVG and EPS back-ends. Only gonum's vg
// geometry types (lengths in points, points, rectangles) are used.
package chart

import (
	"math"

	"gonum.org/v1/plot/vg"
)

// Tick is one tick mark of an axis: labelled ones are major (long, with a
// grid line), unlabelled ones minor.
type Tick struct {
	Value float64
	Label string
}

// Axis maps data values in [Min, Max] onto [0, 1], linearly or by their
// logarithm.
type Axis struct {
	Min, Max float64
	Log      bool // Min must then be positive
	Ticks    []Tick
}

// Norm returns the position of v between Min (0) and Max (1); it is NaN
// or infinite for a non-positive v on a log axis.
func (a Axis) Norm(v float64) float64 {
	if a.Log {
		lo := math.Log10(a.Min)
		return (math.Log10(v) - lo) / (math.Log10(a.Max) - lo)
	}
	return (v - a.Min) / (a.Max - a.Min)
}

// Frame is a data area on the canvas with its two axes.
type Frame struct {
	Area vg.Rectangle
	X, Y Axis
}

// XPos and YPos place data coordinates on the canvas.
func (f Frame) XPos(x float64) vg.Length {
	return f.Area.Min.X + vg.Length(f.X.Norm(x))*(f.Area.Max.X-f.Area.Min.X)
}

func (f Frame) YPos(y float64) vg.Length {
	return f.Area.Min.Y + vg.Length(f.Y.Norm(y))*(f.Area.Max.Y-f.Area.Min.Y)
}

// Point places a data point on the canvas.
func (f Frame) Point(x, y float64) vg.Point {
	return vg.Point{X: f.XPos(x), Y: f.YPos(y)}
}

// inside reports whether the norm n lies on the axis, allowing for
// rounding at the ends.
func inside(n float64) bool {
	return n >= -1e-9 && n <= 1+1e-9
}

// DrawGrid strokes a line across the area at every labelled tick of the
// x axis (if vertical) and of the y axis (if horizontal).
func (f Frame) DrawGrid(c *Canvas, sty LineStyle, vertical, horizontal bool) {
	if vertical {
		for _, t := range f.X.Ticks {
			if t.Label != "" && inside(f.X.Norm(t.Value)) {
				x := f.XPos(t.Value)
				c.StrokeLine2(sty, x, f.Area.Min.Y, x, f.Area.Max.Y)
			}
		}
	}
	if horizontal {
		for _, t := range f.Y.Ticks {
			if t.Label != "" && inside(f.Y.Norm(t.Value)) {
				y := f.YPos(t.Value)
				c.StrokeLine2(sty, f.Area.Min.X, y, f.Area.Max.X, y)
			}
		}
	}
}

// DrawBorder strokes the outline of the area.
func (f Frame) DrawBorder(c *Canvas, sty LineStyle) {
	r := f.Area
	c.StrokeLines(sty, r.Min, vg.Point{X: r.Max.X, Y: r.Min.Y}, r.Max, vg.Point{X: r.Min.X, Y: r.Max.Y}, r.Min)
}

// TickStyle is how an axis draws its ticks: marks of Length (minor ones
// half as long) pointing out of the area, and labels Gap beyond them.
type TickStyle struct {
	Line   LineStyle
	Length vg.Length
	Gap    vg.Length
	Label  Style
}

// DrawXTicks marks the x ticks below the area and, if labels, writes
// their labels centred under them.
func (f Frame) DrawXTicks(c *Canvas, sty TickStyle, labels bool) {
	y0 := f.Area.Min.Y
	lsty := sty.Label
	lsty.XAlign, lsty.YAlign = XCenter, YTop
	for _, t := range f.X.Ticks {
		if !inside(f.X.Norm(t.Value)) {
			continue
		}
		x := f.XPos(t.Value)
		l := sty.Length
		if t.Label == "" {
			l /= 2
		}
		c.StrokeLine2(sty.Line, x, y0, x, y0-l)
		if labels && t.Label != "" {
			c.FillText(lsty, vg.Point{X: x, Y: y0 - sty.Length - sty.Gap}, t.Label)
		}
	}
}

// DrawYTicks marks the y ticks left of the area and writes their labels
// right-aligned beside them.
func (f Frame) DrawYTicks(c *Canvas, sty TickStyle) {
	x0 := f.Area.Min.X
	lsty := sty.Label
	lsty.XAlign, lsty.YAlign = XRight, YCenter
	for _, t := range f.Y.Ticks {
		if !inside(f.Y.Norm(t.Value)) {
			continue
		}
		y := f.YPos(t.Value)
		l := sty.Length
		if t.Label == "" {
			l /= 2
		}
		c.StrokeLine2(sty.Line, x0, y, x0-l, y)
		if t.Label != "" {
			c.FillText(lsty, vg.Point{X: x0 - sty.Length - sty.Gap, Y: y}, t.Label)
		}
	}
}

// YTicksWidth is the room the y ticks of a and their labels take left of
// the area.
func YTicksWidth(sty TickStyle, a Axis) vg.Length {
	var w vg.Length
	for _, t := range a.Ticks {
		if t.Label != "" && inside(a.Norm(t.Value)) {
			w = max(w, sty.Label.Width(t.Label))
		}
	}
	if w == 0 {
		return sty.Length
	}
	return sty.Length + sty.Gap + w
}

// XTicksHeight is the room labelled x ticks take below the area.
func XTicksHeight(sty TickStyle) vg.Length {
	return sty.Length + sty.Gap + sty.Label.Height("0")
}

// VerticalLabel writes txt rotated to read upwards, its top edge at x
// and its middle at y.
func VerticalLabel(c *Canvas, sty Style, x, y vg.Length, txt string) {
	sty.XAlign, sty.YAlign = XCenter, YTop
	c.FillTextUp(sty, vg.Point{X: x, Y: y}, txt)
}
