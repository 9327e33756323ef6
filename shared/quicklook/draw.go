package quicklook

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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
)

var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
	gridGray = color.Gray{Y: 225}
)

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(f, size), Handler: plot.DefaultTextHandler}
}

// minFontSize is the smallest size shrinkToFit goes down to; text longer
// than that is clipped rather than made unreadable.
const minFontSize = 6

// shrinkToFit returns sty with its font made smaller if txt is wider than
// room, so that long titles and y labels on small images stay whole.
func shrinkToFit(sty text.Style, txt string, room vg.Length) text.Style {
	if w := sty.Width(txt); w > room && w > 0 {
		sty.Font.Size = max(vg.Length(minFontSize), sty.Font.Size*room/w)
	}
	return sty
}

// drawFigure lays out title, panels and legends on c.
func drawFigure(c draw.Canvas, fig Figure, panels []panelData, axis timeAxis) (err error) {
	// gonum reports some impossible layouts by panicking; a bad figure
	// must not take a status-page server down with it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("quicklook: draw: %v", r)
		}
	}()

	top := drawHeader(c, fig.Title, fig.Subtitle)
	legendW := legendWidth(panels)

	area := draw.Crop(c, 0, 0, 0, -top)
	// Data height of a panel, estimated before layout: the area less the
	// padding, the bottom panel's time axis (~36 pt) and ~6 pt of tick
	// and label overhang per panel.
	n := vg.Length(len(panels))
	panelH := (area.Max.Y - area.Min.Y - vg.Points(8) - (n-1)*vg.Points(gapBetween) - vg.Points(36) - n*vg.Points(6)) / n
	plots := make([][]*plot.Plot, len(panels))
	for i, pd := range panels {
		plots[i] = []*plot.Plot{newPanelPlot(pd, axis, i == len(panels)-1, panelH)}
	}
	tiles := draw.Tiles{
		Rows: len(panels), Cols: 1,
		PadY:      vg.Points(gapBetween),
		PadTop:    vg.Points(4),
		PadBottom: vg.Points(4),
		PadLeft:   vg.Points(6),
		PadRight:  legendW,
	}
	canvases := plot.Align(plots, tiles, area)
	for i, p := range plots {
		pc := canvases[i][0]
		p[0].Draw(pc)
		dc := p[0].DataCanvas(pc)
		if dc.Max.Y-dc.Min.Y < vg.Points(20) {
			return fmt.Errorf("%w: panel %d has no room; make the image taller", ErrInvalid, i)
		}
		r := dc.Rectangle
		frame := []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min}
		dc.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(lineWidth)}, frame)
		if !panels[i].hasData() {
			sty := textStyle(sans, labelSize, color.Gray{Y: 110})
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
			dc.FillText(sty, dc.Center(), "no data")
		}
		drawLegend(c, dc, panels[i])
	}
	return nil
}

// drawHeader writes the title lines centred at the top of c and returns
// the height they take.
func drawHeader(c draw.Canvas, title, subtitle string) vg.Length {
	y := c.Max.Y - vg.Points(4)
	for _, line := range []struct {
		s   string
		sty text.Style
	}{
		{title, textStyle(sansBold, titleSize, color.Black)},
		{subtitle, textStyle(sans, subtitleSize, color.Gray{Y: 60})},
	} {
		if line.s == "" {
			continue
		}
		line.sty = shrinkToFit(line.sty, line.s, c.Max.X-c.Min.X-vg.Points(8))
		line.sty.XAlign, line.sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(line.sty, vg.Point{X: c.Center().X, Y: y}, line.s)
		y -= line.sty.Height(line.s) + vg.Points(2)
	}
	return c.Max.Y - y
}

