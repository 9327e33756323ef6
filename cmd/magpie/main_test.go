package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUnknownCommandAndHelp(t *testing.T) {
	if code, _, stderr := runCLI("frobnicate"); code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	if code, stdout, _ := runCLI("help"); code != 0 || !strings.Contains(stdout, "check-name") {
		t.Errorf("help: %d", code)
	}
}

func TestCheckName(t *testing.T) {
	code, stdout, stderr := runCLI("check-name", "mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf", "MMS_DEFQ_2015289_2015290.V01")
	if code != 0 || stderr != "" {
		t.Fatalf("valid names: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var f nameFields
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &f) != nil {
		t.Fatalf("output %q", stdout)
	}
	if f.Descriptor != "dis-moms" || f.Version != "3.3.0" || f.Start != "2015-10-16T00:00:00Z" ||
		f.ArchiveKey != "mms1/fpi/fast/l2/dis-moms/2015/10/mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf" {
		t.Errorf("fields %+v", f)
	}
	code, stdout, stderr = runCLI("check-name", "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms7_fgm_srvy_l2_20151016_v4.18.0.cdf", "nonsense")
	if code != 2 || strings.Count(stdout, "\n") != 1 || strings.Count(stderr, "\n") != 2 || !strings.Contains(stderr, "unknown spacecraft") {
		t.Errorf("mixed names: %d out %q err %q", code, stdout, stderr)
	}
	if code, _, _ := runCLI("check-name"); code != 2 {
		t.Error("no names accepted")
	}
}

func TestIngestIntoAStoppedDataFolder(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf")
	bad := filepath.Join(dir, "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf")
	os.WriteFile(good, []byte("\xCD\xF3\x00\x01\x00\x00\xFF\xFFdata"), 0o644)
	os.WriteFile(bad, []byte("text, not CDF"), 0o644)
	data := filepath.Join(dir, "sdc")
	code, stdout, stderr := runCLI("ingest", "--data", data, good, bad)
	if code != 2 || !strings.Contains(stdout, "1 indexed, 0 already archived, 1 quarantined, 0 failed") || !strings.Contains(stderr, "quarantined  mms1_fgm_srvy_l2_20151017_v4.18.0.cdf") {
		t.Fatalf("ingest: %d out %q err %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI("ingest", "--data", data, good)
	if code != 0 || !strings.Contains(stdout, "0 indexed, 1 already archived") {
		t.Fatalf("re-ingest: %d %q", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(data, "archive", "mms1/fgm/srvy/l2/2015/10/mms1_fgm_srvy_l2_20151016_v4.18.0.cdf")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI("ingest", "--data", data, filepath.Join(dir, "missing.cdf")); code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("missing file: %d %q", code, stderr)
	}
	if code, _, _ := runCLI("ingest", "--server", "not a url", good); code != 2 {
		t.Errorf("bad server URL: %d", code)
	}
}

func TestSimulateFlags(t *testing.T) {
	for _, args := range [][]string{
		{"simulate"},
		{"simulate", "--out", t.TempDir(), "--start", "2015-13-01"},
		{"simulate", "--out", t.TempDir(), "--days", "0"},
		{"simulate", "--out", t.TempDir(), "--spacecraft", "mms9"},
		{"simulate", "--bogus"},
	} {
		if code, _, stderr := runCLI(args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI("simulate", "--out", out, "--spacecraft", "mms2", "--start", "2016-01-01")
	if code != 0 || !strings.Contains(stdout, "wrote") {
		t.Fatalf("simulate: %d %s %s", code, stdout, stderr)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) < 5 {
		t.Fatalf("only %d files", len(entries))
	}
	for _, e := range entries {
		if code, _, stderr := runCLI("check-name", e.Name()); code != 0 {
			t.Errorf("simulated file with invalid name: %s", stderr)
		}
	}
}
