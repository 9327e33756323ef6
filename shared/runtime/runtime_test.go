package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/ingest"
)

var cdf = []byte{0xCD, 0xF3, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF, 'x'}

func open(t *testing.T, dir string) *Local {
	t.Helper()
	l, err := Open(context.Background(), Config{DataDir: dir, NoSync: true, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	// Atomic, as the documented way to drop files: temp name, then rename.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestSweepIngestsWhatIsWaiting(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	defer l.Close()
	write(t, filepath.Join(dir, "dropbox", "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"), cdf)
	write(t, filepath.Join(dir, "dropbox", "team", "mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"), cdf)
	write(t, filepath.Join(dir, "dropbox", "garbage.txt"), []byte("hello"))
	var seen int
	res, err := l.Sweep(context.Background(), func(ingest.Outcome, error) { seen++ })
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 2 || res.Quarantined != 1 || res.Failed != 0 || seen != 3 {
		t.Fatalf("sweep %+v, progress calls %d", res, seen)
	}
	// A second sweep finds only the quarantine, which it leaves alone.
	res, _ = l.Sweep(context.Background(), nil)
	if res.Seen != 0 {
		t.Fatalf("second sweep %+v", res)
	}
	qs, err := l.Quarantined(context.Background(), 10)
	if err != nil || len(qs) != 1 || qs[0].Code != ingest.CodeInvalidName {
		t.Fatalf("quarantine %+v %v", qs, err)
	}
}

func TestWatchIngestsFilesAsTheyLand(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Watch(ctx, WatchConfig{Quiet: 20 * time.Millisecond}) }()
	names := []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms3_fgm_srvy_l2_20151016_v4.18.0.cdf"}
	// Give the watcher a moment to register its watches, then drop files,
	// one of them into a folder created after the watch started.
	time.Sleep(100 * time.Millisecond)
	write(t, filepath.Join(dir, "dropbox", names[0]), cdf)
	write(t, filepath.Join(dir, "dropbox", "late", "folder", names[1]), cdf)
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs, err := l.Catalog.Query(context.Background(), catalog.Filter{Instrument: []string{"fgm"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watcher indexed %d of 2 files", len(recs))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestOnlyOneProcessOpensADataFolder(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	defer l.Close()
	_, err := Open(context.Background(), Config{DataDir: dir})
	if !errors.Is(err, ErrDataDirBusy) {
		t.Fatalf("second open: %v", err)
	}
}

func TestIngestSkipsAKeyAlreadyInFlight(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	defer l.Close()
	l.inflight["x.cdf"] = true
	out, err := l.Ingest(context.Background(), "x.cdf")
	if err != nil || out.Result != ingest.ResultSkipped {
		t.Fatalf("%+v %v", out, err)
	}
}
