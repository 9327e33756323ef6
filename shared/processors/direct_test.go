package processors

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/pipeline"
)

// runDirect runs one built-in processor on files, outside the pipeline.
func runDirect(t testing.TB, proc string, partition string, start time.Time, digits int, product string, inputs map[string]string) string {
	t.Helper()
	prof, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	f := strings.Split(product, "_")
	name := naming.Science{SC: f[0], Instrument: f[1], Rate: f[2], Level: f[3], Start: start, TimeDigits: digits,
		Version: naming.Version{X: 1, Y: 1, Z: 0}, Ext: "cdf"}
	if len(f) == 5 {
		name.Descriptor = f[4]
	}
	m := &pipeline.Manifest{JobID: "test", Mission: "mms", Processor: proc, SoftwareVersion: SoftwareVersion,
		Generated: time.Date(2015, 10, 17, 0, 0, 0, 0, time.UTC), Spacecraft: f[0], SpacecraftNumber: 1,
		Partition: partition, Start: start, TimeDigits: digits, OutputDir: out, Version: "1.1.0",
		Outputs: []pipeline.PlannedOutput{{FileName: name.String(), Ext: "cdf", Product: product}}}
	if partition == pipeline.PartitionDaily {
		m.End = start.AddDate(0, 0, 1)
	}
	for role, path := range inputs {
		m.Inputs = append(m.Inputs, pipeline.ManifestInput{Input: role, FileName: filepath.Base(path), Path: path})
	}
	om, err := Registry(prof)[proc].(pipeline.Builtin).Run(context.Background(), m)
	if err != nil {
		t.Fatalf("%s: %v", proc, err)
	}
	if len(om.Outputs) != 1 {
		t.Fatalf("%s: outputs %+v", proc, om.Outputs)
	}
	return m.OutputPath(m.Outputs[0])
}

// firstBurst returns the first fgm burst L0 file and its segment start.
func firstBurst(t testing.TB, sim, instrument string) (string, time.Time) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(sim, "mms1_"+instrument+"_brst_l0_*.dat"))
	if len(matches) == 0 {
		t.Fatal("no burst telemetry simulated")
	}
	n, err := naming.ParseScience(filepath.Base(matches[0]))
	if err != nil {
		t.Fatal(err)
	}
	return matches[0], n.Start
}

