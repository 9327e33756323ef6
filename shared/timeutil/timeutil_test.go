package timeutil

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func TestLeapSecondTable(t *testing.T) {
	tab := LeapSeconds()
	if len(tab) != 28 {
		t.Fatalf("table has %d steps, want 28", len(tab))
	}
	if got := tab[0]; !got.Date.Equal(utc(1972, 1, 1, 0, 0, 0, 0)) || got.TAIMinusUTC != 10 {
		t.Errorf("first step = %v %d, want 1972-01-01 10", got.Date, got.TAIMinusUTC)
	}
	if got := tab[27]; !got.Date.Equal(utc(2017, 1, 1, 0, 0, 0, 0)) || got.TAIMinusUTC != 37 {
		t.Errorf("last step = %v %d, want 2017-01-01 37", got.Date, got.TAIMinusUTC)
	}
	for i := 1; i < len(tab); i++ {
		if tab[i].TAIMinusUTC != tab[i-1].TAIMinusUTC+1 {
			t.Errorf("step %d: TAI−UTC %d after %d, want +1", i, tab[i].TAIMinusUTC, tab[i-1].TAIMinusUTC)
		}
		if !tab[i].Date.After(tab[i-1].Date) {
			t.Errorf("step %d: date %v not after %v", i, tab[i].Date, tab[i-1].Date)
		}
		if d := tab[i].Date; d.Day() != 1 || (d.Month() != 1 && d.Month() != 7) || d.Hour() != 0 {
			t.Errorf("step %d: date %v is not Jan 1 or Jul 1 midnight", i, d)
		}
	}
	// The copy must not alias package state.
	tab[0].TAIMinusUTC = 99
	if LeapSeconds()[0].TAIMinusUTC != 10 {
		t.Error("LeapSeconds returned a slice aliasing the package table")
	}
	if got := LastLeapSecondDate(); got != 20170101 {
		t.Errorf("LastLeapSecondDate = %d, want 20170101", got)
	}
	if got := LastLeapSecond(); !got.Equal(utc(2017, 1, 1, 0, 0, 0, 0)) {
		t.Errorf("LastLeapSecond = %v", got)
	}
}

func TestTAIMinusUTC(t *testing.T) {
	tests := []struct {
		t    time.Time
		want int
	}{
		{utc(1972, 1, 1, 0, 0, 0, 0), 10},
		{utc(1972, 6, 30, 23, 59, 59, 999999999), 10},
		{utc(1972, 7, 1, 0, 0, 0, 0), 11},
		{utc(2000, 1, 1, 12, 0, 0, 0), 32},
		{utc(2015, 6, 12, 17, 20, 5, 0), 35},
		{utc(2015, 6, 30, 23, 59, 59, 999999999), 35},
		{utc(2015, 7, 1, 0, 0, 0, 0), 36},
		{utc(2016, 12, 31, 23, 59, 59, 0), 36},
		{utc(2017, 1, 1, 0, 0, 0, 0), 37},
		{utc(2026, 3, 1, 0, 0, 0, 0), 37},
	}
	for _, tc := range tests {
		got, err := TAIMinusUTC(tc.t)
		if err != nil || got != tc.want {
			t.Errorf("TAIMinusUTC(%v) = %d, %v; want %d", tc.t, got, err, tc.want)
		}
	}
	if _, err := TAIMinusUTC(utc(1971, 12, 31, 23, 59, 59, 0)); !errors.Is(err, ErrBefore1972) {
		t.Errorf("TAIMinusUTC(1971-12-31) error = %v, want ErrBefore1972", err)
	}
}

func TestUTCToTAICheckValues(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		tai  int64
	}{
		{"MMS check value", utc(2015, 6, 12, 17, 20, 5, 0), 1812820840},
		{"segment 1013 end", utc(2015, 6, 12, 17, 29, 55, 0), 1812821430},
		// 5113 days from 1958 to 1972, plus 10 s.
		{"start of table", utc(1972, 1, 1, 0, 0, 0, 0), 5113*86400 + 10},
		// 21550 days from 1958 to 2017, plus 37 s.
		{"2017", utc(2017, 1, 1, 0, 0, 0, 0), 21550*86400 + 37},
		{"fraction dropped", utc(2015, 6, 12, 17, 20, 5, 999999999), 1812820840},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UTCToTAI(tc.t)
			if err != nil || got != tc.tai {
				t.Fatalf("UTCToTAI(%v) = %d, %v; want %d", tc.t, got, err, tc.tai)
			}
			back, err := TAIToUTC(tc.tai)
			if err != nil || !back.Equal(tc.t.Truncate(time.Second)) {
				t.Fatalf("TAIToUTC(%d) = %v, %v; want %v", tc.tai, back, err, tc.t.Truncate(time.Second))
			}
		})
	}
}