// newPanelPlot builds the gonum plot of one panel; only the bottom panel
// gets time labels, the others keep tick marks and grid lines.
func newPanelPlot(pd panelData, axis timeAxis, bottom bool, panelH vg.Length) *plot.Plot {
	p := plot.New()
	p.X.Min, p.X.Max = 0, axis.span
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Length, p.Y.Tick.Length = vg.Points(4), vg.Points(4)
	p.X.Tick.Label = textStyle(sans, tickSize, color.Black)
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	p.Y.Tick.Label = textStyle(sans, tickSize, color.Black)
	p.Y.Tick.Label.XAlign, p.Y.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Label.TextStyle = textStyle(sans, labelSize, color.Black)
	p.X.Label.TextStyle.XAlign, p.X.Label.TextStyle.YAlign = draw.XCenter, draw.YBottom
	// The y label runs along the panel and must not stick out of it.
	p.Y.Label.TextStyle = shrinkToFit(p.X.Label.TextStyle, pd.YLabel, panelH)
	p.Y.Label.Text = pd.YLabel

	if bottom {
		p.X.Label.Text = axis.label
		p.X.Label.Padding = vg.Points(3)
		p.X.Tick.Marker = plot.ConstantTicks(axis.ticks)
	} else {
		// A blank label keeps a tick major (grid line, full length)
		// while a 1 pt font makes it take no room.
		blank := make([]plot.Tick, len(axis.ticks))
		for i, t := range axis.ticks {
			blank[i] = t
			if t.Label != "" {
				blank[i].Label = " "
			}
		}
		p.X.Tick.Marker = plot.ConstantTicks(blank)
		p.X.Tick.Label.Font.Size = 1
	}

	// Labelled y ticks at least ~25 pt apart.
	setYRange(p, pd, max(2, int(panelH/vg.Points(25))))
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridGray, gridGray
	grid.Vertical.Width, grid.Horizontal.Width = vg.Points(0.5), vg.Points(0.5)
	p.Add(grid)
	for i, tr := range pd.traces {
		p.Add(&traceLine{trace: tr, style: draw.LineStyle{Color: pd.colors[i], Width: vg.Points(lineWidth)}})
	}
	return p
}

// setYRange fits the y axis to the data: 5 % headroom on a linear axis,
// whole decades on a log axis so that it always has labelled ticks.
func setYRange(p *plot.Plot, pd panelData, maxTicks int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, tr := range pd.traces {
		if tr.valid > 0 {
			lo, hi = math.Min(lo, tr.ymin), math.Max(hi, tr.ymax)
		}
	}
	if pd.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{max: maxTicks}
		if math.IsInf(lo, 0) {
			lo, hi = 1, 10
		}
		// Clamped so that 10^e stays a normal, non-zero float64.
		elo, ehi := math.Max(-300, math.Floor(math.Log10(lo))), math.Min(300, math.Ceil(math.Log10(hi)))
		if ehi <= elo {
			ehi = elo + 1
		}
		p.Y.Min, p.Y.Max = math.Pow(10, elo), math.Pow(10, ehi)
		return
	}
	p.Y.Tick.Marker = linearTicks{max: maxTicks}
	switch {
	case math.IsInf(lo, 0): // no data: an unlabelled unit axis
		lo, hi = 0, 1
		p.Y.Tick.Marker = plot.ConstantTicks{}
	case hi-lo <= 1e-9*math.Max(math.Abs(lo), math.Abs(hi)):
		// Constant, or varying below what ticks can resolve: centre it.
		d := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-d, hi+d
	default:
		d := (hi - lo) * 0.05
		lo, hi = lo-d, hi+d
	}
	p.Y.Min, p.Y.Max = lo, hi
}

// linearTicks places about max (at most max+1) labelled ticks at 1, 2 or
// 5 × 10^n steps, with unlabelled ones between, and labels them with no
// more digits than the step needs (gonum's default prints "125.00").
type linearTicks struct{ max int }

