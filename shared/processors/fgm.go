package processors

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// FlagNoAttitude marks samples no attitude row covers (GSE left as fill).
const FlagNoAttitude uint8 = 1 << 2

var fgmProduct = product{
	instrumentLabel: "FGM>Fluxgate Magnetometer",
	instrumentType:  "Magnetic Fields (space)",
	piName:          "C.T. Russell, W. Magnes, R. Torbert",
	piAffil:         "UCLA, IWF, UNH",
}

func fgmDesc(level, rate, what string) product {
	p := fgmProduct
	p.description = fmt.Sprintf("%s Fluxgate Magnetometer %s Data", levelNames[level], rateNames[rate])
	p.text = []string{"MMS fluxgate magnetometer " + what + "."}
	return p
}

// outputKeys splits a planned output's product into sc, rate and level.
func outputKeys(o pipeline.PlannedOutput) (sc, rate, level string) {
	f := strings.Split(o.Product, "_")
	return f[0], f[2], f[3]
}

// bounds converts the manifest's partition to TT2000 (end 0: open).
func bounds(m *pipeline.Manifest) (int64, int64, error) {
	if m.Partition == pipeline.PartitionSegment {
		return math.MinInt64, 0, nil
	}
	start, err := timeutil.UTCToTT2000(m.Start)
	if err != nil {
		return 0, 0, err
	}
	end, err := timeutil.UTCToTT2000(m.End)
	return start, end, err
}

// fgmL1A decommutates FGM L0 packets: raw counts in the spinning body
// frame (BCS), TT2000 times and quality flags.
func fgmL1A(p *mission.Profile) pipeline.BuiltinFunc {
	return func(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
		var om pipeline.OutputManifest
		o, err := m.Output("cdf")
		if err != nil {
			return om, err
		}
		sc, rate, level := outputKeys(o)
		tel, err := readL0(p, m, "fgm", "", rate, 3)
		if err != nil {
			return om, err
		}
		om.Counters = tel.counters()
		if len(tel.times) == 0 {
			return om, fmt.Errorf("fgm l1a: no valid %s samples in the L0 input (%d damaged stretches)", rate, tel.badPackets)
		}
		w := newCDF(m, o, fgmDesc(level, rate, "raw counts in the spinning body frame, decommutated from telemetry"))
		epochVar(w, "Epoch", tel.times, "Time tags of the FGM samples, TT2000")
		name := fmt.Sprintf("%s_fgm_raw_%s_%s", sc, rate, level)
		w.Variable(name, cdf.Int4, []int{3}, true).Append(tel.values).
			Attr("CATDESC", "Raw magnetic field counts in the spinning body frame (BCS), X Y Z").
			Attr("FIELDNAM", "Raw B BCS").Attr("DEPEND_0", "Epoch").Attr("UNITS", "counts").Attr("VAR_TYPE", "data").
			Attr("DISPLAY_TYPE", "time_series").Attr("FILLVAL", int32(math.MinInt32)).Attr("VALIDMIN", int32(math.MinInt32+1)).
			Attr("VALIDMAX", int32(math.MaxInt32)).Attr("FORMAT", "I11").Attr("LABL_PTR_1", "label_raw_bcs")
		labelVar(w, "label_raw_bcs", []string{"X BCS", "Y BCS", "Z BCS"})
		flagVar(w, fmt.Sprintf("%s_fgm_flag_%s_%s", sc, rate, level), tel.flags, "Epoch")
		return om, finishCDF(w, m, o, &om)
	}
}

func readL0(p *mission.Profile, m *pipeline.Manifest, instrument, descriptor, rate string, k int) (*telemetry, error) {
	in, err := m.OneInput("l0")
	if err != nil {
		return nil, err
	}
	spec, err := specFor(p, instrument, descriptor, rate, m.SpacecraftNumber, k)
	if err != nil {
		return nil, err
	}
	if spec.start, spec.end, err = bounds(m); err != nil {
		return nil, err
	}
	return decodeL0(in.Path, spec)
}

