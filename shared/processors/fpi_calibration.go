package processors

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/naming"
)

// FPI moments, in telemetry order (docs/l0-format.md §1.2): density, bulk
// velocity N, M, Z in the despun frame, scalar temperature.
var fpiMoments = [5]struct{ name, units string }{
	{"n", "cm^-3"}, {"vn", "km/s"}, {"vm", "km/s"}, {"vz", "km/s"}, {"t", "eV"},
}

// FPICalibration turns FPI moment counts into physical units, per moment
// (in fpiMoments order): value = Scale·(counts − Offset).
type FPICalibration struct {
	Scale  [5]float64 // units per count: cm^-3, km/s (×3), eV
	Offset [5]float64 // counts
}

// NominalFPICalibration is the calibration the flight software's scaling
// implies (docs/l0-format.md §1.2): 0.001 cm^-3, 0.01 km/s and 0.01 eV per
// count, no offsets. Teams refine it (e.g. density cross-calibrated with
// the plasma line) by delivering a file with a higher Y.
func NominalFPICalibration() FPICalibration {
	return FPICalibration{Scale: [5]float64{fpiDensityUnit, fpiVelocityUnit, fpiVelocityUnit, fpiVelocityUnit, fpiTemperatureUnit}}
}

func (c FPICalibration) value(k int, counts int32) float64 {
	return c.Scale[k] * (float64(counts) - c.Offset[k])
}

// fpiCalHeader starts every FPI calibration file; the parser requires it.
const fpiCalHeader = "# magpie fpi calibration"

// FormatFPICalibration renders an FPI calibration file (CSV with comment
// lines; the units column must match, so a file in other units is refused):
//
//	# magpie fpi calibration
//	# spacecraft: mms1
//	# descriptor: dis-moms
//	moment,scale,offset,units
//	n,0.001,0,cm^-3
func FormatFPICalibration(sc, descriptor string, c FPICalibration) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n# spacecraft: %s\n# descriptor: %s\n# value = scale * (counts - offset), per moment (scale in units per count, offset in counts)\nmoment,scale,offset,units\n",
		fpiCalHeader, sc, descriptor)
	for k, mo := range fpiMoments {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", mo.name, strconv.FormatFloat(c.Scale[k], 'g', -1, 64),
			strconv.FormatFloat(c.Offset[k], 'g', -1, 64), mo.units)
	}
	return b.Bytes()
}

// ReadFPICalibration parses a file in FormatFPICalibration's layout.
func ReadFPICalibration(path string) (FPICalibration, error) {
	var c FPICalibration
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("fpi calibration: %w", err)
	}
	base := filepath.Base(path)
	sc := bufio.NewScanner(bytes.NewReader(b))
	var seen [5]bool
	header := false
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if line == 1 && s != fpiCalHeader {
			return c, fmt.Errorf("fpi calibration %s: first line must be %q", base, fpiCalHeader)
		}
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if !header {
			if s != "moment,scale,offset,units" {
				return c, fmt.Errorf("fpi calibration %s line %d: want the column line moment,scale,offset,units", base, line)
			}
			header = true
			continue
		}
		f := strings.Split(s, ",")
		k := -1
		for i, mo := range fpiMoments {
			if len(f) == 4 && f[0] == mo.name {
				k = i
			}
		}
		if k < 0 {
			return c, fmt.Errorf("fpi calibration %s line %d: want moment(n|vn|vm|vz|t),scale,offset,units", base, line)
		}
		if f[3] != fpiMoments[k].units {
			return c, fmt.Errorf("fpi calibration %s line %d: %s must be in %s, not %q", base, line, f[0], fpiMoments[k].units, f[3])
		}
		scale, err1 := strconv.ParseFloat(f[1], 64)
		off, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || !(scale > 0) || math.IsInf(scale, 0) || math.IsNaN(off) || math.IsInf(off, 0) || seen[k] {
			return c, fmt.Errorf("fpi calibration %s line %d: bad or repeated scale/offset", base, line)
		}
		c.Scale[k], c.Offset[k], seen[k] = scale, off, true
	}
	if seen != [5]bool{true, true, true, true, true} {
		return c, fmt.Errorf("fpi calibration %s: needs rows for n, vn, vm, vz and t", base)
	}
	return c, nil
}

// FPICalibrationName is the file name of an FPI calibration file valid
// from day on: <sc>_fpi_fast_cal_<descriptor>_<YYYYMMDD>_v<version>.csv.
func FPICalibrationName(sc, descriptor string, day time.Time, v naming.Version) string {
	return naming.Science{SC: sc, Instrument: "fpi", Rate: "fast", Level: "cal", Descriptor: descriptor,
		Start: day.UTC().Truncate(24 * time.Hour), TimeDigits: 8, Version: v, Ext: "csv"}.String()
}