func TestSegmentCheck(t *testing.T) {
	start, err1 := TAIToUTC(1812820840)
	end, err2 := TAIToUTC(1812821430)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if got := FormatTimetag(start) + "–" + FormatTimetag(end); got != "2015-06-12T17:20:05–2015-06-12T17:29:55" {
		t.Errorf("segment 1013 = %s", got)
	}
}

func TestTT2000CheckValues(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		tt   int64
	}{
		{"J2000 UTC", utc(2000, 1, 1, 12, 0, 0, 0), 64_184_000_000},
		// 6209.5 days after J2000, TAI−UTC 37, plus 32.184 s.
		{"2017-01-01", utc(2017, 1, 1, 0, 0, 0, 0), 536_500_869_184_000_000},
		// 5659.5 days after J2000, TAI−UTC 36.
		{"2015-07-01", utc(2015, 7, 1, 0, 0, 0, 0), 488_980_868_184_000_000},
		{"nanoseconds kept", utc(2000, 1, 1, 12, 0, 0, 123456789), 64_184_000_000 + 123_456_789},
		// TT2000 zero is 2000-01-01T11:58:55.816 UTC.
		{"TT2000 zero", utc(2000, 1, 1, 11, 58, 55, 816_000_000), 0},
		{"before TT2000 zero", utc(1999, 12, 31, 0, 0, 0, 0), -129_600*1_000_000_000 + 64_184_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UTCToTT2000(tc.t)
			if err != nil || got != tc.tt {
				t.Fatalf("UTCToTT2000(%v) = %d, %v; want %d", tc.t, got, err, tc.tt)
			}
			back, err := TT2000ToUTC(tc.tt)
			if err != nil || !back.Equal(tc.t) {
				t.Fatalf("TT2000ToUTC(%d) = %v, %v; want %v", tc.tt, back, err, tc.t)
			}
		})
	}
}

// leapCase describes the seconds around one inserted leap second.
type leapCase struct {
	name      string
	lastDay   time.Time // 23:59:59 before the leap second
	wantTT    int64     // TT2000 of that 23:59:59
	wantNames [4]string
}

var leapCases = []leapCase{
	{"2015-06-30", utc(2015, 6, 30, 23, 59, 59, 0), 488_980_866_184_000_000,
		[4]string{"2015-06-30T23:59:58", "2015-06-30T23:59:59", "2015-06-30T23:59:60", "2015-07-01T00:00:00"}},
	{"2016-12-31", utc(2016, 12, 31, 23, 59, 59, 0), 536_500_867_184_000_000,
		[4]string{"2016-12-31T23:59:58", "2016-12-31T23:59:59", "2016-12-31T23:59:60", "2017-01-01T00:00:00"}},
}

func TestTT2000AcrossLeapSeconds(t *testing.T) {
	for _, lc := range leapCases {
		t.Run(lc.name, func(t *testing.T) {
			tt, err := UTCToTT2000(lc.lastDay)
			if err != nil || tt != lc.wantTT {
				t.Fatalf("UTCToTT2000(%v) = %d, %v; want %d", lc.lastDay, tt, err, lc.wantTT)
			}
			// Consecutive TT2000 seconds: :58, :59, :60, next day :00.
			for i, want := range lc.wantNames {
				v := tt + int64(i-1)*1_000_000_000
				b, err := TT2000ToBreakdown(v)
				if err != nil || b.String() != want {
					t.Fatalf("TT2000ToBreakdown(%d) = %v, %v; want %s", v, b, err, want)
				}
				back, err := b.TT2000()
				if err != nil || back != v {
					t.Fatalf("%s.TT2000() = %d, %v; want %d", b, back, err, v)
				}
			}
			// Half a second into the leap second.
			mid := tt + 1_500_000_000
			b, err := TT2000ToBreakdown(mid)
			if err != nil || b.Second != 60 || b.Nanosecond != 500_000_000 || !b.IsLeapSecond() {
				t.Fatalf("TT2000ToBreakdown(%d) = %+v, %v; want :60.5", mid, b, err)
			}
			// time.Time cannot hold :60: it collapses onto the next day's
			// first second, so the next UTC second is one TT2000 second later.
			got, err := TT2000ToUTC(mid)
			next := lc.lastDay.Add(time.Second)
			if err != nil || !got.Equal(next.Add(500*time.Millisecond)) {
				t.Fatalf("TT2000ToUTC(%d) = %v, %v; want %v", mid, got, err, next.Add(500*time.Millisecond))
			}
			ttNext, err := UTCToTT2000(next)
			if err != nil || ttNext != tt+2_000_000_000 {
				t.Fatalf("UTCToTT2000(%v) = %d, %v; want %d (two SI seconds after 23:59:59)", next, ttNext, err, tt+2_000_000_000)
			}
		})
	}
}

