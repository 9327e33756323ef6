package timeutil

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// FillTT2000 is the ISTP fill value for CDF_TIME_TT2000 variables; it is no
// instant, so converting it is an error.
const FillTT2000 int64 = math.MinInt64

// ErrFill is returned when FillTT2000 is converted.
var ErrFill = errors.New("TT2000 fill value is not a time")

const (
	// tt2000TAISec and tt2000TAIFrac locate TT2000 zero on the TAI-1958 scale:
	// 2000-01-01T12:00:00 TT = 2000-01-01T11:59:27.816 TAI
	// = 15340 days + 43200 s − 32.184 s = 1325419167.816 s.
	tt2000TAISec  = 1325419167
	tt2000TAIFrac = 816_000_000 // ns

	// maxTT2000Diff bounds |tai − tt2000TAISec| so that diff·1e9 ± 1e9 fits
	// in an int64 (TT2000 covers roughly 1708–2292).
	maxTT2000Diff = math.MaxInt64/1_000_000_000 - 1
)

// maxUnix is 10000-01-01T00:00:00 UTC: every accepted instant has a
// four-digit year, which also keeps all second counts far from overflow.
var maxUnix = daysFromCivil(10000, 1, 1) * 86400

// checkUnix refuses instants before 1972 or after year 9999.
func checkUnix(u int64) error {
	if u < steps[0].unix {
		return ErrBefore1972
	}
	if u >= maxUnix {
		return ErrOutOfRange
	}
	return nil
}

// unixToTAI converts leap-free Unix seconds (a UTC instant that is not a
// leap second) to TAI-1958 seconds.
func unixToTAI(u int64) (int64, error) {
	if err := checkUnix(u); err != nil {
		return 0, err
	}
	dat, err := datAtUnix(u)
	if err != nil {
		return 0, err
	}
	return u + unix1958 + dat, nil
}

// taiToDaySec splits TAI-1958 seconds into a UTC day (days since 1970-01-01)
// and the second of that day, which is 86400 during a leap second (and
// would be higher for a multi-second step, which has never happened).
func taiToDaySec(tai int64) (day, sod int64, err error) {
	if tai < steps[0].tai {
		return 0, 0, ErrBefore1972
	}
	i := len(steps) - 1
	for tai < steps[i].tai {
		i--
	}
	u := tai - unix1958 - steps[i].dat
	if u >= maxUnix {
		return 0, 0, ErrOutOfRange
	}
	if i+1 < len(steps) && u >= steps[i+1].unix {
		// Between the last second of the old offset and the first of the
		// new one: the leap second(s) at the end of the previous UTC day.
		day, _ = floorDiv(steps[i+1].unix-1, 86400)
		return day, u - day*86400, nil
	}
	day, sod = floorDiv(u, 86400)
	return day, sod, nil
}

// UTCToTAI returns the TAI-1958 seconds of the whole second containing t
// (the sub-second part is dropped).
func UTCToTAI(t time.Time) (int64, error) {
	tai, err := unixToTAI(t.Unix())
	if err != nil {
		return 0, fmt.Errorf("UTC %s to TAI-1958: %w", t.UTC().Format(time.RFC3339Nano), err)
	}
	return tai, nil
}

// TAIToUTC converts TAI-1958 seconds to UTC. A TAI second that falls in a
// leap second (23:59:60) is returned as the next day's 00:00:00, because
// time.Time cannot represent it; TAIToBreakdown keeps it.
func TAIToUTC(tai int64) (time.Time, error) {
	day, sod, err := taiToDaySec(tai)
	if err != nil {
		return time.Time{}, fmt.Errorf("TAI-1958 %d to UTC: %w", tai, err)
	}
	return time.Unix(day*86400+sod, 0).UTC(), nil
}

