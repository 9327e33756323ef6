package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
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
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// sdc is a small local SDC for tests: stores, catalog, bus, indexer and a
// pipeline with fake processors that record their calls.
type sdc struct {
	t       *testing.T
	ctx     context.Context
	profile *mission.Profile
	dropbox *local.ObjectStore
	archive *local.ObjectStore
	cat     *catalog.Catalog
	bus     *events.Bus
	clock   *clock.Fake
	p       *Pipeline

	mu    sync.Mutex
	calls map[string]int // processor id -> runs
	// failing makes a fake processor fail with this error message.
	failing map[string]string
}

var day = time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)

// testGraph: L0 -> L1A -> L1B (+cal) -> L2 (+defatt feeding).
func testGraph() []mission.ProductNode {
	return []mission.ProductNode{
		{ID: "l1a", Processor: "fake-l1a", Partition: PartitionDaily,
			Output: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "l1a"},
			Inputs: []mission.NodeInput{{Name: "l0", ProductRef: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "l0"}, Window: WindowSame, Trigger: true}}},
		{ID: "l1b", Processor: "fake-l1b", Partition: PartitionDaily,
			Output: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "l1b"},
			Inputs: []mission.NodeInput{
				{Name: "l1a", ProductRef: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "l1a"}, Window: WindowSame, Trigger: true},
				{Name: "cal", ProductRef: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "cal"}, Window: WindowLatest, Trigger: true, Calibration: true},
			}},
		{ID: "l2", Processor: "fake-l2", Partition: PartitionDaily,
			Output: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "l2"},
			Inputs: []mission.NodeInput{
				{Name: "l1b", ProductRef: mission.ProductRef{Instrument: "fgm", Rate: "srvy", Level: "l1b"}, Window: WindowSame, Trigger: true, Calibration: true},
				{Name: "att", ProductRef: mission.ProductRef{Ancillary: "defatt"}, Window: WindowCovering},
			}},
	}
}

func newSDC(t *testing.T, graph []mission.ProductNode, externals []mission.ProcessorDef) *sdc {
	t.Helper()
	ctx := context.Background()
	base, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	prof := *base
	prof.Products, prof.Processors = graph, externals
	dir := t.TempDir()
	dropbox, err := local.NewObjectStore(filepath.Join(dir, "dropbox"))
	if err != nil {
		t.Fatal(err)
	}
	archive, err := local.NewObjectStore(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
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
	fc := clock.NewFake(time.Date(2015, 10, 20, 12, 0, 0, 0, time.UTC))
	ix := &ingest.Indexer{Profile: &prof, Dropbox: dropbox, Archive: archive, Catalog: cat, Events: bus, Clock: fc, Log: log}
	s := &sdc{t: t, ctx: ctx, profile: &prof, dropbox: dropbox, archive: archive, cat: cat, bus: bus, clock: fc, calls: map[string]int{}}
	builtins := Registry{}
	for _, id := range []string{"fake-l1a", "fake-l1b", "fake-l2"} {
		builtins[id] = Builtin{Meta: Info{ID: id, FormatVersion: 2, SoftwareVersion: "1.0"}, Run: s.fakeRun(id)}
	}
	s.p, err = New(ctx, Config{Profile: &prof, Builtins: builtins, Tables: tables, Catalog: cat, Archive: archive,
		Dropbox: dropbox, Indexer: ix, Clock: fc, Log: log, WorkDir: filepath.Join(dir, "work"), Events: bus})
	if err != nil {
		t.Fatal(err)
	}
	bus.Subscribe(events.FileIndexed, s.p.HandleEvent)
	return s
}

// fakeRun writes a small CDF naming its inputs, so outputs differ exactly
// when inputs do.
func (s *sdc) fakeRun(id string) BuiltinFunc {
	return func(ctx context.Context, m *Manifest) (OutputManifest, error) {
		s.mu.Lock()
		s.calls[id]++
		failure := s.failing[id]
		s.mu.Unlock()
		var om OutputManifest
		if failure != "" {
			return om, errors.New(failure)
		}
		for _, o := range m.Outputs {
			w := cdf.NewWriter()
			w.GlobalAttr("Logical_file_id", strings.TrimSuffix(o.FileName, ".cdf"))
			for _, in := range m.Inputs {
				w.GlobalAttr("Parents", in.FileName)
			}
			w.Variable("Epoch", cdf.TT2000, nil, true).Append([]int64{0})
			if err := w.Write(m.OutputPath(o)); err != nil {
				return om, err
			}
			om.Outputs = append(om.Outputs, OutputFile{FileName: o.FileName})
		}
		return om, nil
	}
}

func (s *sdc) runs(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

// drop delivers a file through the dropbox and waits for all processing.
func (s *sdc) drop(name string, content []byte) {
	s.t.Helper()
	s.clock.Advance(time.Minute)
	if _, err := s.dropbox.Put(s.ctx, name, bytes.NewReader(content), store.PutOptions{}); err != nil {
		s.t.Fatal(err)
	}
	out, err := s.p.Runner.Indexer.Index(s.ctx, name)
	if err != nil || out.Result != ingest.ResultIndexed {
		s.t.Fatalf("index %s: %v %+v", name, err, out)
	}
	s.bus.Drain()
}

// l0 is a fake telemetry file: a plausible CCSDS first byte, then content.
func l0(content string) []byte { return append([]byte{0x08, 0x4c}, content...) }

func (s *sdc) versions(level string) []string {
	s.t.Helper()
	recs, err := s.cat.Query(s.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"},
		Level: []string{level}, Descriptor: []string{""}, AllVersions: true})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Version)
	}
	return out
}

func (s *sdc) newest(level string) string {
	s.t.Helper()
	recs, err := s.cat.Query(s.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"},
		Level: []string{level}, Descriptor: []string{""}})
	if err != nil {
		s.t.Fatal(err)
	}
	if len(recs) != 1 {
		return fmt.Sprintf("%d records", len(recs))
	}
	return recs[0].Name
}

func (s *sdc) jobs(status string) []Job {
	s.t.Helper()
	js, err := s.p.Jobs.List(s.ctx, status, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return js
}

func (s *sdc) jobOf(node string) Job {
	s.t.Helper()
	var found []Job
	for _, j := range s.jobs("") {
		if j.Node == node {
			found = append(found, j)
		}
	}
	if len(found) == 0 {
		s.t.Fatalf("no current job for node %s", node)
	}
	return found[0]
}

func attFile() (string, []byte) {
	return "MMS1_DEFATT_2015289_2015290.V00", []byte("DEFINITIVE ATTITUDE\nEpoch (UTC) RA Dec Phase Rate\n")
}

func calFile(version string) (string, []byte) {
	return "mms1_fgm_srvy_cal_20151001_v" + version + ".csv", []byte("axis,gain,offset\nx,64," + version + "\n")
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(externalModeEnv); mode != "" {
		os.Exit(externalMain(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}
