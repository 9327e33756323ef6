package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store/local"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

type flatMetadata struct{}

func (flatMetadata) Quality(_ context.Context, from, to int64) ([]sitl.Quality, error) {
	var out []sitl.Quality
	for tai := from; tai < to; tai += 10 {
		q := 0
		if (tai-from)/10 >= 30 && (tai-from)/10 < 50 {
			q = 120
		}
		out = append(out, sitl.Quality{TAI: tai, Q: q})
	}
	return out, nil
}

// sitlData makes a data folder holding one open cycle (window 2015-10-16
// 10:00–11:00 UTC, deadline an hour from now) and returns it.
func sitlData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ts, err := local.OpenTableStore(filepath.Join(dir, "magpie.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	prof, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := sitlcycle.New(context.Background(), sitlcycle.Config{Tables: ts, Burst: prof.Burst, Metadata: flatMetadata{}, Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	start, _ := timeutil.UTCToTAI(time.Date(2015, 10, 16, 10, 0, 0, 0, time.UTC))
	start -= start % 10
	in, err := sitlcycle.NewInput(sitlcycle.Window{StartTAI: start, EndTAI: start + 3600, Deadline: time.Now().Add(time.Hour)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.BuildABS(context.Background(), sitlcycle.StepInput{CycleID: in.CycleID, Window: in.Window}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sitl_selections_2015-10-16-12-00-00.csv")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSITLCommand(t *testing.T) {
	dir := sitlData(t)
	good := writeCSV(t, "start_time, stop_time, fom, sourceid, discussion\n2015-10-16 10:05:00, 2015-10-16 10:08:00, 120, SITL, flux rope\n")
	bad := writeCSV(t, "2015-10-16 10:05:00, 2015-10-16 10:08:00, 300, SITL, x\n2015-10-16 10:50:00, 2015-10-16 11:30:00, 20, SITL, too long\n")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"show", []string{"show"}, 0, []string{"cycle 20151016-", "window   2015-10-16 09:59:54", "ABS: 1 segments"}, ""},
		{"validate good", []string{"validate", good}, 0, []string{"1 selections valid"}, ""},
		{"validate bad", []string{"validate", bad}, 2, []string{"row 1: error fom-range", "row 2: error length-range", "row 2: error after-window-close"}, "rejected"},
		{"submit bad", []string{"submit", bad}, 2, []string{"row 1: error fom-range"}, "not submitted"},
		{"submit good", []string{"submit", good}, 0, []string{"submission 1 recorded"}, ""},
		{"status", []string{"status"}, 0, []string{`"submissions":1`, `"status":"WAITING_SUBMISSION"`}, ""},
		{"approve nothing", []string{"approve"}, 2, nil, "nothing awaits approval"},
		{"unknown cycle", []string{"show", "--cycle", "nope"}, 2, nil, `no SITL cycle "nope"`},
		{"missing file", []string{"validate"}, 2, nil, "wrong arguments"},
		{"unknown", []string{"frobnicate"}, 2, nil, "unknown subcommand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := sitlCommand(append(tc.args, "--data", dir), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, out.String(), errb.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out.String())
				}
			}
			if !strings.Contains(errb.String(), tc.stderr) || strings.Count(errb.String(), "\n") > 1 {
				t.Errorf("stderr %q, want one line with %q", errb.String(), tc.stderr)
			}
		})
	}
}

func TestSITLCommandServerHoldsLock(t *testing.T) {
	dir := sitlData(t)
	ts, err := local.OpenTableStore(filepath.Join(dir, "magpie.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	var out, errb bytes.Buffer
	if code := sitlCommand([]string{"show", "--data", dir}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "running SDC server holds") {
		t.Fatalf("exit %d stderr %q", code, errb.String())
	}
}
