package naming

import (
	"fmt"
	"strings"
	"time"
)

// Science is a parsed science (or L0 / quick-look) file name:
//
//	<sc>_<instr>_<rate>_<level>[_<descriptor>]_<tstart>_v<X>.<Y>.<Z>.<ext>
//
// e.g. mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf.
type Science struct {
	SC         string // e.g. "mms1"
	Instrument string // e.g. "fgm", "epd-eis"
	Rate       string // data rate mode, e.g. "srvy", "brst"
	Level      string // e.g. "l0", "l1a", "l2"
	Descriptor string // optional, e.g. "dis-moms", "177"
	Start      time.Time
	TimeDigits int // 8 (YYYYMMDD) or 14 (YYYYMMDDhhmmss)
	Version    Version
	Ext        string // e.g. "cdf", "dat", "png"
}

// Product identifies a science product independently of time and version;
// it is comparable, so usable as a map key.
type Product struct {
	SC, Instrument, Rate, Level, Descriptor string
}

// Product returns the product the file belongs to.
func (s Science) Product() Product {
	return Product{s.SC, s.Instrument, s.Rate, s.Level, s.Descriptor}
}

// String returns "<sc>_<instr>_<rate>_<level>[_<descriptor>]".
func (p Product) String() string {
	parts := []string{p.SC, p.Instrument, p.Rate, p.Level}
	if p.Descriptor != "" {
		parts = append(parts, p.Descriptor)
	}
	return strings.Join(parts, "_")
}

// ArchivePrefix returns "<sc>/<instr>/<rate>/<level>[/<descriptor>]/", the
// folder under which all of the product's files are archived.
func (p Product) ArchivePrefix() string {
	parts := []string{p.SC, p.Instrument, p.Rate, p.Level}
	if p.Descriptor != "" {
		parts = append(parts, p.Descriptor)
	}
	return strings.Join(parts, "/") + "/"
}

// ParseProduct parses the Product.String form (4 or 5 '_'-separated fields).
func ParseProduct(s string) (Product, error) {
	f := strings.Split(s, "_")
	if len(f) != 4 && len(f) != 5 {
		return Product{}, fmt.Errorf("product %q: want <sc>_<instr>_<rate>_<level>[_<descriptor>]: %w", s, ErrInvalidName)
	}
	p := Product{SC: f[0], Instrument: f[1], Rate: f[2], Level: f[3]}
	if len(f) == 5 {
		p.Descriptor = f[4]
	}
	if reason := p.check(); reason != "" {
		return Product{}, fmt.Errorf("product %q: %s: %w", s, reason, ErrInvalidName)
	}
	return p, nil
}

// check returns why the product fields are malformed, or "".
func (p Product) check() string {
	if r := checkToken("spacecraft", p.SC); r != "" {
		return r
	}
	if r := checkHyphenated("instrument", p.Instrument); r != "" {
		return r
	}
	if r := checkToken("data rate", p.Rate); r != "" {
		return r
	}
	if r := checkToken("level", p.Level); r != "" {
		return r
	}
	if p.Descriptor != "" {
		return checkHyphenated("descriptor", p.Descriptor)
	}
	return ""
}

// Kind returns KindScience.
func (Science) Kind() Kind { return KindScience }

// ParseScience parses a science file name. Names are lower case; instrument
// and descriptor may contain inner hyphens; tstart has 8 or 14 digits and
// must be a real UTC date/time; the extension is any lower-case alphanumeric.
func ParseScience(name string) (Science, error) {
	s, reason := parseScience(name)
	if reason != "" {
		return Science{}, nameErr(KindScience, name, "%s", reason)
	}
	return s, nil
}

const scienceShape = "want <sc>_<instr>_<rate>_<level>[_<descriptor>]_<tstart>_v<X>.<Y>.<Z>.<ext>"

func parseScience(name string) (Science, string) {
	if name == "" {
		return Science{}, "empty name"
	}
	if len(name) > MaxNameLength {
		return Science{}, fmt.Sprintf("longer than %d characters", MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			return Science{}, "science file names are lower case"
		}
		if !isLowerAlnum(c) && c != '_' && c != '-' && c != '.' {
			return Science{}, fmt.Sprintf("character %q not allowed (a-z, 0-9, '_', '-', '.')", c)
		}
	}
	var f [7]string
	n := 0
	for rest := name; ; n++ {
		i := strings.IndexByte(rest, '_')
		if n == len(f) || i < 0 {
			if n < len(f) {
				f[n] = rest
			}
			n++
			break
		}
		f[n], rest = rest[:i], rest[i+1:]
	}
	if n != 6 && n != 7 {
		if n > 7 {
			return Science{}, "more than 7 '_'-separated fields; " + scienceShape
		}
		return Science{}, fmt.Sprintf("%d '_'-separated fields, need 6 or 7; %s", n, scienceShape)
	}
	s := Science{SC: f[0], Instrument: f[1], Rate: f[2], Level: f[3]}
	if n == 7 {
		if f[4] == "" {
			return Science{}, "empty descriptor field"
		}
		s.Descriptor = f[4]
	}
	if r := s.Product().check(); r != "" {
		return Science{}, r
	}
	var reason string
	if s.Start, s.TimeDigits, reason = parseTimeTag(f[n-2]); reason != "" {
		return Science{}, reason
	}
	if s.Version, s.Ext, reason = parseVersionExt(f[n-1]); reason != "" {
		return Science{}, reason
	}
	return s, ""
}

