// Package burstplot draws the burst-memory metrics (burst.Metrics) as one
// PNG of five stacked-bar panels, one bar per day, as the mission's
// "Burst memory metrics" plots show them: (a) HELD buffers by FOM
// category, (b) overwritten per day by category, (c) transmitted per day,
// (d) new per day by category, (e) new per day by current status.
package burstplot

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot/vg"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/quicklook/chart"
)

// Size of the figure.
const (
	Width  = 9 * vg.Inch
	Height = 12 * vg.Inch
)

// dpi is the resolution of the PNG: 864 × 1152 px.
const dpi = 96

// palette colours categories 0..4 (best first) and then the statuses;
// indexes wrap.
var palette = []color.RGBA{
	{0xc0, 0x39, 0x2b, 0xff}, {0xe6, 0x7e, 0x22, 0xff}, {0xf1, 0xc4, 0x0f, 0xff},
	{0x27, 0xae, 0x60, 0xff}, {0x29, 0x80, 0xb9, 0xff}, {0x8e, 0x44, 0xad, 0xff},
	{0x7f, 0x8c, 0x8d, 0xff}, {0x16, 0xa0, 0x85, 0xff}, {0x2c, 0x3e, 0x50, 0xff},
}

// series is one stacked layer: a label, its palette index and a value
// per day.
type series struct {
	label  string
	colour int
	values []float64
}

// Plotter draws metrics plots. It parses its fonts on the first plot and
// reuses them, so a server that draws many should keep one; it is safe for
// concurrent use.
type Plotter struct {
	fonts *chart.Fonts
}

// NewPlotter returns a plotter whose fonts are loaded on first use.
func NewPlotter() *Plotter {
	return &Plotter{fonts: chart.NewFonts()}
}

// PNG draws m with a plotter of its own, parsing the font for this one
// image (about 60 µs); see Plotter.PNG.
func PNG(w io.Writer, m burst.Metrics) error {
	return NewPlotter().PNG(w, m)
}

// panelData is one panel: its title and stacked layers.
type panelData struct {
	title  string
	layers []series
}

