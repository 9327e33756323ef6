// Package timeutil converts between the time scales an SDC meets: UTC (file
// names, web services), TAI seconds since 1958 (burst data management) and
// CDF TT2000 (science files), with the leap-second table that links them.
//
// Conventions, chosen to match the MMS SDC and CDF:
//   - TAI-1958 seconds = seconds elapsed on the TAI scale since
//     1958-01-01T00:00:00 TAI, computed as the leap-second-free UTC seconds
//     since 1958-01-01 plus TAI−UTC. This is the MMS convention
//     (2015-06-12T17:20:05 UTC = 1812820840) and is exact from 1972 on.
//   - TT2000 = nanoseconds since 2000-01-01T12:00:00 TT, TT = TAI + 32.184 s.
//   - Before 1972-01-01 UTC did not tick in whole SI seconds (TAI−UTC was a
//     drifting fraction), so every conversion refuses such dates with
//     ErrBefore1972 rather than return a silently wrong value.
//   - time.Time cannot hold 23:59:60. Converting a leap second to time.Time
//     gives the next day's 00:00:00 (as POSIX time does); use Breakdown to
//     see and produce the leap second itself.
package timeutil

import (
	"errors"
	"time"
)

// LeapSecond is one step of the TAI−UTC table: from Date (00:00:00 UTC)
// onwards TAI−UTC is TAIMinusUTC seconds. The first entry (1972-01-01, 10 s)
// is the start of integer-second UTC, not an inserted leap second.
type LeapSecond struct {
	Date        time.Time
	TAIMinusUTC int
}

// ErrBefore1972 is returned for any instant before 1972-01-01T00:00:00 UTC.
var ErrBefore1972 = errors.New("time is before 1972-01-01 UTC, where TAI−UTC is not a whole number of seconds")

// ErrOutOfRange is returned when a value cannot be represented in the target
// scale (e.g. TT2000 int64 overflow outside about 1708–2292).
var ErrOutOfRange = errors.New("time out of representable range")

// leapStep is the precomputed form of one table row.
type leapStep struct {
	unix int64 // Unix seconds of the UTC midnight the step takes effect
	dat  int64 // TAI−UTC from then on
	tai  int64 // TAI-1958 seconds of that midnight
}

// unix1958 is the leap-free offset between the Unix epoch and 1958-01-01:
// 4383 days.
const unix1958 = 4383 * 86400

// leapDates lists (year, month, TAI−UTC) for every step; the step happens on
// the first day of that month. Source: IERS Bulletin C (last entry 2017-01-01;
// no further leap second had been announced when this table was written).
var leapDates = [...]struct{ y, m, dat int }{
	{1972, 1, 10}, {1972, 7, 11}, {1973, 1, 12}, {1974, 1, 13}, {1975, 1, 14},
	{1976, 1, 15}, {1977, 1, 16}, {1978, 1, 17}, {1979, 1, 18}, {1980, 1, 19},
	{1981, 7, 20}, {1982, 7, 21}, {1983, 7, 22}, {1985, 7, 23}, {1988, 1, 24},
	{1990, 1, 25}, {1991, 1, 26}, {1992, 7, 27}, {1993, 7, 28}, {1994, 7, 29},
	{1996, 1, 30}, {1997, 7, 31}, {1999, 1, 32}, {2006, 1, 33}, {2009, 1, 34},
	{2012, 7, 35}, {2015, 7, 36}, {2017, 1, 37},
}

// steps is derived once from leapDates and never modified.
var steps = func() [len(leapDates)]leapStep {
	var s [len(leapDates)]leapStep
	for i, d := range leapDates {
		u := daysFromCivil(int64(d.y), d.m, 1) * 86400
		s[i] = leapStep{unix: u, dat: int64(d.dat), tai: u + unix1958 + int64(d.dat)}
	}
	return s
}()

// LeapSeconds returns a copy of the TAI−UTC table, oldest first.
func LeapSeconds() []LeapSecond {
	out := make([]LeapSecond, len(steps))
	for i, s := range steps {
		out[i] = LeapSecond{Date: time.Unix(s.unix, 0).UTC(), TAIMinusUTC: int(s.dat)}
	}
	return out
}

// LastLeapSecond returns the date (00:00:00 UTC) the newest table entry takes
// effect: 2017-01-01.
func LastLeapSecond() time.Time {
	return time.Unix(steps[len(steps)-1].unix, 0).UTC()
}

// LastLeapSecondDate returns LastLeapSecond as the integer YYYYMMDD that CDF
// stores in the GDR's LeapSecondLastUpdated field (20170101).
func LastLeapSecondDate() int {
	y, m, d := LastLeapSecond().Date()
	return y*10000 + int(m)*100 + d
}

// TAIMinusUTC returns TAI−UTC in whole seconds at the instant t.
func TAIMinusUTC(t time.Time) (int, error) {
	dat, err := datAtUnix(t.Unix())
	return int(dat), err
}

// datAtUnix returns TAI−UTC in effect at Unix second u (leap-free UTC).
// Recent dates are the common case, so the table is scanned newest first.
func datAtUnix(u int64) (int64, error) {
	for i := len(steps) - 1; i >= 0; i-- {
		if u >= steps[i].unix {
			return steps[i].dat, nil
		}
	}
	return 0, ErrBefore1972
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm; valid for any int64-sized year we accept).
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// floorDiv returns floor(a/b) and the non-negative remainder for b > 0.
func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}
