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
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/simulate"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
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
	s.deliver(t, calDir, cals[0]) // mms1

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
		"fpi/fast/l1a/cdf", "fpi/fast/l2/cdf", "fpi/fast/ql/cdf", "fpi/fast/ql/png", "fpi/brst/l1a/cdf", "fpi/brst/l2/cdf"} {
		if levels[want] == 0 {
			t.Errorf("no %s product in the catalog (have %v)", want, levels)
		}
	}
	if levels["fgm/brst/l2/cdf"] != levels["fgm/brst/l0/dat"] || levels["fgm/brst/l2/cdf"] < 6 {
		t.Errorf("%d burst L2 files for %d burst segments", levels["fgm/brst/l2/cdf"], levels["fgm/brst/l0/dat"])
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
