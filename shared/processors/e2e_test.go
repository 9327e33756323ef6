package processors

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/simulate"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

var simDay = time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)

// simulated holds one simulated day of mms1, made once per test binary.
// MAGPIE_SIM_DIR names a folder to keep it in (simulated when empty), so a
// benchmark's memory can be measured without the simulator's.
var simulated = sync.OnceValues(func() (string, error) {
	dir := os.Getenv("MAGPIE_SIM_DIR")
	if dir != "" {
		if es, err := os.ReadDir(dir); err == nil && len(es) > 0 {
			return dir, nil
		}
	} else {
		var err error
		if dir, err = os.MkdirTemp("", "magpie-processors-sim-"); err != nil {
			return "", err
		}
	}
	p, err := mission.Default()
	if err != nil {
		return "", err
	}
	_, err = simulate.Run(context.Background(), simulate.Config{Profile: p, Out: dir, Start: simDay, Days: 1,
		Spacecraft: []string{"mms1"}, Seed: 1})
	return dir, err
})

func simDir(t testing.TB) string {
	t.Helper()
	simUsed.Store(true)
	dir, err := simulated()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

type localSDC struct {
	ctx     context.Context
	profile *mission.Profile
	dropbox *local.ObjectStore
	archive *local.ObjectStore
	cat     *catalog.Catalog
	bus     *events.Bus
	ix      *ingest.Indexer
	p       *pipeline.Pipeline
}

func newLocalSDC(t testing.TB) *localSDC {
	t.Helper()
	ctx := context.Background()
	prof, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dropbox, _ := local.NewObjectStore(filepath.Join(dir, "dropbox"))
	archive, _ := local.NewObjectStore(filepath.Join(dir, "archive"))
	tables, err := local.OpenTableStore(filepath.Join(dir, "tables.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tables.Close() })
	cat := catalog.New(tables)
	if err := cat.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	bus := events.NewBus(log, 2)
	t.Cleanup(bus.Close)
	fc := clock.NewFake(time.Date(2015, 10, 17, 6, 0, 0, 0, time.UTC))
	ix := &ingest.Indexer{Profile: prof, Dropbox: dropbox, Archive: archive, Catalog: cat, Events: bus, Clock: fc, Log: log}
	p, err := pipeline.New(ctx, pipeline.Config{Profile: prof, Builtins: Registry(prof), Tables: tables, Catalog: cat,
		Archive: archive, Dropbox: dropbox, Indexer: ix, Clock: fc, Log: log, WorkDir: filepath.Join(dir, "work")})
	if err != nil {
		t.Fatal(err)
	}
	bus.Subscribe(events.FileIndexed, p.HandleEvent)
	return &localSDC{ctx: ctx, profile: prof, dropbox: dropbox, archive: archive, cat: cat, bus: bus, ix: ix, p: p}
}

// deliver puts files from dir into the dropbox and indexes them.
func (s *localSDC) deliver(t testing.TB, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.dropbox.Put(s.ctx, n, bytes.NewReader(b), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if out, err := s.ix.Index(s.ctx, n); err != nil || out.Result != ingest.ResultIndexed {
			t.Fatalf("index %s: %v %+v", n, err, out)
		}
	}
	s.bus.Drain()
}

func (s *localSDC) fetch(t testing.TB, rec catalog.Record) string {
	t.Helper()
	rc, _, err := s.archive.Get(s.ctx, rec.ArchiveKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), rec.Name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSimulatedDayToEveryLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a spacecraft-day")
	}
	sim := simDir(t)
	s := newLocalSDC(t)
	entries, err := os.ReadDir(sim)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	// Telemetry first, so L1B and L2 wait (NOTRUN) for calibration and
	// attitude, then everything else, then the calibration.
	var first, later []string
	for _, n := range names {
		if strings.HasSuffix(n, ".dat") {
			first = append(first, n)
		} else {
			later = append(later, n)
		}
	}
	s.deliver(t, sim, first...)
	if nr, _ := s.p.Jobs.List(s.ctx, pipeline.StatusNotRun, 0); len(nr) == 0 {
		t.Fatal("no NOTRUN jobs while calibration and attitude are missing")
	}
	s.deliver(t, sim, later...)
	calDir := t.TempDir()
	cals, err := WriteNominalCalibrations(s.profile, calDir, simDay.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	var mms1Cals []string
	for _, c := range cals {
		if strings.HasPrefix(c, "mms1_") {
			mms1Cals = append(mms1Cals, c)
		}
	}
	if len(mms1Cals) != 2 {
		t.Fatalf("nominal calibrations of mms1: %v, want FGM and FPI", mms1Cals)
	}
	s.deliver(t, calDir, mms1Cals...)

	failed, _ := s.p.Jobs.List(s.ctx, pipeline.StatusFailed, 0)
	for _, j := range failed {
		t.Errorf("job %s %s failed: %s", j.Node, j.TimeTag(), j.Error)
	}
	nr, _ := s.p.Jobs.List(s.ctx, pipeline.StatusNotRun, 0)
	for _, j := range nr {
		t.Errorf("job %s %s still NOTRUN: %v", j.Node, j.TimeTag(), j.Missing)
	}
	levels := map[string]int{}
	recs, err := s.cat.Query(s.ctx, catalog.Filter{SC: []string{"mms1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		levels[r.Instrument+"/"+r.Rate+"/"+r.Level+"/"+r.Ext]++
	}
	for _, want := range []string{"fgm/srvy/l1a/cdf", "fgm/srvy/l1b/cdf", "fgm/srvy/l2/cdf", "fgm/srvy/sitl/cdf",
		"fgm/srvy/ql/cdf", "fgm/srvy/ql/png", "fgm/brst/l1a/cdf", "fgm/brst/l1b/cdf", "fgm/brst/l2/cdf",
		"fpi/fast/l1a/cdf", "fpi/fast/l1b/cdf", "fpi/fast/l2/cdf", "fpi/fast/sitl/cdf", "fpi/fast/ql/cdf", "fpi/fast/ql/png",
		"fpi/brst/l1a/cdf", "fpi/brst/l1b/cdf", "fpi/brst/l2/cdf"} {
		if levels[want] == 0 {
			t.Errorf("no %s product in the catalog (have %v)", want, levels)
		}
	}
	for _, in := range []string{"fgm", "fpi"} {
		if segs := levels[in+"/brst/l0/dat"]; levels[in+"/brst/l1b/cdf"] != segs || levels[in+"/brst/l2/cdf"] != segs || segs < 6 {
			t.Errorf("%s: %d burst L1B and %d L2 files for %d burst segments", in, levels[in+"/brst/l1b/cdf"], levels[in+"/brst/l2/cdf"], segs)
		}
	}
	get := func(level string) catalog.Record {
		r, err := s.cat.Query(s.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"},
			Level: []string{level}, Descriptor: []string{""}, Ext: []string{"cdf"}})
		if err != nil || len(r) != 1 {
			t.Fatalf("fgm srvy %s: %v %v", level, r, err)
		}
		return r[0]
	}
	l2 := get("l2")
	if l2.Name != "mms1_fgm_srvy_l2_20151016_v4.1.0.cdf" {
		t.Errorf("L2 name %s, want version 4.1.0 (format 4, calibration 1)", l2.Name)
	}
	checkFGMPhysics(t, s.fetch(t, get("l1a")), s.fetch(t, get("l1b")), s.fetch(t, l2))
	checkFPIRecalibration(t, s)
}

// fpiRecs returns the newest (or every) version of an FPI dis-moms
// product of mms1 in the catalog, sorted by name.
func (s *localSDC) fpiRecs(t *testing.T, rate, level string, all bool) []catalog.Record {
	t.Helper()
	recs, err := s.cat.Query(s.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fpi"}, Rate: []string{rate},
		Level: []string{level}, Descriptor: []string{"dis-moms"}, Ext: []string{"cdf"}, AllVersions: all})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(recs, func(a, b int) bool { return recs[a].Name < recs[b].Name })
	return recs
}

// versionsByTag groups the versions of records by time tag.
func versionsByTag(recs []catalog.Record) map[string][]string {
	out := map[string][]string{}
	for _, r := range recs {
		tag := r.Start.UTC().Format("20060102150405")[:r.TimeDigits]
		out[tag] = append(out[tag], r.Version)
	}
	return out
}

// checkFPIRecalibration checks the 2-hour FPI fast survey files and the
// daily QL, then delivers a new FPI calibration (Y 2): L1B, L2 and QL are
// made again with Y 2 (the QL once, after the day's last L2), the Y 1 files
// stay queryable, and the densities scale with the new calibration.
func checkFPIRecalibration(t *testing.T, s *localSDC) {
	t.Helper()
	for level, want := range map[string]string{"l1a": "1.0.0", "l1b": "1.1.0", "l2": "3.1.0"} {
		got := versionsByTag(s.fpiRecs(t, "fast", level, true))
		if len(got) != 12 {
			t.Errorf("fpi fast %s: %d time tags, want the 12 two-hour files of the day: %v", level, len(got), got)
		}
		for h := 0; h < 24; h += 2 {
			tag := simDay.Add(time.Duration(h) * time.Hour).Format("20060102150405")
			if v := got[tag]; len(v) != 1 || v[0] != want {
				t.Errorf("fpi fast %s %s: versions %v, want [%s]", level, tag, v, want)
			}
		}
	}
	// The daily products: SITL from the daily L0, QL gathering the day's
	// twelve L2 files once all are there (once: no Z > 0).
	for _, level := range []string{"sitl", "ql"} {
		if got := versionsByTag(s.fpiRecs(t, "fast", level, true)); len(got) != 1 || len(got["20151016"]) != 1 || got["20151016"][0] != "1.1.0" {
			t.Errorf("fpi fast %s: %v, want one daily file v1.1.0", level, got)
		}
	}
	if ql := s.fpiRecs(t, "fast", "ql", false); len(ql) == 1 {
		f, err := cdf.Open(s.fetch(t, ql[0]))
		if err != nil {
			t.Fatal(err)
		}
		e, err := f.Var("Epoch").Int64s()
		f.Close()
		if err != nil || len(e) != 19200 {
			t.Errorf("fpi QL holds %d samples (%v), want the day's 19,200", len(e), err)
		}
	}
	noon := func() catalog.Record {
		for _, r := range s.fpiRecs(t, "fast", "l2", false) {
			if r.Start.Equal(simDay.Add(12 * time.Hour)) {
				return r
			}
		}
		t.Fatal("no fpi fast L2 file at 12:00")
		return catalog.Record{}
	}
	oldL2 := s.fetch(t, noon())
	c := NominalFPICalibration()
	c.Scale[0] *= 1.1
	dir := t.TempDir()
	name := FPICalibrationName("mms1", "dis-moms", simDay.AddDate(0, 0, -1), naming.Version{X: 1, Y: 2})
	if err := os.WriteFile(filepath.Join(dir, name), FormatFPICalibration("mms1", "dis-moms", c), 0o644); err != nil {
		t.Fatal(err)
	}
	s.deliver(t, dir, name)
	for level, want := range map[string][]string{"l1b": {"1.1.0", "1.2.0"}, "l2": {"3.1.0", "3.2.0"}, "ql": {"1.1.0", "1.2.0"}} {
		all := versionsByTag(s.fpiRecs(t, "fast", level, true))
		newest := versionsByTag(s.fpiRecs(t, "fast", level, false))
		if tags := map[bool]int{true: 1, false: 12}[level == "ql"]; len(all) != tags || len(newest) != tags {
			t.Errorf("fpi fast %s after recalibration: %d tags, %d newest, want %d", level, len(all), len(newest), tags)
		}
		for tag, v := range all {
			sort.Strings(v)
			if len(v) != 2 || v[0] != want[0] || v[1] != want[1] || len(newest[tag]) != 1 || newest[tag][0] != want[1] {
				t.Errorf("fpi fast %s %s after recalibration: versions %v, newest %v; want %v", level, tag, v, newest[tag], want)
			}
		}
	}
	brst := s.fpiRecs(t, "brst", "l2", false)
	if segs := len(s.fpiRecs(t, "brst", "l1a", false)); len(brst) != segs {
		t.Errorf("%d burst L2 files of the newest version for %d segments", len(brst), segs)
	}
	for _, r := range brst {
		if r.Version != "3.2.0" {
			t.Errorf("burst L2 %s not recalibrated", r.Name)
		}
	}
	// The SITL product only feeds on the calibration: no new version.
	if got := s.fpiRecs(t, "fast", "sitl", true); len(got) != 1 {
		t.Errorf("fpi SITL files %d, want only the first", len(got))
	}
	read := func(path string) ([]int64, []float32) {
		f, err := cdf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		e, err := f.Var("Epoch").Int64s()
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.Var("mms1_dis_numberdensity_fast").Float32s()
		if err != nil {
			t.Fatal(err)
		}
		return e, v
	}
	epoch, before := read(oldL2)
	_, after := read(s.fetch(t, noon()))
	// 2 h of 4.5-s samples, all inside the slot.
	lo, _ := timeutil.UTCToTT2000(simDay.Add(12 * time.Hour))
	hi, _ := timeutil.UTCToTT2000(simDay.Add(14 * time.Hour))
	if len(before) != 1600 || len(after) != len(before) || epoch[0] < lo || epoch[len(epoch)-1] >= hi {
		t.Fatalf("fpi L2 12:00: %d densities before, %d after recalibration (want 1,600 in [12:00, 14:00))", len(before), len(after))
	}
	for i := range before {
		if math.Abs(float64(after[i])-1.1*float64(before[i])) > 1e-5*math.Max(1, float64(after[i])) {
			t.Fatalf("sample %d: density %v after recalibration, %v before: want ×1.1", i, after[i], before[i])
		}
	}
}

// checkFGMPhysics checks the science: L1B is (counts − offset)/gain, L2
// keeps the magnitude, and despinning removes the spin tone.
func checkFGMPhysics(t *testing.T, l1aPath, l1bPath, l2Path string) {
	t.Helper()
	read := func(path, name string) *cdf.Var {
		f, err := cdf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		v := f.Var(name)
		if v == nil {
			t.Fatalf("%s: no %s", path, name)
		}
		return v
	}
	raw, _ := read(l1aPath, "mms1_fgm_raw_srvy_l1a").Int32s()
	bcs, _ := read(l1bPath, "mms1_fgm_b_bcs_srvy_l1b").Float32s()
	gse, _ := read(l2Path, "mms1_fgm_b_gse_srvy_l2").Float32s()
	epoch, _ := read(l2Path, "Epoch").Int64s()
	if len(epoch) != 1382400 || len(raw) != 3*len(epoch) || len(bcs) != 4*len(epoch) || len(gse) != 4*len(epoch) {
		t.Fatalf("record counts: epoch %d raw %d bcs %d gse %d (want 1382400 vectors)", len(epoch), len(raw), len(bcs), len(gse))
	}
	if lbl, _ := read(l2Path, "mms1_fgm_b_gse_srvy_l2").Attr("DEPEND_0"); lbl.String() != "Epoch" {
		t.Errorf("DEPEND_0 = %v", lbl)
	}
	cal := NominalCalibration(1)
	var spinBCS, spinGSE float64
	for i := 0; i < len(epoch); i += 997 {
		for a := range 3 {
			want := (float64(raw[3*i+a]) - cal.Offset[a]) / cal.Gain[a]
			if math.Abs(float64(bcs[4*i+a])-want) > 1e-3*math.Max(1, math.Abs(want)) {
				t.Fatalf("sample %d axis %d: L1B %v, want %v", i, a, bcs[4*i+a], want)
			}
		}
		m2 := math.Sqrt(float64(gse[4*i])*float64(gse[4*i]) + float64(gse[4*i+1])*float64(gse[4*i+1]) + float64(gse[4*i+2])*float64(gse[4*i+2]))
		if math.Abs(m2-float64(bcs[4*i+3])) > 1e-3*float64(bcs[4*i+3])+1e-3 {
			t.Fatalf("sample %d: |B| GSE %v != |B| BCS %v", i, m2, bcs[4*i+3])
		}
		// Spin tone: change over a quarter spin (~4.85 s = 78 samples).
		if i+78 < len(epoch) {
			spinBCS += math.Abs(float64(bcs[4*(i+78)] - bcs[4*i]))
			spinGSE += math.Abs(float64(gse[4*(i+78)] - gse[4*i]))
		}
	}
	if spinGSE*20 > spinBCS {
		t.Errorf("despin left a spin tone: mean quarter-spin change GSE %.3g vs BCS %.3g", spinGSE, spinBCS)
	}
}

func TestGSEAxes(t *testing.T) {
	// At the 2015 June solstice (2015-06-21 16:38 UTC) the Sun is at
	// ecliptic longitude 90° of date, about 89.8° from the J2000 equinox
	// (the equinox has precessed westward since).
	tt := int64((time.Date(2015, 6, 21, 16, 38, 0, 0, time.UTC).Sub(time.Date(2000, 1, 1, 11, 58, 55, 816000000, time.UTC))))
	x, y, z := gseAxes(tt)
	lambda := 90.0 - 1.396971*15.47/100
	eps := obliquityJ2000 * deg
	want := vec3{math.Cos(lambda * deg), math.Cos(eps) * math.Sin(lambda*deg), math.Sin(eps) * math.Sin(lambda*deg)}
	if d := math.Acos(math.Min(1, x.dot(want))) / deg; d > 0.02 {
		t.Errorf("Sun direction off by %.4f°", d)
	}
	if math.Abs(x.dot(y)) > 1e-12 || math.Abs(y.dot(z)) > 1e-12 || math.Abs(x.norm()-1) > 1e-12 {
		t.Error("GSE axes not orthonormal")
	}
}
