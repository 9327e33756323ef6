package simulate

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// span is a time interval [start, end) in seconds from the day's start.
type span struct{ start, end float64 }

// day is everything shared by all spacecraft on one UTC day: time base,
// region of interest, events, and the burst segments downlinked.
type day struct {
	date     time.Time // UTC midnight
	taiStart int64     // TAI-1958 seconds at midnight
	length   float64   // SI seconds in the day (86401 with a leap second)
	t0       float64   // model time at midnight
	bufSec   float64
	bufFirst float64 // offset of the first buffer boundary (TAI multiple of bufSec)
	roi      []span
	events   []event
	segments []span // burst segments, buffer-aligned, sorted, disjoint
	buffers  int    // number of buffers starting within the day
	seed     int64
}

// event is a magnetopause-like excursion: the formation crosses a boundary
// at t1, stays in a magnetosheath-like plasma, and crosses back at t2.
type event struct {
	t1, t2   float64 // crossing times at the formation centre, day offsets
	tau      float64 // crossing duration scale, s
	normal   vec     // boundary normal (GEI)
	v1, v2   float64 // boundary speeds along the normal, km/s
	strength float64 // 0..1, ranks events and scales their trigger quality
	rotAngle float64 // field rotation about the normal, rad
	magRatio float64 // sheath/background field strength
	nSheath  float64 // cm^-3
	tSheath  float64 // eV
	flow     vec     // sheath flow, km/s
	waveAmp  float64 // nT
	wavePer  float64 // s
	waveDir  vec
}

// crossings returns a spacecraft's own crossing times: the boundary sweeps
// over the formation, so each spacecraft sees it (offset·normal)/speed
// seconds after the centre does (inbound), and before it (outbound).
func (e *event) crossings(c *craft) (float64, float64) {
	d := c.offset.dot(e.normal)
	return e.t1 + d/e.v1, e.t2 - d/e.v2
}

// bump is 1 inside the excursion, 0 outside, with tanh edges.
func bump(t, t1, t2, tau float64) float64 {
	return 0.5 * (math.Tanh((t-t1)/tau) - math.Tanh((t-t2)/tau))
}

// reach is how far from [t1, t2] an event still matters.
func (e *event) reach() (float64, float64) {
	m := 12*e.tau + 60
	return e.t1 - m, e.t2 + m
}

// planDay builds the day starting at UTC midnight date.
func (w *world) planDay(date time.Time) (*day, error) {
	start, err := timeutil.UTCToTAI(date)
	if err != nil {
		return nil, fmt.Errorf("day %s: %w", date.Format(time.DateOnly), err)
	}
	end, err := timeutil.UTCToTAI(date.AddDate(0, 0, 1))
	if err != nil {
		return nil, fmt.Errorf("day %s: %w", date.Format(time.DateOnly), err)
	}
	b := w.prof.Burst
	d := &day{date: date, taiStart: start, length: float64(end - start), t0: float64(start - w.epochTAI), bufSec: float64(b.BufferSeconds)}
	d.bufFirst = float64((int64(b.BufferSeconds) - start%int64(b.BufferSeconds)) % int64(b.BufferSeconds))

	half := w.prof.Simulation.RegionOfInterestHours * 3600 / 2
	if half > 0 {
		for _, ta := range w.kep.apogeesNear(d.t0, d.t0+d.length, half) {
			s := span{math.Max(0, ta-half-d.t0), math.Min(d.length, ta+half-d.t0)}
			if n := len(d.roi); n > 0 && s.start <= d.roi[n-1].end {
				d.roi[n-1].end = s.end // overlapping windows (ROI longer than a period)
			} else {
				d.roi = append(d.roi, s)
			}
		}
	}
	dayNumber := date.Unix() / 86400
	d.events = w.placeEvents(d, newRand(w.seed, "events", dayNumber))
	d.segments = d.burstSegments(w)

	d.buffers = int(math.Ceil((d.length - d.bufFirst) / d.bufSec))
	d.seed = w.seed
	return d, nil
}

func (d *day) inROI(o float64) bool {
	for _, s := range d.roi {
		if o >= s.start && o < s.end {
			return true
		}
	}
	return false
}