func TestTAIAcrossLeapSeconds(t *testing.T) {
	for _, lc := range leapCases {
		t.Run(lc.name, func(t *testing.T) {
			tai, err := UTCToTAI(lc.lastDay)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range lc.wantNames {
				v := tai + int64(i-1)
				b, err := TAIToBreakdown(v)
				if err != nil || b.String() != want {
					t.Fatalf("TAIToBreakdown(%d) = %v, %v; want %s", v, b, err, want)
				}
				back, err := b.TAI()
				if err != nil || back != v {
					t.Fatalf("%s.TAI() = %d, %v; want %d", b, back, err, v)
				}
			}
			// The leap-second TAI value becomes the next midnight in time.Time.
			got, err := TAIToUTC(tai + 1)
			if err != nil || !got.Equal(lc.lastDay.Add(time.Second)) {
				t.Fatalf("TAIToUTC(leap) = %v, %v", got, err)
			}
			dat, err := TAIMinusUTC(lc.lastDay.Add(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := UTCToTAI(lc.lastDay.Add(time.Second)); after != tai+2 {
				t.Fatalf("UTCToTAI(next midnight) = %d, want %d (TAI−UTC now %d)", after, tai+2, dat)
			}
		})
	}
}

func TestRoundTripsProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lo := utc(1972, 1, 1, 0, 0, 0, 0).UnixNano()
	hi := utc(2262, 1, 1, 0, 0, 0, 0).UnixNano()
	for range 20000 {
		tm := time.Unix(0, lo+r.Int64N(hi-lo)).UTC()
		tt, err := UTCToTT2000(tm)
		if err != nil {
			t.Fatalf("UTCToTT2000(%v): %v", tm, err)
		}
		back, err := TT2000ToUTC(tt)
		if err != nil || !back.Equal(tm) {
			t.Fatalf("TT2000 round trip %v -> %d -> %v, %v", tm, tt, back, err)
		}
		b, err := TT2000ToBreakdown(tt)
		if err != nil || b != BreakdownOf(tm) {
			t.Fatalf("TT2000ToBreakdown(%d) = %v, %v; want %v", tt, b, err, BreakdownOf(tm))
		}
		tai, err := UTCToTAI(tm)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := TAIToUTC(tai); err != nil || !got.Equal(tm.Truncate(time.Second)) {
			t.Fatalf("TAI round trip %v -> %d -> %v, %v", tm, tai, got, err)
		}
		if got, err := TT2000ToTAI(tt); err != nil || got != tai {
			t.Fatalf("TT2000ToTAI(%d) = %d, %v; want %d", tt, got, err, tai)
		}
		if got, err := TAIToTT2000(tai); err != nil || got != tt-int64(tm.Nanosecond()) {
			t.Fatalf("TAIToTT2000(%d) = %d, %v", tai, got, err)
		}
	}
}

func TestFloatTAI(t *testing.T) {
	tm := utc(2015, 6, 12, 17, 20, 5, 250_000_000)
	f, err := UTCToTAIFloat(tm)
	if err != nil || f != 1812820840.25 {
		t.Fatalf("UTCToTAIFloat = %v, %v; want 1812820840.25", f, err)
	}
	back, err := TAIFloatToUTC(f)
	if err != nil || !back.Equal(tm) {
		t.Fatalf("TAIFloatToUTC(%v) = %v, %v; want %v", f, back, err, tm)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), -1, 1e300} {
		if _, err := TAIFloatToUTC(bad); err == nil {
			t.Errorf("TAIFloatToUTC(%v) succeeded", bad)
		}
	}
}

