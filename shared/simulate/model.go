package simulate

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// Field and plasma model constants: an order-of-magnitude magnetosphere,
// enough for plots and processing chains to look right.
const (
	dipoleNT      = 29900 // equatorial surface field of the dipole
	dipoleLatDeg  = 80.65 // geographic latitude of the geomagnetic north pole (IGRF 2015)
	dipoleLonDeg  = -72.68
	compressionNT = 20 // dayside compression field added far from Earth
)

// world is the deterministic model behind one simulation: orbit, formation,
// attitude, background field and plasma. Everything is a pure function of
// the seed and absolute time, so a day simulated alone is byte-identical
// to the same day simulated within a longer run.
type world struct {
	prof     *mission.Profile
	seed     int64
	orbit    Orbit
	kep      kepler
	epochTAI int64   // model time 0, TAI-1958 seconds
	tJ2000   float64 // model time of 2000-01-01T12:00 UTC (for sidereal time)
	craft    []craft // by profile spacecraft index
	waves    [3]wave
}

// craft is one spacecraft's fixed properties.
type craft struct {
	id     string
	number int // 1-based, the packet's spacecraft number
	offset vec // position relative to the reference orbit, km (GEI)
	// Attitude: spin axis (body +Z) in GEI, stored as the rounded RA/Dec
	// the DEFATT file prints so the files describe the data exactly.
	raDeg, decDeg float64
	axis          vec // body +Z
	node          vec // N: ascending node of the spin plane on the GEI equator
	nodeM         vec // Z × N, completes the despun frame
	phase0Deg     float64
	rateDeg       float64 // spin rate, degrees per second
	cal           Calibration
}

// wave is one background ULF wave.
type wave struct {
	amp, period, phase float64
	dir                vec
}

// newRand returns a generator seeded from the run seed and labels, so every
// stream (a file's noise, a day's events) is independent and reproducible.
func newRand(seed int64, labels ...any) *rand.Rand {
	h := fnv.New128a()
	binary.Write(h, binary.BigEndian, seed) //nolint:errcheck // hash writes cannot fail
	for _, l := range labels {
		fmt.Fprint(h, "|", l)
	}
	s := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:])))
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// randomUnit returns a uniformly distributed unit vector.
func randomUnit(r *rand.Rand) vec {
	z := uniform(r, -1, 1)
	s, c := math.Sincos(uniform(r, 0, 2*math.Pi))
	q := math.Sqrt(1 - z*z)
	return vec{q * c, q * s, z}
}

// perpendicular returns a unit vector perpendicular to unit u, random.
func perpendicular(r *rand.Rand, u vec) vec {
	for {
		p := randomUnit(r)
		c := p.sub(u.scale(p.dot(u)))
		if n := c.norm(); n > 0.1 {
			return c.scale(1 / n)
		}
	}
}

// tilt returns unit u turned by a random angle up to maxDeg.
func tilt(r *rand.Rand, u vec, maxDeg float64) vec {
	return u.rotate(perpendicular(r, u), uniform(r, 0, maxDeg)*math.Pi/180).unit()
}