// placeEvents puts a few events in the day's region of interest, each in
// its own slot so their burst segments can never overlap or leave the day.
func (w *world) placeEvents(d *day, r *rand.Rand) []event {
	abs := w.prof.Burst.ABS
	maxSeg := float64(abs.MaxSegmentBuffers) * d.bufSec
	margin := float64(abs.PaddingBuffers+1) * d.bufSec
	durMax := maxSeg - 2*margin - d.bufSec
	if durMax < maxSeg/2 {
		durMax = maxSeg / 2
	}
	durMin := math.Min(90, durMax/2)
	clear := maxSeg/2 + d.bufSec + 60

	// The usable region of interest, as pieces kept clear of midnight.
	var pieces []span
	var total float64
	for _, s := range d.roi {
		s.start, s.end = math.Max(s.start, clear), math.Min(s.end, d.length-clear)
		if s.end > s.start {
			pieces = append(pieces, s)
			total += s.end - s.start
		}
	}
	n := 3
	if abs.MaxSegmentBuffers > 0 {
		n = max(n, (abs.TargetBuffers+abs.MaxSegmentBuffers-1)/abs.MaxSegmentBuffers)
	}
	n += r.IntN(3)
	n = min(n, int(total/(2*clear)))
	if n <= 0 {
		return nil
	}
	slot := total / float64(n)
	toTime := func(u float64) float64 {
		for _, p := range pieces {
			if u < p.end-p.start {
				return p.start + u
			}
			u -= p.end - p.start
		}
		return pieces[len(pieces)-1].end
	}
	rf := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	events := make([]event, n)
	for i := range events {
		dur := rf(durMin, durMax)
		center := toTime(float64(i)*slot + rf(clear, slot-clear))
		pos, _ := w.kep.state(d.t0 + center)
		rr := newRand(w.seed, "event", d.date.Unix()/86400, i)
		normal := tilt(rr, pos.unit(), 25)
		e := event{
			t1: center - dur/2, t2: center + dur/2,
			tau: rf(2, 8), normal: normal,
			v1: rf(20, 80), v2: rf(20, 80),
			strength: rf(0.25, 1),
			rotAngle: rf(100, 180) * math.Pi / 180,
			magRatio: rf(0.5, 1.3),
			nSheath:  rf(5, 40), tSheath: rf(100, 600),
			waveAmp: rf(1, 5), wavePer: rf(15, 60),
		}
		e.flow = perpendicular(rr, normal).scale(rf(80, 300)).add(normal.scale(rf(-20, 20)))
		e.waveDir = perpendicular(rr, normal)
		events[i] = e
	}
	return events
}

// burstSegments chooses what burst data is downlinked: one segment around
// each of the strongest events, totalling the ABS target when the events
// allow it (a stand-in for the ABS/SITL selection and the downlink).
func (d *day) burstSegments(w *world) []span {
	abs := w.prof.Burst.ABS
	margin := float64(abs.PaddingBuffers+1) * d.bufSec
	cands := make([]candidate, len(d.events))
	for i, e := range d.events {
		cands[i] = candidate{natural: int(math.Ceil((e.t2 - e.t1 + 2*margin) / d.bufSec)), strength: e.strength}
	}
	lens := chooseBurst(cands, abs.TargetBuffers, abs.MinSegmentBuffers, abs.MaxSegmentBuffers)
	var segs []span
	for i, n := range lens {
		if n == 0 {
			continue
		}
		e := d.events[i]
		dur := float64(n) * d.bufSec
		start := d.bufFirst + math.Round(((e.t1+e.t2)/2-dur/2-d.bufFirst)/d.bufSec)*d.bufSec
		segs = append(segs, span{start, start + dur})
	}
	slices.SortFunc(segs, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	return segs
}

// candidate is an event as the burst selection sees it.
type candidate struct {
	natural  int // buffers the event needs, padding included
	strength float64
}

// chooseBurst returns the buffers given to each candidate (0 = none): the
// strongest first, each clamped to [minB, maxB], the last one trimmed to
// the remaining budget (if at least minB), and any budget left over spent
// lengthening the chosen segments up to maxB, strongest first.
func chooseBurst(cands []candidate, target, minB, maxB int) []int {
	minB = max(minB, 1)
	maxB = max(maxB, minB)
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cands[b].strength, cands[a].strength) })
	lens := make([]int, len(cands))
	budget := target
	for _, i := range order {
		if budget < minB {
			break
		}
		n := min(max(cands[i].natural, minB), maxB, budget)
		lens[i] = n
		budget -= n
	}
	for _, i := range order {
		if lens[i] > 0 && budget > 0 {
			add := min(maxB-lens[i], budget)
			lens[i] += add
			budget -= add
		}
	}
	return lens
}

// cdqBase returns the quality every spacecraft shares per buffer: the
// common part of the trigger, before events and per-spacecraft noise.
func (d *day) cdqBase() []float64 {
	r := newRand(d.seed, "cdq", d.date.Unix()/86400)
	base := make([]float64, d.buffers)
	for i := range base {
		base[i] = uniform(r, 0, 8)
		if d.inROI(d.bufFirst + (float64(i)+0.5)*d.bufSec) {
			base[i] = uniform(r, 15, 40)
		}
	}
	return base
}

// cdq returns a spacecraft's trigger quality for buffer i of the day: the
// shared base, the events as this spacecraft sees them, and its own noise.
func (d *day) cdq(c *craft, i int, base, noise float64, qmax int) int {
	mid := d.bufFirst + (float64(i)+0.5)*d.bufSec
	v := base + noise
	for k := range d.events {
		e := &d.events[k]
		t1, t2 := e.crossings(c)
		v += e.strength * 215 * bump(mid, t1-30, t2+30, 15)
	}
	return int(math.Max(0, math.Min(float64(qmax), math.Round(v))))
}
