package timeutil

import (
	"fmt"
	"time"
)

// Layouts of the UTC strings the MMS SDC exchanges (time.Format syntax).
const (
	// LayoutUTC is the LaTiS CSV form, e.g. CREATETIME "2015-06-12 17:20:05".
	LayoutUTC = "2006-01-02 15:04:05"
	// LayoutTimetag is the file_info form of timetag and modified_date,
	// e.g. "2015-10-16T00:00:00".
	LayoutTimetag = "2006-01-02T15:04:05"
	// LayoutServiceDate is the longest web-service date form and the time
	// in selection file names, e.g. "2015-10-16-08-30-53".
	LayoutServiceDate = "2006-01-02-15-04-05"
)

// FormatUTC formats t in UTC as "YYYY-MM-DD hh:mm:ss" (fraction dropped).
func FormatUTC(t time.Time) string { return t.UTC().Format(LayoutUTC) }

// FormatTimetag formats t in UTC as "YYYY-MM-DDThh:mm:ss" (fraction dropped).
func FormatTimetag(t time.Time) string { return t.UTC().Format(LayoutTimetag) }

// FormatServiceDate formats t in UTC as "YYYY-MM-DD-hh-mm-ss".
func FormatServiceDate(t time.Time) string { return t.UTC().Format(LayoutServiceDate) }

// ParseBreakdown parses "YYYY-MM-DD hh:mm:ss" or "YYYY-MM-DDThh:mm:ss", each
// optionally followed by '.' and 1 to 9 fraction digits. Second 60 is
// accepted only on a real leap second.
func ParseBreakdown(s string) (Breakdown, error) {
	var b Breakdown
	if len(s) < 19 || s[10] != ' ' && s[10] != 'T' || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return b, fmt.Errorf("parse UTC %q: want YYYY-MM-DD hh:mm:ss or YYYY-MM-DDThh:mm:ss", s)
	}
	fields := [...]struct {
		at, n int
		dst   *int
	}{{0, 4, &b.Year}, {5, 2, nil}, {8, 2, &b.Day}, {11, 2, &b.Hour}, {14, 2, &b.Minute}, {17, 2, &b.Second}}
	for _, f := range fields {
		v, ok := digits(s[f.at : f.at+f.n])
		if !ok {
			return Breakdown{}, fmt.Errorf("parse UTC %q: %q is not a %d-digit number", s, s[f.at:f.at+f.n], f.n)
		}
		if f.dst == nil {
			b.Month = time.Month(v)
		} else {
			*f.dst = v
		}
	}
	if rest := s[19:]; rest != "" {
		frac := rest[1:]
		if rest[0] != '.' || len(frac) < 1 || len(frac) > 9 {
			return Breakdown{}, fmt.Errorf("parse UTC %q: trailing %q is not a fraction of 1 to 9 digits", s, rest)
		}
		v, ok := digits(frac)
		if !ok {
			return Breakdown{}, fmt.Errorf("parse UTC %q: fraction %q is not digits", s, frac)
		}
		for i := len(frac); i < 9; i++ {
			v *= 10
		}
		b.Nanosecond = v
	}
	if err := b.Validate(); err != nil {
		return Breakdown{}, fmt.Errorf("parse UTC %q: %w", s, err)
	}
	return b, nil
}

// ParseUTC parses the forms ParseBreakdown accepts into a time.Time in UTC.
// A leap second (…23:59:60) is an error here because time.Time cannot hold
// it; use ParseBreakdown for such values.
func ParseUTC(s string) (time.Time, error) {
	b, err := ParseBreakdown(s)
	if err != nil {
		return time.Time{}, err
	}
	if b.IsLeapSecond() {
		return time.Time{}, fmt.Errorf("parse UTC %q: leap second cannot be held in time.Time; use ParseBreakdown", s)
	}
	return b.Time(), nil
}

// ParseServiceDate parses a web-service date: "YYYY-MM-DD", "YYYY-MM-DD-hh",
// "YYYY-MM-DD-hh-mm" or "YYYY-MM-DD-hh-mm-ss"; missing fields are zero.
// (The reference lists the first, second and last forms; the minute-only
// form follows the same rule and is accepted for symmetry.)
func ParseServiceDate(s string) (time.Time, error) {
	n := len(s)
	if n != 10 && n != 13 && n != 16 && n != 19 {
		return time.Time{}, fmt.Errorf("parse date %q: want YYYY-MM-DD, YYYY-MM-DD-hh or YYYY-MM-DD-hh-mm-ss", s)
	}
	var v [6]int
	for i, at := range [...]int{0, 5, 8, 11, 14, 17} {
		w := 2
		if i == 0 {
			w = 4
		}
		if at >= n {
			break
		}
		if at > 0 && s[at-1] != '-' {
			return time.Time{}, fmt.Errorf("parse date %q: want '-' at position %d", s, at)
		}
		d, ok := digits(s[at : at+w])
		if !ok {
			return time.Time{}, fmt.Errorf("parse date %q: %q is not a %d-digit number", s, s[at:at+w], w)
		}
		v[i] = d
	}
	b := Breakdown{Year: v[0], Month: time.Month(v[1]), Day: v[2], Hour: v[3], Minute: v[4], Second: v[5]}
	if err := b.Validate(); err != nil {
		return time.Time{}, fmt.Errorf("parse date %q: %w", s, err)
	}
	if b.IsLeapSecond() {
		return time.Time{}, fmt.Errorf("parse date %q: leap second cannot be held in time.Time", s)
	}
	return b.Time(), nil
}

// digits parses s as an unsigned decimal made only of ASCII digits (no sign,
// no spaces); at most 9 digits so the result cannot overflow.
func digits(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
