package quicklook

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot/vg"

	"github.com/magpie-sdc/magpie/shared/quicklook/chart"
)

// panelData is a panel with its series decimated and styled.
type panelData struct {
	Panel
	traces []trace
	colors []color.Color
}

// hasData reports whether any series has a point to draw.
func (p panelData) hasData() bool {
	for _, t := range p.traces {
		if t.valid > 0 {
			return true
		}
	}
	return false
}

// palette follows the MMS summary-plot convention for vector components:
// x blue, y green, z red, magnitude black.
var palette = [...]color.RGBA{
	{R: 0, G: 0, B: 230, A: 255},
	{R: 0, G: 140, B: 0, A: 255},
	{R: 220, G: 0, B: 0, A: 255},
	{R: 0, G: 0, B: 0, A: 255},
	{R: 230, G: 130, B: 0, A: 255},
	{R: 140, G: 0, B: 170, A: 255},
	{R: 0, G: 160, B: 190, A: 255},
	{R: 140, G: 80, B: 20, A: 255},
}

// preparePanel decimates every series of p onto the window's bins.
func preparePanel(p Panel, win binning) (panelData, error) {
	pd := panelData{Panel: p, traces: make([]trace, len(p.Series)), colors: make([]color.Color, len(p.Series))}
	for i, s := range p.Series {
		tr, err := win.decimate(s.Times, s.Values, gapThreshold(s), p.LogY)
		if err != nil {
			return panelData{}, fmt.Errorf("series %d (%q): %w", i, s.Label, err)
		}
		pd.traces[i] = tr
		switch {
		case s.Color != nil:
			pd.colors[i] = s.Color
		case len(p.Series) == 1:
			pd.colors[i] = color.Black // a lone quantity, e.g. density
		default:
			pd.colors[i] = palette[i%len(palette)]
		}
	}
	return pd, nil
}

// Text sizes and line widths, in points (1 pt = 4/3 px at 96 dpi).
const (
	titleSize    = 13
	subtitleSize = 10
	labelSize    = 10
	tickSize     = 9
	legendSize   = 9
	lineWidth    = 0.75 // one pixel
	gapBetween   = 4    // between stacked panels
	tickLength   = 4
)

var gridGray = color.Gray{Y: 225}

// minFontSize is the smallest size shrinkToFit goes down to; text longer
// than that is clipped rather than made unreadable.
const minFontSize = 6

// shrinkToFit returns sty with its font made smaller if txt is wider than
// room, so that long titles and y labels on small images stay whole.
func shrinkToFit(sty chart.Style, txt string, room vg.Length) chart.Style {
	if w := sty.Width(txt); w > room && w > 0 {
		sty.Size = max(vg.Length(minFontSize), sty.Size*room/w)
	}
	return sty
}

// styles are the text and line styles of a figure.
type styles struct {
	txt          chart.Text
	label, title chart.Style
	ticks        chart.TickStyle
}

func newStyles(txt chart.Text) styles {
	return styles{
		txt:   txt,
		label: txt.Style(labelSize, color.Black),
		title: txt.Style(titleSize, color.Black),
		ticks: chart.TickStyle{
			Line:   chart.LineStyle{Color: color.Black, Width: vg.Points(lineWidth)},
			Length: vg.Points(tickLength),
			Gap:    vg.Points(2),
			Label:  txt.Style(tickSize, color.Black),
		},
	}
}

// layout is where the panels' data areas go: all share left and right
// edges so that their time axes line up.
type layout struct {
	left, right vg.Length
	tops        []vg.Length // top edge of each panel's data area
	height      vg.Length   // of each data area
}