// PNG writes the five panels of m. Days with no data draw no bar; an
// empty month still draws its axes.
func (p *Plotter) PNG(w io.Writer, m burst.Metrics) error {
	n := len(m.Days)
	if n == 0 {
		return fmt.Errorf("burstplot: no days")
	}
	if len(m.HeldByCategory) != n || len(m.OverwrittenByCategory) != n || len(m.Transmitted) != n ||
		len(m.NewByCategory) != n || len(m.NewByStatus) != n {
		return fmt.Errorf("burstplot: metrics panels do not have %d days each", n)
	}
	transmitted := make([]float64, n)
	for d, v := range m.Transmitted {
		transmitted[d] = float64(v)
	}
	panels := []panelData{
		{"(a) HELD buffers by FOM category", byCategory(m.HeldByCategory)},
		{"(b) overwritten buffers per day by category (DEMOTED, DERELICT)", byCategory(m.OverwrittenByCategory)},
		{"(c) transmitted buffers per day = new - overwritten - change in held", []series{{label: "transmitted", colour: 7, values: transmitted}}},
		{"(d) new buffers per day by FOM category", byCategory(m.NewByCategory)},
		{"(e) new buffers per day by current status", byStatus(m.NewByStatus)},
	}
	txt, err := p.fonts.Load()
	if err != nil {
		return fmt.Errorf("burstplot: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, int(math.Round(Width.Dots(dpi))), int(math.Round(Height.Dots(dpi)))))
	if err := drawFigure(chart.NewCanvas(img, dpi, txt), txt, panels, m.Days); err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("burstplot: write png: %w", err)
	}
	return nil
}

func byCategory(days []map[int]int) []series {
	var cats []int
	for _, d := range days {
		for c := range d {
			if !slices.Contains(cats, c) {
				cats = append(cats, c)
			}
		}
	}
	sort.Ints(cats)
	out := make([]series, len(cats))
	for i, c := range cats {
		// A category keeps its colour from panel to panel.
		out[i] = series{label: "cat " + strconv.Itoa(c), colour: c, values: make([]float64, len(days))}
		for d, m := range days {
			out[i].values[d] = float64(m[c])
		}
	}
	return out
}

func byStatus(days []map[string]int) []series {
	var names []string
	for _, d := range days {
		for s := range d {
			if !slices.Contains(names, s) {
				names = append(names, s)
			}
		}
	}
	sort.Strings(names)
	out := make([]series, len(names))
	for i, s := range names {
		out[i] = series{label: s, colour: 5 + i, values: make([]float64, len(days))}
		for d, m := range days {
			out[i].values[d] = float64(m[s])
		}
	}
	return out
}

// legendDays is the room, in day slots, kept free right of the last day
// for the legend.
const legendDays = 6

// barWidth is the width of a bar in day slots.
const barWidth = 0.75

// Text sizes and lengths, in points.
const (
	titleSize  = 10
	labelSize  = 10
	tickSize   = 9
	legendSize = 8
	pad        = 6 // around the figure
	panelGap   = 8 // between panels
)

// drawFigure stacks the panels on c, their data areas sharing left and
// right edges and height; only the bottom one labels the days.
func drawFigure(c *chart.Canvas, txt chart.Text, panels []panelData, days []string) error {
	ticks := chart.TickStyle{
		Line:   chart.LineStyle{Color: color.Black, Width: vg.Points(0.75)},
		Length: vg.Points(4),
		Gap:    vg.Points(2),
		Label:  txt.Style(tickSize, color.Black),
	}
	title := txt.Style(titleSize, color.Black)
	label := txt.Style(labelSize, color.Black)
	const yLabel = "buffers"

	n := vg.Length(len(panels))
	titleH := title.Height("X") + vg.Points(4)
	tickH := ticks.Label.Height("0")
	// Each panel: its title above, half a tick label of overhang below;
	// the bottom one also the day labels.
	room := c.Max.Y - c.Min.Y - 2*vg.Points(pad) - chart.XTicksHeight(ticks) - (n-1)*vg.Points(panelGap)
	height := (room - n*(titleH+tickH/2)) / n
	if height < vg.Points(20) {
		return fmt.Errorf("burstplot: no room for %d panels", len(panels))
	}

	x := chart.Axis{Min: -0.5, Max: float64(len(days)+legendDays) - 0.5, Ticks: dayTicks(days, false)}
	xLabelled := x
	xLabelled.Ticks = dayTicks(days, true)
	ys := make([]chart.Axis, len(panels))
	var yTicksW vg.Length
	for i, pn := range panels {
		ys[i] = countAxis(pn.layers, len(days))
		yTicksW = max(yTicksW, chart.YTicksWidth(ticks, ys[i]))
	}
	left := c.Min.X + vg.Points(pad) + label.Height(yLabel) + vg.Points(4) + yTicksW
	right := c.Max.X - vg.Points(pad)

	top := c.Max.Y - vg.Points(pad)
	for i, pn := range panels {
		f := chart.Frame{
			Area: vg.Rectangle{
				Min: vg.Point{X: left, Y: top - titleH - height},
				Max: vg.Point{X: right, Y: top - titleH},
			},
			X: x, Y: ys[i],
		}
		bottom := i == len(panels)-1
		if bottom {
			f.X = xLabelled
		}
		sty := title
		sty.XAlign, sty.YAlign = chart.XCenter, chart.YTop
		c.FillText(sty, vg.Point{X: (left + right) / 2, Y: top}, pn.title)
		chart.VerticalLabel(c, label, c.Min.X+vg.Points(pad), (f.Area.Min.Y+f.Area.Max.Y)/2, yLabel)
		f.DrawGrid(c, chart.LineStyle{Color: color.Gray{Y: 210}, Width: vg.Points(0.5)}, false, true)
		drawBars(c, f, pn.layers)
		f.DrawBorder(c, ticks.Line)
		f.DrawXTicks(c, ticks, bottom)
		f.DrawYTicks(c, ticks)
		drawLegend(c, txt.Style(legendSize, color.Black), f.Area, pn.layers)
		top = f.Area.Min.Y - tickH/2 - vg.Points(panelGap)
	}
	return nil
}

// countAxis spans 0 to a little above the highest stack (0..1 when all
// are empty), with ticks at round counts.
func countAxis(layers []series, days int) chart.Axis {
	lo, hi := 0.0, 0.0
	for d := range days {
		var pos, neg float64
		for _, l := range layers {
			if v := l.values[d]; v >= 0 {
				pos += v
			} else {
				neg += v
			}
		}
		lo, hi = min(lo, neg), max(hi, pos)
	}
	if hi <= 0 {
		hi = 1
	}
	hi *= 1.08
	return chart.Axis{Min: lo, Max: hi, Ticks: countTicks(lo, hi)}
}

// drawBars stacks the layers of each day, the first layer at the bottom;
// negative values stack downwards from zero.
func drawBars(c *chart.Canvas, f chart.Frame, layers []series) {
	data := c.Clip(f.Area)
	if len(layers) == 0 {
		return
	}
	for d := range layers[0].values {
		var pos, neg float64
		x0, x1 := f.XPos(float64(d)-barWidth/2), f.XPos(float64(d)+barWidth/2)
		for _, l := range layers {
			v := l.values[d]
			if v == 0 || math.IsNaN(v) {
				continue
			}
			base := &pos
			if v < 0 {
				base = &neg
			}
			y0, y1 := f.YPos(*base), f.YPos(*base+v)
			*base += v
			rect := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
			data.FillPolygon(palette[l.colour%len(palette)], rect)
		}
	}
}

// drawLegend lists the layers top down in the top right corner of the
// area, each label followed by a box of its colour.
func drawLegend(c *chart.Canvas, sty chart.Style, area vg.Rectangle, layers []series) {
	sty.XAlign, sty.YAlign = chart.XRight, chart.YCenter
	h := sty.Height("Xg") * 1.2
	box := sty.Size * 0.8
	x := area.Max.X - vg.Points(4) - box
	y := area.Max.Y - vg.Points(2) - h/2
	for _, l := range layers {
		if y-h/2 < area.Min.Y {
			return // no room for more
		}
		c.FillText(sty, vg.Point{X: x - vg.Points(3), Y: y}, l.label)
		c.FillPolygon(palette[l.colour%len(palette)], []vg.Point{
			{X: x, Y: y - box/2}, {X: x + box, Y: y - box/2}, {X: x + box, Y: y + box/2}, {X: x, Y: y + box/2},
		})
		y -= h
	}
}

// dayTicks marks every day and, if labels, labels every fifth one (MM-DD).
func dayTicks(days []string, labels bool) []chart.Tick {
	out := make([]chart.Tick, 0, len(days))
	for i, d := range days {
		tk := chart.Tick{Value: float64(i)}
		if labels && i%5 == 0 && len(d) == len("2006-01-02") {
			tk.Label = d[5:]
		}
		out = append(out, tk)
	}
	return out
}

// maxCountTicks bounds the labelled ticks of a count axis.
const maxCountTicks = 5

// countTicks labels round counts in [lo, hi] at a step of 1, 2 or 5 ×
// 10^n (never below 1: buffers are whole) giving at most maxCountTicks
// intervals, with unlabelled ticks halfway between, and writes them as plain
// numbers (2500, not 2500.00).
func countTicks(lo, hi float64) []chart.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	step := 1.0
	for i := 0; (hi-lo)/step > maxCountTicks; i++ {
		step *= [...]float64{2, 2.5, 2}[i%3] // 1, 2, 5, 10, 20, 50, ...
	}
	var out []chart.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		if v == 0 {
			v = 0 // not -0, which would print as "-0"
		}
		out = append(out, chart.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		if mid := v + step/2; step >= 2 && mid <= hi {
			out = append(out, chart.Tick{Value: mid})
		}
	}
	return out
}
