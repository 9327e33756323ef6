package cdf

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const jcdfJar = "/usr/share/java/jcdf.jar"

// TT2000 around the leap second at the end of 2016 (TAI-UTC 36 s -> 37 s).
const (
	tt20161231T235959 = 536500867184000000
	tt20161231T235960 = 536500868184000000
	tt20170101T000000 = 536500869184000000
)

// jcdfVar is what jcdf's CdfList -data must show for a variable.
type jcdfVar struct {
	typ     string            // jcdf type name, e.g. REAL4
	shape   string            // e.g. 1:[4]
	recVary string            // T or F
	attrs   map[string]string // attribute -> rendered value
	records [][]string        // rendered values per record
}

// jcdfListing is CdfList -data output parsed.
type jcdfListing struct {
	globals map[string][]string
	vars    map[string]*jcdfVar
}

var (
	reVarHeader = regexp.MustCompile(`^Variable \d+: (.+?)  ---  (\S+) \((?:z|r)\) (\d+:\[[\d,]*\]) ([TF])/[TF]*$`)
	reVarAttr   = regexp.MustCompile(`^    ([^\s:]+):\t(.*)$`)
	reRecord    = regexp.MustCompile(`^(?:\{ |\[ )?\s*(\d+):\t(.*?)(?: \}| \])?$`)
)

func parseJcdf(t *testing.T, out string) jcdfListing {
	t.Helper()
	l := jcdfListing{globals: map[string][]string{}, vars: map[string]*jcdfVar{}}
	var cur *jcdfVar
	var global string
	inGlobals := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "Global Attributes":
			inGlobals = true
		case strings.HasPrefix(line, "---") || line == "":
		case strings.HasPrefix(line, "Variable "):
			inGlobals = false
			m := reVarHeader.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("jcdf: unexpected variable header %q", line)
			}
			cur = &jcdfVar{typ: m[2], shape: m[3], recVary: m[4], attrs: map[string]string{}}
			l.vars[m[1]] = cur
		case inGlobals && strings.HasPrefix(line, "        "):
			l.globals[global] = append(l.globals[global], line[8:])
		case inGlobals && strings.HasPrefix(line, "    "):
			global = line[4:]
			l.globals[global] = []string{}
		case cur != nil && reVarAttr.MatchString(line):
			m := reVarAttr.FindStringSubmatch(line)
			cur.attrs[m[1]] = m[2]
		case cur != nil && reRecord.MatchString(line):
			m := reRecord.FindStringSubmatch(line)
			if n, _ := strconv.Atoi(m[1]); n != len(cur.records) {
				t.Fatalf("jcdf: record %d out of order in %q", n, line)
			}
			cur.records = append(cur.records, strings.Split(m[2], ", "))
		default:
			t.Fatalf("jcdf: unexpected line %q", line)
		}
	}
	return l
}

// sameRendering compares a value we wrote with jcdf's rendering: numbers
// numerically (jcdf prints 1.0E31 for 1e31), text exactly up to padding.
func sameRendering(want, got string) bool {
	got = strings.TrimRight(got, " ")
	if want == got {
		return true
	}
	w, err1 := strconv.ParseFloat(want, 64)
	g, err2 := strconv.ParseFloat(got, 64)
	return err1 == nil && err2 == nil && (w == g || math.Abs(w-g) <= 1e-6*math.Abs(w))
}

// runJcdf runs a jcdf tool on path, skipping when jcdf is absent unless
// MAGPIE_REQUIRE_JCDF=1.
func runJcdf(t *testing.T, class string, args ...string) string {
	t.Helper()
	java, err := exec.LookPath("java")
	if _, serr := os.Stat(jcdfJar); serr != nil || err != nil {
		if os.Getenv("MAGPIE_REQUIRE_JCDF") == "1" {
			t.Fatalf("jcdf required (MAGPIE_REQUIRE_JCDF=1) but %s or java is missing: install libjcdf-java", jcdfJar)
		}
		t.Skipf("jcdf not installed (%s); apt-get install libjcdf-java", jcdfJar)
	}
	// A generous guard against a hung JVM, not a speed assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, java, append([]string{"-cp", jcdfJar, "uk.ac.bristol.star.cdf.util." + class}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("jcdf %s: %v\n%s", class, err, stderr.String())
	}
	// jcdf logs format oddities (unexpected reserved fields...) as warnings.
	if s := stderr.String(); strings.Contains(s, "WARN") || strings.Contains(s, "Exception") {
		t.Errorf("jcdf %s complained:\n%s", class, s)
	}
	return stdout.String()
}

