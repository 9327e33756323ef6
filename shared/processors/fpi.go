package processors

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/quicklook"
)

// FPI moment scale factors: the physical value of one count (docs/l0-format.md §1.2).
const (
	fpiDensityUnit     = 0.001 // cm^-3
	fpiVelocityUnit    = 0.01  // km/s
	fpiTemperatureUnit = 0.01  // eV
)

func fpiDesc(level, rate, what string) product {
	return product{instrumentLabel: "FPI>Fast Plasma Investigation", instrumentType: "Plasma and Solar Wind",
		piName: "C. Pollock, B. Giles", piAffil: "NASA GSFC",
		description: fmt.Sprintf("%s Fast Plasma Investigation %s Ion Moments", levelNames[level], rateNames[rate]),
		text:        []string{"MMS FPI dual ion spectrometer moments: " + what + "."}}
}

// species is the FPI sensor prefix of a descriptor: dis-moms -> dis.
func species(o pipeline.PlannedOutput) string {
	f := strings.Split(o.Product, "_")
	return strings.SplitN(f[len(f)-1], "-", 2)[0]
}

// fpiL1A decommutates FPI moment packets: scaled integer moments.
func fpiL1A(p *mission.Profile) pipeline.BuiltinFunc {
	return func(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
		var om pipeline.OutputManifest
		o, err := m.Output("cdf")
		if err != nil {
			return om, err
		}
		sc, rate, level := outputKeys(o)
		f := strings.Split(o.Product, "_")
		tel, err := readL0(p, m, "fpi", f[len(f)-1], rate, 5)
		if err != nil {
			return om, err
		}
		om.Counters = tel.counters()
		if len(tel.times) == 0 {
			return om, fmt.Errorf("fpi l1a: no valid %s samples in the L0 input", rate)
		}
		sp := species(o)
		w := newCDF(m, o, fpiDesc(level, rate, "raw scaled moments decommutated from telemetry"))
		epochVar(w, "Epoch", tel.times, "Time tags of the moments, TT2000")
		w.Variable(fmt.Sprintf("%s_%s_moms_raw_%s_%s", sc, sp, rate, level), cdf.Int4, []int{5}, true).Append(tel.values).
			Attr("CATDESC", "Raw moments: density (0.001 cm^-3), velocity N M Z despun (0.01 km/s), temperature (0.01 eV)").
			Attr("FIELDNAM", "Raw moments").Attr("DEPEND_0", "Epoch").Attr("UNITS", "counts").Attr("VAR_TYPE", "data").
			Attr("DISPLAY_TYPE", "time_series").Attr("FILLVAL", int32(math.MinInt32)).Attr("VALIDMIN", int32(math.MinInt32+1)).
			Attr("VALIDMAX", int32(math.MaxInt32)).Attr("FORMAT", "I11").Attr("LABL_PTR_1", "label_moms_raw")
		labelVar(w, "label_moms_raw", []string{"N", "VN", "VM", "VZ", "T"})
		flagVar(w, fmt.Sprintf("%s_%s_flag_%s_%s", sc, sp, rate, level), tel.flags, "Epoch")
		return om, finishCDF(w, m, o, &om)
	}
}

