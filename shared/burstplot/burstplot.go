// Package burstplot draws the burst-memory metrics (burst.Metrics) as one
// PNG of five stacked-bar panels, one bar per day, as the mission's
// "Burst memory metrics" plots show them: (a) HELD buffers by FOM
// category, (b) overwritten per day by category, (c) transmitted per day,
// (d) new per day by category, (e) new per day by current status.
package burstplot

import (
	"fmt"
	"image/color"
	"io"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/magpie-sdc/magpie/shared/burst"
)

// Size of the figure.
const (
	Width  = 9 * vg.Inch
	Height = 12 * vg.Inch
)

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

// PNG writes the five panels of m. Days with no data draw no bar; an
// empty month still draws its axes.
func PNG(w io.Writer, m burst.Metrics) error {
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
	panels := []struct {
		title  string
		layers []series
	}{
		{"(a) HELD buffers by FOM category", byCategory(m.HeldByCategory)},
		{"(b) overwritten buffers per day by category (DEMOTED, DERELICT)", byCategory(m.OverwrittenByCategory)},
		{"(c) transmitted buffers per day = new - overwritten - change in held", []series{{label: "transmitted", colour: 7, values: transmitted}}},
		{"(d) new buffers per day by FOM category", byCategory(m.NewByCategory)},
		{"(e) new buffers per day by current status", byStatus(m.NewByStatus)},
	}
	img := vgimg.New(Width, Height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6),
		PadLeft: vg.Points(6), PadRight: vg.Points(6), PadY: vg.Points(8)}
	plots := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, err := panel(pn.title, pn.layers, m.Days, i == len(panels)-1)
		if err != nil {
			return err
		}
		plots[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
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

// panel draws stacked bars, one per day; day labels on the bottom panel only.
func panel(title string, layers []series, days []string, bottom bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.Text = "buffers"
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)
	// The legend sits in room kept free right of the last day.
	const legendDays = 6
	width := (Width - vg.Inch) / vg.Length(len(days)+legendDays) * 0.75
	var below *plotter.BarChart
	for _, l := range layers {
		bc, err := plotter.NewBarChart(plotter.Values(l.values), width)
		if err != nil {
			return nil, fmt.Errorf("burstplot: %s: %w", title, err)
		}
		bc.LineStyle.Width = 0
		bc.Color = palette[l.colour%len(palette)]
		if below != nil {
			bc.StackOn(below)
		}
		below = bc
		p.Add(bc)
		p.Legend.Add(l.label, bc)
	}
	// Bars start at 0; an empty panel still shows a 0..1 axis, and room
	// is kept above the highest bar.
	p.Y.Min = min(p.Y.Min, 0)
	if p.Y.Max <= 0 {
		p.Y.Max = 1
	}
	p.Y.Max *= 1.08
	p.Y.Tick.Marker = countTicks{}
	p.X.Min, p.X.Max = -0.5, float64(len(days)+legendDays)-0.5
	p.X.Tick.Marker = dayTicks{days: days, labels: bottom}
	return p, nil
}

// dayTicks marks every day and labels every fifth one (MM-DD).
type dayTicks struct {
	days   []string
	labels bool
}

func (t dayTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for i, d := range t.days {
		tk := plot.Tick{Value: float64(i)}
		if t.labels && i%5 == 0 && len(d) == len("2006-01-02") {
			tk.Label = d[5:]
		}
		out = append(out, tk)
	}
	return out
}

// countTicks are gonum's default ticks labelled as plain numbers (buffer
// counts: 2500, not 2500.00).
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
		}
	}
	return ts
}
