package processors

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/pipeline"
)

func writeFPICal(t testing.TB, c FPICalibration, v naming.Version) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FPICalibrationName("mms1", "dis-moms", simDay, v))
	if err := os.WriteFile(path, FormatFPICalibration("mms1", "dis-moms", c), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFPICalibrationFile(t *testing.T) {
	want := NominalFPICalibration()
	want.Offset[2] = -12.5
	want.Scale[0] = 0.00113
	got, err := ReadFPICalibration(writeFPICal(t, want, CalibrationVersion))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("read %+v, want %+v", got, want)
	}
	if n := NominalFPICalibration(); n.Scale != [5]float64{0.001, 0.01, 0.01, 0.01, 0.01} || n.Offset != [5]float64{} {
		t.Fatalf("nominal FPI calibration %+v differs from docs/l0-format.md §1.2", n)
	}
	const head = "# magpie fpi calibration\nmoment,scale,offset,units\n"
	const rows = "vn,0.01,0,km/s\nvm,0.01,0,km/s\nvz,0.01,0,km/s\nt,0.01,0,eV\n"
	for _, tc := range []struct{ name, body, want string }{
		{"no header", "moment,scale,offset,units\n", "first line"},
		{"no column line", "# magpie fpi calibration\nn,0.001,0,cm^-3\n", "column line"},
		{"missing moment", head + "n,0.001,0,cm^-3\n", "needs rows"},
		{"wrong units", head + "n,1,0,m^-3\n" + rows, "must be in cm^-3"},
		{"zero scale", head + "n,0,0,cm^-3\n" + rows, "bad or repeated"},
		{"repeated", head + "n,0.001,0,cm^-3\nn,0.001,0,cm^-3\n" + rows, "bad or repeated"},
		{"unknown moment", head + "p,1,0,nPa\n", "want moment"},
		{"fgm file", string(FormatCalibration("mms1", NominalCalibration(1))), "first line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cal.csv")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadFPICalibration(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestWriteNominalCalibrationsCoversTheGraph(t *testing.T) {
	prof, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names, err := WriteNominalCalibrations(prof, dir, simDay)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, sc := range prof.Spacecraft {
		want[CalibrationName(sc, simDay, CalibrationVersion)] = true
		want[FPICalibrationName(sc, "dis-moms", simDay, CalibrationVersion)] = true
	}
	if len(names) != len(want) {
		t.Fatalf("wrote %v, want %d files", names, len(want))
	}
	for _, n := range names {
		if !want[n] {
			t.Errorf("unexpected calibration file %s", n)
		}
		sn, err := naming.ParseScience(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := prof.CheckName(sn); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		path := filepath.Join(dir, n)
		if sn.Instrument == "fpi" {
			if c, err := ReadFPICalibration(path); err != nil || c != NominalFPICalibration() {
				t.Errorf("%s: %+v %v", n, c, err)
			}
		} else if _, err := ReadCalibration(path); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// TestFPIChainReadsBackWithJCDF runs a burst segment L0 → L1A → L1B → L2
// and the fast-survey SITL product with a non-nominal calibration, checks
// the physics with our reader and the values with jcdf.
func TestFPIChainReadsBackWithJCDF(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a spacecraft-day")
	}
	sim := simDir(t)
	l0, seg := firstBurst(t, sim, "fpi")
	att := filepath.Join(sim, "MMS1_DEFATT_2015289_2015290.V00")
	c := NominalFPICalibration()
	c.Scale[0] *= 1.25 // density cross-calibrated upwards
	c.Offset[3] = 100  // 1 km/s offset along the spin axis
	cal := writeFPICal(t, c, naming.Version{X: 1, Y: 2})
	l1a := runDirect(t, "fpi-l1a", pipeline.PartitionSegment, seg, 14, "mms1_fpi_brst_l1a_dis-moms", map[string]string{"l0": l0})
	l1b := runDirect(t, "fpi-l1b", pipeline.PartitionSegment, seg, 14, "mms1_fpi_brst_l1b_dis-moms", map[string]string{"l1a": l1a, "cal": cal})
	l2 := runDirect(t, "fpi-l2", pipeline.PartitionSegment, seg, 14, "mms1_fpi_brst_l2_dis-moms", map[string]string{"l1b": l1b, "att": att})
	fastL0 := filepath.Join(sim, "mms1_fpi_fast_l0_dis-moms_20151016_v1.0.0.dat")
	sitl := runDirect(t, "fpi-sitl", pipeline.PartitionDaily, simDay, 8, "mms1_fpi_fast_sitl_dis-moms", map[string]string{"l0": fastL0, "cal": cal})

	read := func(path, name string) *cdf.Var {
		f, err := cdf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		v := f.Var(name)
		if v == nil {
			t.Fatalf("%s: no %s", filepath.Base(path), name)
		}
		return v
	}
	raw, _ := read(l1a, "mms1_dis_moms_raw_brst_l1a").Int32s()
	epoch, _ := read(l1b, "Epoch").Int64s()
	dens, _ := read(l1b, "mms1_dis_numberdensity_brst_l1b").Float32s()
	vdbcs, _ := read(l1b, "mms1_dis_bulkv_dbcs_brst_l1b").Float32s()
	temp, _ := read(l1b, "mms1_dis_tempscalar_brst_l1b").Float32s()
	vgse, _ := read(l2, "mms1_dis_bulkv_gse_brst").Float32s()
	dens2, _ := read(l2, "mms1_dis_numberdensity_brst").Float32s()
	n := len(epoch)
	if n == 0 || len(raw) != 5*n || len(dens) != n || len(vdbcs) != 3*n || len(temp) != n ||
		len(vgse) != 3*n || len(dens2) != n {
		t.Fatalf("record counts: epoch %d raw %d n %d v %d T %d vgse %d", n, len(raw), len(dens), len(vdbcs), len(temp), len(vgse))
	}
	near := func(got float32, want float64) bool {
		return math.Abs(float64(got)-want) <= 1e-5*math.Max(1, math.Abs(want))
	}
	var inEvent int
	for i := range n {
		r := raw[5*i : 5*i+5]
		if !near(dens[i], 0.00125*float64(r[0])) || !near(vdbcs[3*i+2], 0.01*(float64(r[3])-100)) ||
			!near(vdbcs[3*i], 0.01*float64(r[1])) || !near(temp[i], 0.01*float64(r[4])) || dens2[i] != dens[i] {
			t.Fatalf("sample %d: raw %v -> L1B n %v V %v T %v, L2 n %v", i, r, dens[i], vdbcs[3*i:3*i+3], temp[i], dens2[i])
		}
		// The rotation into GSE keeps the speed.
		sd := math.Sqrt(float64(vdbcs[3*i]*vdbcs[3*i] + vdbcs[3*i+1]*vdbcs[3*i+1] + vdbcs[3*i+2]*vdbcs[3*i+2]))
		sg := math.Sqrt(float64(vgse[3*i]*vgse[3*i] + vgse[3*i+1]*vgse[3*i+1] + vgse[3*i+2]*vgse[3*i+2]))
		if math.Abs(sd-sg) > 1e-3*sd+1e-3 {
			t.Fatalf("sample %d: |V| despun %v, GSE %v", i, sd, sg)
		}
		if dens[i] > 5*1.25 {
			inEvent++
		}
	}
	if inEvent == 0 {
		t.Error("no magnetopause-like density in the first burst segment")
	}

	sEpoch, _ := read(sitl, "Epoch").Int64s()
	sDens, _ := read(sitl, "mms1_dis_numberdensity_fast_sitl").Float32s()
	sSpeed, _ := read(sitl, "mms1_dis_bulkspeed_fast_sitl").Float32s()
	if len(sEpoch) != 19200 || len(sDens) != 19200 || len(sSpeed) != 19200 {
		t.Fatalf("SITL: %d samples, want the 19,200 of the day", len(sEpoch))
	}

	// jcdf reads the new products with the values we wrote.
	jcdfOut := map[string]string{}
	for _, tc := range []struct {
		path, name string
		k          int
		ours       []float32
	}{
		{l1b, "mms1_dis_bulkv_dbcs_brst_l1b", 3, vdbcs},
		{l1b, "mms1_dis_numberdensity_brst_l1b", 1, dens},
		{l2, "mms1_dis_bulkv_gse_brst", 3, vgse},
		{sitl, "mms1_dis_bulkspeed_fast_sitl", 1, sSpeed},
	} {
		if jcdfOut[tc.path] == "" {
			jcdfOut[tc.path] = runJCDF(t, "CdfList", "-data", tc.path)
		}
		out := jcdfOut[tc.path]
		recs := jcdfRecords(t, out, tc.name)
		if len(recs)*tc.k != len(tc.ours) {
			t.Fatalf("%s: jcdf sees %d records, we wrote %d", tc.name, len(recs), len(tc.ours)/tc.k)
		}
		for _, i := range []int{0, len(recs) / 2, len(recs) - 1} {
			for c := range tc.k {
				got, err := strconv.ParseFloat(recs[i][c], 32)
				if err != nil || float32(got) != tc.ours[tc.k*i+c] {
					t.Fatalf("%s record %d component %d: jcdf %q, ours %v", tc.name, i, c, recs[i][c], tc.ours[tc.k*i+c])
				}
			}
		}
		if !strings.Contains(out, "DEPEND_0:\tEpoch") || !strings.Contains(out, "UNITS:\t") {
			t.Errorf("%s: jcdf does not show the ISTP variable attributes", filepath.Base(tc.path))
		}
	}
}