// fpiL1B calibrates L1A moment counts to physical units (cm^-3, km/s in
// the despun frame, eV) with the calibration file in force (an ingested,
// versioned input); saturated samples become fill.
func fpiL1B(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, level := outputKeys(o)
	sp := species(o)
	calIn, err := m.OneInput("cal")
	if err != nil {
		return om, err
	}
	cal, err := ReadFPICalibration(calIn.Path)
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
	raw := c.Int32s(fmt.Sprintf("%s_%s_moms_raw_%s_l1a", sc, sp, rate))
	flags := c.Uint8s(fmt.Sprintf("%s_%s_flag_%s_l1a", sc, sp, rate))
	if err := c.Err(); err != nil {
		return om, err
	}
	n := len(times)
	if len(raw) != 5*n || len(flags) != n || n == 0 {
		return om, fmt.Errorf("fpi l1b: %s: empty or inconsistent variables", in.FileName)
	}
	const fill = float32(cdf.FillReal)
	dens, temp, v := make([]float32, n), make([]float32, n), make([]float32, 3*n)
	var saturated int64
	for i := range times {
		if flags[i]&FlagSaturated != 0 {
			saturated++
			dens[i], temp[i], v[3*i], v[3*i+1], v[3*i+2] = fill, fill, fill, fill, fill
			continue
		}
		r := raw[5*i : 5*i+5]
		dens[i] = float32(cal.value(0, r[0]))
		for a := range 3 {
			v[3*i+a] = float32(cal.value(1+a, r[1+a]))
		}
		temp[i] = float32(cal.value(4, r[4]))
	}
	om.Counters = map[string]int64{"samples": int64(n), "samples_saturated": saturated}
	w := newCDF(m, o, fpiDesc(level, rate, "density, bulk velocity in the despun frame and scalar temperature, calibrated with "+calIn.FileName))
	epochVar(w, "Epoch", times, "Time tags of the moments, TT2000")
	pre, suf := fmt.Sprintf("%s_%s_", sc, sp), "_"+rate+"_"+level
	realVar(w, pre+"numberdensity"+suf, nil, dens, "Epoch", "cm^-3", "Ion number density", "", "Density", 0, 1e4)
	realVar(w, pre+"bulkv_dbcs"+suf, []int{3}, v, "Epoch", "km/s", "Ion bulk velocity in the despun frame (N, Z x N, spin axis)",
		"label_bulkv_dbcs", "V despun", -1e4, 1e4)
	labelVar(w, "label_bulkv_dbcs", []string{"Vx DBCS", "Vy DBCS", "Vz DBCS"})
	realVar(w, pre+"tempscalar"+suf, nil, temp, "Epoch", "eV", "Ion scalar temperature", "", "Temperature", 0, 1e6)
	flagVar(w, pre+"flag"+suf, flags, "Epoch")
	return om, finishCDF(w, m, o, &om)
}

// fpiL2 rotates the L1B velocity from the despun frame into GSE with the
// definitive attitude; density and temperature carry over.
func fpiL2(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, _ := outputKeys(o)
	sp := species(o)
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
	pre, suf := fmt.Sprintf("%s_%s_", sc, sp), "_"+rate+"_l1b"
	c, err := openColumns(in.Path)
	if err != nil {
		return om, err
	}
	defer c.Close()
	times := c.Int64s("Epoch")
	dens := c.Float32s(pre + "numberdensity" + suf)
	vdbcs := c.Float32s(pre + "bulkv_dbcs" + suf)
	temp := c.Float32s(pre + "tempscalar" + suf)
	flags := c.Uint8s(pre + "flag" + suf)
	if err := c.Err(); err != nil {
		return om, err
	}
	n := len(times)
	if n == 0 || len(dens) != n || len(vdbcs) != 3*n || len(temp) != n || len(flags) != n {
		return om, fmt.Errorf("fpi l2: %s: empty or inconsistent variables", in.FileName)
	}
	const fill = float32(cdf.FillReal)
	vgse := make([]float32, 3*n)
	rot := newGSERotation(times[0], times[n-1])
	row, noAtt := 0, int64(0)
	for i, tt := range times {
		d := vdbcs[3*i : 3*i+3]
		if d[0] == fill || !att.covers(tt) {
			if !att.covers(tt) {
				flags[i] |= FlagNoAttitude
				noAtt++
			}
			vgse[3*i], vgse[3*i+1], vgse[3*i+2] = fill, fill, fill
			continue
		}
		row = att.tab.row(tt, row)
		g := rot.apply(tt, att.frames[row].toGEI(vec3{float64(d[0]), float64(d[1]), float64(d[2])}))
		for a := range 3 {
			vgse[3*i+a] = float32(g[a])
		}
	}
	om.Counters = map[string]int64{"samples": int64(n), "samples_without_attitude": noAtt}
	w := newCDF(m, o, fpiDesc("l2", rate, "density, bulk velocity in GSE and despun frames, scalar temperature"))
	epochVar(w, "Epoch", times, "Time tags of the moments, TT2000")
	realVar(w, pre+"numberdensity_"+rate, nil, dens, "Epoch", "cm^-3", "Ion number density", "", "Density", 0, 1e4)
	realVar(w, pre+"bulkv_gse_"+rate, []int{3}, vgse, "Epoch", "km/s", "Ion bulk velocity in GSE", "label_bulkv_gse", "V GSE", -1e4, 1e4)
	labelVar(w, "label_bulkv_gse", []string{"Vx GSE", "Vy GSE", "Vz GSE"})
	realVar(w, pre+"bulkv_dbcs_"+rate, []int{3}, vdbcs, "Epoch", "km/s", "Ion bulk velocity in the despun frame (N, Z x N, spin axis)",
		"label_bulkv_dbcs", "V despun", -1e4, 1e4)
	labelVar(w, "label_bulkv_dbcs", []string{"Vx DBCS", "Vy DBCS", "Vz DBCS"})
	realVar(w, pre+"tempscalar_"+rate, nil, temp, "Epoch", "eV", "Ion scalar temperature", "", "Temperature", 0, 1e6)
	flagVar(w, pre+"flag_"+rate, flags, "Epoch")
	return om, finishCDF(w, m, o, &om)
}