func (lt linearTicks) Ticks(lo, hi float64) []plot.Tick {
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
	var ticks []plot.Tick
	for i := math.Ceil(lo / minor); i*minor <= hi; i++ {
		v := i * minor
		if math.Mod(i, minors) != 0 {
			ticks = append(ticks, plot.Tick{Value: v})
			continue
		}
		if math.Abs(v) < step*1e-9 {
			v = 0 // avoid "-0" and 1e-17
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: linearLabel(v, step, absMax)})
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
// than max the exponents divisible by a step, with 2..9 marked in between. (plot.LogTicks truncates log10 of
// an exact decade such as 0.01 and can lose its first label.)
type logTicks struct{ max int }

func (lt logTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := math.Floor(math.Log10(lo)+1e-9), math.Ceil(math.Log10(hi)-1e-9)
	every := math.Max(1, math.Ceil((last-first)/float64(max(1, lt.max))))
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		dec := math.Pow(10, e)
		if math.Mod(e, every) == 0 { // -0 and 0 alike: round exponents
			ticks = append(ticks, plot.Tick{Value: dec, Label: decadeLabel(int(e))})
		} else {
			ticks = append(ticks, plot.Tick{Value: dec})
		}
		if every > 1 {
			continue // decades are dense enough: no 2..9 marks
		}
		for m := 2.0; m < 10; m++ {
			if v := m * dec; v <= hi*(1+1e-9) {
				ticks = append(ticks, plot.Tick{Value: v})
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

// strokeChunk is the number of line segments stroked per path.
const strokeChunk = 32

// traceLine draws a decimated series, breaking the line at NaN gaps and
// marking isolated samples with a dot so they stay visible.
type traceLine struct {
	trace
	style draw.LineStyle
}

func (l *traceLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	dot := draw.GlyphStyle{Color: l.style.Color, Radius: vg.Points(1), Shape: draw.CircleGlyph{}}
	seg := make([]vg.Point, 0, len(l.x))
	end := func() {
		switch len(seg) {
		case 0:
		case 1:
			if c.Contains(seg[0]) {
				c.DrawGlyph(dot, seg[0])
			}
		default:
			// The rasterizer's cell lookup grows with the cells one
			// path covers per row, so a dense day-long zigzag stroked
			// as one path takes a second; short overlapping pieces
			// take milliseconds and look the same.
			for i := 0; i < len(seg)-1; i += strokeChunk {
				piece := seg[i:min(i+strokeChunk+1, len(seg))]
				c.StrokeLines(l.style, c.ClipLinesXY(piece)...)
			}
		}
		seg = seg[:0]
	}
	for i, y := range l.y {
		if math.IsNaN(y) {
			end()
			continue
		}
		seg = append(seg, vg.Point{X: trX(l.x[i]), Y: trY(y)})
	}
	end()
}

// legendEntryHeight is the vertical pitch of legend lines.
func legendEntryHeight() vg.Length {
	return textStyle(sans, legendSize, color.Black).Height("Xg") * 1.15
}

const legendSwatch = 14 // points of sample line before a legend label

// legendWidth is the room right of the panels for the widest legend,
// capped so that a runaway label cannot squeeze the data away.
func legendWidth(panels []panelData) vg.Length {
	sty := textStyle(sans, legendSize, color.Black)
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
// area dc, each with a short line in its colour. Entries that do not fit
// in the panel height are summarised as "+n more".
func drawLegend(c draw.Canvas, dc draw.Canvas, pd panelData) {
	sty := textStyle(sans, legendSize, color.Black)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	h := legendEntryHeight()
	fit := int((dc.Max.Y - dc.Min.Y) / h)
	if fit < 1 {
		return
	}
	x := dc.Max.X + vg.Points(6)
	y := dc.Max.Y - h/2
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
		ls := draw.LineStyle{Color: pd.colors[i], Width: vg.Points(1.5)}
		c.StrokeLine2(ls, x, y, x+vg.Points(legendSwatch-4), y)
		tsty := sty
		tsty.Color = pd.colors[i]
		c.FillText(tsty, vg.Point{X: x + vg.Points(legendSwatch), Y: y}, legendLabel(s.Label, pd.traces[i]))
		shown++
		y -= h
	}
}
