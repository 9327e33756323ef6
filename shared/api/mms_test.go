package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const (
	pub  = "/mms/sdc/public/files/api/v1/"
	team = "/mms/sdc/sitl/files/api/v1/"
)

func size(name string) int { return len(content(name)) }

func info(name, timetag string) string {
	return fmt.Sprintf(`{"file_name":"%s","file_size":%d,"timetag":"%s","modified_date":"2026-01-02T03:04:05"}`, name, size(name), timetag)
}

// TestMMSResponsesExact drives the MMS services with the requests pySPEDAS,
// pymms and IDL SPEDAS send and compares the bodies byte for byte.
func TestMMSResponsesExact(t *testing.T) {
	f := newFixture(t)
	srvy := url.Values{"sc_id": {"mms1"}, "instrument_id": {"fgm"}, "data_rate_mode": {"srvy"}, "data_level": {"l2"},
		"start_date": {"2015-10-16"}, "end_date": {"2015-10-17"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, x := range v {
			out[k] = x
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	cases := []struct {
		what   string
		c      call
		status int
		ctype  string
		body   string
	}{
		{"public file_info: released newest version only", call{path: pub + "file_info/science", query: srvy}, 200, "application/json",
			`{"files":[` + info("mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "2015-10-16T00:00:00") + `]}`},
		{"team file_info: both days", call{path: team + "file_info/science", query: srvy, user: "scientist"}, 200, "application/json",
			`{"files":[` + info("mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "2015-10-16T00:00:00") + "," + info("mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "2015-10-17T00:00:00") + `]}`},
		{"file_info POST form (pymms after 414)", call{method: "POST", path: team + "file_info/science", form: srvy, user: "scientist"}, 200, "application/json",
			`{"files":[` + info("mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "2015-10-16T00:00:00") + "," + info("mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "2015-10-17T00:00:00") + `]}`},
		{"file_names newest first", call{path: team + "file_names/science", query: srvy, user: "scientist"}, 200, "text/plain; charset=utf-8",
			"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf,mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"},
		{"file_names empty body for no match", call{path: pub + "file_names/science", query: with(srvy, "instrument_id", "nosuch")}, 200, "text/plain; charset=utf-8", ""},
		{"file_info no match", call{path: pub + "file_info/science", query: with(srvy, "instrument_id", "nosuch")}, 200, "application/json", `{"files":[]}`},
		{"exact version", call{path: pub + "file_names/science", query: with(srvy, "version", "4.17.0")}, 200, "text/plain; charset=utf-8",
			"mms1_fgm_srvy_l2_20151016_v4.17.0.cdf"},
		{"comma lists", call{path: team + "file_names/science", query: url.Values{"sc_id": {"mms1,mms2"}, "instrument_id": {"fgm"}, "data_rate_mode": {"srvy"},
			"data_level": {"l2,l1b"}, "start_date": {"2015-10-16"}, "end_date": {"2015-10-16"}}, user: "scientist"}, 200, "text/plain; charset=utf-8",
			"mms2_fgm_srvy_l2_20151016_v4.18.0.cdf,mms1_fgm_srvy_l2_20151016_v4.18.0.cdf,mms1_fgm_srvy_l1b_20151016_v4.18.0.cdf"},
		{"file and files params, other filters apply", call{path: team + "file_names/science", query: url.Values{
			"file": {"mms1_fgm_srvy_l2_20151016_v4.17.0.cdf,nosuch_file.cdf"}, "files": {"mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"}, "sc_id": {"mms1"}}, user: "scientist"},
			200, "text/plain; charset=utf-8", "mms1_fgm_srvy_l2_20151016_v4.17.0.cdf"},
		{"burst: hour date form includes the 12:00:00 tag, numeric version order", call{path: pub + "file_info/science", query: url.Values{
			"sc_id": {"mms1"}, "instrument_id": {"fgm"}, "data_rate_mode": {"brst"}, "data_level": {"l2"},
			"start_date": {"2015-10-16-12"}, "end_date": {"2015-10-16-12"}}}, 200, "application/json",
			`{"files":[` + info("mms1_fgm_brst_l2_20151016120000_v5.113.0.cdf", "2015-10-16T12:00:00") + `]}`},
		{"burst: seconds date form after the tag excludes it", call{path: pub + "file_names/science", query: url.Values{
			"instrument_id": {"fgm"}, "data_rate_mode": {"brst"}, "start_date": {"2015-10-16-12-00-01"}, "end_date": {"2015-10-17"}}}, 200, "text/plain; charset=utf-8", ""},
		{"ancillary: start dates, highest Vnn", call{path: pub + "file_info/ancillary", query: url.Values{"sc_id": {"mms1"}, "product": {"defeph"},
			"start_date": {"2015-10-16"}, "end_date": {"2015-10-16"}}}, 200, "application/json",
			fmt.Sprintf(`{"files":[{"file_name":"MMS1_DEFEPH_2015289_2015290.V01","file_size":%d,"start_date":"2015-10-16T00:00:00","end_date":"2015-10-17T00:00:00","modified_date":"2026-01-02T03:04:05"}]}`,
				size("MMS1_DEFEPH_2015289_2015290.V01"))},
		{"predicted ancillary ignores dates", call{path: pub + "file_names/ancillary", query: url.Values{"sc_id": {"mms1"}, "product": {"predeph"},
			"start_date": {"2019-01-01"}, "end_date": {"2019-01-02"}}}, 200, "text/plain; charset=utf-8", "MMS1_PREDEPH_2015300_2015320.V00"},
		{"selection files by start_time (team)", call{path: team + "file_names/abs_selections", query: url.Values{"start_time": {"2015-10-16"}, "end_time": {"2015-10-17"}}, user: "sitl"},
			200, "text/plain; charset=utf-8", "abs_selections_2015-10-16-08-30-53.csv"},
		{"selection files never public", call{path: pub + "file_names/abs_selections"}, 200, "text/plain; charset=utf-8", ""},
		{"no-query file_names is the latest", call{path: pub + "file_names/science"}, 200, "text/plain; charset=utf-8",
			"mms1_fgm_brst_l2_20151016120000_v5.113.0.cdf,mms1_fgm_brst_l2_20151016120000_v5.9.0.cdf,mms1_fgm_srvy_l2_20151016_v4.18.0.cdf,mms1_fgm_srvy_l2_20151016_v4.17.0.cdf"},
		{"version_info", call{path: pub + "version_info/science", query: url.Values{"sc_id": {"mms1"}, "instrument_id": {"fgm"}, "data_level": {"l2"}}}, 200, "application/json",
			`{"versions":[{"sc_id":"mms1","instrument_id":"fgm","data_rate_mode":"brst","data_level":"l2","version":"5.113.0"},{"sc_id":"mms1","instrument_id":"fgm","data_rate_mode":"srvy","data_level":"l2","version":"4.18.0"}]}`},
		{"day_info ancillary", call{path: team + "day_info/ancillary", query: url.Values{"sc_id": {"mms2"}, "product": {"defeph"}}, user: "scientist"}, 200, "application/json",
			fmt.Sprintf(`[{"file_name":"MMS2_DEFEPH_2015289_2015290.V00","file_size":%d,"start_date":"2015-10-16T00:00:00","end_date":"2015-10-17T00:00:00","modified_date":"2026-01-02T03:04:05"}]`,
				size("MMS2_DEFEPH_2015289_2015290.V00"))},
		{"bad date", call{path: pub + "file_info/science", query: url.Values{"start_date": {"2015/10/16"}}}, 400, "application/json", ""},
		{"unknown type", call{path: pub + "file_info/nosuch"}, 404, "application/json", ""},
		{"hk: known type, nothing cataloged", call{path: team + "file_names/hk", query: url.Values{"sc_id": {"mms1"}}, user: "scientist"}, 200, "text/plain; charset=utf-8", ""},
	}
	for _, tc := range cases {
		a := f.do(t, tc.c)
		if a.status != tc.status || a.header.Get("Content-Type") != tc.ctype || (tc.status == 200 && a.body != tc.body) {
			t.Errorf("%s:\n got %d %q %s\nwant %d %q %s", tc.what, a.status, a.header.Get("Content-Type"), a.body, tc.status, tc.ctype, tc.body)
		}
	}
	// No-query file_names for the team: the most recently ingested science
	// files, newest first, one line.
	a := f.do(t, call{path: team + "file_names/science", user: "scientist"})
	if names := strings.Split(a.body, ","); a.status != 200 || len(names) != 7 || names[0] != "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf" {
		t.Errorf("latest: %d %q", a.status, a.body)
	}
}

// TestPySPEDASLatestVersionSelection applies pySPEDAS's own selection (the
// listing regex, then the highest version per time tag) to our file_info.
func TestPySPEDASLatestVersionSelection(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, call{path: team + "file_info/science", user: "scientist", query: url.Values{"sc_id": {"mms1"}, "instrument_id": {"fgm"},
		"data_rate_mode": {"brst"}, "data_level": {"l2"}, "start_date": {"2015-10-16"}, "end_date": {"2015-10-17"}, "version": {"5.9.0"}}})
	b := f.do(t, call{path: team + "file_info/science", user: "scientist", query: url.Values{"sc_id": {"mms1"}, "instrument_id": {"fgm"},
		"data_rate_mode": {"brst"}, "data_level": {"l2"}, "start_date": {"2015-10-16"}, "end_date": {"2015-10-17"}}})
	var files []struct {
		Name string `json:"file_name"`
		Size int64  `json:"file_size"`
	}
	for _, body := range []string{a.body, b.body} {
		var doc struct {
			Files []struct {
				Name string `json:"file_name"`
				Size int64  `json:"file_size"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		files = append(files, doc.Files...)
	}
	re := regexp.MustCompile(`mms.*_([0-9]{8,14})_v(\d+).(\d+).(\d+).cdf`)
	sort.Slice(files, func(i, j int) bool {
		vi, vj := re.FindStringSubmatch(files[i].Name), re.FindStringSubmatch(files[j].Name)
		for k := 2; k <= 4; k++ {
			x, _ := strconv.Atoi(vi[k])
			y, _ := strconv.Atoi(vj[k])
			if x != y {
				return x > y
			}
		}
		return false
	})
	if len(files) != 2 || files[0].Name != "mms1_fgm_brst_l2_20151016120000_v5.113.0.cdf" || files[0].Size != int64(size(files[0].Name)) {
		t.Errorf("pySPEDAS would pick %+v", files)
	}
	// IDL's naive parse: first '[' to first ']', split on commas, no nesting.
	if i, j := strings.Index(b.body, "["), strings.Index(b.body, "]"); j != len(b.body)-2 || strings.Count(b.body[i:j], "{") != 1 || strings.Contains(b.body, "\n") {
		t.Errorf("file_info is not IDL-parsable: %s", b.body)
	}
}

func TestMMSDownload(t *testing.T) {
	f := newFixture(t)
	name := "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
	a := f.do(t, call{path: pub + "download/science", query: url.Values{"file": {name}}})
	if a.status != 200 || a.body != content(name) || a.header.Get("Content-Length") != strconv.Itoa(size(name)) ||
		a.header.Get("Last-Modified") != "Fri, 02 Jan 2026 03:04:05 GMT" {
		t.Fatalf("download: %d %v %q", a.status, a.header, a.body)
	}
	// Range.
	a = f.do(t, call{path: pub + "download/science", query: url.Values{"file": {name}}, header: map[string]string{"Range": "bytes=8-11"}})
	if a.status != 206 || a.body != "mms1" || a.header.Get("Content-Range") != fmt.Sprintf("bytes 8-11/%d", size(name)) {
		t.Errorf("range: %d %v %q", a.status, a.header, a.body)
	}
	a = f.do(t, call{path: pub + "download/science", query: url.Values{"file": {name}}, header: map[string]string{"Range": "bytes=9999-"}})
	if a.status != 416 {
		t.Errorf("bad range: %d", a.status)
	}
	// If-Modified-Since.
	for ims, want := range map[string]int{"Fri, 02 Jan 2026 03:04:05 GMT": 304, "Fri, 02 Jan 2026 03:04:04 GMT": 200} {
		a = f.do(t, call{path: pub + "download/science", query: url.Values{"file": {name}}, header: map[string]string{"If-Modified-Since": ims}})
		if a.status != want {
			t.Errorf("If-Modified-Since %s: %d, want %d", ims, a.status, want)
		}
	}
	// Several matches: one zip holding each file.
	a = f.do(t, call{path: team + "download/science", user: "scientist", query: url.Values{"sc_id": {"mms1"}, "instrument_id": {"fgm"},
		"data_rate_mode": {"srvy"}, "data_level": {"l2"}, "start_date": {"2015-10-16"}, "end_date": {"2015-10-17"}}})
	zr, err := zip.NewReader(bytes.NewReader([]byte(a.body)), int64(len(a.body)))
	if a.status != 200 || a.header.Get("Content-Type") != "application/zip" || err != nil || len(zr.File) != 2 {
		t.Fatalf("zip: %d %v %v", a.status, a.header, err)
	}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != content(zf.Name) {
			t.Errorf("zip entry %s holds %q", zf.Name, b)
		}
	}
	// Beyond the cap: a clear JSON error.
	f.api.b.MaxZipFiles = 1
	a = f.do(t, call{path: team + "download/science", user: "scientist", query: url.Values{"instrument_id": {"fgm"}, "data_rate_mode": {"srvy"}}})
	if a.status != 413 || !strings.Contains(a.body, `"error": "too-many-files"`) || !strings.Contains(a.body, "at most 1 files") {
		t.Errorf("zip cap: %d %s", a.status, a.body)
	}
	// Not found, and an unreleased file is not found for the public.
	for _, n := range []string{"mms1_fgm_srvy_l2_20991016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"} {
		if a = f.do(t, call{path: pub + "download/science", query: url.Values{"file": {n}}}); a.status != 404 {
			t.Errorf("%s: %d", n, a.status)
		}
	}
	// On AWS: a redirect to a presigned URL instead of the bytes.
	f.api.b.Presign = func(_ context.Context, key, fileName string) (string, error) {
		return "https://bucket.example/" + key + "?sig=x", nil
	}
	req, _ := http.NewRequest("GET", f.srv.URL+pub+"download/science?file="+name, nil)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || !strings.HasPrefix(resp.Header.Get("Location"), "https://bucket.example/mms1/fgm/srvy/l2/2015/10/"+name) {
		t.Errorf("presign: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestLoginProbes: pySPEDAS and the LaTiS probe; only 401 means a bad password.
func TestLoginProbes(t *testing.T) {
	f := newFixture(t)
	for user, want := range map[string]int{"": 401, "bad": 401, "scientist": 400, "operator": 400} {
		a := f.do(t, call{path: team + "download/science", user: user})
		if a.status != want {
			t.Errorf("probe as %q: %d, want %d", user, a.status, want)
		}
		if want == 401 && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("probe as %q: no Basic challenge", user)
		}
	}
	a := f.do(t, call{path: "/mms/sdc/sitl/latis/dap/properties.txt", query: url.Values{"version": {""}}, user: "scientist"})
	if a.status != 200 || strings.TrimSpace(a.body) == "" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Errorf("latis probe: %d %q", a.status, a.body)
	}
	if a = f.do(t, call{path: "/mms/sdc/sitl/latis/dap/properties.txt", user: "bad"}); a.status != 401 {
		t.Errorf("latis probe bad password: %d", a.status)
	}
}

func TestMMSUpload(t *testing.T) {
	f := newFixture(t)
	name := "mms3_fgm_srvy_l2_20151016_v4.18.0.cdf"
	for _, c := range []struct {
		user   string
		name   string
		status int
		body   string
	}{
		{"sitl", name, 200, "File successfully uploaded."},
		{"scientist", "mms4_fgm_srvy_l2_20151016_v4.18.0.cdf", 403, ""},
		{"", "mms4_fgm_srvy_l2_20151016_v4.18.0.cdf", 401, ""},
		{"sitl", "../x", 400, ""},
		{"sitl", "mms1_nosuch_srvy_l2_20151016_v4.18.0.cdf", 400, ""},
	} {
		a := f.do(t, call{method: "POST", path: team + "upload/science", query: url.Values{"file": {c.name}}, body: content(c.name), user: c.user})
		if a.status != c.status || c.body != "" && a.body != c.body {
			t.Errorf("upload %s as %q: %d %q", c.name, c.user, a.status, a.body)
		}
	}
	if a := f.do(t, call{path: team + "file_names/science", query: url.Values{"file": {name}}, user: "scientist"}); a.body != name {
		t.Errorf("uploaded file not listed: %q", a.body)
	}
}
