package processors

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/quicklook"
)

// Quick-look image size in pixels.
const qlWidth, qlHeight = 1200, 800

// component extracts column c of k-column float32 data as float64.
func component(data []float32, k, c int) []float64 {
	out := make([]float64, len(data)/k)
	for i := range out {
		out[i] = float64(data[i*k+c])
	}
	return out
}

// writePNG renders fig to the planned png output.
func writePNG(m *pipeline.Manifest, fig quicklook.Figure, om *pipeline.OutputManifest) error {
	o, err := m.Output("png")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := quicklook.Render(&buf, fig, qlWidth, qlHeight); err != nil {
		return fmt.Errorf("quick-look plot: %w", err)
	}
	if err := os.WriteFile(m.OutputPath(o), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("quick-look plot: %w", err)
	}
	om.Outputs = append(om.Outputs, pipeline.OutputFile{FileName: o.FileName})
	return nil
}

func figureTitle(m *pipeline.Manifest, what string) (string, string) {
	return fmt.Sprintf("%s %s  %s", strings.ToUpper(m.Spacecraft), what, m.Start.Format("2006-01-02")),
		fmt.Sprintf("v%s, generated %s by Magpie", m.Version, m.Generated.Format("2006-01-02 15:04 UTC"))
}

// fgmQL makes the quick-look product from L2: 1-s averages of B GSE in a
// CDF, and a plot of the components and magnitude at full resolution.
func fgmQL(ctx context.Context, m *pipeline.Manifest) (pipeline.OutputManifest, error) {
	var om pipeline.OutputManifest
	o, err := m.Output("cdf")
	if err != nil {
		return om, err
	}
	sc, rate, level := outputKeys(o)
	in, err := m.OneInput("l2")
	if err != nil {
		return om, err
	}
	c, err := openColumns(in.Path)
	if err != nil {
		return om, err
	}
	defer c.Close()
	times := c.Int64s("Epoch")
	b := c.Float32s(fmt.Sprintf("%s_fgm_b_gse_%s_l2", sc, rate))
	if err := c.Err(); err != nil {
		return om, err
	}
	if len(b) != 4*len(times) || len(times) == 0 {
		return om, fmt.Errorf("fgm ql: %s: empty or inconsistent variables", in.FileName)
	}
	avg := newAverager(1e9, 4)
	for i, tt := range times {
		if b[4*i] <= float32(cdf.FillReal) {
			continue
		}
		avg.add(tt, float64(b[4*i]), float64(b[4*i+1]), float64(b[4*i+2]), float64(b[4*i+3]))
	}
	at, av := avg.result()
	ab := make([]float32, len(av))
	for i, v := range av {
		ab[i] = float32(v)
	}
	w := newCDF(m, o, fgmDesc(level, rate, "quick-look 1-s averages of the field in GSE"))
	epochVar(w, "Epoch", at, "Centre times of the 1-s averages, TT2000")
	realVar(w, fmt.Sprintf("%s_fgm_b_gse_%s_%s", sc, rate, level), []int{4}, ab, "Epoch", "nT",
		"Magnetic field in GSE, 1-s averages: X, Y, Z and magnitude", "label_b_gse", "B GSE", -70000, 70000)
	labelVar(w, "label_b_gse", []string{"Bx GSE", "By GSE", "Bz GSE", "Bt"})
	if err := finishCDF(w, m, o, &om); err != nil {
		return om, err
	}
	title, sub := figureTitle(m, "FGM "+rate+" quick look")
	end := m.End
	if end.IsZero() {
		end = m.Start.AddDate(0, 0, 1)
	}
	fig := quicklook.Figure{Title: title, Subtitle: sub, Start: m.Start, End: end, Panels: []quicklook.Panel{
		{YLabel: "B GSE [nT]", Series: []quicklook.Series{
			{Label: "Bx", Times: times, Values: component(b, 4, 0)},
			{Label: "By", Times: times, Values: component(b, 4, 1)},
			{Label: "Bz", Times: times, Values: component(b, 4, 2)},
		}},
		{YLabel: "|B| [nT]", LogY: true, Series: []quicklook.Series{{Label: "Bt", Times: times, Values: component(b, 4, 3)}}},
	}}
	return om, writePNG(m, fig, &om)
}