// fpiSITL is the fast-latency moments product for burst selection:
// straight from L0 with the calibration in force, the quantities that need
// no attitude (density, bulk speed, velocity along the spin axis,
// temperature) at the telemetry cadence; saturated samples are left out.
func fpiSITL(p *mission.Profile) pipeline.BuiltinFunc {
	return func(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
		var om pipeline.OutputManifest
		o, err := m.Output("cdf")
		if err != nil {
			return om, err
		}
		sc, rate, level := outputKeys(o)
		sp := species(o)
		calIn, err := m.OneInput("cal")
		if err != nil {
			return om, err
		}
		cal, err := ReadFPICalibration(calIn.Path)
		if err != nil {
			return om, err
		}
		f := strings.Split(o.Product, "_")
		tel, err := readL0(p, m, "fpi", f[len(f)-1], rate, 5)
		if err != nil {
			return om, err
		}
		om.Counters = tel.counters()
		var times []int64
		var dens, speed, vspin, temp []float32
		for i, tt := range tel.times {
			if tel.flags[i]&FlagSaturated != 0 {
				continue
			}
			r := tel.values[5*i : 5*i+5]
			vn, vm, vz := cal.value(1, r[1]), cal.value(2, r[2]), cal.value(3, r[3])
			times = append(times, tt)
			dens = append(dens, float32(cal.value(0, r[0])))
			speed = append(speed, float32(math.Sqrt(vn*vn+vm*vm+vz*vz)))
			vspin = append(vspin, float32(vz))
			temp = append(temp, float32(cal.value(4, r[4])))
		}
		if len(times) == 0 {
			return om, fmt.Errorf("fpi sitl: no valid %s samples in the L0 input", rate)
		}
		w := newCDF(m, o, fpiDesc(level, rate, "fast-latency moments for burst selection (no attitude needed)"))
		epochVar(w, "Epoch", times, "Time tags of the moments, TT2000")
		pre, suf := fmt.Sprintf("%s_%s_", sc, sp), "_"+rate+"_"+level
		realVar(w, pre+"numberdensity"+suf, nil, dens, "Epoch", "cm^-3", "Ion number density", "", "Density", 0, 1e4)
		realVar(w, pre+"bulkspeed"+suf, nil, speed, "Epoch", "km/s", "Ion bulk speed |V|", "", "|V|", 0, 1e4)
		realVar(w, pre+"bulkv_spin"+suf, nil, vspin, "Epoch", "km/s", "Ion bulk velocity along the spin axis", "", "V spin axis", -1e4, 1e4)
		realVar(w, pre+"tempscalar"+suf, nil, temp, "Epoch", "eV", "Ion scalar temperature", "", "Temperature", 0, 1e6)
		return om, finishCDF(w, m, o, &om)
	}
}

