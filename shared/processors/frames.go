package processors

import (
	"math"
)

type vec3 [3]float64

func (a vec3) dot(b vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a vec3) cross(b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func (a vec3) scale(s float64) vec3 { return vec3{a[0] * s, a[1] * s, a[2] * s} }
func (a vec3) add(b vec3) vec3      { return vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a vec3) norm() float64        { return math.Sqrt(a.dot(a)) }
func (a vec3) unit() vec3           { return a.scale(1 / a.norm()) }

const deg = math.Pi / 180

// spinFrame is the despun frame of one attitude row: spin axis Z, N the
// ascending node of the spin plane on the GEI equator, M = Z × N (GEI).
type spinFrame struct{ n, m, z vec3 }

func newSpinFrame(raDeg, decDeg float64) spinFrame {
	sr, cr := math.Sincos(raDeg * deg)
	sd, cd := math.Sincos(decDeg * deg)
	z := vec3{cd * cr, cd * sr, sd}
	n := vec3{0, 0, 1}.cross(z).unit()
	return spinFrame{n: n, m: z.cross(n), z: z}
}

// toGEI expresses despun components (N, M, Z) in GEI.
func (f spinFrame) toGEI(v vec3) vec3 {
	return f.n.scale(v[0]).add(f.m.scale(v[1])).add(f.z.scale(v[2]))
}

// despin turns body-frame components at spin phase phi (radians) into the
// despun (N, M, Z) frame: B_N = Bx cos φ − By sin φ, B_M = Bx sin φ + By cos φ.
func despin(bx, by, bz, phi float64) vec3 {
	s, c := math.Sincos(phi)
	return vec3{bx*c - by*s, bx*s + by*c, bz}
}

// obliquityJ2000 is the mean obliquity of the ecliptic at J2000, degrees.
const obliquityJ2000 = 23.439291

// gseAxes returns the GSE axes in GEI J2000 at TT2000 time tt: X towards
// the Sun, Z the ecliptic north pole, Y = Z × X. The Sun's ecliptic
// longitude is the Astronomical Almanac's low-precision formula (about
// 0.01°), referred to the J2000 equinox by removing general precession.
func gseAxes(tt int64) (x, y, z vec3) {
	d := float64(tt) / 86400e9 // days from J2000 (TT; the difference to UT is negligible here)
	l := 280.460 + 0.9856474*d
	g := (357.528 + 0.9856003*d) * deg
	lambda := l + 1.915*math.Sin(g) + 0.020*math.Sin(2*g)
	lambda -= 1.396971 * d / 36525 // precession of the equinox since J2000
	se, ce := math.Sincos(obliquityJ2000 * deg)
	sl, cl := math.Sincos(lambda * deg)
	x = vec3{cl, ce * sl, se * sl}
	z = vec3{0, -se, ce}
	return x, z.cross(x), z
}

// gseRotation interpolates the GEI→GSE rotation between nodes a fixed step
// apart: the Sun moves 0.04° a minute, so linear interpolation of the axes
// between one-minute nodes is exact to better than 1e-7.
type gseRotation struct {
	t0, step int64
	nodes    [][3]vec3
}

func newGSERotation(t0, t1 int64) *gseRotation {
	const step = 60e9
	r := &gseRotation{t0: t0, step: step}
	for t := t0; ; t += step {
		x, y, z := gseAxes(t)
		r.nodes = append(r.nodes, [3]vec3{x, y, z})
		if t > t1 && len(r.nodes) >= 2 {
			break
		}
	}
	return r
}

// apply rotates a GEI vector at time tt into GSE.
func (r *gseRotation) apply(tt int64, v vec3) vec3 {
	f := float64(tt-r.t0) / float64(r.step)
	i := int(math.Floor(f))
	i = max(0, min(i, len(r.nodes)-2))
	w := f - float64(i)
	a, b := r.nodes[i], r.nodes[i+1]
	var out vec3
	for k := range 3 {
		axis := a[k].scale(1 - w).add(b[k].scale(w))
		out[k] = v.dot(axis)
	}
	return out
}