// fgmL1B calibrates L1A counts to nT in the body frame with the
// calibration file in force (an ingested, versioned input).
func fgmL1B(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, level := outputKeys(o)
	calIn, err := m.OneInput("cal")
	if err != nil {
		return om, err
	}
	cal, err := ReadCalibration(calIn.Path)
	if err != nil {
		return om, err
	}
	in, err := m.OneInput("l1a")
	if err != nil {
		return om, err
	}
	c, err := openColumns(in.Path)
	if err != nil {
		return om, err
	}
	defer c.Close()
	times := c.Int64s("Epoch")
	raw := c.Int32s(fmt.Sprintf("%s_fgm_raw_%s_l1a", sc, rate))
	flags := c.Uint8s(fmt.Sprintf("%s_fgm_flag_%s_l1a", sc, rate))
	if err := c.Err(); err != nil {
		return om, err
	}
	if len(raw) != 3*len(times) || len(flags) != len(times) {
		return om, fmt.Errorf("fgm l1b: %s: variables disagree on the record count", in.FileName)
	}
	b := make([]float32, 4*len(times))
	for i := range times {
		var sum float64
		for a := range 3 {
			v := cal.field(a, raw[3*i+a])
			b[4*i+a] = float32(v)
			sum += v * v
		}
		b[4*i+3] = float32(math.Sqrt(sum))
		if flags[i]&FlagSaturated != 0 {
			for a := range 4 {
				b[4*i+a] = float32(cdf.FillReal)
			}
		}
	}
	om.Counters = map[string]int64{"samples": int64(len(times))}
	w := newCDF(m, o, fgmDesc(level, rate, "field in nT in the spinning body frame, calibrated with "+calIn.FileName))
	epochVar(w, "Epoch", times, "Time tags of the FGM samples, TT2000")
	realVar(w, fmt.Sprintf("%s_fgm_b_bcs_%s_%s", sc, rate, level), []int{4}, b, "Epoch", "nT",
		"Magnetic field in the spinning body frame (BCS): X, Y, Z and magnitude", "label_b_bcs", "B BCS", -70000, 70000)
	labelVar(w, "label_b_bcs", []string{"Bx BCS", "By BCS", "Bz BCS", "Bt"})
	flagVar(w, fmt.Sprintf("%s_fgm_flag_%s_%s", sc, rate, level), flags, "Epoch")
	return om, finishCDF(w, m, o, &om)
}

// attitude is a parsed DEFATT file with one despun frame per row.
type attitude struct {
	tab    *ancillaryTable
	frames []spinFrame
}

func readAttitude(path string) (*attitude, error) {
	tab, err := readAncillary(path, 4) // RA, Dec, phase, rate
	if err != nil {
		return nil, err
	}
	a := &attitude{tab: tab}
	for i := range tab.times {
		a.frames = append(a.frames, newSpinFrame(tab.cols[0][i], tab.cols[1][i]))
	}
	return a, nil
}

// covers reports whether tt is within the attitude (up to one row beyond
// the last, which the spin model extrapolates exactly).
func (a *attitude) covers(tt int64) bool {
	n := len(a.tab.times)
	return tt >= a.tab.times[0] && tt <= a.tab.times[n-1]+(a.tab.times[n-1]-a.tab.times[max(0, n-2)])
}

// phase returns the spin phase (radians) at tt from row i at or before it.
func (a *attitude) phase(i int, tt int64) float64 {
	dt := float64(tt-a.tab.times[i]) / 1e9
	return math.Mod(a.tab.cols[2][i]+a.tab.cols[3][i]*dt, 360) * deg
}

