package simulate

import (
	"fmt"
	"math"
	"time"
)

// Physical constants.
const (
	earthRadiusKm = 6371.2          // IGRF reference radius
	muEarth       = 398600.4418     // km^3/s^2
	obliquityDeg  = 23.4392911      // mean obliquity of the ecliptic at J2000
	siderealDeg   = 360.98564736629 // Earth rotation, degrees per day
)

// Orbit is the Keplerian reference orbit of the formation (GEI, J2000 mean
// equator and equinox) and the formation's size and spin. Zero fields take
// the MMS phase-1 values of DefaultOrbit.
type Orbit struct {
	PerigeeRE, ApogeeRE float64 // geocentric distances in Earth radii
	InclinationDeg      float64
	RAANDeg             float64 // right ascension of the ascending node
	ArgPerigeeDeg       float64
	// PerigeeTime is one perigee passage; the orbit is unperturbed
	// two-body motion, so all others follow from the period.
	PerigeeTime time.Time
	// SeparationKm is the edge of the tetrahedron the spacecraft fly in.
	SeparationKm float64
	// SpinRPM is the nominal spin rate (each spacecraft differs slightly).
	SpinRPM float64
}

// DefaultOrbit is an MMS phase-1-like orbit: 1.2 × 12 Earth radii, 28°
// inclination, a period just under 24 h, apogee on the dayside in autumn
// 2015, spacecraft about 25 km apart spinning at 3.1 rpm.
func DefaultOrbit() Orbit {
	return Orbit{
		PerigeeRE: 1.2, ApogeeRE: 12, InclinationDeg: 28,
		RAANDeg: 220, ArgPerigeeDeg: 160,
		PerigeeTime:  time.Date(2015, 9, 1, 3, 0, 0, 0, time.UTC),
		SeparationKm: 25, SpinRPM: 3.1,
	}
}

// withDefaults fills zero fields from DefaultOrbit and checks the rest.
func (o Orbit) withDefaults() (Orbit, error) {
	d := DefaultOrbit()
	if o.PerigeeRE == 0 && o.ApogeeRE == 0 {
		o.PerigeeRE, o.ApogeeRE = d.PerigeeRE, d.ApogeeRE
	}
	if o.InclinationDeg == 0 && o.RAANDeg == 0 && o.ArgPerigeeDeg == 0 {
		o.InclinationDeg, o.RAANDeg, o.ArgPerigeeDeg = d.InclinationDeg, d.RAANDeg, d.ArgPerigeeDeg
	}
	if o.PerigeeTime.IsZero() {
		o.PerigeeTime = d.PerigeeTime
	}
	if o.SeparationKm == 0 {
		o.SeparationKm = d.SeparationKm
	}
	if o.SpinRPM == 0 {
		o.SpinRPM = d.SpinRPM
	}
	switch {
	case !(o.PerigeeRE >= 1.01 && o.ApogeeRE >= o.PerigeeRE && o.ApogeeRE < 1000):
		return o, fmt.Errorf("orbit: need 1.01 <= perigee <= apogee < 1000 Earth radii, got %v × %v", o.PerigeeRE, o.ApogeeRE)
	case o.SeparationKm < 0 || o.SeparationKm > 10000:
		return o, fmt.Errorf("orbit: separation %v km out of range", o.SeparationKm)
	case !(o.SpinRPM > 0 && o.SpinRPM < 100):
		return o, fmt.Errorf("orbit: spin rate %v rpm out of range", o.SpinRPM)
	}
	return o, nil
}

// vec is a 3-vector.
type vec [3]float64