func writeNominalCal(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), CalibrationName("mms1", simDay, CalibrationVersion))
	if err := os.WriteFile(path, FormatCalibration("mms1", NominalCalibration(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBurstChainReadsBackWithJCDF(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a spacecraft-day")
	}
	sim := simDir(t)
	l0, seg := firstBurst(t, sim, "fgm")
	att := filepath.Join(sim, "MMS1_DEFATT_2015289_2015290.V00")
	eph := filepath.Join(sim, "MMS1_DEFEPH_2015289_2015290.V00")
	l1a := runDirect(t, "fgm-l1a", pipeline.PartitionSegment, seg, 14, "mms1_fgm_brst_l1a", map[string]string{"l0": l0})
	l1b := runDirect(t, "fgm-l1b", pipeline.PartitionSegment, seg, 14, "mms1_fgm_brst_l1b", map[string]string{"l1a": l1a, "cal": writeNominalCal(t)})
	l2 := runDirect(t, "fgm-l2", pipeline.PartitionSegment, seg, 14, "mms1_fgm_brst_l2", map[string]string{"l1b": l1b, "att": att, "eph": eph})

	f, err := cdf.Open(l2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	epoch, err := f.Var("Epoch").Int64s()
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Var("mms1_fgm_b_gse_brst_l2").Float32s()
	if err != nil {
		t.Fatal(err)
	}
	// Segments are whole 10-s buffers of 128 vectors/s.
	if len(epoch) == 0 || len(epoch)%1280 != 0 || len(b) != 4*len(epoch) {
		t.Fatalf("%d records, %d values", len(epoch), len(b))
	}
	if src, _ := f.GlobalAttr("Logical_source"); src.Entries[0].String() != "mms1_fgm_brst_l2" {
		t.Errorf("Logical_source %v", src.Entries)
	}

	out := runJCDF(t, "CdfList", "-data", l2)
	recs := jcdfRecords(t, out, "mms1_fgm_b_gse_brst_l2")
	if len(recs) != len(epoch) {
		t.Fatalf("jcdf sees %d records of B GSE, we wrote %d", len(recs), len(epoch))
	}
	for _, i := range []int{0, len(epoch) / 2, len(epoch) - 1} {
		for c := range 4 {
			got, err := strconv.ParseFloat(recs[i][c], 32)
			if err != nil || float32(got) != b[4*i+c] {
				t.Fatalf("record %d component %d: jcdf %q, ours %v", i, c, recs[i][c], b[4*i+c])
			}
		}
	}
	if !strings.Contains(out, "DEPEND_0:\tEpoch") || !strings.Contains(out, "LABL_PTR_1:\tlabel_b_gse") {
		t.Error("jcdf does not show the ISTP variable attributes")
	}
}

// runJCDF runs a jcdf tool, skipping when it is absent unless
// MAGPIE_REQUIRE_JCDF=1.
func runJCDF(t *testing.T, class string, args ...string) string {
	t.Helper()
	const jar = "/usr/share/java/jcdf.jar"
	java, err := exec.LookPath("java")
	if _, serr := os.Stat(jar); serr != nil || err != nil {
		if os.Getenv("MAGPIE_REQUIRE_JCDF") == "1" {
			t.Fatalf("jcdf required (MAGPIE_REQUIRE_JCDF=1) but %s or java is missing", jar)
		}
		t.Skipf("jcdf not installed (%s); apt-get install libjcdf-java", jar)
	}
	cmd := exec.Command(java, append([]string{"-cp", jar, "uk.ac.bristol.star.cdf.util." + class}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jcdf %s: %v", class, err)
	}
	return string(out)
}

var jcdfRecord = regexp.MustCompile(`^(?:\{ |\[ )?\s*(\d+):\t(.*?)(?: \}| \])?$`)

// jcdfRecords returns the rendered records of one variable of CdfList -data.
func jcdfRecords(t *testing.T, out, name string) [][]string {
	t.Helper()
	var recs [][]string
	in := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Variable ") {
			in = strings.HasPrefix(line, "Variable ") && strings.Contains(line, ": "+name+"  ---")
			continue
		}
		if !in {
			continue
		}
		if m := jcdfRecord.FindStringSubmatch(line); m != nil {
			recs = append(recs, strings.Split(strings.Trim(m[2], "[]{} "), ", "))
		}
	}
	return recs
}

func TestDamagedPacketsAreCountedNotFatal(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a spacecraft-day")
	}
	sim := simDir(t)
	l0, seg := firstBurst(t, sim, "fgm")
	b, err := os.ReadFile(l0)
	if err != nil {
		t.Fatal(err)
	}
	// Damage the middle of the third packet and cut the tail.
	const pkt = 18 + 4*3*170 + 2
	b[2*pkt+100] ^= 0xff
	b = b[:len(b)-7]
	damaged := filepath.Join(t.TempDir(), filepath.Base(l0))
	if err := os.WriteFile(damaged, b, 0o644); err != nil {
		t.Fatal(err)
	}
	prof, _ := mission.Default()
	spec, err := specFor(prof, "fgm", "", "brst", 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	spec.start = -1 << 62
	clean, err := decodeL0(l0, spec)
	if err != nil {
		t.Fatal(err)
	}
	tel, err := decodeL0(damaged, spec)
	if err != nil {
		t.Fatal(err)
	}
	// Lost: the damaged packet and the truncated last one (shorter: the
	// segment's remainder of 170-vector packets).
	last := len(clean.times) % 170
	if last == 0 {
		last = 170
	}
	if want := len(clean.times) - 170 - last; tel.badPackets != 2 || len(tel.times) != want {
		t.Fatalf("bad packets %d (want 2), samples %d (want %d)", tel.badPackets, len(tel.times), want)
	}
	if tel.lostPackets != 1 || tel.flags[2*170]&FlagAfterGap == 0 {
		t.Fatalf("lost packets %d, flag after gap %v", tel.lostPackets, tel.flags[2*170])
	}
	// And the processor still makes its product.
	runDirect(t, "fgm-l1a", pipeline.PartitionSegment, seg, 14, "mms1_fgm_brst_l1a", map[string]string{"l0": damaged})
}

func TestBuiltinGraphIsValid(t *testing.T) {
	prof, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.NewGraph(prof, Registry(prof).IDs()); err != nil {
		t.Fatal(err)
	}
}

func TestCalibrationFileRoundTrip(t *testing.T) {
	path := writeNominalCal(t)
	got, err := ReadCalibration(path)
	if err != nil {
		t.Fatal(err)
	}
	want := NominalCalibration(1)
	if got != want {
		t.Fatalf("read %+v, want %+v", got, want)
	}
	if want.Gain != [3]float64{64, 64.512, 63.232} || want.Offset != [3]float64{40, 160, -80} {
		t.Fatalf("nominal mms1 calibration %+v differs from docs/l0-format.md", want)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("# magpie fgm calibration\naxis,gain,offset\nx,64,0\ny,0,0\n"), 0o644)
	if _, err := ReadCalibration(bad); err == nil {
		t.Fatal("accepted a zero gain and a missing axis")
	}
}
