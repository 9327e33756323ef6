package simulate

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// ancillaryStep is the row interval of the ephemeris and attitude files.
const ancillaryStep = 30 * time.Second

// ancillaryKind says what an ancillary product code holds, from the
// flight-dynamics naming convention: *EPH ephemeris, *ATT attitude.
func ancillaryKind(product string) (string, error) {
	switch p := strings.ToLower(product); {
	case strings.HasSuffix(p, "eph"):
		return "ephemeris", nil
	case strings.HasSuffix(p, "att"):
		return "attitude", nil
	}
	return "", fmt.Errorf("simulator cannot produce ancillary product %q (only *eph ephemeris and *att attitude)", product)
}

// fdTime formats t as flight dynamics do: YYYY-DOY/hh:mm:ss.sss UTC.
func fdTime(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%04d-%03d/%02d:%02d:%02d.%03d", t.Year(), t.YearDay(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6)
}

// ancillaryRows calls row for each row time of the day: every
// ancillaryStep from midnight through the next midnight inclusive (so a
// reader can interpolate to the end of the day from one file).
func (w *world) ancillaryRows(ctx context.Context, d *day, row func(utc time.Time, t float64) error) error {
	end := d.date.AddDate(0, 0, 1)
	for u := d.date; !u.After(end); u = u.Add(ancillaryStep) {
		if err := ctx.Err(); err != nil {
			return err
		}
		tai, err := timeutil.UTCToTAI(u)
		if err != nil {
			return err
		}
		if err := row(u, d.t0+float64(tai-d.taiStart)); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) ancillaryHeader(out io.Writer, title, product string, c *craft, d *day, lines ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", title)
	kv := func(k, v string) { fmt.Fprintf(&b, "%-20s%s\n", k+":", v) }
	kv("Mission", w.prof.ID)
	kv("Spacecraft", strings.ToUpper(c.id))
	kv("Product", strings.ToUpper(product))
	kv("Time system", "UTC")
	kv("Start time", fdTime(d.date))
	kv("Stop time", fdTime(d.date.AddDate(0, 0, 1)))
	kv("Interval", strconv.Itoa(int(ancillaryStep/time.Second))+" s")
	kv("Source", "magpie simulate, seed "+strconv.FormatInt(w.seed, 10))
	for i := 0; i+1 < len(lines); i += 2 {
		kv(lines[i], lines[i+1])
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// writeEphemeris writes a DEFEPH-style file: GEI J2000 position and
// velocity of the spacecraft every ancillaryStep.
func (w *world) writeEphemeris(ctx context.Context, out io.Writer, d *day, c *craft, product string) error {
	err := w.ancillaryHeader(out, "DEFINITIVE EPHEMERIS", product, c, d,
		"Coordinate system", "GEI J2000 (EME2000: Earth mean equator and equinox of J2000.0), geocentric",
		"Units", "position km, velocity km/s")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(out, "%-21s %16s %16s %16s %12s %12s %12s\n", "Epoch (UTC)", "X (km)", "Y (km)", "Z (km)", "VX (km/s)", "VY (km/s)", "VZ (km/s)"); err != nil {
		return err
	}
	return w.ancillaryRows(ctx, d, func(u time.Time, t float64) error {
		p, v := w.position(c, t)
		_, err := fmt.Fprintf(out, "%-21s %16.6f %16.6f %16.6f %12.6f %12.6f %12.6f\n", fdTime(u), p[0], p[1], p[2], v[0], v[1], v[2])
		return err
	})
}

// writeAttitude writes a DEFATT-style file: spin axis right ascension and
// declination (GEI J2000), spin phase and spin rate every ancillaryStep.
func (w *world) writeAttitude(ctx context.Context, out io.Writer, d *day, c *craft, product string) error {
	err := w.ancillaryHeader(out, "DEFINITIVE ATTITUDE", product, c, d,
		"Coordinate system", "GEI J2000; spin axis = body +Z",
		"Phase reference", "spin phase = angle about +Z from N = unit(Z_GEI x Zbody) (ascending node of the spin plane) to body +X",
		"Units", "angles deg, rate deg/s")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(out, "%-21s %10s %10s %11s %12s\n", "Epoch (UTC)", "RA (deg)", "Dec (deg)", "Phase (deg)", "Rate (deg/s)"); err != nil {
		return err
	}
	return w.ancillaryRows(ctx, d, func(u time.Time, t float64) error {
		_, err := fmt.Fprintf(out, "%-21s %10.4f %10.4f %11.4f %12.6f\n", fdTime(u), c.raDeg, c.decDeg, c.spinPhaseDeg(t), c.rateDeg)
		return err
	})
}

// writeBurstMetadata writes the day's trigger quality per buffer as CSV:
// TAITIME (TAI-1958 seconds of the buffer start), CDQ (0..quality max).
func (w *world) writeBurstMetadata(ctx context.Context, out io.Writer, d *day, c *craft) error {
	if _, err := io.WriteString(out, "TAITIME,CDQ\n"); err != nil {
		return err
	}
	r := newRand(w.seed, "cdq", d.date.Unix()/86400, c.id)
	qmax := w.prof.Burst.QualityMax
	if qmax <= 0 {
		qmax = 255
	}
	var line []byte
	base := d.cdqBase()
	for i := range base {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		tai := d.taiStart + int64(d.bufFirst) + int64(i)*int64(d.bufSec)
		line = strconv.AppendInt(line[:0], tai, 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(d.cdq(c, i, base[i], 4*r.NormFloat64(), qmax)), 10)
		line = append(line, '\n')
		if _, err := out.Write(line); err != nil {
			return err
		}
	}
	return nil
}
