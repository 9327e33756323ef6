package processors

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
)

// Calibration is the FGM transfer function of one spacecraft, per body
// axis: counts = Gain·B[nT] + Offset.
type Calibration struct {
	Gain   [3]float64 // counts per nT
	Offset [3]float64 // counts
}

// NominalCalibration is the pre-launch calibration of spacecraft number n
// (1-based), as docs/l0-format.md §1.1 gives it.
func NominalCalibration(n int) Calibration {
	var c Calibration
	for a := range 3 {
		c.Gain[a] = 64 * (1 + 0.004*float64((3*n+2*a)%7-3))
		c.Offset[a] = float64((5*n+3*a)%9-4) * 40
	}
	return c
}

// Field converts counts of one axis to nT.
func (c Calibration) field(axis int, counts int32) float64 {
	return (float64(counts) - c.Offset[axis]) / c.Gain[axis]
}

// CalibrationVersion is the version of the nominal calibration files:
// format 1, calibration 1.
var CalibrationVersion = naming.Version{X: 1, Y: 1, Z: 0}

// calHeader starts every calibration file; the parser requires it.
const calHeader = "# magpie fgm calibration"

// FormatCalibration renders a calibration file (CSV with comment lines):
//
//	# magpie fgm calibration
//	# spacecraft: mms1
//	# counts = gain * B[nT] + offset, per body axis
//	axis,gain,offset
//	x,64.000000,40.000
func FormatCalibration(sc string, c Calibration) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n# spacecraft: %s\n# counts = gain * B[nT] + offset, per spinning body axis (gain counts/nT, offset counts)\naxis,gain,offset\n", calHeader, sc)
	for a, name := range []string{"x", "y", "z"} {
		fmt.Fprintf(&b, "%s,%.6f,%.3f\n", name, c.Gain[a], c.Offset[a])
	}
	return b.Bytes()
}

// ReadCalibration parses a calibration file written by FormatCalibration
// (or by a team, in the same layout).
func ReadCalibration(path string) (Calibration, error) {
	var c Calibration
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("calibration: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	seen := [3]bool{}
	header := false
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if line == 1 && s != calHeader {
			return c, fmt.Errorf("calibration %s: first line must be %q", filepath.Base(path), calHeader)
		}
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if !header {
			if s != "axis,gain,offset" {
				return c, fmt.Errorf("calibration %s line %d: want the column line axis,gain,offset", filepath.Base(path), line)
			}
			header = true
			continue
		}
		f := strings.Split(s, ",")
		a := strings.Index("xyz", f[0])
		if len(f) != 3 || len(f[0]) != 1 || a < 0 {
			return c, fmt.Errorf("calibration %s line %d: want axis(x|y|z),gain,offset", filepath.Base(path), line)
		}
		g, err1 := strconv.ParseFloat(f[1], 64)
		o, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || !(g > 0) || math.IsInf(g, 0) || math.IsNaN(o) || math.IsInf(o, 0) || seen[a] {
			return c, fmt.Errorf("calibration %s line %d: bad or repeated gain/offset", filepath.Base(path), line)
		}
		c.Gain[a], c.Offset[a], seen[a] = g, o, true
	}
	if seen != [3]bool{true, true, true} {
		return c, fmt.Errorf("calibration %s: needs rows for x, y and z", filepath.Base(path))
	}
	return c, nil
}

// CalibrationName is the file name of an FGM calibration file valid from
// day on: <sc>_fgm_srvy_cal_<YYYYMMDD>_v<version>.csv.
func CalibrationName(sc string, day time.Time, v naming.Version) string {
	return naming.Science{SC: sc, Instrument: "fgm", Rate: "srvy", Level: "cal", Start: day.UTC().Truncate(24 * time.Hour),
		TimeDigits: 8, Version: v, Ext: "csv"}.String()
}

// WriteNominalCalibrations writes the nominal calibration file of every
// calibration product the product graph reads (FGM, FPI moments), for every
// spacecraft, into dir (the dropbox folder), valid from day on, the way the
// instrument teams deliver their first calibration. Calibration products of
// instruments without a nominal calibration here are left to their teams.
// It returns the names. Files are written under a dot-name and renamed, so
// a watcher never sees a partial file.
func WriteNominalCalibrations(p *mission.Profile, dir string, day time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	var refs []mission.ProductRef
	for _, n := range p.Products {
		for _, in := range n.Inputs {
			if in.Ancillary == "" && in.Level == "cal" && !slices.Contains(refs, in.ProductRef) {
				refs = append(refs, in.ProductRef)
			}
		}
	}
	var names []string
	for i, sc := range p.Spacecraft {
		for _, r := range refs {
			var name string
			var body []byte
			switch {
			case r.Instrument == "fgm" && r.Rate == "srvy" && r.Descriptor == "":
				name, body = CalibrationName(sc, day, CalibrationVersion), FormatCalibration(sc, NominalCalibration(i+1))
			case r.Instrument == "fpi" && r.Rate == "fast" && strings.HasSuffix(r.Descriptor, "-moms"):
				name, body = FPICalibrationName(sc, r.Descriptor, day, CalibrationVersion), FormatFPICalibration(sc, r.Descriptor, NominalFPICalibration())
			default:
				continue
			}
			if err := p.CheckProduct(sc, r.Instrument, r.Rate, "cal", r.Descriptor, "csv", 8); err != nil {
				return names, fmt.Errorf("calibration %s: %w", name, err)
			}
			tmp := filepath.Join(dir, "."+name+".tmp")
			if err := os.WriteFile(tmp, body, 0o644); err != nil {
				return names, fmt.Errorf("calibration: %w", err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
				return names, fmt.Errorf("calibration: %w", err)
			}
			names = append(names, name)
		}
	}
	return names, nil
}