// drawFigure lays out title, panels and legends on c.
func drawFigure(c *chart.Canvas, txt chart.Text, fig Figure, panels []panelData, axis timeAxis) error {
	st := newStyles(txt)
	top := drawHeader(c, st, fig.Title, fig.Subtitle)

	// Vertical: panels of equal height between the header and the time
	// axis of the bottom one, separated by enough room for the halves of
	// y tick labels that stick out at their ends.
	n := vg.Length(len(panels))
	tickH := st.ticks.Label.Height("0")
	xLabel := shrinkToFit(st.label, axis.label, c.Max.X-c.Min.X)
	bottom := c.Min.Y + vg.Points(4) + xLabel.Height(axis.label) + vg.Points(3) + chart.XTicksHeight(st.ticks)
	upper := c.Max.Y - top - vg.Points(4) - tickH/2
	gap := vg.Points(gapBetween) + tickH
	lay := layout{height: (upper - bottom - (n-1)*gap) / n}
	if lay.height < vg.Points(20) {
		return fmt.Errorf("%w: panels have no room; make the image taller", ErrInvalid)
	}
	for i := range panels {
		lay.tops = append(lay.tops, upper-vg.Length(i)*(lay.height+gap))
	}

	// Horizontal: y labels and tick labels left, legends right, and room
	// for half a time label at either end.
	xFrame := chart.Axis{Min: 0, Max: axis.span, Ticks: axis.ticks}
	var halfTime vg.Length
	for _, t := range axis.ticks {
		halfTime = max(halfTime, st.ticks.Label.Width(t.Label)/2)
	}
	// Labelled y ticks at least ~25 pt apart.
	maxTicks := max(2, int(lay.height/vg.Points(25)))
	yAxes := make([]chart.Axis, len(panels))
	var yTicksW vg.Length
	for i, pd := range panels {
		yAxes[i] = yAxis(pd, maxTicks)
		yTicksW = max(yTicksW, chart.YTicksWidth(st.ticks, yAxes[i]))
	}
	lay.left = c.Min.X + max(vg.Points(6)+st.label.Height("X")+vg.Points(3)+yTicksW, halfTime+vg.Points(2))
	lay.right = c.Max.X - max(legendWidth(st, panels), halfTime+vg.Points(2))
	if lay.right-lay.left < vg.Points(40) {
		return fmt.Errorf("%w: panels have no room; make the image wider", ErrInvalid)
	}

	for i, pd := range panels {
		f := chart.Frame{
			Area: vg.Rectangle{
				Min: vg.Point{X: lay.left, Y: lay.tops[i] - lay.height},
				Max: vg.Point{X: lay.right, Y: lay.tops[i]},
			},
			X: xFrame, Y: yAxes[i],
		}
		drawPanel(c, st, f, pd, i == len(panels)-1)
	}
	if axis.label != "" {
		xLabel.XAlign, xLabel.YAlign = chart.XCenter, chart.YBottom
		c.FillText(xLabel, vg.Point{X: (lay.left + lay.right) / 2, Y: c.Min.Y + vg.Points(4)}, axis.label)
	}
	return nil
}

// drawPanel draws one panel into its frame: grid, data, outline, ticks,
// y label and legend; only the bottom panel labels the time ticks.
func drawPanel(c *chart.Canvas, st styles, f chart.Frame, pd panelData, bottom bool) {
	grid := chart.LineStyle{Color: gridGray, Width: vg.Points(0.5)}
	f.DrawGrid(c, grid, true, true)
	data := c.Clip(f.Area)
	for i, tr := range pd.traces {
		drawTrace(data, f, tr, chart.LineStyle{Color: pd.colors[i], Width: vg.Points(lineWidth)})
	}
	f.DrawBorder(c, st.ticks.Line)
	f.DrawXTicks(c, st.ticks, bottom)
	f.DrawYTicks(c, st.ticks)

	// The y label runs along the panel and must not stick out of it.
	ylab := shrinkToFit(st.label, pd.YLabel, f.Area.Max.Y-f.Area.Min.Y)
	chart.VerticalLabel(c, ylab, c.Min.X+vg.Points(6), (f.Area.Min.Y+f.Area.Max.Y)/2, pd.YLabel)

	if !pd.hasData() {
		sty := st.txt.Style(labelSize, color.Gray{Y: 110})
		sty.XAlign, sty.YAlign = chart.XCenter, chart.YCenter
		data.FillText(sty, data.Center(), "no data")
	}
	drawLegend(c, st, f.Area, pd)
}

// drawHeader writes the title lines centred at the top of c and returns
// the height they take.
func drawHeader(c *chart.Canvas, st styles, title, subtitle string) vg.Length {
	y := c.Max.Y - vg.Points(4)
	for _, line := range []struct {
		s   string
		sty chart.Style
	}{
		{title, st.title},
		{subtitle, st.txt.Style(subtitleSize, color.Gray{Y: 60})},
	} {
		if line.s == "" {
			continue
		}
		line.sty = shrinkToFit(line.sty, line.s, c.Max.X-c.Min.X-vg.Points(8))
		line.sty.XAlign, line.sty.YAlign = chart.XCenter, chart.YTop
		c.FillText(line.sty, vg.Point{X: c.Center().X, Y: y}, line.s)
		y -= line.sty.Height(line.s) + vg.Points(2)
	}
	return c.Max.Y - y
}

