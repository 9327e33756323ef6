package pipeline

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/cdf"
	"github.com/magpie-sdc/magpie/shared/mission"
)

// The test binary doubles as an external processor: with externalModeEnv
// set it reads the manifest given as its argument and acts.
const externalModeEnv = "MAGPIE_PIPELINE_TEST_PROCESSOR"

func externalMain(mode string, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: processor MANIFEST")
		return 2
	}
	if mode == "fail" {
		// More than the tail keeps, so the test sees truncation.
		fmt.Fprint(os.Stderr, strings.Repeat("noise line\n", 1000))
		fmt.Fprintln(os.Stderr, "fatal: calibration table has 2 rows, want 3")
		return 3
	}
	m, err := ReadManifest(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var om OutputManifest
	om.JobID = m.JobID
	for _, o := range m.Outputs {
		w := cdf.NewWriter()
		w.GlobalAttr("Logical_file_id", strings.TrimSuffix(o.FileName, ".cdf"))
		w.Variable("Epoch", cdf.TT2000, nil, true).Append([]int64{1})
		if err := w.Write(m.OutputPath(o)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		om.Outputs = append(om.Outputs, OutputFile{FileName: o.FileName})
	}
	om.Counters = map[string]int64{"records": 1}
	if err := WriteOutputManifest(m.OutputDir, om); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestFailingExternalProcessor(t *testing.T) {
	graph := testGraph()[:1]
	graph[0].Processor = "team-l1a"
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ext := []mission.ProcessorDef{{ID: "team-l1a", Command: []string{self}, FormatVersion: 3, SoftwareVersion: "0.9"}}
	t.Setenv(externalModeEnv, "fail")
	s := newSDC(t, graph, ext)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))

	failed := s.jobs(StatusFailed)
	if len(failed) != 1 {
		t.Fatalf("want 1 FAILED job, got %+v", s.jobs(""))
	}
	j := failed[0]
	if j.ExitCode != 3 || !strings.HasSuffix(j.StderrTail, "fatal: calibration table has 2 rows, want 3\n") ||
		len(j.StderrTail) > StderrTailBytes || !strings.Contains(j.Error, "exit") || j.Finished.IsZero() || j.Attempts != 1 {
		t.Fatalf("failure not captured: exit %d, error %q, tail %d bytes ending %q", j.ExitCode, j.Error, len(j.StderrTail),
			j.StderrTail[max(0, len(j.StderrTail)-60):])
	}
	// Nothing lost: the input is still archived and cataloged, the work
	// folder kept, and nothing half-made was cataloged.
	in, err := s.cat.Get(s.ctx, "mms1_fgm_srvy_l0_20151016_v1.0.0.dat")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.archive.Head(s.ctx, in.ArchiveKey); err != nil {
		t.Fatalf("input archive copy: %v", err)
	}
	if _, err := os.Stat(j.WorkDir); err != nil {
		t.Fatalf("work folder of the failed attempt: %v", err)
	}
	if v := s.versions("l1a"); len(v) != 0 {
		t.Fatalf("outputs cataloged for a failed job: %v", v)
	}

	// The team fixes its code; retrying runs the same job again.
	t.Setenv(externalModeEnv, "ok")
	ids, err := s.p.RetryFailed(s.ctx)
	if err != nil || len(ids) != 1 || ids[0] != j.ID {
		t.Fatalf("retry: %v %v", ids, err)
	}
	s.bus.Drain()
	j, err = s.p.Jobs.Get(s.ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusSucceeded || j.Attempts != 2 || j.Error != "" || j.Counters["records"] != 1 {
		t.Fatalf("retried job %+v", j)
	}
	recs, err := s.cat.Query(s.ctx, catalog.Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Level: []string{"l1a"}})
	if err != nil || len(recs) != 1 || recs[0].Version != "3.0.0" {
		t.Fatalf("l1a after retry: %+v %v", recs, err)
	}
}

func TestRecoverRequeuesInterruptedJobs(t *testing.T) {
	s := newSDC(t, testGraph()[:1], nil)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))
	j := s.jobs(StatusSucceeded)[0]
	// Simulate a crash mid-run: the job is RUNNING and its output missing.
	if _, err := s.p.Jobs.Update(s.ctx, j.ID, func(j *Job) error { j.Status = StatusRunning; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.p.Recover(s.ctx); err != nil {
		t.Fatal(err)
	}
	j, _ = s.p.Jobs.Get(s.ctx, j.ID)
	if j.Status != StatusSucceeded || j.Attempts != 2 {
		t.Fatalf("recovered job %+v", j)
	}
	// Its rerun made a new revision, never overwrote the archived one.
	if v := s.versions("l1a"); len(v) != 2 {
		t.Fatalf("versions after recovery %v", v)
	}
}
