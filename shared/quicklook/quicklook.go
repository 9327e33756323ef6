// Package quicklook renders quick-look PNG time-series plots for the SDC
// status pages: stacked panels sharing a UTC time axis, in the style of
// the MMS daily summary plots (B field, density, velocity, temperature).
//
// Times are CDF TT2000 nanoseconds ([]int64), the form in which Epoch
// variables come out of the CDF reader, so a day of 16 S/s survey data is
// plotted without converting 1.4 million time tags to time.Time. Fill
// values, NaN and time gaps become breaks in the lines, and every series
// is reduced to the minimum and maximum of each pixel column before it is
// drawn, so a full survey day renders in tens of milliseconds with the
// spikes still visible.
package quicklook

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"time"

	"github.com/magpie-sdc/magpie/shared/quicklook/chart"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// Figure is one quick-look image: a title and a stack of panels that share
// the time axis [Start, End).
type Figure struct {
	// Title names spacecraft, instrument and day, e.g.
	// "MMS1 FGM srvy L2  2015-10-16".
	Title string
	// Subtitle is an optional second line (data version, generation time).
	Subtitle string
	// Start and End bound the time axis; End is exclusive. Samples outside
	// are not drawn.
	Start, End time.Time
	// Panels are drawn top to bottom; the bottom one carries the time
	// labels.
	Panels []Panel
}

// Panel is one plot area with its own y axis.
type Panel struct {
	// YLabel names the quantity with its units, e.g. "B GSE [nT]".
	YLabel string
	// Series are drawn in order, so the last one is on top.
	Series []Series
	// LogY selects a logarithmic y axis; non-positive values are then
	// treated as missing.
	LogY bool
}

// Series is one line of a panel.
type Series struct {
	// Label is shown in the legend right of the panel; empty omits it.
	Label string
	// Times are CDF TT2000 nanoseconds, non-decreasing. Samples whose time
	// is timeutil.FillTT2000 are skipped. Use TimesFromUTC to build them
	// from time.Time.
	Times []int64
	// Values has one value per time. NaN, ±Inf and ISTP fill values
	// (|v| >= FillThreshold, e.g. FILLVAL -1e31) are missing data.
	Values []float64
	// Color of the line; nil picks one from the default palette.
	Color color.Color
	// MaxGap is the longest interval between consecutive valid samples
	// that is still drawn as a connected line; 0 means three times the
	// series' median sampling interval. A gap is never drawn narrower than
	// one pixel column.
	MaxGap time.Duration
}

// FillThreshold is the magnitude from which a value counts as fill. ISTP
// FILLVAL for real variables is -1e31 (some products use ±1e38); no
// physical quantity the SDC plots comes near 1e30 in its CDF units.
const FillThreshold = 1e30

// Size limits for Render. The minimum keeps labels readable; the maximum
// bounds the memory of one render (a 4096×4096 RGBA image is 64 MiB, and
// the rasterizer works on bands of it).
const (
	MinWidthPx      = 300
	MaxSizePx       = 4096
	MaxPanels       = 12
	minPanelHeight  = 70  // px per panel: room for two labelled y ticks
	headerAndFooter = 110 // px for title, subtitle and time axis
)

// ErrInvalid marks a figure that cannot be rendered as given.
var ErrInvalid = errors.New("quicklook: invalid figure")

// dpi fixes how point sizes (fonts, line widths) map to pixels.
const dpi = 96

// Plotter renders figures. It parses its fonts on the first render and
// reuses them, so a process that draws many plots should keep one; it is
// safe for concurrent use.
type Plotter struct {
	fonts *chart.Fonts
}

// NewPlotter returns a plotter whose fonts are loaded on first use.
func NewPlotter() *Plotter {
	return &Plotter{fonts: chart.NewFonts()}
}

// Render draws fig with a plotter of its own, parsing the font for this
// one image (about 60 µs, against tens of milliseconds of drawing); see
// Plotter.Render.
func Render(w io.Writer, fig Figure, widthPx, heightPx int) error {
	return NewPlotter().Render(w, fig, widthPx, heightPx)
}