// UTCToTAIFloat returns TAI-1958 seconds including the fraction of t.
// float64 keeps about 0.2 µs resolution at current epochs.
func UTCToTAIFloat(t time.Time) (float64, error) {
	tai, err := UTCToTAI(t)
	if err != nil {
		return 0, err
	}
	return float64(tai) + float64(t.Nanosecond())/1e9, nil
}

// TAIFloatToUTC is TAIToUTC for fractional TAI-1958 seconds; the fraction is
// rounded to the nearest microsecond, beyond which float64 is noise anyway.
func TAIFloatToUTC(tai float64) (time.Time, error) {
	if math.IsNaN(tai) || math.IsInf(tai, 0) || tai < 0 || tai > 1e15 {
		return time.Time{}, fmt.Errorf("TAI-1958 %v to UTC: %w", tai, ErrOutOfRange)
	}
	sec := math.Floor(tai)
	us := math.Round((tai - sec) * 1e6)
	t, err := TAIToUTC(int64(sec))
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(time.Duration(us) * time.Microsecond), nil
}

// taiToTT2000 converts TAI-1958 seconds plus nanoseconds (0..1e9-1) to TT2000.
func taiToTT2000(tai, ns int64) (int64, error) {
	diff := tai - tt2000TAISec
	if diff > maxTT2000Diff || diff < -maxTT2000Diff {
		return 0, ErrOutOfRange
	}
	return diff*1_000_000_000 + ns - tt2000TAIFrac, nil
}

// tt2000ToTAI splits TT2000 into TAI-1958 seconds and nanoseconds.
func tt2000ToTAI(tt int64) (tai, ns int64, err error) {
	if tt == FillTT2000 {
		return 0, 0, ErrFill
	}
	q, r := floorDiv(tt, 1_000_000_000)
	r += tt2000TAIFrac
	if r >= 1_000_000_000 {
		q++
		r -= 1_000_000_000
	}
	return tt2000TAISec + q, r, nil
}

// UTCToTT2000 converts a UTC instant to CDF TT2000 nanoseconds.
func UTCToTT2000(t time.Time) (int64, error) {
	tai, err := unixToTAI(t.Unix())
	if err == nil {
		var tt int64
		if tt, err = taiToTT2000(tai, int64(t.Nanosecond())); err == nil {
			return tt, nil
		}
	}
	return 0, fmt.Errorf("UTC %s to TT2000: %w", t.UTC().Format(time.RFC3339Nano), err)
}

// TT2000ToUTC converts CDF TT2000 nanoseconds to UTC. An instant inside a
// leap second maps into the next day's first second (see TAIToUTC); use
// TT2000ToBreakdown to keep 23:59:60.
func TT2000ToUTC(tt int64) (time.Time, error) {
	tai, ns, err := tt2000ToTAI(tt)
	if err != nil {
		return time.Time{}, fmt.Errorf("TT2000 %d to UTC: %w", tt, err)
	}
	day, sod, err := taiToDaySec(tai)
	if err != nil {
		return time.Time{}, fmt.Errorf("TT2000 %d to UTC: %w", tt, err)
	}
	return time.Unix(day*86400+sod, ns).UTC(), nil
}

// TAIToTT2000 converts whole TAI-1958 seconds to TT2000.
func TAIToTT2000(tai int64) (int64, error) {
	if tai < steps[0].tai {
		return 0, fmt.Errorf("TAI-1958 %d to TT2000: %w", tai, ErrBefore1972)
	}
	tt, err := taiToTT2000(tai, 0)
	if err != nil {
		return 0, fmt.Errorf("TAI-1958 %d to TT2000: %w", tai, err)
	}
	return tt, nil
}

// TT2000ToTAI converts TT2000 to whole TAI-1958 seconds (fraction dropped).
func TT2000ToTAI(tt int64) (int64, error) {
	tai, _, err := tt2000ToTAI(tt)
	if err == nil && tai < steps[0].tai {
		err = ErrBefore1972
	}
	if err != nil {
		return 0, fmt.Errorf("TT2000 %d to TAI-1958: %w", tt, err)
	}
	return tai, nil
}