// fpiQL makes the FPI quick look of a day from its L2 files (one per
// partition slot, e.g. 2-hour files, in time order): the moments in a CDF
// (already at browsing cadence) and a plot of density, velocity and
// temperature.
func fpiQL(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, level := outputKeys(o)
	sp := species(o)
	ins := m.Input("l2")
	if len(ins) == 0 {
		return om, fmt.Errorf("fpi ql: no l2 input")
	}
	// Time tags sort as names do.
	sort.Slice(ins, func(a, b int) bool { return ins[a].FileName < ins[b].FileName })
	pre := fmt.Sprintf("%s_%s_", sc, sp)
	var times []int64
	var data [3][]float32
	for _, in := range ins {
		t, d, err := readFPIL2(in, pre, rate)
		if err != nil {
			return om, err
		}
		if len(times) > 0 && len(t) > 0 && t[0] <= times[len(times)-1] {
			return om, fmt.Errorf("fpi ql: %s overlaps the file before it", in.FileName)
		}
		times = append(times, t...)
		for i := range data {
			data[i] = append(data[i], d[i]...)
		}
	}
	w := newCDF(m, o, fpiDesc(level, rate, "quick-look density, velocity and temperature"))
	epochVar(w, "Epoch", times, "Time tags of the moments, TT2000")
	realVar(w, pre+"numberdensity_"+rate+"_"+level, nil, data[0], "Epoch", "cm^-3", "Ion number density", "", "Density", 0, 1e4)
	realVar(w, pre+"bulkv_gse_"+rate+"_"+level, []int{3}, data[1], "Epoch", "km/s", "Ion bulk velocity in GSE", "label_bulkv_gse", "V GSE", -1e4, 1e4)
	labelVar(w, "label_bulkv_gse", []string{"Vx GSE", "Vy GSE", "Vz GSE"})
	realVar(w, pre+"tempscalar_"+rate+"_"+level, nil, data[2], "Epoch", "eV", "Ion scalar temperature", "", "Temperature", 0, 1e6)
	if err := finishCDF(w, m, o, &om); err != nil {
		return om, err
	}
	title, sub := figureTitle(m, "FPI "+strings.ToUpper(sp)+" "+rate+" quick look")
	end := m.End
	if end.IsZero() {
		end = m.Start.AddDate(0, 0, 1)
	}
	fig := quicklook.Figure{Title: title, Subtitle: sub, Start: m.Start, End: end, Panels: []quicklook.Panel{
		{YLabel: "Ni [cm^-3]", LogY: true, Series: []quicklook.Series{{Label: "N", Times: times, Values: component(data[0], 1, 0)}}},
		{YLabel: "Vi GSE [km/s]", Series: []quicklook.Series{
			{Label: "Vx", Times: times, Values: component(data[1], 3, 0)},
			{Label: "Vy", Times: times, Values: component(data[1], 3, 1)},
			{Label: "Vz", Times: times, Values: component(data[1], 3, 2)},
		}},
		{YLabel: "Ti [eV]", LogY: true, Series: []quicklook.Series{{Label: "T", Times: times, Values: component(data[2], 1, 0)}}},
	}}
	return om, writePNG(m, fig, &om)
}

// readFPIL2 reads the time tags, density, GSE velocity and temperature of
// one L2 file.
func readFPIL2(in pipeline.ManifestInput, pre, rate string) ([]int64, [3][]float32, error) {
	var data [3][]float32
	c, err := openColumns(in.Path)
	if err != nil {
		return nil, data, err
	}
	defer c.Close()
	times := c.Int64s("Epoch")
	for i, q := range []string{"numberdensity_", "bulkv_gse_", "tempscalar_"} {
		data[i] = c.Float32s(pre + q + rate)
	}
	if err := c.Err(); err != nil {
		return nil, data, err
	}
	n := len(times)
	if n == 0 || len(data[0]) != n || len(data[1]) != 3*n || len(data[2]) != n {
		return nil, data, fmt.Errorf("fpi ql: %s: empty or inconsistent variables", in.FileName)
	}
	return times, data, nil
}