// Render draws fig as a widthPx × heightPx PNG and writes it to w. The
// width must be in [MinWidthPx, MaxSizePx] and the height at least 110 px
// plus 70 px per panel. A figure that cannot be drawn (bad size, no
// panels, times and values of different lengths, unsorted times, a time
// before 1972) returns an error wrapping ErrInvalid before anything is
// written.
func (p *Plotter) Render(w io.Writer, fig Figure, widthPx, heightPx int) error {
	if err := validate(fig, widthPx, heightPx); err != nil {
		return err
	}
	t0, err := timeutil.UTCToTT2000(fig.Start)
	if err != nil {
		return fmt.Errorf("%w: start: %w", ErrInvalid, err)
	}
	t1, err := timeutil.UTCToTT2000(fig.End)
	if err != nil {
		return fmt.Errorf("%w: end: %w", ErrInvalid, err)
	}
	// One bin per pixel column of the whole image: the data area is
	// narrower, so each bin is at most one pixel wide on screen and the
	// min/max envelope loses nothing visible.
	win := binning{t0: t0, t1: t1, bins: widthPx}
	panels := make([]panelData, len(fig.Panels))
	for i, p := range fig.Panels {
		if panels[i], err = preparePanel(p, win); err != nil {
			return fmt.Errorf("%w: panel %d (%q): %w", ErrInvalid, i, p.YLabel, err)
		}
	}
	axis, err := newTimeAxis(fig.Start, fig.End, t0, widthPx)
	if err != nil {
		return fmt.Errorf("quicklook: time axis: %w", err)
	}

	txt, err := p.fonts.Load()
	if err != nil {
		return fmt.Errorf("quicklook: %w", err)
	}

	img := image.NewRGBA(image.Rect(0, 0, widthPx, heightPx))
	if err := drawFigure(chart.NewCanvas(img, dpi, txt), txt, fig, panels, axis); err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("quicklook: encode png: %w", err)
	}
	return nil
}

// validate checks everything that does not need the data scanned.
func validate(fig Figure, widthPx, heightPx int) error {
	switch {
	case len(fig.Panels) == 0:
		return fmt.Errorf("%w: no panels", ErrInvalid)
	case len(fig.Panels) > MaxPanels:
		return fmt.Errorf("%w: %d panels, at most %d", ErrInvalid, len(fig.Panels), MaxPanels)
	case !fig.End.After(fig.Start):
		return fmt.Errorf("%w: end %s not after start %s", ErrInvalid,
			fig.End.UTC().Format(time.RFC3339Nano), fig.Start.UTC().Format(time.RFC3339Nano))
	case widthPx < MinWidthPx || widthPx > MaxSizePx:
		return fmt.Errorf("%w: width %d px outside [%d, %d]", ErrInvalid, widthPx, MinWidthPx, MaxSizePx)
	case heightPx > MaxSizePx:
		return fmt.Errorf("%w: height %d px above %d", ErrInvalid, heightPx, MaxSizePx)
	}
	if need := headerAndFooter + minPanelHeight*len(fig.Panels); heightPx < need {
		return fmt.Errorf("%w: height %d px too small for %d panels (need %d)", ErrInvalid, heightPx, len(fig.Panels), need)
	}
	for i, p := range fig.Panels {
		for j, s := range p.Series {
			if len(s.Times) != len(s.Values) {
				return fmt.Errorf("%w: panel %d (%q) series %d (%q): %d times but %d values",
					ErrInvalid, i, p.YLabel, j, s.Label, len(s.Times), len(s.Values))
			}
			if s.MaxGap < 0 {
				return fmt.Errorf("%w: panel %d series %d (%q): negative MaxGap %s", ErrInvalid, i, j, s.Label, s.MaxGap)
			}
		}
	}
	return nil
}

// TimesFromUTC converts UTC instants to TT2000 for Series.Times.
func TimesFromUTC(ts []time.Time) ([]int64, error) {
	out := make([]int64, len(ts))
	for i, t := range ts {
		tt, err := timeutil.UTCToTT2000(t)
		if err != nil {
			return nil, fmt.Errorf("quicklook: time %d: %w", i, err)
		}
		out[i] = tt
	}
	return out, nil
}

// isMissing reports whether v is fill rather than data.
func isMissing(v float64) bool {
	return math.IsNaN(v) || math.Abs(v) >= FillThreshold // ±Inf included
}