// mmsFile describes an ISTP-compliant MMS FGM-like file: 3 s of 16
// vectors/s across the 2016-12-31 leap second. It returns what jcdf must
// show for it.
func mmsFile(w *Writer) (globals map[string][]string, vars map[string]*jcdfVar) {
	globals = map[string][]string{
		"Project":                    {"STP>Solar Terrestrial Physics"},
		"Source_name":                {"MMS1>MMS Satellite Number 1"},
		"Discipline":                 {"Space Physics>Magnetospheric Science"},
		"Data_type":                  {"srvy_l2>Survey Level 2"},
		"Descriptor":                 {"FGM>Fluxgate Magnetometer"},
		"Data_version":               {"v5.1.0"},
		"Generation_date":            {"20170102"},
		"Instrument_type":            {"Magnetic Fields (space)"},
		"Logical_file_id":            {"mms1_fgm_srvy_l2_20161231_v5.1.0"},
		"Logical_source":             {"mms1_fgm_srvy_l2"},
		"Logical_source_description": {"Level 2 Fluxgate Magnetometer Survey Data"},
		"Mission_group":              {"MMS"},
		"PI_affiliation":             {"UCLA, IWF, UNH"},
		"PI_name":                    {"C.T. Russell, W. Magnes, R. Torbert"},
		"TEXT":                       {"MMS fluxgate magnetometer survey data.", "Written by the Magpie SDC test suite."},
		"Leap_seconds":               {"37"},
	}
	order := []string{"Project", "Source_name", "Discipline", "Data_type", "Descriptor", "Data_version",
		"Generation_date", "Instrument_type", "Logical_file_id", "Logical_source",
		"Logical_source_description", "Mission_group", "PI_affiliation", "PI_name", "TEXT"}
	for _, name := range order {
		entries := make([]any, len(globals[name]))
		for i, e := range globals[name] {
			entries[i] = e
		}
		w.GlobalAttr(name, entries...)
	}
	w.GlobalAttr("Leap_seconds", int32(37))

	const n = 48 // 3 s at 16 vectors/s: 23:59:59, 23:59:60, 00:00:00
	seconds := []string{"2016-12-31T23:59:59", "2016-12-31T23:59:60", "2017-01-01T00:00:00"}
	epochs := make([]int64, n)
	b := make([]float32, 4*n)
	vars = map[string]*jcdfVar{}
	ev := &jcdfVar{typ: "TIME_TT2000", shape: "0:[]", recVary: "T"}
	bv := &jcdfVar{typ: "REAL4", shape: "1:[4]", recVary: "T"}
	for i := range n {
		epochs[i] = tt20161231T235959 + int64(i)*62_500_000
		ev.records = append(ev.records, []string{fmt.Sprintf("%s.%09d", seconds[i/16], (i%16)*62_500_000)})
		rec := []string{}
		for j := range 4 {
			x := float32(i)*0.25 - float32(j)*10
			if i == 20 && j < 3 {
				x = -1e31 // a fill value in the data
			}
			b[4*i+j] = x
			rec = append(rec, strconv.FormatFloat(float64(x), 'g', -1, 32))
		}
		bv.records = append(bv.records, rec)
	}
	w.Variable("Epoch", TT2000, nil, true).Append(epochs).
		Attr("CATDESC", "Time tags, TT2000").
		Attr("FIELDNAM", "Time").
		Attr("VAR_TYPE", "support_data").
		Attr("UNITS", "ns").
		Attr("FILLVAL", As(TT2000, FillTT2000)).
		Attr("VALIDMIN", As(TT2000, int64(tt20161231T235959))).
		Attr("VALIDMAX", As(TT2000, int64(tt20170101T000000+2_000_000_000))).
		Attr("MONOTON", "INCREASE").
		Attr("TIME_BASE", "J2000").
		Pad(FillTT2000)
	ev.attrs = map[string]string{
		"CATDESC": "Time tags, TT2000", "FIELDNAM": "Time", "VAR_TYPE": "support_data", "UNITS": "ns",
		"FILLVAL":  "9999-12-31T23:59:59.999999999",
		"VALIDMIN": "2016-12-31T23:59:59.000000000",
		"VALIDMAX": "2017-01-01T00:00:02.000000000",
		"MONOTON":  "INCREASE", "TIME_BASE": "J2000",
	}
	vars["Epoch"] = ev

	w.Variable("mms1_fgm_b_gse_srvy_l2", Real4, []int{4}, true).Append(b).
		Attr("CATDESC", "Magnetic field vector in GSE (Bx, By, Bz) and magnitude").
		Attr("DEPEND_0", "Epoch").
		Attr("DISPLAY_TYPE", "time_series").
		Attr("FIELDNAM", "Magnetic field").
		Attr("FILLVAL", float32(FillReal)).
		Attr("FORMAT", "F12.6").
		Attr("LABL_PTR_1", "label_b_gse").
		Attr("UNITS", "nT").
		Attr("VALIDMIN", float32(-10000)).
		Attr("VALIDMAX", float32(10000)).
		Attr("VAR_TYPE", "data").
		Attr("COORDINATE_SYSTEM", "GSE").
		Attr("SI_conversion", "1.0e-9>T").
		Pad(float32(FillReal))
	bv.attrs = map[string]string{
		"CATDESC":  "Magnetic field vector in GSE (Bx, By, Bz) and magnitude",
		"DEPEND_0": "Epoch", "DISPLAY_TYPE": "time_series", "FIELDNAM": "Magnetic field",
		"FILLVAL": "-1e31", "FORMAT": "F12.6", "LABL_PTR_1": "label_b_gse", "UNITS": "nT",
		"VALIDMIN": "-10000", "VALIDMAX": "10000", "VAR_TYPE": "data",
		"COORDINATE_SYSTEM": "GSE", "SI_conversion": "1.0e-9>T",
	}
	vars["mms1_fgm_b_gse_srvy_l2"] = bv

	labels := []string{"Bx GSE", "By GSE", "Bz GSE", "Bt"}
	w.Variable("label_b_gse", Char, []int{4}, false).Append(labels).
		Attr("CATDESC", "Labels for B in GSE").
		Attr("FIELDNAM", "Labels").
		Attr("FORMAT", "A6").
		Attr("VAR_TYPE", "metadata")
	vars["label_b_gse"] = &jcdfVar{typ: "CHAR", shape: "1:[4]", recVary: "F",
		attrs:   map[string]string{"CATDESC": "Labels for B in GSE", "FIELDNAM": "Labels", "FORMAT": "A6", "VAR_TYPE": "metadata"},
		records: [][]string{labels}}

	// A small 2-D spectrogram with its energy axis, to check row-major order.
	spec := make([]float32, 2*3*2)
	var specRecs [][]string
	for r := range 2 {
		rec := []string{}
		for k := range 6 {
			spec[r*6+k] = float32(r*100 + k)
			rec = append(rec, strconv.Itoa(r*100+k))
		}
		specRecs = append(specRecs, rec)
	}
	w.Variable("mms1_test_spec", Uint2, []int{2, 3}, true).Append([]uint16{0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105}).
		Attr("DEPEND_0", "Epoch").
		Attr("DEPEND_1", "mms1_test_energy").
		Attr("FILLVAL", uint16(65535)).
		Attr("VAR_TYPE", "data")
	vars["mms1_test_spec"] = &jcdfVar{typ: "UINT2", shape: "2:[2,3]", recVary: "T",
		attrs:   map[string]string{"DEPEND_0": "Epoch", "DEPEND_1": "mms1_test_energy", "FILLVAL": "65535", "VAR_TYPE": "data"},
		records: specRecs}
	w.Variable("mms1_test_energy", Real8, []int{2}, false).Append([]float64{10.5, 1e3}).
		Attr("VAR_TYPE", "support_data").
		Attr("UNITS", "eV")
	vars["mms1_test_energy"] = &jcdfVar{typ: "REAL8", shape: "1:[2]", recVary: "F",
		attrs:   map[string]string{"VAR_TYPE": "support_data", "UNITS": "eV"},
		records: [][]string{{"10.5", "1000"}}}
	return globals, vars
}

func TestJcdfReadsMMSFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mms1_fgm_srvy_l2_20161231_v5.1.0.cdf")
	w := NewWriter()
	wantGlobals, wantVars := mmsFile(w)
	if err := w.Write(path); err != nil {
		t.Fatal(err)
	}
	out := runJcdf(t, "CdfList", "-data", path)
	got := parseJcdf(t, out)

	if !strings.Contains(out, "2016-12-31T23:59:60.000000000") {
		t.Error("jcdf output lacks the leap second 2016-12-31T23:59:60.000000000")
	}
	if len(got.globals) != len(wantGlobals) {
		t.Errorf("jcdf lists %d global attributes, want %d", len(got.globals), len(wantGlobals))
	}
	for name, want := range wantGlobals {
		g, ok := got.globals[name]
		if !ok || len(g) != len(want) {
			t.Errorf("global %s: jcdf shows %q, want %q", name, g, want)
			continue
		}
		for i := range want {
			if !sameRendering(want[i], g[i]) {
				t.Errorf("global %s entry %d: jcdf shows %q, want %q", name, i, g[i], want[i])
			}
		}
	}
	if len(got.vars) != len(wantVars) {
		t.Errorf("jcdf lists %d variables, want %d", len(got.vars), len(wantVars))
	}
	for name, want := range wantVars {
		g, ok := got.vars[name]
		if !ok {
			t.Errorf("variable %s missing from jcdf output", name)
			continue
		}
		if g.typ != want.typ || g.shape != want.shape || g.recVary != want.recVary {
			t.Errorf("%s: jcdf shows %s %s %s, want %s %s %s", name, g.typ, g.shape, g.recVary, want.typ, want.shape, want.recVary)
		}
		if len(g.attrs) != len(want.attrs) {
			t.Errorf("%s: jcdf shows %d attributes, want %d", name, len(g.attrs), len(want.attrs))
		}
		for a, wv := range want.attrs {
			if gv, ok := g.attrs[a]; !ok || !sameRendering(wv, gv) {
				t.Errorf("%s attribute %s: jcdf shows %q (present %v), want %q", name, a, gv, ok, wv)
			}
		}
		compareRecords(t, name, g.records, want.records)
	}

	// Our reader sees the same file.
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	epochs, err := f.Var("Epoch").Int64s()
	if err != nil || len(epochs) != 48 || epochs[16] != tt20161231T235960 || epochs[32] != tt20170101T000000 {
		t.Errorf("Epoch read back: %d values, err %v", len(epochs), err)
	}
}