// parseTimeTag parses YYYYMMDD or YYYYMMDDhhmmss as a UTC time.
func parseTimeTag(tag string) (time.Time, int, string) {
	if len(tag) != 8 && len(tag) != 14 {
		return time.Time{}, 0, fmt.Sprintf("time tag %q must be 8 (YYYYMMDD) or 14 (YYYYMMDDhhmmss) digits", tag)
	}
	var v [6]int
	for i := 0; i*2+4 <= len(tag); i++ {
		lo, hi := i*2+2, i*2+4
		if i == 0 {
			lo = 0
		}
		n, ok := atoiFixed(tag[lo:hi])
		if !ok {
			return time.Time{}, 0, fmt.Sprintf("time tag %q must be all digits", tag)
		}
		v[i] = n
	}
	// v[0] is the year (digits 0-3), v[1..5] month..second (2 digits each).
	y, mo, d, h, mi, sec := v[0], v[1], v[2], v[3], v[4], v[5]
	switch {
	case mo < 1 || mo > 12:
		return time.Time{}, 0, fmt.Sprintf("time tag %q: month %d out of range 1..12", tag, mo)
	case d < 1 || d > daysIn(y, mo):
		return time.Time{}, 0, fmt.Sprintf("time tag %q: day %d out of range 1..%d", tag, d, daysIn(y, mo))
	case h > 23:
		return time.Time{}, 0, fmt.Sprintf("time tag %q: hour %d out of range 0..23", tag, h)
	case mi > 59:
		return time.Time{}, 0, fmt.Sprintf("time tag %q: minute %d out of range 0..59", tag, mi)
	case sec > 59:
		return time.Time{}, 0, fmt.Sprintf("time tag %q: second %d out of range 0..59", tag, sec)
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), len(tag), ""
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseVersionExt parses the last field "v<X>.<Y>.<Z>.<ext>".
func parseVersionExt(f string) (Version, string, string) {
	if len(f) < 2 || f[0] != 'v' {
		return Version{}, "", fmt.Sprintf("last field %q must be v<X>.<Y>.<Z>.<ext> (missing version?)", f)
	}
	dot := strings.LastIndexByte(f, '.')
	if dot < 0 || strings.Count(f, ".") != 3 {
		return Version{}, "", fmt.Sprintf("last field %q must be v<X>.<Y>.<Z>.<ext>", f)
	}
	v, reason := parseVersion(f[1:dot])
	if reason != "" {
		return Version{}, "", reason
	}
	ext := f[dot+1:]
	if r := checkExt(ext); r != "" {
		return Version{}, "", r
	}
	return v, ext, ""
}

// TimeTag returns the name's time field: YYYYMMDD, or YYYYMMDDhhmmss when
// TimeDigits is 14.
func (s Science) TimeTag() string { return string(s.appendTimeTag(nil)) }

func (s Science) appendTimeTag(b []byte) []byte {
	t := s.Start.UTC()
	y, mo, d := t.Date()
	b = appendPad(b, y, 4)
	b = appendPad(b, int(mo), 2)
	b = appendPad(b, d, 2)
	if s.TimeDigits == 14 {
		h, mi, sec := t.Clock()
		b = appendPad(b, h, 2)
		b = appendPad(b, mi, 2)
		b = appendPad(b, sec, 2)
	}
	return b
}

// String formats the file name; for a parsed name it is the input exactly.
// A constructed value should pass Validate first.
func (s Science) String() string {
	b := make([]byte, 0, 64)
	b = append(b, s.SC...)
	b = append(b, '_')
	b = append(b, s.Instrument...)
	b = append(b, '_')
	b = append(b, s.Rate...)
	b = append(b, '_')
	b = append(b, s.Level...)
	if s.Descriptor != "" {
		b = append(b, '_')
		b = append(b, s.Descriptor...)
	}
	b = append(b, '_')
	b = s.appendTimeTag(b)
	b = append(b, "_v"...)
	b = s.Version.appendTo(b)
	b = append(b, '.')
	b = append(b, s.Ext...)
	return string(b)
}

// ArchiveKey returns <sc>/<instr>/<rate>/<level>[/<descriptor>]/YYYY/MM/<name>,
// with an extra DD/ level when the rate is "brst". That is the SDC layout
// and every client's local mirror (pySPEDAS and IDL SPEDAS add the day only
// for brst; e.g. FPI fast files have 14-digit tags but no day folder).
func (s Science) ArchiveKey() string {
	t := s.Start.UTC()
	y, mo, d := t.Date()
	b := make([]byte, 0, 128)
	b = append(b, s.Product().ArchivePrefix()...)
	b = appendPad(b, y, 4)
	b = append(b, '/')
	b = appendPad(b, int(mo), 2)
	b = append(b, '/')
	if s.Rate == "brst" {
		b = appendPad(b, d, 2)
		b = append(b, '/')
	}
	b = append(b, s.String()...)
	return string(b)
}

// Validate checks a constructed Science: every field well-formed, a time
// that the tag can express exactly, and a name that parses back to the
// same value.
func (s Science) Validate() error {
	name := s.String()
	if s.TimeDigits != 8 && s.TimeDigits != 14 {
		return nameErr(KindScience, name, "TimeDigits is %d, want 8 or 14", s.TimeDigits)
	}
	if !s.Version.Valid() {
		return nameErr(KindScience, name, "version components must be 0..%d", MaxVersionComponent)
	}
	if y := s.Start.UTC().Year(); y < 0 || y > 9999 {
		return nameErr(KindScience, name, "start year %d does not fit 4 digits", y)
	}
	p, err := ParseScience(name)
	if err != nil {
		return err
	}
	if !p.Start.Equal(s.Start) {
		return nameErr(KindScience, name, "start %s is finer than a %d-digit time tag", s.Start.UTC().Format(time.RFC3339Nano), s.TimeDigits)
	}
	if p.Product() != s.Product() || p.Version != s.Version || p.Ext != s.Ext {
		return nameErr(KindScience, name, "fields do not survive formatting (a field contains '_' or '.'?)")
	}
	return nil
}
