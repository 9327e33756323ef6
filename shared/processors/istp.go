package processors

import (
	"fmt"
	"math"
	"strings"

	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/pipeline"
)

// product describes an output for its ISTP global attributes.
type product struct {
	instrumentLabel string // "FGM>Fluxgate Magnetometer"
	instrumentType  string // "Magnetic Fields (space)"
	description     string // Logical_source_description
	piName, piAffil string
	text            []string
}

var levelNames = map[string]string{"l1a": "Level 1A", "l1b": "Level 1B", "l2": "Level 2", "ql": "Quick Look", "sitl": "SITL"}
var rateNames = map[string]string{"srvy": "Survey", "fast": "Fast Survey", "brst": "Burst", "slow": "Slow Survey"}

// newCDF starts an ISTP-compliant file for the planned output o.
func newCDF(m *pipeline.Manifest, o pipeline.PlannedOutput, p product) *cdf.Writer {
	w := cdf.NewWriter()
	// o.Product is <sc>_<instr>_<rate>_<level>[_<descriptor>].
	f := strings.Split(o.Product, "_")
	sc, rate, level := f[0], f[2], f[3]
	num := strings.TrimPrefix(sc, "mms")
	w.GlobalAttr("Project", "STP>Solar Terrestrial Physics")
	w.GlobalAttr("Source_name", fmt.Sprintf("%s>%s Satellite Number %s", strings.ToUpper(sc), strings.ToUpper(m.Mission), num))
	w.GlobalAttr("Discipline", "Space Physics>Magnetospheric Science")
	w.GlobalAttr("Data_type", fmt.Sprintf("%s_%s>%s %s", rate, level, rateNames[rate], levelNames[level]))
	w.GlobalAttr("Descriptor", p.instrumentLabel)
	w.GlobalAttr("Data_version", "v"+m.Version)
	w.GlobalAttr("Generation_date", m.Generated.UTC().Format("20060102"))
	w.GlobalAttr("Instrument_type", p.instrumentType)
	w.GlobalAttr("Logical_file_id", strings.TrimSuffix(o.FileName, "."+o.Ext))
	w.GlobalAttr("Logical_source", o.Product)
	w.GlobalAttr("Logical_source_description", p.description)
	w.GlobalAttr("Mission_group", strings.ToUpper(m.Mission))
	w.GlobalAttr("PI_name", p.piName)
	w.GlobalAttr("PI_affiliation", p.piAffil)
	text := append([]string{}, p.text...)
	text = append(text, fmt.Sprintf("Produced by the Magpie SDC, processor %s %s, job %s.", m.Processor, m.SoftwareVersion, m.JobID))
	w.GlobalAttr("TEXT", toAny(text)...)
	var parents []any
	for _, in := range m.Inputs {
		parents = append(parents, "CDF>"+in.FileName)
	}
	if len(parents) > 0 {
		w.GlobalAttr("Parents", parents...)
	}
	w.GlobalAttr("Software_version", m.SoftwareVersion)
	return w
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// epochVar defines the TT2000 time variable name with its ISTP attributes.
func epochVar(w *cdf.Writer, name string, times []int64, desc string) {
	lo, hi := int64(math.MinInt64+1), int64(math.MaxInt64)
	if len(times) > 0 {
		lo, hi = times[0], times[len(times)-1]
	}
	w.Variable(name, cdf.TT2000, nil, true).Append(times).
		Attr("CATDESC", desc).Attr("FIELDNAM", "Time").Attr("LABLAXIS", name).Attr("UNITS", "ns").
		Attr("VAR_TYPE", "support_data").Attr("FILLVAL", cdf.As(cdf.TT2000, cdf.FillTT2000)).
		Attr("VALIDMIN", cdf.As(cdf.TT2000, lo)).Attr("VALIDMAX", cdf.As(cdf.TT2000, hi)).
		Attr("MONOTON", "INCREASE").Attr("TIME_BASE", "J2000").Attr("TIME_SCALE", "Terrestrial Time").
		Attr("REFERENCE_POSITION", "Rotating Earth Geoid").Attr("SCALETYP", "linear")
}

// labelVar defines a non-record-varying label variable for LABL_PTR_1.
func labelVar(w *cdf.Writer, name string, labels []string) {
	w.Variable(name, cdf.Char, []int{len(labels)}, false).Append(labels).
		Attr("CATDESC", "Labels of "+strings.TrimPrefix(name, "label_")).Attr("FIELDNAM", name).
		Attr("VAR_TYPE", "metadata").Attr("FORMAT", fmt.Sprintf("A%d", maxLen(labels)))
}

func maxLen(ss []string) int {
	n := 1
	for _, s := range ss {
		n = max(n, len(s))
	}
	return n
}

// realVar defines a REAL4 data variable (dims nil for scalars).
func realVar(w *cdf.Writer, name string, dims []int, data []float32, depend, units, desc, labelPtr, fieldnam string, lo, hi float32) {
	v := w.Variable(name, cdf.Real4, dims, true).Append(data).
		Attr("CATDESC", desc).Attr("FIELDNAM", fieldnam).Attr("DEPEND_0", depend).Attr("UNITS", units).
		Attr("VAR_TYPE", "data").Attr("DISPLAY_TYPE", "time_series").Attr("FILLVAL", float32(cdf.FillReal)).
		Attr("VALIDMIN", lo).Attr("VALIDMAX", hi).Attr("FORMAT", "F12.4").Attr("SCALETYP", "linear").
		Pad(float32(cdf.FillReal))
	if labelPtr != "" {
		v.Attr("LABL_PTR_1", labelPtr)
	} else {
		v.Attr("LABLAXIS", fieldnam)
	}
}

// flagVar defines the per-sample quality flags.
func flagVar(w *cdf.Writer, name string, flags []uint8, depend string) {
	w.Variable(name, cdf.Uint1, nil, true).Append(flags).
		Attr("CATDESC", "Quality flags: bit 0 first sample after lost packets, bit 1 saturated, bit 2 no attitude").
		Attr("FIELDNAM", "Quality flags").Attr("DEPEND_0", depend).Attr("UNITS", " ").Attr("VAR_TYPE", "support_data").
		Attr("FILLVAL", uint8(255)).Attr("VALIDMIN", uint8(0)).Attr("VALIDMAX", uint8(254)).Attr("FORMAT", "I3").
		Attr("LABLAXIS", "Flag").Attr("DISPLAY_TYPE", "time_series")
}

// finishCDF writes w to the planned output and reports it.
func finishCDF(w *cdf.Writer, m *pipeline.Manifest, o pipeline.PlannedOutput, om *pipeline.OutputManifest) error {
	if err := w.Write(m.OutputPath(o)); err != nil {
		return fmt.Errorf("write %s: %w", o.FileName, err)
	}
	om.Outputs = append(om.Outputs, pipeline.OutputFile{FileName: o.FileName})
	return nil
}

// columns reads whole variables of one CDF file and keeps the first error,
// so a processor lists what it reads and checks once (Err) instead of after
// every variable.
type columns struct {
	f    *cdf.File
	path string
	err  error
}

func openColumns(path string) (*columns, error) {
	f, err := cdf.Open(path)
	if err != nil {
		return nil, err
	}
	return &columns{f: f, path: path}, nil
}

func (c *columns) Close() error { return c.f.Close() }

// Err is the first error any read met.
func (c *columns) Err() error { return c.err }

func (c *columns) v(name string) *cdf.Var {
	if c.err != nil {
		return nil
	}
	v := c.f.Var(name)
	if v == nil {
		c.err = fmt.Errorf("%s has no variable %s", c.path, name)
	}
	return v
}

func read[T any](c *columns, name string, get func(*cdf.Var) ([]T, error)) []T {
	v := c.v(name)
	if v == nil {
		return nil
	}
	xs, err := get(v)
	if err != nil {
		c.err = err
	}
	return xs
}

func (c *columns) Int64s(name string) []int64 { return read(c, name, (*cdf.Var).Int64s) }
func (c *columns) Int32s(name string) []int32 { return read(c, name, (*cdf.Var).Int32s) }
func (c *columns) Uint8s(name string) []uint8 { return read(c, name, (*cdf.Var).Uint8s) }
func (c *columns) Float32s(name string) []float32 {
	return read(c, name, (*cdf.Var).Float32s)
}