func compareRecords(t *testing.T, name string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: jcdf shows %d records, want %d", name, len(got), len(want))
		return
	}
	for r := range want {
		if len(got[r]) != len(want[r]) {
			t.Errorf("%s record %d: jcdf shows %q, want %q", name, r, got[r], want[r])
			continue
		}
		for i := range want[r] {
			if !sameRendering(want[r][i], got[r][i]) {
				t.Errorf("%s record %d value %d: jcdf shows %q, want %q", name, r, i, got[r][i], want[r][i])
			}
		}
	}
}

// TestJcdfAgreesOnForeignLayout checks the hand-built big-endian file with
// an rVariable and a VXR tree is read the same by jcdf and by us.
func TestJcdfAgreesOnForeignLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "foreign.cdf")
	if err := os.WriteFile(path, foreignFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := parseJcdf(t, runJcdf(t, "CdfList", "-data", path))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, name := range []string{"rvar", "zvar"} {
		v := f.Var(name)
		vals, err := v.Values()
		if err != nil {
			t.Fatal(err)
		}
		per := 1
		for _, d := range v.Dims {
			per *= d
		}
		flat := strings.Fields(strings.Trim(fmt.Sprint(vals), "[]"))
		var want [][]string
		for i := 0; i < len(flat); i += per {
			want = append(want, flat[i:i+per])
		}
		compareRecords(t, name, got.vars[name].records, want)
	}
}

func TestJcdfDumpsRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chained.cdf")
	w := NewWriter()
	w.vvrBytes, w.vxrEntries = 64, 2 // several VXRs and VVRs per variable
	buildAll(w, 7)
	if err := w.Write(path); err != nil {
		t.Fatal(err)
	}
	out := runJcdf(t, "CdfDump", path)
	for _, rt := range []string{"CDR", "GDR", "ADR", "AgrEDR", "AzEDR", "zVDR", "VXR", "VVR"} {
		if !strings.Contains(out, "\t"+rt+"\t") {
			t.Errorf("CdfDump shows no %s record", rt)
		}
	}
	got := parseJcdf(t, runJcdf(t, "CdfList", "-data", path))
	v := got.vars["spectra"]
	if v == nil {
		t.Fatal("jcdf does not list spectra")
	}
	data := ramp32(3 * 32 * 16)
	var want [][]string
	for r := range 3 {
		var rec []string
		for _, x := range data[r*512 : (r+1)*512] {
			rec = append(rec, strconv.FormatFloat(float64(x), 'g', -1, 32))
		}
		want = append(want, rec)
	}
	compareRecords(t, "spectra", v.records, want)
}
