package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/auth"
)

// concrete fills a route's wildcards with real values.
func concrete(path string) string {
	path = strings.TrimSuffix(path, "{$}")
	r := strings.NewReplacer("{type}", "science", "{name}", "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "{instrument}", "fgm",
		"{sc}", "mms1", "{level}", "l2", "{day}", "2015-10-16")
	return r.Replace(path)
}

// TestAuthorizationMatrix calls every route of the table as every kind of
// caller: wrong credentials are 401 everywhere, a missing login is 401 on
// protected routes, a role without the permission is 403, and everyone
// with the permission gets past the guard.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t)
	callers := append([]string{"", "bad"}, "scientist", "sitl", "super-sitl", "operator")
	for _, rt := range f.api.routes {
		for _, who := range callers {
			a := f.do(t, call{method: rt.Method, path: concrete(rt.Path), user: who, body: "{}"})
			p := auth.Principal{}
			if who != "" && who != "bad" {
				p = auth.Principal{Name: who, Roles: []auth.Role{auth.Role(who)}}
			}
			var want string
			switch {
			case who == "bad":
				want = "401"
			case who == "" && rt.Path == "/api/v1/login":
				want = "401" // logging in without credentials fails, by design
			case !p.Can(rt.Perm) && p.Anonymous():
				want = "401"
			case !p.Can(rt.Perm):
				want = "403"
			default:
				want = "allowed"
			}
			got := "allowed"
			if a.status == 401 || a.status == 403 {
				got = itoa(a.status)
			}
			if got != want {
				t.Errorf("%s %s as %q: %d, want %s (%s)", rt.Method, rt.Path, who, a.status, want, a.body)
			}
		}
	}
	// A bearer token from the login endpoint carries the roles.
	a := f.do(t, call{method: "POST", path: "/api/v1/login", user: "super-sitl"})
	var tok struct{ Token string }
	if json.Unmarshal([]byte(a.body), &tok); a.status != 200 || tok.Token == "" {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	a = f.do(t, call{path: "/api/v1/whoami", header: map[string]string{"Authorization": "Bearer " + tok.Token}})
	if !strings.Contains(a.body, `"username": "super-sitl"`) || !strings.Contains(a.body, `"team": true`) {
		t.Errorf("whoami with token: %s", a.body)
	}
	a = f.do(t, call{method: "POST", path: "/api/v1/login", form: url.Values{"username": {"scientist"}, "password": {password}}})
	if a.status != 200 {
		t.Errorf("form login: %d", a.status)
	}
	for _, h := range []string{"Bearer " + tok.Token + "x", "Digest abc", "Basic !!!"} {
		if a = f.do(t, call{path: "/api/v1/whoami", header: map[string]string{"Authorization": h}}); a.status != 401 {
			t.Errorf("%q: %d", h, a.status)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestPublicNeverSeesUnreleased asks every route a public caller may use,
// with queries that match the unreleased files, and checks that no answer
// names them or carries their bytes.
func TestPublicNeverSeesUnreleased(t *testing.T) {
	f := newFixture(t)
	all := strings.Join(append(append([]string{}, released...), unreleased...), ",")
	queries := []url.Values{
		nil,
		{"file": {all}},
		{"files": {all}},
		{"sc_id": {"mms1,mms2"}, "data_level": {"l1b,l2,ql,sitl"}},
		{"sc_id": {"mms1,mms2"}, "start_date": {"2015-01-01"}, "end_date": {"2016-01-01"}},
		{"product": {"defeph,predeph"}, "sc_id": {"mms2"}},
		{"kind": {"selection"}},
		{"kind": {"ancillary"}},
		{"all_versions": {"true"}, "data_level": {"l1b"}},
		{"since": {"2000-01-01T00:00:00Z"}},
	}
	types := []string{"science", "ancillary", "abs_selections"}
	checked := 0
	for _, rt := range f.api.routes {
		if rt.Perm != auth.PermPublic || rt.Method != "GET" {
			continue
		}
		for _, typ := range types {
			path := strings.ReplaceAll(concrete(rt.Path), "/science", "/"+typ)
			for _, q := range queries {
				for _, method := range []string{"GET", "POST"} {
					c := call{method: method, path: path, query: q}
					if method == "POST" {
						if !strings.HasPrefix(path, "/mms/") {
							continue
						}
						c.query, c.form = nil, q
					}
					a := f.do(t, c)
					checked++
					for _, n := range unreleased {
						if strings.Contains(a.body, n) {
							t.Errorf("%s %s %v leaks %s", method, path, q, n)
						}
					}
				}
			}
		}
		// By name, every unreleased file is simply not found.
		if strings.Contains(rt.Path, "{name}") {
			for _, n := range unreleased {
				if a := f.do(t, call{path: strings.ReplaceAll(rt.Path, "{name}", n)}); a.status != 404 {
					t.Errorf("%s for %s: %d", rt.Path, n, a.status)
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d requests checked", checked)
	}
	// The team sees them (the test above would pass vacuously otherwise).
	a := f.do(t, call{path: team + "file_names/science", query: url.Values{"file": {all}}, user: "scientist"})
	if !strings.Contains(a.body, "mms1_fgm_srvy_l1b_20151016_v4.18.0.cdf") {
		t.Errorf("team cannot see unreleased files: %s", a.body)
	}
}

// TestOpenAPIMatchesRoutes: every route is documented with its methods and
// every documented operation reaches its own handler, not the 404 fallback.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, call{path: "/api/v1/openapi.json"})
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(a.body), &doc); err != nil || doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi: %v %s", err, a.body[:min(200, len(a.body))])
	}
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			n++
			req, _ := http.NewRequest(strings.ToUpper(method), "http://x"+concrete(path), nil)
			_, pattern := f.api.mux.Handler(req)
			if pattern == "/" || pattern == "" {
				t.Errorf("documented %s %s is not routed", method, path)
			}
			if op["x-magpie-permission"] == nil {
				t.Errorf("%s %s: no permission documented", method, path)
			}
		}
	}
	if n != len(f.api.routes) {
		t.Errorf("%d documented operations for %d routes", n, len(f.api.routes))
	}
}

// TestReleaseOperations drives release and unrelease through the API.
func TestReleaseOperations(t *testing.T) {
	f := newFixture(t)
	name := "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"
	visible := func() bool {
		return f.do(t, call{path: "/api/v1/files/" + name}).status == 200
	}
	if visible() {
		t.Fatal("visible before release")
	}
	a := f.do(t, call{method: "POST", path: "/api/v1/releases", user: "operator",
		body: `{"action":"release","instrument_id":["fgm"],"data_level":["l2"],"start_date":"2015-10-17","end_date":"2015-10-17","release":"R2","notes":"day two"}`})
	if a.status != 200 || !strings.Contains(a.body, `"files": 1`) || !visible() {
		t.Fatalf("release: %d %s", a.status, a.body)
	}
	a = f.do(t, call{path: "/api/v1/releases/notes/fgm"})
	if !strings.Contains(a.body, "day two") || !strings.Contains(a.body, "first release") {
		t.Errorf("notes: %s", a.body)
	}
	a = f.do(t, call{method: "POST", path: "/api/v1/releases", user: "operator", body: `{"action":"unrelease","instrument_id":["fgm"],"data_level":["l2"],"start_date":"2015-10-17"}`})
	if a.status != 200 || visible() {
		t.Errorf("unrelease: %d %s", a.status, a.body)
	}
	a = f.do(t, call{method: "POST", path: "/api/v1/releases", user: "operator", body: `{"action":"release","instrument_id":["fgm"],"data_level":["l1b"],"release":"R3"}`})
	if a.status != 400 || !strings.Contains(a.body, "team-only") {
		t.Errorf("release l1b: %d %s", a.status, a.body)
	}
	// Automatic release after the embargo, for an approved instrument level.
	if a = f.do(t, call{method: "POST", path: "/api/v1/releases/approvals", user: "operator", body: `{"instrument_id":"fgm","data_level":"l2"}`}); a.status != 200 {
		t.Fatalf("approve: %d %s", a.status, a.body)
	}
	f.do(t, call{method: "POST", path: "/api/v1/releases/auto", user: "operator"})
	if visible() {
		t.Error("released before the embargo passed")
	}
	f.clk.Advance(30 * 24 * time.Hour)
	a = f.do(t, call{method: "POST", path: "/api/v1/releases/auto", user: "operator"})
	if !visible() || !strings.Contains(a.body, `"released": 2`) {
		t.Errorf("auto release: %s", a.body) // the 20151017 l2 file and mms2's
	}
}
