package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/runtime"
)

var cdf = "\xCD\xF3\x00\x01\x00\x00\xFF\xFFfield data"

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	l, err := runtime.Open(context.Background(), runtime.Config{DataDir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	users := auth.NewUsers(l.Tables, l.Clock)
	users.Cost = 4
	if err := users.EnsureTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Add(context.Background(), "operator", password, []auth.Role{auth.RoleOperator}, false); err != nil {
		t.Fatal(err)
	}
	h := New(Backend{Profile: l.Profile, Catalog: l.Catalog, Dropbox: l.Dropbox, Archive: l.Archive, Clock: l.Clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ingest: l.Ingest, Quarantined: l.Quarantined, BusStats: l.Bus.Stats,
		MaxUpload: 1 << 20, Passwords: users})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, query, body string, hdr map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/upload"+query, strings.NewReader(body))
	req.SetBasicAuth("operator", password)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	return resp, m
}

func TestUploadOutcomes(t *testing.T) {
	srv := newServer(t)
	const name = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
	sum := sha256.Sum256([]byte(cdf))
	cases := []struct {
		what   string
		query  string
		body   string
		hdr    map[string]string
		status int
		field  string
		want   string
	}{
		{"indexed", "?file=" + name, cdf, map[string]string{"X-Checksum-SHA256": hex.EncodeToString(sum[:])}, 201, "result", "indexed"},
		{"again", "?file=" + name, cdf, nil, 200, "result", "duplicate"},
		{"content-digest mismatch", "?file=mms2_fgm_srvy_l2_20151016_v4.18.0.cdf", cdf,
			map[string]string{"Content-Digest": "sha-256=:" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + ":"}, 400, "error", "checksum-mismatch"},
		{"quarantined", "?file=mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "not a cdf", nil, 422, "code", "bad-content"},
		{"bad name param", "?file=../etc/passwd", cdf, nil, 400, "error", "bad-name"},
		{"no name", "", cdf, nil, 400, "error", "bad-name"},
		{"bad checksum header", "?file=" + name, cdf, map[string]string{"X-Checksum-SHA256": "xyz"}, 400, "error", "bad-checksum-header"},
		{"too large", "?file=mms3_fgm_srvy_l2_20151016_v4.18.0.cdf", strings.Repeat("x", 2<<20), nil, 413, "error", "too-large"},
	}
	for _, tc := range cases {
		resp, m := post(t, srv, tc.query, tc.body, tc.hdr)
		if resp.StatusCode != tc.status || m[tc.field] != tc.want {
			t.Errorf("%s: status %d body %v; want %d with %s=%s", tc.what, resp.StatusCode, m, tc.status, tc.field, tc.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", tc.what, ct)
		}
	}
	// Without a Content-Length (chunked), the server asks for one.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/upload?file="+name, io.MultiReader(strings.NewReader(cdf)))
	req.ContentLength = -1
	req.SetBasicAuth("operator", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusLengthRequired {
		t.Errorf("chunked upload: %d", resp.StatusCode)
	}
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("operator", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestHealthStatusPageAndErrors(t *testing.T) {
	srv := newServer(t)
	post(t, srv, "?file=mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", cdf, nil)
	post(t, srv, "?file=mms1_xyz_srvy_l2_20151016_v4.18.0.cdf", cdf, nil)

	code, ct, body := get(t, srv.URL+"/healthz")
	if code != 200 || ct != "application/json" || !strings.Contains(body, `"status": "ok"`) {
		t.Errorf("health: %d %s %s", code, ct, body)
	}
	code, ct, body = get(t, srv.URL+"/")
	if code != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("status page: %d %s", code, ct)
	}
	for _, want := range []string{"Magnetospheric Multiscale", "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_xyz_srvy_l2_20151016_v4.18.0.cdf", "unknown instrument"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	code, _, body = get(t, srv.URL+"/api/v1/files/recent")
	if code != 200 || !strings.Contains(body, `"file_name": "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"`) {
		t.Errorf("recent: %d %s", code, body)
	}
	code, _, body = get(t, srv.URL+"/api/v1/quarantine")
	if code != 200 || !strings.Contains(body, `"code": "unknown-product"`) {
		t.Errorf("quarantine: %d %s", code, body)
	}
	code, ct, body = get(t, srv.URL+"/no/such/route")
	if code != 404 || ct != "application/json" || !strings.Contains(body, `"error": "not-found"`) {
		t.Errorf("404: %d %s %s", code, ct, body)
	}
}