func (a vec) add(b vec) vec       { return vec{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a vec) sub(b vec) vec       { return vec{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a vec) scale(s float64) vec { return vec{a[0] * s, a[1] * s, a[2] * s} }
func (a vec) dot(b vec) float64   { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a vec) norm() float64       { return math.Sqrt(a.dot(a)) }
func (a vec) unit() vec           { return a.scale(1 / a.norm()) }
func (a vec) cross(b vec) vec {
	return vec{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// rotate turns a about the unit axis k by angle (Rodrigues).
func (a vec) rotate(k vec, angle float64) vec {
	s, c := math.Sincos(angle)
	return a.scale(c).add(k.cross(a).scale(s)).add(k.scale(k.dot(a) * (1 - c)))
}

// radec returns the unit vector of a right ascension and declination.
func radec(raDeg, decDeg float64) vec {
	sr, cr := math.Sincos(raDeg * math.Pi / 180)
	sd, cd := math.Sincos(decDeg * math.Pi / 180)
	return vec{cd * cr, cd * sr, sd}
}

// eclipticNorth is the ecliptic pole (GSE +Z) in GEI.
var eclipticNorth = func() vec {
	s, c := math.Sincos(obliquityDeg * math.Pi / 180)
	return vec{0, -s, c}
}()

// kepler propagates the reference orbit; times are seconds since the
// model epoch (see model.epochTAI).
type kepler struct {
	a, e, n  float64 // semi-major axis km, eccentricity, mean motion rad/s
	period   float64 // s
	tPerigee float64 // a perigee time, model seconds
	p, q     vec     // perifocal unit vectors (towards perigee, and 90° ahead)
	sqrt1mEE float64
}

func newKepler(o Orbit, tPerigee float64) kepler {
	rp, ra := o.PerigeeRE*earthRadiusKm, o.ApogeeRE*earthRadiusKm
	k := kepler{a: (rp + ra) / 2, e: (ra - rp) / (ra + rp), tPerigee: tPerigee}
	k.n = math.Sqrt(muEarth / (k.a * k.a * k.a))
	k.period = 2 * math.Pi / k.n
	k.sqrt1mEE = math.Sqrt(1 - k.e*k.e)
	deg := math.Pi / 180
	so, co := math.Sincos(o.RAANDeg * deg)
	si, ci := math.Sincos(o.InclinationDeg * deg)
	sw, cw := math.Sincos(o.ArgPerigeeDeg * deg)
	k.p = vec{co*cw - so*sw*ci, so*cw + co*sw*ci, sw * si}
	k.q = vec{-co*sw - so*cw*ci, -so*sw + co*cw*ci, cw * si}
	return k
}

// state returns position (km) and velocity (km/s) at model time t.
func (k *kepler) state(t float64) (vec, vec) {
	m := math.Mod(k.n*(t-k.tPerigee), 2*math.Pi)
	// Newton on Kepler's equation; converges to 1e-12 in a few steps.
	ea := m
	if k.e > 0.8 {
		ea = math.Pi
	}
	for range 30 {
		se, ce := math.Sincos(ea)
		d := (ea - k.e*se - m) / (1 - k.e*ce)
		ea -= d
		if math.Abs(d) < 1e-12 {
			break
		}
	}
	se, ce := math.Sincos(ea)
	x := k.a * (ce - k.e)
	y := k.a * k.sqrt1mEE * se
	r := k.a * (1 - k.e*ce)
	// Velocity from the eccentric anomaly rate.
	edot := k.n * k.a / r
	vx := -k.a * se * edot
	vy := k.a * k.sqrt1mEE * ce * edot
	return k.p.scale(x).add(k.q.scale(y)), k.p.scale(vx).add(k.q.scale(vy))
}

// apogeesNear returns the apogee times whose ±half windows overlap [t0, t1).
func (k *kepler) apogeesNear(t0, t1, half float64) []float64 {
	first := math.Floor((t0-half-k.tPerigee)/k.period - 0.5)
	var out []float64
	for i := first; ; i++ {
		ta := k.tPerigee + (i+0.5)*k.period
		if ta-half >= t1 {
			return out
		}
		if ta+half > t0 {
			out = append(out, ta)
		}
	}
}