func newWorld(p *mission.Profile, seed int64, o Orbit) (*world, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	epoch := o.PerigeeTime.UTC().Truncate(time.Second)
	epochTAI, err := timeutil.UTCToTAI(epoch)
	if err != nil {
		return nil, fmt.Errorf("orbit perigee time: %w", err)
	}
	j2000, err := timeutil.UTCToTAI(time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	w := &world{prof: p, seed: seed, orbit: o, epochTAI: epochTAI, tJ2000: float64(j2000 - epochTAI)}
	w.kep = newKepler(o, o.PerigeeTime.Sub(epoch).Seconds())

	// The formation: a regular tetrahedron (more spacecraft get random
	// positions at the same distance), randomly oriented per seed.
	r := newRand(seed, "formation")
	tetra := []vec{{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}}
	axis, angle := randomUnit(r), uniform(r, 0, 2*math.Pi)
	// Circumradius of a tetrahedron with edge s is s·sqrt(6)/4; the
	// vertices above have circumradius sqrt(3).
	radius := o.SeparationKm * math.Sqrt(6) / 4
	for i, id := range p.Spacecraft {
		d := randomUnit(r)
		if i < len(tetra) {
			d = tetra[i].unit().rotate(axis, angle)
		}
		c := craft{id: id, number: i + 1, offset: d.scale(radius), cal: FGMCalibration(i + 1)}
		a := newRand(seed, "attitude", id)
		spin := tilt(a, eclipticNorth, 2)
		c.raDeg = roundTo(math.Mod(math.Atan2(spin[1], spin[0])*180/math.Pi+360, 360), 4)
		c.decDeg = roundTo(math.Asin(spin[2])*180/math.Pi, 4)
		c.axis = radec(c.raDeg, c.decDeg)
		c.node = vec{0, 0, 1}.cross(c.axis).unit()
		c.nodeM = c.axis.cross(c.node)
		c.phase0Deg = roundTo(uniform(a, 0, 360), 4)
		c.rateDeg = roundTo(o.SpinRPM*6*(1+0.003*float64(i%5-2)), 6)
		w.craft = append(w.craft, c)
	}
	wr := newRand(seed, "waves")
	for i := range w.waves {
		w.waves[i] = wave{amp: uniform(wr, 0.3, 1.5), period: uniform(wr, 40, 400), phase: uniform(wr, 0, 2*math.Pi), dir: randomUnit(wr)}
	}
	return w, nil
}

func roundTo(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// smoothstep rises from 0 at x<=0 to 1 at x>=1.
func smoothstep(x float64) float64 {
	x = math.Max(0, math.Min(1, x))
	return x * x * (3 - 2*x)
}

// outer is 0 inside 5 Earth radii and 1 beyond 10: how "outer
// magnetosphere" a place is.
func outer(rKm float64) float64 { return smoothstep((rKm/earthRadiusKm - 5) / 5) }

// position returns a spacecraft's GEI position and velocity at model time t.
func (w *world) position(c *craft, t float64) (vec, vec) {
	p, v := w.kep.state(t)
	return p.add(c.offset), v
}

// dipoleAxis returns the geomagnetic north pole direction (GEI) at model
// time t and its time derivative: the dipole turns with the Earth.
func (w *world) dipoleAxis(t float64) (vec, vec) {
	rate := siderealDeg / 86400 * math.Pi / 180
	theta := (280.46061837 + siderealDeg*(t-w.tJ2000)/86400 + dipoleLonDeg) * math.Pi / 180
	sl, cl := math.Sincos(dipoleLatDeg * math.Pi / 180)
	st, ct := math.Sincos(math.Mod(theta, 2*math.Pi))
	return vec{cl * ct, cl * st, sl}, vec{-cl * st * rate, cl * ct * rate, 0}
}

// backgroundB is the quiet field at pos and model time t given the dipole
// axis m: a dipole, a compression field far out, and ULF waves.
func (w *world) backgroundB(pos, m vec, t float64) vec {
	r := pos.norm()
	u := pos.scale(1 / r)
	q := earthRadiusKm / r
	b := u.scale(3 * m.dot(u)).sub(m).scale(-dipoleNT * q * q * q)
	o := outer(r)
	b = b.add(eclipticNorth.scale(compressionNT * o))
	for i := range w.waves {
		wv := &w.waves[i]
		b = b.add(wv.dir.scale(o * wv.amp * math.Sin(2*math.Pi*t/wv.period+wv.phase)))
	}
	return b
}

// cursor evaluates the slowly varying geometry of one spacecraft at a run
// of increasing times cheaply: it solves the orbit, the Earth's rotation
// and the spin phase exactly at a base time and extends them by a Taylor
// series for up to cursorReach seconds (errors far below a picotesla).
type cursor struct {
	w         *world
	c         *craft
	t0        float64 // model time of day offset 0
	base      float64 // day offset of the expansion point; NaN = none
	p, v, a   vec     // position, velocity, acceleration at base
	m, mdot   vec     // dipole axis and its rate at base
	phaseBase float64 // spin phase at base, degrees in [0, 360)
}

const cursorReach = 4.0

func newCursor(w *world, c *craft, d *day) *cursor {
	return &cursor{w: w, c: c, t0: d.t0, base: math.NaN()}
}

// at returns the position and dipole axis at day offset o, and the spin
// phase in radians.
func (cu *cursor) at(o float64) (pos, m vec, phase float64) {
	dt := o - cu.base
	if !(dt >= 0 && dt < cursorReach) {
		t := cu.t0 + o
		cu.base, dt = o, 0
		cu.p, cu.v = cu.w.position(cu.c, t)
		r := cu.p.norm()
		cu.a = cu.p.scale(-muEarth / (r * r * r))
		cu.m, cu.mdot = cu.w.dipoleAxis(t)
		cu.phaseBase = cu.c.spinPhaseDeg(t)
	}
	pos = cu.p.add(cu.v.scale(dt)).add(cu.a.scale(dt * dt / 2))
	m = cu.m.add(cu.mdot.scale(dt))
	phase = (cu.phaseBase + cu.c.rateDeg*dt) * math.Pi / 180
	return pos, m, phase
}

// plasma is the ion moments at a point: density cm^-3, velocity km/s
// (GEI), temperature eV.
type plasma struct {
	n, t float64
	v    vec
}

// backgroundPlasma: a plasmasphere near Earth, hot tenuous plasma far out.
func (w *world) backgroundPlasma(pos vec, t float64) plasma {
	r := pos.norm()
	q := earthRadiusKm / r
	o := outer(r)
	p := plasma{n: 0.8 + 2000*q*q*q*q, t: 2 + 4000*o}
	for i := range w.waves {
		wv := &w.waves[i]
		p.v = p.v.add(wv.dir.cross(eclipticNorth).scale(8 * o * math.Sin(2*math.Pi*t/wv.period+wv.phase+1)))
	}
	return p
}

// spinPhaseDeg is the phase in degrees in [0, 360).
func (c *craft) spinPhaseDeg(t float64) float64 {
	d := math.Mod(c.phase0Deg+c.rateDeg*t, 360)
	if d < 0 {
		d += 360
	}
	return d
}

// toBody expresses a GEI vector in the body frame at spin phase (rad).
func (c *craft) toBody(v vec, phase float64) vec {
	s, co := math.Sincos(phase)
	x := c.node.scale(co).add(c.nodeM.scale(s))
	y := c.nodeM.scale(co).sub(c.node.scale(s))
	return vec{v.dot(x), v.dot(y), v.dot(c.axis)}
}

// toDespun expresses a GEI vector in the despun frame (N, Z×N, Z).
func (c *craft) toDespun(v vec) vec {
	return vec{v.dot(c.node), v.dot(c.nodeM), v.dot(c.axis)}
}

// Calibration is the nominal FGM transfer function of one spacecraft:
// counts = round(Gain·B) + Offset per body axis, B in nT.
type Calibration struct {
	Gain   [3]float64 // counts per nT
	Offset [3]float64 // counts
}

// NominalGain is the FGM scale before per-axis deviations, counts per nT.
const NominalGain = 64

// FGMCalibration returns the nominal calibration of spacecraft number n
// (1-based): gains within ±1.2 % of NominalGain and offsets of up to ±160
// counts (±2.5 nT), different per axis and spacecraft, the numbers an L1B
// calibration file should hold.
func FGMCalibration(n int) Calibration {
	var c Calibration
	for a := range 3 {
		c.Gain[a] = NominalGain * (1 + 0.004*float64((3*n+2*a)%7-3))
		c.Offset[a] = float64((5*n+3*a)%9-4) * 40
	}
	return c
}

// Counts converts a body-frame field in nT to raw counts.
func (c Calibration) Counts(b [3]float64) [3]int32 {
	var out [3]int32
	for a := range 3 {
		out[a] = clampInt32(math.Round(c.Gain[a]*b[a]) + c.Offset[a])
	}
	return out
}

// Field converts raw counts back to nT (the L1B calibration).
func (c Calibration) Field(counts [3]int32) [3]float64 {
	var out [3]float64
	for a := range 3 {
		out[a] = (float64(counts[a]) - c.Offset[a]) / c.Gain[a]
	}
	return out
}

func clampInt32(x float64) int32 {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt32:
		return math.MaxInt32
	case x <= math.MinInt32:
		return math.MinInt32
	}
	return int32(x)
}