// fgmL2 despins the L1B field with the definitive attitude and rotates it
// into GSE; the ephemeris gives the spacecraft position in GSE.
func fgmL2(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, level := outputKeys(o)
	in, err := m.OneInput("l1b")
	if err != nil {
		return om, err
	}
	attIn, err := m.OneInput("att")
	if err != nil {
		return om, err
	}
	att, err := readAttitude(attIn.Path)
	if err != nil {
		return om, err
	}
	c, err := openColumns(in.Path)
	if err != nil {
		return om, err
	}
	defer c.Close()
	times := c.Int64s("Epoch")
	bcs := c.Float32s(fmt.Sprintf("%s_fgm_b_bcs_%s_l1b", sc, rate))
	flags := c.Uint8s(fmt.Sprintf("%s_fgm_flag_%s_l1b", sc, rate))
	if err := c.Err(); err != nil {
		return om, err
	}
	n := len(times)
	if len(bcs) != 4*n || len(flags) != n || n == 0 {
		return om, fmt.Errorf("fgm l2: %s: empty or inconsistent variables", in.FileName)
	}
	gse := make([]float32, 4*n)
	dmpa := make([]float32, 4*n)
	rot := newGSERotation(times[0], times[n-1])
	row, noAtt := 0, int64(0)
	const fill = float32(cdf.FillReal)
	for i, tt := range times {
		b := bcs[4*i : 4*i+4]
		if b[0] == fill || !att.covers(tt) {
			if !att.covers(tt) {
				flags[i] |= FlagNoAttitude
				noAtt++
			}
			copy(gse[4*i:4*i+4], []float32{fill, fill, fill, fill})
			copy(dmpa[4*i:4*i+4], []float32{fill, fill, fill, fill})
			continue
		}
		row = att.tab.row(tt, row)
		d := despin(float64(b[0]), float64(b[1]), float64(b[2]), att.phase(row, tt))
		g := rot.apply(tt, att.frames[row].toGEI(d))
		for a := range 3 {
			gse[4*i+a] = float32(g[a])
			dmpa[4*i+a] = float32(d[a])
		}
		gse[4*i+3], dmpa[4*i+3] = b[3], b[3]
	}
	om.Counters = map[string]int64{"samples": int64(n), "samples_without_attitude": noAtt}

	w := newCDF(m, o, fgmDesc(level, rate, "field in nT in GSE and despun (DMPA-like) coordinates, despun with "+attIn.FileName))
	epochVar(w, "Epoch", times, "Time tags of the FGM samples, TT2000")
	realVar(w, fmt.Sprintf("%s_fgm_b_gse_%s_%s", sc, rate, level), []int{4}, gse, "Epoch", "nT",
		"Magnetic field in GSE: X, Y, Z and magnitude", "label_b_gse", "B GSE", -70000, 70000)
	labelVar(w, "label_b_gse", []string{"Bx GSE", "By GSE", "Bz GSE", "Bt"})
	realVar(w, fmt.Sprintf("%s_fgm_b_dmpa_%s_%s", sc, rate, level), []int{4}, dmpa, "Epoch", "nT",
		"Magnetic field in the despun frame (N, Z x N, spin axis Z): components and magnitude", "label_b_dmpa", "B DMPA", -70000, 70000)
	labelVar(w, "label_b_dmpa", []string{"Bx DMPA", "By DMPA", "Bz DMPA", "Bt"})
	flagVar(w, fmt.Sprintf("%s_fgm_flag_%s_%s", sc, rate, level), flags, "Epoch")
	if ephIn := m.Input("eph"); len(ephIn) == 1 {
		st, r, err := positionGSE(ephIn[0].Path, times[0], times[n-1])
		if err != nil {
			return om, err
		}
		epochVar(w, "Epoch_state", st, "Time tags of the spacecraft state, TT2000")
		realVar(w, fmt.Sprintf("%s_fgm_r_gse_%s_%s", sc, rate, level), []int{4}, r, "Epoch_state", "km",
			"Spacecraft position in GSE: X, Y, Z and distance from Earth's centre", "label_r_gse", "R GSE", -1e6, 1e6)
		labelVar(w, "label_r_gse", []string{"X GSE", "Y GSE", "Z GSE", "R"})
	}
	return om, finishCDF(w, m, o, &om)
}