func TestRangeErrors(t *testing.T) {
	pre := utc(1971, 12, 31, 23, 59, 59, 0)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"UTCToTAI 1971", second(UTCToTAI(pre)), ErrBefore1972},
		{"UTCToTT2000 1971", second(UTCToTT2000(pre)), ErrBefore1972},
		{"UTCToTT2000 2300", second(UTCToTT2000(utc(2300, 1, 1, 0, 0, 0, 0))), ErrOutOfRange},
		{"UTCToTAI year 10000", second(UTCToTAI(utc(10000, 1, 1, 0, 0, 0, 0))), ErrOutOfRange},
		{"TAIToUTC 0", second(TAIToUTC(0)), ErrBefore1972},
		{"TAIToUTC just before 1972", second(TAIToUTC(5113*86400 + 9)), ErrBefore1972},
		{"TAIToUTC huge", second(TAIToUTC(math.MaxInt64)), ErrOutOfRange},
		{"TAIToBreakdown negative", second(TAIToBreakdown(-5)), ErrBefore1972},
		{"TT2000ToUTC fill", second(TT2000ToUTC(FillTT2000)), ErrFill},
		{"TT2000ToBreakdown fill", second(TT2000ToBreakdown(FillTT2000)), ErrFill},
		{"TT2000ToUTC 1960", second(TT2000ToUTC(-1_262_000_000_000_000_000)), ErrBefore1972},
		{"TT2000ToTAI 1960", second(TT2000ToTAI(-1_262_000_000_000_000_000)), ErrBefore1972},
		{"TAIToTT2000 0", second(TAIToTT2000(0)), ErrBefore1972},
		{"TAIToTT2000 far future", second(TAIToTT2000(1e12)), ErrOutOfRange},
		{"Breakdown 1971", second(Breakdown{1971, 6, 1, 0, 0, 0, 0}.TT2000()), ErrBefore1972},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	// The largest TT2000 is a valid time in 2292.
	if got, err := TT2000ToUTC(math.MaxInt64); err != nil || got.Year() != 2292 {
		t.Errorf("TT2000ToUTC(MaxInt64) = %v, %v", got, err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestBreakdownValidate(t *testing.T) {
	tests := []struct {
		b  Breakdown
		ok bool
	}{
		{Breakdown{2016, 12, 31, 23, 59, 60, 0}, true},
		{Breakdown{2015, 6, 30, 23, 59, 60, 999_999_999}, true},
		{Breakdown{1972, 6, 30, 23, 59, 60, 0}, true},
		{Breakdown{2015, 12, 31, 23, 59, 60, 0}, false}, // no leap second that day
		{Breakdown{2016, 12, 31, 23, 58, 60, 0}, false},
		{Breakdown{1971, 12, 31, 23, 59, 60, 0}, false}, // table start, not a leap
		{Breakdown{2016, 2, 29, 0, 0, 0, 0}, true},
		{Breakdown{2015, 2, 29, 0, 0, 0, 0}, false},
		{Breakdown{2000, 2, 29, 0, 0, 0, 0}, true},
		{Breakdown{2100, 2, 29, 0, 0, 0, 0}, false},
		{Breakdown{2015, 13, 1, 0, 0, 0, 0}, false},
		{Breakdown{2015, 0, 1, 0, 0, 0, 0}, false},
		{Breakdown{2015, 4, 31, 0, 0, 0, 0}, false},
		{Breakdown{2015, 4, 30, 24, 0, 0, 0}, false},
		{Breakdown{2015, 4, 30, 0, 60, 0, 0}, false},
		{Breakdown{2015, 4, 30, 0, 0, 61, 0}, false},
		{Breakdown{2015, 4, 30, 0, 0, 0, 1_000_000_000}, false},
		{Breakdown{2015, 4, 30, 0, 0, -1, 0}, false},
		{Breakdown{10000, 1, 1, 0, 0, 0, 0}, false},
	}
	for _, tc := range tests {
		err := tc.b.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tc.b, err, tc.ok)
		}
		if !tc.ok {
			if _, err := tc.b.TT2000(); err == nil {
				t.Errorf("%+v.TT2000() accepted an invalid breakdown", tc.b)
			}
		}
	}
}

