package catalog

import (
	"testing"
	"time"
)

// parseUTC gives time.Parse's result for what it accepts, and declines
// (leaving it to time.Parse) what it does not.
func TestParseUTCMatchesTimeParse(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"2015-10-16T00:00:00Z", true},
		{"2026-01-01T00:00:01.5Z", true},
		{"2026-01-01T23:59:59.123456789Z", true},
		{"2024-02-29T12:00:00Z", true},
		{"0001-01-01T00:00:00Z", true},
		{"2023-02-29T12:00:00Z", false}, // no such day
		{"2026-13-01T00:00:00Z", false},
		{"2026-01-01T24:00:00Z", false},
		{"2026-01-01T00:00:60Z", false},
		{"2026-01-01T00:00:00.Z", false},
		{"2026-01-01T00:00:00.1234567890Z", false},
		{"2026-01-01T00:00:00+01:00", false},
		{"2026-01-01 00:00:00Z", false},
		{"2026-1-01T00:00:00Z", false},
		{"+026-01-01T00:00:00Z", false},
		{"", false},
	} {
		got, ok := parseUTC(c.in)
		if ok != c.ok {
			t.Errorf("parseUTC(%q) ok = %v, want %v", c.in, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := time.Parse(time.RFC3339Nano, c.in)
		if err != nil || got != want {
			t.Errorf("parseUTC(%q) = %v, time.Parse = %v, %v", c.in, got, want, err)
		}
	}
}

func FuzzParseUTC(f *testing.F) {
	f.Add("2015-10-16T00:00:00Z")
	f.Add("2026-01-01T23:59:59.123456789Z")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseUTC(s)
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || got != want {
			t.Fatalf("parseUTC(%q) = %v, time.Parse = %v, %v", s, got, want, err)
		}
	})
}