// positionGSE returns the ephemeris rows within [t0, t1] (padded by one
// row each side) as GSE positions and distance.
func positionGSE(path string, t0, t1 int64) ([]int64, []float32, error) {
	eph, err := readAncillary(path, 6)
	if err != nil {
		return nil, nil, err
	}
	var times []int64
	var r []float32
	for i, tt := range eph.times {
		if (i+1 < len(eph.times) && eph.times[i+1] < t0) || (i > 0 && eph.times[i-1] > t1) {
			continue
		}
		x, y, z := gseAxes(tt)
		p := vec3{eph.cols[0][i], eph.cols[1][i], eph.cols[2][i]}
		times = append(times, tt)
		r = append(r, float32(p.dot(x)), float32(p.dot(y)), float32(p.dot(z)), float32(p.norm()))
	}
	return times, r, nil
}

// fgmSITL is the fast-latency product for burst selection: straight from
// L0 with the calibration in force, 1-s averages of the quantities that need
// no attitude, |B| and B along the spin axis.
func fgmSITL(p *mission.Profile) pipeline.BuiltinFunc {
	return func(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
		var om pipeline.OutputManifest
		o, err := m.Output("cdf")
		if err != nil {
			return om, err
		}
		sc, rate, level := outputKeys(o)
		calIn, err := m.OneInput("cal")
		if err != nil {
			return om, err
		}
		cal, err := ReadCalibration(calIn.Path)
		if err != nil {
			return om, err
		}
		tel, err := readL0(p, m, "fgm", "", rate, 3)
		if err != nil {
			return om, err
		}
		om.Counters = tel.counters()
		avg := newAverager(1e9, 2)
		for i, tt := range tel.times {
			if tel.flags[i]&FlagSaturated != 0 {
				continue
			}
			var b [3]float64
			for a := range 3 {
				b[a] = cal.field(a, tel.values[3*i+a])
			}
			avg.add(tt, math.Sqrt(b[0]*b[0]+b[1]*b[1]+b[2]*b[2]), b[2])
		}
		times, vals := avg.result()
		if len(times) == 0 {
			return om, fmt.Errorf("fgm sitl: no valid samples")
		}
		bt, bz := make([]float32, len(times)), make([]float32, len(times))
		for i := range times {
			bt[i], bz[i] = float32(vals[2*i]), float32(vals[2*i+1])
		}
		w := newCDF(m, o, fgmDesc(level, rate, "fast-latency 1-s averages for burst selection (no attitude needed)"))
		epochVar(w, "Epoch", times, "Centre times of the 1-s averages, TT2000")
		realVar(w, fmt.Sprintf("%s_fgm_bt_%s_%s", sc, rate, level), nil, bt, "Epoch", "nT",
			"Magnitude of the magnetic field, 1-s averages", "", "|B|", 0, 70000)
		realVar(w, fmt.Sprintf("%s_fgm_bspin_%s_%s", sc, rate, level), nil, bz, "Epoch", "nT",
			"Magnetic field along the spin axis (body Z), 1-s averages", "", "B spin axis", -70000, 70000)
		return om, finishCDF(w, m, o, &om)
	}
}

// averager bins samples by time and averages k values per bin; bins
// without samples are skipped.
type averager struct {
	width int64
	k     int
	cur   int64
	n     int
	sum   []float64
	times []int64
	vals  []float64
}

func newAverager(width int64, k int) *averager {
	return &averager{width: width, k: k, cur: math.MinInt64, sum: make([]float64, k)}
}

func (a *averager) add(tt int64, v ...float64) {
	bin := floorDiv(tt, a.width)
	if bin != a.cur {
		a.flush()
		a.cur = bin
	}
	for i := range a.k {
		a.sum[i] += v[i]
	}
	a.n++
}

func (a *averager) flush() {
	if a.n > 0 {
		a.times = append(a.times, a.cur*a.width+a.width/2)
		for i := range a.k {
			a.vals = append(a.vals, a.sum[i]/float64(a.n))
			a.sum[i] = 0
		}
	}
	a.n = 0
}

func (a *averager) result() ([]int64, []float64) {
	a.flush()
	return a.times, a.vals
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
