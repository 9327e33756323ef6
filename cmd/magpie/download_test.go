package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/magpie-sdc/magpie/shared/api"
	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/store"
)

const (
	bigName    = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"  // released
	otherName  = "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"  // released
	secretName = "mms1_fgm_srvy_l1b_20151016_v4.18.0.cdf" // team only
	teamPass   = "password-123"
)

// cdfBytes is a file body the indexer accepts: the CDF magic number, then
// n pseudo-random bytes (the same for the same seed).
func cdfBytes(n int, seed uint64) []byte {
	b := make([]byte, 8+n)
	copy(b, "\xCD\xF3\x00\x01\x00\x00\xFF\xFF")
	r := rand.New(rand.NewPCG(seed, seed))
	for i := 8; i < len(b); i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// apiServer runs the API on a local SDC holding three files, two of them
// released, and records the Range header of every download request.
func apiServer(t *testing.T) (srv *httptest.Server, files map[string][]byte, ranges func() []string) {
	t.Helper()
	ctx := context.Background()
	l, err := runtime.Open(ctx, runtime.Config{DataDir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	users := auth.NewUsers(l.Tables, l.Clock)
	users.Cost = 4
	if err := users.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Add(ctx, "sci", teamPass, []auth.Role{auth.RoleScientist}, false); err != nil {
		t.Fatal(err)
	}
	rel := &release.Service{Catalog: l.Catalog, Tables: l.Tables, Profile: l.Profile, Clock: l.Clock}
	if err := rel.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	files = map[string][]byte{bigName: cdfBytes(300_000, 1), otherName: cdfBytes(1000, 2), secretName: cdfBytes(500, 3)}
	for name, body := range files {
		if _, err := l.Dropbox.Put(ctx, "t/"+name, bytes.NewReader(body), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if out, err := l.Ingest(ctx, "t/"+name); err != nil || out.Result != "indexed" {
			t.Fatalf("ingest %s: %+v %v", name, out, err)
		}
	}
	if _, err := rel.Release(ctx, release.Scope{Instrument: []string{"fgm"}, Level: []string{"l2"}}, "R1", "", "test"); err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Backend{Profile: l.Profile, Catalog: l.Catalog, Dropbox: l.Dropbox, Archive: l.Archive, Clock: l.Clock,
		Log: slog.New(slog.DiscardHandler), Ingest: l.Ingest, Quarantined: l.Quarantined, Passwords: users, Release: rel})
	var mu sync.Mutex
	var seen []string
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/download") {
			mu.Lock()
			seen = append(seen, r.Header.Get("Range"))
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, files, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := seen
		seen = nil
		return out
	}
}

func TestQueryCommand(t *testing.T) {
	srv, files, _ := apiServer(t)
	code, stdout, stderr := runCLI("query", "--server", srv.URL, "--instrument", "fgm")
	if code != 0 || !strings.Contains(stdout, bigName) || !strings.Contains(stdout, otherName) || strings.Contains(stdout, secretName) ||
		!strings.Contains(stderr, "2 file(s)") || !strings.HasPrefix(stdout, "FILE") {
		t.Errorf("public table: %d\n%s%s", code, stdout, stderr)
	}
	t.Setenv("MAGPIE_PASSWORD", teamPass)
	code, stdout, stderr = runCLI("query", "--server", srv.URL, "--user", "sci", "--level", "l1b,l2", "--json")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("team JSON lines: %d %q %s", code, stdout, stderr)
	}
	var r catalog.Record
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil || int(r.Size) != len(files[r.Name]) || r.SHA256 == "" {
		t.Errorf("JSON line %q: %v", lines[0], err)
	}
	if code, stdout, _ = runCLI("query", "--server", srv.URL, "--user", "sci", "--json", "--limit", "1"); code != 0 || strings.Count(stdout, "\n") != 1 {
		t.Errorf("--limit 1: %d %q", code, stdout)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--server", "not a url"}, 2, "--server must be a URL"},
		{[]string{"--server", srv.URL, "--start", "yesterday"}, 2, "400"},
		{[]string{"--server", srv.URL, "--user", "sci", "--level", "l2"}, 0, ""},
		{[]string{"--server", "http://127.0.0.1:1"}, 1, "query:"},
	} {
		code, _, stderr := runCLI(append([]string{"query"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("query %v: %d %q", tc.args, code, stderr)
		}
	}
	t.Setenv("MAGPIE_PASSWORD", "wrong")
	if code, _, stderr := runCLI("query", "--server", srv.URL, "--user", "sci"); code != 2 || !strings.Contains(stderr, "401") {
		t.Errorf("bad password: %d %q", code, stderr)
	}
}

func TestDownloadCommand(t *testing.T) {
	srv, files, ranges := apiServer(t)
	out := t.TempDir()
	dl := func(args ...string) (int, string, string) {
		return runCLI(append([]string{"download", "--server", srv.URL, "--out", out}, args...)...)
	}
	check := func(name string) {
		t.Helper()
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, files[name]) {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
		if _, err := os.Stat(filepath.Join(out, name+partSuffix)); err == nil {
			t.Errorf("%s: the .part file is left", name)
		}
	}

	// By name, then again: the second run finds it up to date.
	if code, stdout, stderr := dl(bigName); code != 0 || !strings.Contains(stdout, "1 downloaded") {
		t.Fatalf("download: %d %s %s", code, stdout, stderr)
	}
	check(bigName)
	if code, stdout, _ := dl(bigName); code != 0 || !strings.Contains(stdout, "1 already up to date") {
		t.Errorf("second download: %d %s", code, stdout)
	}
	ranges()

	// A partial file is resumed with a Range request from its end.
	os.Remove(filepath.Join(out, bigName))
	half := files[bigName][:123_456]
	if err := os.WriteFile(filepath.Join(out, bigName+partSuffix), half, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := dl(bigName); code != 0 || !strings.Contains(stdout, "1 downloaded") {
		t.Fatalf("resume: %d %s %s", code, stdout, stderr)
	}
	check(bigName)
	if got := ranges(); len(got) != 1 || got[0] != "bytes=123456-" {
		t.Errorf("resume sent Range %q", got)
	}

	// A partial file with wrong bytes fails the checksum and is removed,
	// so the next run starts over and succeeds.
	os.Remove(filepath.Join(out, bigName))
	bad := bytes.Repeat([]byte{'x'}, 1000)
	if err := os.WriteFile(filepath.Join(out, bigName+partSuffix), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := dl(bigName); code != 1 || !strings.Contains(stderr, "SHA-256") {
		t.Errorf("corrupt part: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, bigName+partSuffix)); err == nil {
		t.Error("the corrupt .part file is left")
	}
	if code, _, _ := dl(bigName); code != 0 {
		t.Errorf("after a corrupt part: %d", code)
	}
	check(bigName)

	// By query: the public gets the released files only; the team all.
	out = t.TempDir()
	if code, stdout, stderr := dl("--instrument", "fgm", "--level", "l1b,l2"); code != 0 || !strings.Contains(stdout, "2 downloaded") {
		t.Fatalf("public query download: %d %s %s", code, stdout, stderr)
	}
	check(bigName)
	check(otherName)
	if _, err := os.Stat(filepath.Join(out, secretName)); err == nil {
		t.Error("the public downloaded a team-only file")
	}
	if code, _, stderr := dl(secretName); code != 2 || !strings.Contains(stderr, "404") {
		t.Errorf("public by name of a team file: %d %s", code, stderr)
	}
	t.Setenv("MAGPIE_PASSWORD", teamPass)
	if code, stdout, stderr := dl("--user", "sci", secretName); code != 0 || !strings.Contains(stdout, "1 downloaded") {
		t.Errorf("team by name: %d %s %s", code, stdout, stderr)
	}
	check(secretName)

	for _, args := range [][]string{{}, {"../etc/passwd"}} {
		if code, _, stderr := dl(args...); code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("download %v: %d %q", args, code, stderr)
		}
	}
}
