package latis

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Position is one ephemeris sample: the time and the geocentric distance.
type Position struct {
	At       time.Time
	RadiusKm float64
}

// ReadEphemeris reads a definitive-ephemeris file (DEFEPH): header lines,
// then rows "YYYY-DOY/hh:mm:ss.sss X Y Z VX VY VZ" (km, km/s). Lines that
// do not start with such a time are header lines; a row whose time parses
// but whose position does not is an error.
func ReadEphemeris(r io.Reader) ([]Position, error) {
	var out []Position
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		at, err := time.Parse("2006-002/15:04:05.000", f[0])
		if err != nil {
			continue
		}
		if len(f) < 4 {
			return nil, fmt.Errorf("ephemeris line %d: want time X Y Z, got %d fields", line, len(f))
		}
		var p [3]float64
		for i := range p {
			if p[i], err = strconv.ParseFloat(f[i+1], 64); err != nil {
				return nil, fmt.Errorf("ephemeris line %d: position: %w", line, err)
			}
		}
		out = append(out, Position{At: at.UTC(), RadiusKm: math.Sqrt(p[0]*p[0] + p[1]*p[1] + p[2]*p[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ephemeris: %w", err)
	}
	return out, nil
}

// Orbits finds the perigees and apogees of a time-ordered ephemeris (the
// samples' local minima and maxima of distance; duplicates of a time, as
// where daily files meet, are dropped) and returns the perigee, apogee and
// orbit events of spacecraft sc. Orbit n runs from perigee n to perigee
// n+1, numbered from 1 at the first perigee of the ephemeris; the
// apogees carry the number of the orbit they are in (0 before the first
// perigee).
func Orbits(sc, source string, samples []Position) []Event {
	ps := slices.Clone(samples)
	slices.SortStableFunc(ps, func(a, b Position) int { return a.At.Compare(b.At) })
	ps = slices.CompactFunc(ps, func(a, b Position) bool { return a.At.Equal(b.At) })
	var evs []Event
	var perigees []time.Time
	orbit := 0
	for i := 1; i+1 < len(ps); i++ {
		prev, cur, next := ps[i-1].RadiusKm, ps[i].RadiusKm, ps[i+1].RadiusKm
		at := ps[i].At
		switch {
		case cur < prev && cur <= next:
			orbit++
			perigees = append(perigees, at)
			evs = append(evs, Event{Start: at, End: at, Type: EventPerigee, SC: sc, Source: source,
				Description: fmt.Sprintf("perigee, %.0f km", cur), StartOrbit: orbit, EndOrbit: orbit,
				ID: EventID(EventPerigee, sc, at)})
		case cur > prev && cur >= next:
			evs = append(evs, Event{Start: at, End: at, Type: EventApogee, SC: sc, Source: source,
				Description: fmt.Sprintf("apogee, %.0f km", cur), StartOrbit: orbit, EndOrbit: orbit,
				ID: EventID(EventApogee, sc, at)})
		}
	}
	for n := 0; n+1 < len(perigees); n++ {
		evs = append(evs, Event{Start: perigees[n], End: perigees[n+1], Type: EventOrbit, SC: sc, Source: source,
			Description: fmt.Sprintf("orbit %d", n+1), StartOrbit: n + 1, EndOrbit: n + 1,
			ID: EventID(EventOrbit, sc, perigees[n])})
	}
	return evs
}

// OrbitAt returns the number of the orbit containing t given the orbit
// events (0 when none does).
func OrbitAt(orbits []Event, t time.Time) int {
	for _, o := range orbits {
		if o.Type == EventOrbit && !t.Before(o.Start) && t.Before(o.End) {
			return o.StartOrbit
		}
	}
	return 0
}

// Regions turns buffer start times (TAI-1958 s, any order) into intervals
// of contiguous buffers: a gap longer than one buffer starts a new region.
// End is the end of the last buffer.
func Regions(tais []int64, bufferSeconds int64) [][2]int64 {
	if len(tais) == 0 || bufferSeconds <= 0 {
		return nil
	}
	ts := slices.Clone(tais)
	slices.Sort(ts)
	ts = slices.Compact(ts)
	var out [][2]int64
	cur := [2]int64{ts[0], ts[0] + bufferSeconds}
	for _, t := range ts[1:] {
		if t > cur[1] {
			out = append(out, cur)
			cur = [2]int64{t, t + bufferSeconds}
			continue
		}
		cur[1] = t + bufferSeconds
	}
	return append(out, cur)
}

// EventID is a stable event id: type, spacecraft and start time.
func EventID(typ, sc string, start time.Time) string {
	return typ + "-" + sc + "-" + start.UTC().Format("20060102T150405")
}
