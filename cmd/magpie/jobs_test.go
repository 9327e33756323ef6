package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

func TestJobsCommand(t *testing.T) {
	dir := t.TempDir()
	ts, err := local.OpenTableStore(filepath.Join(dir, "magpie.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	jobs := pipeline.NewJobs(ts)
	ctx := context.Background()
	if err := jobs.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)
	for _, j := range []pipeline.Job{
		{ID: "aaaaaaaaaaaaaaaa1111", Node: "fgm-srvy-l1a", SC: "mms1", Start: day, TimeDigits: 8, Status: pipeline.StatusFailed,
			Error: "processor exited with code 3: exit status 3", ExitCode: 3, StderrTail: "fatal: bad table\n", Created: day},
		{ID: "bbbbbbbbbbbbbbbb2222", Node: "fgm-srvy-l2", SC: "mms1", Start: day, TimeDigits: 8, Status: pipeline.StatusNotRun,
			Missing: []string{"att (ancillary/defatt, covering)"}, Created: day},
	} {
		if _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := jobsCommand(append([]string{"--data", dir}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	// The test holds the lock, as a running server would.
	if code, _, stderr := run(); code != 2 || !strings.Contains(stderr, "in use") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("busy data folder: code %d, stderr %q", code, stderr)
	}
	ts.Close()

	code, out, _ := run()
	if code != 0 || !strings.Contains(out, "aaaaaaaaaaaa  FAILED") || !strings.Contains(out, "missing att") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	code, out, _ = run("--status", "notrun")
	if code != 0 || strings.Contains(out, "FAILED") || !strings.Contains(out, "NOTRUN") {
		t.Fatalf("filter: %d\n%s", code, out)
	}
	code, out, _ = run("--show", "aaaa")
	if code != 0 || !strings.Contains(out, "exit code   3") || !strings.Contains(out, "fatal: bad table") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	if code, _, stderr := run("--status", "done"); code != 2 || !strings.Contains(stderr, "unknown status") {
		t.Fatalf("bad status: %d %q", code, stderr)
	}
}