// yAxis fits the y axis to the data: 5 % headroom on a linear axis,
// whole decades on a log axis so that it always has labelled ticks.
func yAxis(pd panelData, maxTicks int) chart.Axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, tr := range pd.traces {
		if tr.valid > 0 {
			lo, hi = math.Min(lo, tr.ymin), math.Max(hi, tr.ymax)
		}
	}
	if pd.LogY {
		if math.IsInf(lo, 0) {
			lo, hi = 1, 10
		}
		// Clamped so that 10^e stays a normal, non-zero float64.
		elo, ehi := math.Max(-300, math.Floor(math.Log10(lo))), math.Min(300, math.Ceil(math.Log10(hi)))
		if ehi <= elo {
			ehi = elo + 1
		}
		a := chart.Axis{Min: math.Pow(10, elo), Max: math.Pow(10, ehi), Log: true}
		a.Ticks = logTicks{max: maxTicks}.Ticks(a.Min, a.Max)
		return a
	}
	switch {
	case math.IsInf(lo, 0): // no data: an unlabelled unit axis
		return chart.Axis{Min: 0, Max: 1}
	case hi-lo <= 1e-9*math.Max(math.Abs(lo), math.Abs(hi)):
		// Constant, or varying below what ticks can resolve: centre it.
		d := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-d, hi+d
	default:
		d := (hi - lo) * 0.05
		lo, hi = lo-d, hi+d
	}
	return chart.Axis{Min: lo, Max: hi, Ticks: linearTicks{max: maxTicks}.Ticks(lo, hi)}
}

// linearTicks places about max (at most max+1) labelled ticks at 1, 2 or
// 5 × 10^n steps, with unlabelled ones between, and labels them with no
// more digits than the step needs ("125", not "125.00").
type linearTicks struct{ max int }

func (lt linearTicks) Ticks(lo, hi float64) []chart.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) || lt.max < 1 {
		return nil
	}
	// Steps are mant × 10^exp with mant 1, 2 or 5: take the smallest
	// that gives no more than max intervals, then step down while fewer
	// than two ticks would be labelled.
	mants := [...]float64{1, 2, 5}
	raw := (hi - lo) / float64(lt.max)
	exp := math.Floor(math.Log10(raw))
	m := 0
	for m < len(mants) && mants[m]*math.Pow(10, exp) < raw {
		m++
	}
	if m == len(mants) {
		m, exp = 0, exp+1
	}
	labelled := func(step float64) float64 { return math.Floor(hi/step) - math.Ceil(lo/step) + 1 }
	for labelled(mants[m]*math.Pow(10, exp)) < 2 {
		if m--; m < 0 {
			m, exp = len(mants)-1, exp-1
		}
	}
	step := mants[m] * math.Pow(10, exp)
	minors := map[float64]float64{1: 5, 2: 4, 5: 5}[mants[m]]

	absMax := math.Max(math.Abs(lo), math.Abs(hi))
	minor := step / minors
	if absMax/minor > 1e12 { // i++ below would stop counting
		return nil
	}
	var ticks []chart.Tick
	for i := math.Ceil(lo / minor); i*minor <= hi; i++ {
		v := i * minor
		if math.Mod(i, minors) != 0 {
			ticks = append(ticks, chart.Tick{Value: v})
			continue
		}
		if math.Abs(v) < step*1e-9 {
			v = 0 // avoid "-0" and 1e-17
		}
		ticks = append(ticks, chart.Tick{Value: v, Label: linearLabel(v, step, absMax)})
	}
	return ticks
}

// linearLabel formats v with the precision that step needs, switching to
// exponent form for large or tiny magnitudes so labels stay short.
func linearLabel(v, step, absMax float64) string {
	if absMax >= 1e5 || absMax < 1e-3 {
		digits := int(math.Floor(math.Log10(absMax))-math.Floor(math.Log10(step))) + 1
		return strconv.FormatFloat(v, 'g', max(1, digits), 64)
	}
	return strconv.FormatFloat(v, 'f', max(0, int(-math.Floor(math.Log10(step)+1e-9))), 64)
}

// logTicks labels decades of a log axis: every one, or when there are more
// than max the exponents divisible by a step, with 2..9 marked in between. (Truncating log10 of an exact
// decade such as 0.01 would lose its first label.)
type logTicks struct{ max int }

