package quicklook

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// day is the synthetic survey day used by tests, examples and benchmarks.
var day = time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)

const (
	fgmRate   = 16           // FGM survey samples per second
	fgmPoints = 86400 * 16   // 1,382,400: one survey day per component
	fpiCad    = 4500_000_000 // FPI fast survey cadence, ns
)

// cadenceTimes returns n TT2000 times from start every step nanoseconds.
func cadenceTimes(tb testing.TB, start time.Time, step int64, n int) []int64 {
	tb.Helper()
	t0, err := timeutil.UTCToTT2000(start)
	if err != nil {
		tb.Fatal(err)
	}
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = t0 + int64(i)*step
	}
	return ts
}

// inHours reports whether TT2000 time tt lies in [from, to) hours of day.
func inHours(tt, t0 int64, from, to float64) bool {
	h := float64(tt-t0) / 3600e9
	return h >= from && h < to
}

// mmsLikeFigure builds a four-panel quick-look of a synthetic MMS day:
// FGM B GSE with a magnetopause crossing, a telemetry gap (no samples),
// a stretch of FILLVAL and one spike; FPI density, velocity, temperature.
func mmsLikeFigure(tb testing.TB) Figure {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := cadenceTimes(tb, day, 1, 1)[0]

	// FGM: drop 03:00–04:30 entirely, as when a file is missing.
	all := cadenceTimes(tb, day, 1e9/fgmRate, fgmPoints)
	ft := all[:0:0]
	for _, t := range all {
		if !inHours(t, t0, 3, 4.5) {
			ft = append(ft, t)
		}
	}
	bx, by, bz, bt := make([]float64, len(ft)), make([]float64, len(ft)), make([]float64, len(ft)), make([]float64, len(ft))
	for i, t := range ft {
		h := float64(t-t0) / 3600e9
		// Magnetosheath-like turbulence before 13:05, steady
		// magnetosphere after.
		inside := 1 / (1 + math.Exp(-(h-13.08)*40))
		wave := 6 * math.Sin(2*math.Pi*h*7) * (1 - inside)
		bx[i] = 10*math.Cos(h/4) + wave + rng.NormFloat64()*(1.5-inside)
		by[i] = -8 + 5*math.Sin(h/3) + 0.5*wave + rng.NormFloat64()*(1.5-inside)
		bz[i] = -15*(1-inside) + 45*inside + rng.NormFloat64()*(1.5-inside)
		if inHours(t, t0, 18, 18.33) {
			bx[i], by[i], bz[i] = -1e31, -1e31, -1e31 // FILLVAL, not data
		}
		bt[i] = math.Sqrt(bx[i]*bx[i] + by[i]*by[i] + bz[i]*bz[i])
		if bx[i] == -1e31 {
			bt[i] = math.NaN()
		}
	}
	spike := len(ft) / 3
	bz[spike] = 120 // a lone spike must survive decimation

	// FPI fast survey, 4.5 s cadence, with a NaN stretch 20:00–20:30.
	pt := cadenceTimes(tb, day, fpiCad, 86400e9/fpiCad)
	n, vx, vy, vz, ti, te := make([]float64, len(pt)), make([]float64, len(pt)), make([]float64, len(pt)), make([]float64, len(pt)), make([]float64, len(pt)), make([]float64, len(pt))
	for i, t := range pt {
		h := float64(t-t0) / 3600e9
		inside := 1 / (1 + math.Exp(-(h-13.08)*40))
		n[i] = math.Exp(math.Log(25)*(1-inside)+math.Log(0.4)*inside) * (1 + 0.15*rng.NormFloat64())
		vx[i] = -150*(1-inside) + 20*rng.NormFloat64()
		vy[i] = 80*(1-inside)*math.Sin(h) + 15*rng.NormFloat64()
		vz[i] = 10 * rng.NormFloat64()
		ti[i] = 300*(1-inside) + 4000*inside + 40*rng.NormFloat64()
		te[i] = 40*(1-inside) + 800*inside + 10*rng.NormFloat64()
		if inHours(t, t0, 20, 20.5) {
			n[i], vx[i], vy[i], vz[i], ti[i], te[i] = math.NaN(), math.NaN(), math.NaN(), math.NaN(), -1e31, -1e31
		}
	}
	return Figure{
		Title:    "MMS1  FGM srvy L2 / FPI fast L2  2015-10-16",
		Subtitle: "synthetic data  |  Magpie SDC quick-look",
		Start:    day,
		End:      day.Add(24 * time.Hour),
		Panels: []Panel{
			{YLabel: "B GSE [nT]", Series: []Series{
				{Label: "Bx", Times: ft, Values: bx},
				{Label: "By", Times: ft, Values: by},
				{Label: "Bz", Times: ft, Values: bz},
				{Label: "|B|", Times: ft, Values: bt},
			}},
			{YLabel: "Ni [cm^-3]", LogY: true, Series: []Series{{Label: "Ni", Times: pt, Values: n}}},
			{YLabel: "Vi GSE [km/s]", Series: []Series{
				{Label: "Vx", Times: pt, Values: vx},
				{Label: "Vy", Times: pt, Values: vy},
				{Label: "Vz", Times: pt, Values: vz},
			}},
			{YLabel: "T [eV]", LogY: true, Series: []Series{
				{Label: "Ti", Times: pt, Values: ti},
				{Label: "Te", Times: pt, Values: te},
			}},
		},
	}
}
