package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/store"
)

// ingestTime is the fake clock's time when the fixture's files arrive.
var ingestTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Fixture files. Each file's bytes hold its own name, so a test can tell
// from a body which files it carries.
var (
	released = []string{ // released by the fixture
		"mms1_fgm_srvy_l2_20151016_v4.17.0.cdf",
		"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
		"mms1_fgm_brst_l2_20151016120000_v5.9.0.cdf",
		"mms1_fgm_brst_l2_20151016120000_v5.113.0.cdf",
		"MMS1_DEFEPH_2015289_2015290.V00",
		"MMS1_DEFEPH_2015289_2015290.V01",
		"MMS1_PREDEPH_2015300_2015320.V00",
	}
	unreleased = []string{ // never visible to the public
		"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf",
		"mms1_fgm_srvy_l1b_20151016_v4.18.0.cdf",
		"mms2_fgm_srvy_l2_20151016_v4.18.0.cdf",
		"MMS2_DEFEPH_2015289_2015290.V00",
		"abs_selections_2015-10-16-08-30-53.csv",
	}
)

func content(name string) string {
	if strings.HasSuffix(name, ".cdf") {
		return "\xCD\xF3\x00\x01\x00\x00\xFF\xFF" + name
	}
	return "text of " + name + "\n"
}

type fixture struct {
	srv   *httptest.Server
	api   *Server
	l     *runtime.Local
	clk   *clock.Fake
	users *auth.Users
	rel   *release.Service
}

// password of every fixture user; the user names are their roles.
const password = "password-123"

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(ingestTime)
	l, err := runtime.Open(ctx, runtime.Config{DataDir: t.TempDir(), NoSync: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	users := auth.NewUsers(l.Tables, clk)
	users.Cost = 4
	if err := users.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles() {
		if _, err := users.Add(ctx, string(r), password, []auth.Role{r}, false); err != nil {
			t.Fatal(err)
		}
	}
	secret, err := users.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tokens := &auth.HMACTokens{Secret: secret, Clock: clk}
	rel := &release.Service{Catalog: l.Catalog, Tables: l.Tables, Profile: l.Profile, Clock: clk}
	if err := rel.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(append([]string{}, released...), unreleased...) {
		key := "test/" + name
		if _, err := l.Dropbox.Put(ctx, key, strings.NewReader(content(name)), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		out, err := l.Ingest(ctx, key)
		if err != nil || out.Result != "indexed" {
			t.Fatalf("ingest %s: %+v %v", name, out, err)
		}
	}
	if _, err := rel.Release(ctx, release.Scope{Instrument: []string{"fgm"}, Level: []string{"l2"}, SC: []string{"mms1"},
		From: time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC), To: time.Date(2015, 10, 16, 23, 59, 59, 0, time.UTC)}, "R1", "first release", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := rel.Release(ctx, release.Scope{Kind: catalog.KindAncillary, SC: []string{"mms1"}, Product: []string{"defeph", "predeph"}}, "A1", "", "test"); err != nil {
		t.Fatal(err)
	}
	h := New(Backend{Profile: l.Profile, Catalog: l.Catalog, Dropbox: l.Dropbox, Archive: l.Archive, Clock: clk,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ingest: l.Ingest, Quarantined: l.Quarantined, BusStats: l.Bus.Stats,
		MaxUpload: 1 << 20, Passwords: users, Tokens: tokens, Issuer: tokens, Release: rel})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, api: h, l: l, clk: clk, users: users, rel: rel}
}

// call makes one request; user "" is anonymous, "bad" sends a wrong password.
type call struct {
	method, path string
	query        url.Values
	form         url.Values // form-encoded POST body
	body         string
	user         string
	header       map[string]string
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(t *testing.T, c call) answer {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodGet
	}
	u := f.srv.URL + c.path
	if c.query != nil {
		u += "?" + c.query.Encode()
	}
	var body io.Reader
	if c.form != nil {
		body = strings.NewReader(c.form.Encode())
	} else if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	switch c.user {
	case "":
	case "bad":
		req.SetBasicAuth("scientist", "wrong-password")
	default:
		req.SetBasicAuth(c.user, password)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}
