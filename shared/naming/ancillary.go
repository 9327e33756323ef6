package naming

import (
	"fmt"
	"strings"
	"time"
)

// MaxAncillaryVersion is the largest accepted .Vnn number.
const MaxAncillaryVersion = 999

// Ancillary is a parsed ancillary (flight dynamics) file name:
//
//	<SC>_<PRODUCT>_<YYYYDOY>_<YYYYDOY>.V<nn>
//
// e.g. MMS1_DEFEPH_2015144_2015145.V00, or MMS_DEFQ_2015144_2015145.V01 for
// a constellation-level product. SC and Product keep the name's upper case.
type Ancillary struct {
	SC      string    // "MMS1", or "MMS" for the constellation
	Product string    // "DEFEPH", "DEFATT", "PREDATT", "DEFQ", ...
	Start   time.Time // UTC midnight of the start day
	End     time.Time // UTC midnight of the end day (>= Start)
	Version int       // nn; the highest wins
}

// Kind returns KindAncillary.
func (Ancillary) Kind() Kind { return KindAncillary }

// SCID returns the lower-case spacecraft id used in queries ("mms1", "mms").
func (a Ancillary) SCID() string { return strings.ToLower(a.SC) }

// ProductCode returns the lower-case product code used in queries ("defeph").
func (a Ancillary) ProductCode() string { return strings.ToLower(a.Product) }

// ParseAncillary parses an ancillary file name. The name is upper case; SC
// and product are upper-case alphanumeric (which products exist is the
// mission profile's business); dates are year + day of year; the version is
// two digits (three from V100 up).
func ParseAncillary(name string) (Ancillary, error) {
	a, reason := parseAncillary(name)
	if reason != "" {
		return Ancillary{}, nameErr(KindAncillary, name, "%s", reason)
	}
	return a, nil
}

const ancillaryShape = "want <SC>_<PRODUCT>_<YYYYDOY>_<YYYYDOY>.V<nn>"

func parseAncillary(name string) (Ancillary, string) {
	if name == "" {
		return Ancillary{}, "empty name"
	}
	if len(name) > MaxNameLength {
		return Ancillary{}, fmt.Sprintf("longer than %d characters", MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' {
			return Ancillary{}, "ancillary file names are upper case"
		}
		if !isUpperAlnum(c) && c != '_' && c != '.' {
			return Ancillary{}, fmt.Sprintf("character %q not allowed (A-Z, 0-9, '_', '.')", c)
		}
	}
	dot := strings.IndexByte(name, '.')
	if dot < 0 || strings.Count(name, ".") != 1 || dot+1 >= len(name) || name[dot+1] != 'V' {
		return Ancillary{}, "missing .V<nn> version suffix; " + ancillaryShape
	}
	var a Ancillary
	var reason string
	if a.Version, reason = parseAncillaryVersion(name[dot+2:]); reason != "" {
		return Ancillary{}, reason
	}
	f := strings.Split(name[:dot], "_")
	if len(f) != 4 {
		return Ancillary{}, fmt.Sprintf("%d '_'-separated fields, need 4; %s", len(f), ancillaryShape)
	}
	if f[0] == "" || f[1] == "" {
		return Ancillary{}, "empty spacecraft or product field; " + ancillaryShape
	}
	a.SC, a.Product = f[0], f[1]
	if a.Start, reason = parseYearDOY("start", f[2]); reason != "" {
		return Ancillary{}, reason
	}
	if a.End, reason = parseYearDOY("end", f[3]); reason != "" {
		return Ancillary{}, reason
	}
	if a.End.Before(a.Start) {
		return Ancillary{}, fmt.Sprintf("end date %s is before start date %s", f[3], f[2])
	}
	return a, ""
}

func parseAncillaryVersion(s string) (int, string) {
	v, ok := atoiFixed(s)
	switch {
	case !ok || len(s) < 2:
		return 0, fmt.Sprintf("version V%s must be at least two digits", s)
	case len(s) > 3:
		return 0, fmt.Sprintf("version V%.12s exceeds %d", s, MaxAncillaryVersion)
	case len(s) == 3 && s[0] == '0':
		return 0, fmt.Sprintf("version V%s has a superfluous leading zero", s)
	}
	return v, ""
}

// parseYearDOY parses YYYYDOY (day of year 001..365, or 366 in leap years).
func parseYearDOY(which, s string) (time.Time, string) {
	if len(s) != 7 {
		return time.Time{}, fmt.Sprintf("%s date %q must be 7 digits YYYYDOY", which, s)
	}
	y, ok1 := atoiFixed(s[:4])
	doy, ok2 := atoiFixed(s[4:])
	if !ok1 || !ok2 {
		return time.Time{}, fmt.Sprintf("%s date %q must be 7 digits YYYYDOY", which, s)
	}
	days := 365
	if daysIn(y, 2) == 29 {
		days = 366
	}
	if doy < 1 || doy > days {
		return time.Time{}, fmt.Sprintf("%s date %q: day of year %d out of range 1..%d", which, s, doy, days)
	}
	return time.Date(y, 1, doy, 0, 0, 0, 0, time.UTC), ""
}

func appendYearDOY(b []byte, t time.Time) []byte {
	t = t.UTC()
	b = appendPad(b, t.Year(), 4)
	return appendPad(b, t.YearDay(), 3)
}

// String formats the file name; for a parsed name it is the input exactly.
func (a Ancillary) String() string {
	b := make([]byte, 0, 40)
	b = append(b, a.SC...)
	b = append(b, '_')
	b = append(b, a.Product...)
	b = append(b, '_')
	b = appendYearDOY(b, a.Start)
	b = append(b, '_')
	b = appendYearDOY(b, a.End)
	b = append(b, ".V"...)
	b = appendPad(b, a.Version, 2)
	return string(b)
}

// ArchiveKey returns ancillary/<scid>/<product code>/YYYY/<name>: lower-case
// folders like the science layout, the start year as the only time level
// (a few files per product and day), and the name itself unchanged.
func (a Ancillary) ArchiveKey() string {
	b := make([]byte, 0, 80)
	b = append(b, "ancillary/"...)
	b = append(b, a.SCID()...)
	b = append(b, '/')
	b = append(b, a.ProductCode()...)
	b = append(b, '/')
	b = appendPad(b, a.Start.UTC().Year(), 4)
	b = append(b, '/')
	b = append(b, a.String()...)
	return string(b)
}

// Validate checks a constructed Ancillary: it must format to a name that
// parses back to the same value (so dates are whole UTC days).
func (a Ancillary) Validate() error {
	name := a.String()
	if a.Version < 0 || a.Version > MaxAncillaryVersion {
		return nameErr(KindAncillary, name, "version %d out of range 0..%d", a.Version, MaxAncillaryVersion)
	}
	if y := a.End.UTC().Year(); y > 9999 || a.Start.UTC().Year() < 0 {
		return nameErr(KindAncillary, name, "dates must have 4-digit years")
	}
	p, err := ParseAncillary(name)
	if err != nil {
		return err
	}
	if p.SC != a.SC || p.Product != a.Product || p.Version != a.Version {
		return nameErr(KindAncillary, name, "fields do not survive formatting (a field contains '_'?)")
	}
	if !p.Start.Equal(a.Start) || !p.End.Equal(a.End) {
		return nameErr(KindAncillary, name, "start and end must be UTC midnights")
	}
	return nil
}
