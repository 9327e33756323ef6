package timeutil

import (
	"fmt"
	"time"
)

// Breakdown is a UTC calendar time whose Second may be 60, so that the leap
// second 23:59:60 (which time.Time cannot hold) is represented exactly.
type Breakdown struct {
	Year       int
	Month      time.Month
	Day        int
	Hour       int
	Minute     int
	Second     int // 0..59, or 60 during a leap second
	Nanosecond int // 0..999,999,999
}

// BreakdownOf returns the UTC calendar fields of t (never a leap second).
func BreakdownOf(t time.Time) Breakdown {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return Breakdown{y, mo, d, h, mi, s, t.Nanosecond()}
}

// IsLeapSecond reports whether b is inside an inserted leap second.
func (b Breakdown) IsLeapSecond() bool { return b.Second == 60 }

// Time converts b to time.Time. A leap second becomes the following day's
// 00:00:00 plus the nanoseconds (POSIX convention), since time.Time cannot
// hold 23:59:60. Call Validate first for untrusted input.
func (b Breakdown) Time() time.Time {
	return time.Date(b.Year, b.Month, b.Day, b.Hour, b.Minute, b.Second, b.Nanosecond, time.UTC)
}

// String formats b as YYYY-MM-DDThh:mm:ss, followed by .nnnnnnnnn when the
// nanoseconds are not zero.
func (b Breakdown) String() string {
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", b.Year, int(b.Month), b.Day, b.Hour, b.Minute, b.Second)
	if b.Nanosecond != 0 {
		s += fmt.Sprintf(".%09d", b.Nanosecond)
	}
	return s
}

// Validate checks every field's range, including that second 60 occurs only
// at 23:59 on a day that really ended with a leap second.
func (b Breakdown) Validate() error {
	switch {
	case b.Year < 0 || b.Year > 9999:
		return fmt.Errorf("year %d out of range 0..9999", b.Year)
	case b.Month < 1 || b.Month > 12:
		return fmt.Errorf("month %d out of range 1..12", int(b.Month))
	case b.Day < 1 || b.Day > DaysIn(b.Year, b.Month):
		return fmt.Errorf("day %d out of range 1..%d for %04d-%02d", b.Day, DaysIn(b.Year, b.Month), b.Year, int(b.Month))
	case b.Hour < 0 || b.Hour > 23:
		return fmt.Errorf("hour %d out of range 0..23", b.Hour)
	case b.Minute < 0 || b.Minute > 59:
		return fmt.Errorf("minute %d out of range 0..59", b.Minute)
	case b.Second < 0 || b.Second > 60:
		return fmt.Errorf("second %d out of range 0..60", b.Second)
	case b.Nanosecond < 0 || b.Nanosecond > 999_999_999:
		return fmt.Errorf("nanosecond %d out of range 0..999999999", b.Nanosecond)
	}
	if b.Second == 60 && !(b.Hour == 23 && b.Minute == 59 && endsWithLeapSecond(b.dayNumber())) {
		return fmt.Errorf("%04d-%02d-%02dT%02d:%02d:60 is not a leap second", b.Year, int(b.Month), b.Day, b.Hour, b.Minute)
	}
	return nil
}

// DaysIn returns the number of days in month m of year y (Gregorian).
func DaysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// dayNumber returns b's date as days since 1970-01-01.
func (b Breakdown) dayNumber() int64 {
	return daysFromCivil(int64(b.Year), int(b.Month), b.Day)
}

// endsWithLeapSecond reports whether UTC day `day` (days since 1970) ended
// with an inserted second, i.e. the next midnight is a table step other
// than the 1972-01-01 start of the table.
func endsWithLeapSecond(day int64) bool {
	next := (day + 1) * 86400
	for _, s := range steps[1:] {
		if s.unix == next {
			return true
		}
	}
	return false
}

// TAI returns the TAI-1958 seconds of b's whole second (nanoseconds dropped).
func (b Breakdown) TAI() (int64, error) {
	tai, err := b.tai()
	if err != nil {
		return 0, fmt.Errorf("UTC %s to TAI-1958: %w", b, err)
	}
	return tai, nil
}

func (b Breakdown) tai() (int64, error) {
	if err := b.Validate(); err != nil {
		return 0, err
	}
	dayStart := b.dayNumber() * 86400
	sod := int64(b.Hour*3600 + b.Minute*60 + b.Second)
	// During 23:59:60 the old offset still applies: look it up at 23:59:59.
	probe := dayStart + min(sod, 86399)
	if err := checkUnix(probe); err != nil {
		return 0, err
	}
	dat, err := datAtUnix(probe)
	if err != nil {
		return 0, err
	}
	return dayStart + sod + unix1958 + dat, nil
}

// TT2000 returns b as CDF TT2000 nanoseconds.
func (b Breakdown) TT2000() (int64, error) {
	tai, err := b.tai()
	if err == nil {
		var tt int64
		if tt, err = taiToTT2000(tai, int64(b.Nanosecond)); err == nil {
			return tt, nil
		}
	}
	return 0, fmt.Errorf("UTC %s to TT2000: %w", b, err)
}

// TAIToBreakdown converts TAI-1958 seconds to UTC fields, with Second = 60
// inside a leap second.
func TAIToBreakdown(tai int64) (Breakdown, error) {
	b, err := taiBreakdown(tai, 0)
	if err != nil {
		return Breakdown{}, fmt.Errorf("TAI-1958 %d to UTC: %w", tai, err)
	}
	return b, nil
}

// TT2000ToBreakdown converts CDF TT2000 nanoseconds to UTC fields, with
// Second = 60 inside a leap second.
func TT2000ToBreakdown(tt int64) (Breakdown, error) {
	tai, ns, err := tt2000ToTAI(tt)
	if err == nil {
		var b Breakdown
		if b, err = taiBreakdown(tai, ns); err == nil {
			return b, nil
		}
	}
	return Breakdown{}, fmt.Errorf("TT2000 %d to UTC: %w", tt, err)
}

func taiBreakdown(tai, ns int64) (Breakdown, error) {
	day, sod, err := taiToDaySec(tai)
	if err != nil {
		return Breakdown{}, err
	}
	y, m, d := civilFromDays(day)
	b := Breakdown{Year: int(y), Month: time.Month(m), Day: d, Nanosecond: int(ns)}
	if sod >= 86400 {
		b.Hour, b.Minute, b.Second = 23, 59, int(sod-86400)+60
	} else {
		b.Hour, b.Minute, b.Second = int(sod/3600), int(sod%3600/60), int(sod%60)
	}
	return b, nil
}
