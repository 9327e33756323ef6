package processors

import (
	"context"
	"fmt"
	"math"
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

// fpiL2 converts L1A moments to physical units and the velocity from the
// despun frame into GSE with the definitive attitude.
func fpiL2(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, _ := outputKeys(o)
	sp := species(o)
	in, err := m.OneInput("l1a")
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
	f, vars, err := openVars(in.Path, "Epoch", fmt.Sprintf("%s_%s_moms_raw_%s_l1a", sc, sp, rate), fmt.Sprintf("%s_%s_flag_%s_l1a", sc, sp, rate))
	if err != nil {
		return om, err
	}
	defer f.Close()
	times, err := vars[0].Int64s()
	if err != nil {
		return om, err
	}
	raw, err := vars[1].Int32s()
	if err != nil {
		return om, err
	}
	flags, err := vars[2].Uint8s()
	if err != nil {
		return om, err
	}
	n := len(times)
	if len(raw) != 5*n || len(flags) != n || n == 0 {
		return om, fmt.Errorf("fpi l2: %s: empty or inconsistent variables", in.FileName)
	}
	const fill = float32(cdf.FillReal)
	dens, temp := make([]float32, n), make([]float32, n)
	vgse, vdbcs := make([]float32, 3*n), make([]float32, 3*n)
	rot := newGSERotation(times[0], times[n-1])
	row := 0
	for i, tt := range times {
		r := raw[5*i : 5*i+5]
		dens[i] = float32(float64(r[0]) * fpiDensityUnit)
		temp[i] = float32(float64(r[4]) * fpiTemperatureUnit)
		d := vec3{float64(r[1]) * fpiVelocityUnit, float64(r[2]) * fpiVelocityUnit, float64(r[3]) * fpiVelocityUnit}
		for a := range 3 {
			vdbcs[3*i+a] = float32(d[a])
		}
		if !att.covers(tt) || flags[i]&FlagSaturated != 0 {
			flags[i] |= FlagNoAttitude
			vgse[3*i], vgse[3*i+1], vgse[3*i+2] = fill, fill, fill
			continue
		}
		row = att.tab.row(tt, row)
		g := rot.apply(tt, att.frames[row].toGEI(d))
		for a := range 3 {
			vgse[3*i+a] = float32(g[a])
		}
	}
	om.Counters = map[string]int64{"samples": int64(n)}
	w := newCDF(m, o, fpiDesc("l2", rate, "density, bulk velocity in GSE and despun frames, scalar temperature"))
	epochVar(w, "Epoch", times, "Time tags of the moments, TT2000")
	pre := fmt.Sprintf("%s_%s_", sc, sp)
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

// fpiQL makes the FPI quick look from L2: the moments in a CDF (already
// at browsing cadence) and a plot of density, velocity and temperature.
func fpiQL(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, level := outputKeys(o)
	sp := species(o)
	in, err := m.OneInput("l2")
	if err != nil {
		return om, err
	}
	pre := fmt.Sprintf("%s_%s_", sc, sp)
	f, vars, err := openVars(in.Path, "Epoch", pre+"numberdensity_"+rate, pre+"bulkv_gse_"+rate, pre+"tempscalar_"+rate)
	if err != nil {
		return om, err
	}
	defer f.Close()
	times, err := vars[0].Int64s()
	if err != nil {
		return om, err
	}
	var data [3][]float32
	for i := range data {
		if data[i], err = vars[i+1].Float32s(); err != nil {
			return om, err
		}
	}
	n := len(times)
	if n == 0 || len(data[0]) != n || len(data[1]) != 3*n || len(data[2]) != n {
		return om, fmt.Errorf("fpi ql: %s: empty or inconsistent variables", in.FileName)
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