func (lt logTicks) Ticks(lo, hi float64) []chart.Tick {
	first, last := math.Floor(math.Log10(lo)+1e-9), math.Ceil(math.Log10(hi)-1e-9)
	every := math.Max(1, math.Ceil((last-first)/float64(max(1, lt.max))))
	var ticks []chart.Tick
	for e := first; e <= last; e++ {
		dec := math.Pow(10, e)
		if math.Mod(e, every) == 0 { // -0 and 0 alike: round exponents
			ticks = append(ticks, chart.Tick{Value: dec, Label: decadeLabel(int(e))})
		} else {
			ticks = append(ticks, chart.Tick{Value: dec})
		}
		if every > 1 {
			continue // decades are dense enough: no 2..9 marks
		}
		for m := 2.0; m < 10; m++ {
			if v := m * dec; v <= hi*(1+1e-9) {
				ticks = append(ticks, chart.Tick{Value: v})
			}
		}
	}
	return ticks
}

// decadeLabel writes 10^e plainly when short (0.01 … 10000), else as 1e6.
func decadeLabel(e int) string {
	if e >= -2 && e <= 4 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', -1, 64)
	}
	return "1e" + strconv.Itoa(e)
}

// drawTrace draws a decimated series on the data area c, breaking the
// line at NaN gaps and marking isolated samples with a dot so they stay
// visible.
func drawTrace(c *chart.Canvas, f chart.Frame, tr trace, style chart.LineStyle) {
	seg := make([]vg.Point, 0, len(tr.x))
	end := func() {
		switch len(seg) {
		case 0:
		case 1:
			if c.Contains(seg[0]) {
				c.FillCircle(style.Color, seg[0], vg.Points(1))
			}
		default:
			// One path per connected run: the canvas rasterizes over
			// the run's bounding box within the data area only.
			c.StrokeLines(style, seg...)
		}
		seg = seg[:0]
	}
	for i, y := range tr.y {
		if math.IsNaN(y) {
			end()
			continue
		}
		seg = append(seg, f.Point(tr.x[i], y))
	}
	end()
}

const legendSwatch = 14 // points of sample line before a legend label

// legendWidth is the room right of the panels for the widest legend,
// capped so that a runaway label cannot squeeze the data away.
func legendWidth(st styles, panels []panelData) vg.Length {
	sty := st.txt.Style(legendSize, color.Black)
	var w vg.Length
	for _, pd := range panels {
		for i, s := range pd.Series {
			if s.Label != "" {
				w = max(w, sty.Width(legendLabel(s.Label, pd.traces[i])))
			}
		}
	}
	if w == 0 {
		return vg.Points(10)
	}
	return min(w+vg.Points(legendSwatch+14), vg.Points(160))
}

func legendLabel(label string, tr trace) string {
	if tr.valid == 0 {
		return label + " (no data)"
	}
	return label
}

// drawLegend lists the labelled series of pd, top down beside its data
// area, each with a short line in its colour. Entries that do not fit
// in the panel height are summarised as "+n more".
func drawLegend(c *chart.Canvas, st styles, area vg.Rectangle, pd panelData) {
	sty := st.txt.Style(legendSize, color.Black)
	sty.XAlign, sty.YAlign = chart.XLeft, chart.YCenter
	h := sty.Height("Xg") * 1.15 // line pitch
	fit := int((area.Max.Y - area.Min.Y) / h)
	if fit < 1 {
		return
	}
	x := area.Max.X + vg.Points(6)
	y := area.Max.Y - h/2
	var shown, labelled int
	for _, s := range pd.Series {
		if s.Label != "" {
			labelled++
		}
	}
	for i, s := range pd.Series {
		if s.Label == "" {
			continue
		}
		if shown == fit-1 && labelled > fit {
			c.FillText(sty, vg.Point{X: x, Y: y}, fmt.Sprintf("+%d more", labelled-shown))
			return
		}
		ls := chart.LineStyle{Color: pd.colors[i], Width: vg.Points(1.5)}
		c.StrokeLine2(ls, x, y, x+vg.Points(legendSwatch-4), y)
		tsty := sty
		tsty.Color = pd.colors[i]
		c.FillText(tsty, vg.Point{X: x + vg.Points(legendSwatch), Y: y}, legendLabel(s.Label, pd.traces[i]))
		shown++
		y -= h
	}
}