func TestParseUTC(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2015-06-12 17:20:05", utc(2015, 6, 12, 17, 20, 5, 0), true},
		{"2015-06-12T17:20:05", utc(2015, 6, 12, 17, 20, 5, 0), true},
		{"2015-06-12T17:20:05.5", utc(2015, 6, 12, 17, 20, 5, 500_000_000), true},
		{"2015-06-12T17:20:05.123456789", utc(2015, 6, 12, 17, 20, 5, 123456789), true},
		{"2015-06-12T17:20:05.1234567890", time.Time{}, false},
		{"2015-06-12T17:20:05.", time.Time{}, false},
		{"2015-06-12T17:20:05Z", time.Time{}, false},
		{"2015-06-12X17:20:05", time.Time{}, false},
		{"2015-13-12 17:20:05", time.Time{}, false},
		{"2015-06-31 17:20:05", time.Time{}, false},
		{"2015-06-12 24:00:00", time.Time{}, false},
		{"2015-6-12 17:20:05", time.Time{}, false},
		{"+015-06-12 17:20:05", time.Time{}, false},
		{"2016-12-31T23:59:60", time.Time{}, false}, // leap second: ParseBreakdown only
		{"", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := ParseUTC(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseUTC(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	b, err := ParseBreakdown("2016-12-31 23:59:60.25")
	if err != nil || b != (Breakdown{2016, 12, 31, 23, 59, 60, 250_000_000}) {
		t.Errorf("ParseBreakdown(leap) = %+v, %v", b, err)
	}
	if got := b.String(); got != "2016-12-31T23:59:60.250000000" {
		t.Errorf("String() = %q", got)
	}
	if _, err := ParseBreakdown("2015-12-31 23:59:60"); err == nil {
		t.Error("ParseBreakdown accepted a non-existent leap second")
	}
	tm := utc(2015, 6, 12, 17, 20, 5, 999)
	if got := FormatUTC(tm); got != "2015-06-12 17:20:05" {
		t.Errorf("FormatUTC = %q", got)
	}
	if got := FormatTimetag(tm.In(time.FixedZone("X", 3600))); got != "2015-06-12T17:20:05" {
		t.Errorf("FormatTimetag = %q", got)
	}
}

func TestParseServiceDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2015-10-16", utc(2015, 10, 16, 0, 0, 0, 0), true},
		{"2015-10-16-08", utc(2015, 10, 16, 8, 0, 0, 0), true},
		{"2015-10-16-08-30", utc(2015, 10, 16, 8, 30, 0, 0), true},
		{"2015-10-16-08-30-53", utc(2015, 10, 16, 8, 30, 53, 0), true},
		{"2015-10-16-8", time.Time{}, false},
		{"2015-10-16T08-30-53", time.Time{}, false},
		{"2015-10-16-08:30:53", time.Time{}, false},
		{"2015-02-29", time.Time{}, false},
		{"2015-00-01", time.Time{}, false},
		{"2015-10-16-25", time.Time{}, false},
		{"2015-10-16-08-30-53-00", time.Time{}, false},
		{"20151016", time.Time{}, false},
		{"2015-1a-16", time.Time{}, false},
		{"2016-12-31-23-59-60", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := ParseServiceDate(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseServiceDate(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && len(tc.in) == 19 && FormatServiceDate(got) != tc.in {
			t.Errorf("FormatServiceDate(%v) = %q, want %q", got, FormatServiceDate(got), tc.in)
		}
	}
}

func TestCivilDays(t *testing.T) {
	// Cross-check the calendar arithmetic against the time package.
	for d := int64(-800_000); d < 3_000_000; d += 997 {
		y, m, day := civilFromDays(d)
		want := time.Unix(d*86400, 0).UTC()
		if int(y) != want.Year() || time.Month(m) != want.Month() || day != want.Day() {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %v", d, y, m, day, want)
		}
		if back := daysFromCivil(y, m, day); back != d {
			t.Fatalf("daysFromCivil(%d-%d-%d) = %d, want %d", y, m, day, back, d)
		}
	}
}

func BenchmarkUTCToTT2000(b *testing.B) {
	tm := utc(2017, 11, 24, 1, 40, 3, 123456789)
	for b.Loop() {
		if _, err := UTCToTT2000(tm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTT2000ToBreakdown(b *testing.B) {
	const tt = 564_759_672_307_456_789
	for b.Loop() {
		if _, err := TT2000ToBreakdown(tt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUTCToTAI(b *testing.B) {
	tm := utc(2015, 6, 12, 17, 20, 5, 0)
	for b.Loop() {
		if _, err := UTCToTAI(tm); err != nil {
			b.Fatal(err)
		}
	}
}
