package chart

import (
	"fmt"
	"image/color"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/vg"
)

// Fonts parses the face the first time it is needed and keeps it: build
// one per plotter and share it between renders rather than parsing the
// face for every image.
type Fonts struct {
	load func() (Text, error)
}

// NewFonts returns fonts that are parsed on the first call to Load.
func NewFonts() *Fonts {
	return &Fonts{load: sync.OnceValues(parseFonts)}
}

// Load returns text styles in the parsed face; it is safe for concurrent
// use, and every call returns the same face.
func (f *Fonts) Load() (Text, error) {
	return f.load()
}

func parseFonts() (Text, error) {
	fnt, err := opentype.Parse(liberationsansregular.TTF)
	if err != nil {
		return Text{}, fmt.Errorf("chart: parse Liberation Sans Regular: %w", err)
	}
	// Metrics at one pixel per font unit are the design units, exact
	// and independent of any output resolution.
	upem := fixed.Int26_6(fnt.UnitsPerEm())
	var buf sfnt.Buffer
	m, err := fnt.Metrics(&buf, upem, font.HintingNone)
	if err != nil {
		return Text{}, fmt.Errorf("chart: Liberation Sans Regular metrics: %w", err)
	}
	return Text{font: fnt, upem: float64(upem), ascent: float64(m.Ascent), descent: float64(m.Descent)}, nil
}

// Text makes text styles in the loaded face. The parsed font is read-only
// and shared; faces for drawing, which hold buffers, belong to a Canvas.
type Text struct {
	font            *opentype.Font
	upem            float64 // font units per em
	ascent, descent float64 // in font units, both positive
}

// Style is text of size points in colour c, anchored at its left edge and
// the bottom of its descenders until XAlign and YAlign are set.
func (t Text) Style(size vg.Length, c color.Color) Style {
	return Style{Color: c, Size: size, text: t}
}

// XAlignment places text horizontally on its anchor: the anchor is at
// this fraction of the width from the text's left edge, negated.
type XAlignment float64

// YAlignment places text vertically on its anchor, as a fraction of its
// height (ascent plus descent) from the bottom of the descenders, negated.
type YAlignment float64

const (
	XLeft   XAlignment = 0
	XCenter XAlignment = -0.5
	XRight  XAlignment = -1

	YBottom YAlignment = 0
	YCenter YAlignment = -0.5
	YTop    YAlignment = -1
)

// Style is how one run of text is set.
type Style struct {
	Color  color.Color
	Size   vg.Length // em size in points
	XAlign XAlignment
	YAlign YAlignment
	text   Text
}

// Width is the advance of txt, kerning included.
func (s Style) Width(txt string) vg.Length {
	f := s.text.font
	if f == nil {
		return 0
	}
	var (
		buf   sfnt.Buffer
		upem  = fixed.Int26_6(s.text.upem)
		total fixed.Int26_6
		prev  sfnt.GlyphIndex
	)
	for i, r := range txt {
		g, err := f.GlyphIndex(&buf, r)
		if err != nil {
			continue // unmappable: drawn as .notdef, measured as nothing
		}
		if i > 0 {
			if k, err := f.Kern(&buf, prev, g, upem, font.HintingNone); err == nil {
				total += k
			}
		}
		if a, err := f.GlyphAdvance(&buf, g, upem, font.HintingNone); err == nil {
			total += a
		}
		prev = g
	}
	return s.fromUnits(float64(total))
}

// Height is the height of one line: ascent plus descent.
func (s Style) Height(string) vg.Length {
	return s.Ascent() + s.Descent()
}

// Ascent is how far the tallest glyphs rise above the baseline.
func (s Style) Ascent() vg.Length { return s.fromUnits(s.text.ascent) }

// Descent is how far descenders reach below the baseline.
func (s Style) Descent() vg.Length { return s.fromUnits(s.text.descent) }

// fromUnits converts a length in font units to points at s.Size.
func (s Style) fromUnits(u float64) vg.Length {
	if s.text.upem == 0 {
		return 0
	}
	return vg.Length(u/s.text.upem) * s.Size
}

// baseline is where the baseline of text set in s goes for an anchor at
// y (points, y up).
func (s Style) baseline(y vg.Length) vg.Length {
	return y + vg.Length(s.YAlign)*s.Height("") + s.Descent()
}
