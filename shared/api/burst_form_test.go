package api

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/sitlcycle"
)

// formPost sends the burst page's form as user, from origin ("" for none;
// "site:X" sends Sec-Fetch-Site: X instead).
func formPost(t *testing.T, f *cycleFixture, user, origin, cycle, file, csv string, checkOnly bool) answer {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("cycle", cycle)
	if checkOnly {
		mw.WriteField("check_only", "1")
	}
	if file != "" {
		fw, err := mw.CreateFormFile("file", file)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(csv))
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/team/burst/submissions", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if site, ok := strings.CutPrefix(origin, "site:"); ok {
		req.Header.Set("Sec-Fetch-Site", site)
		// Behind CloudFront the Origin names the distribution, not the
		// API's host the function sees.
		req.Header.Set("Origin", "https://d111111abcdef8.cloudfront.net")
	} else if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.SetBasicAuth(user, password)
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

// The SITL on duty submits from the burst page: the form shows to those who
// may submit while the cycle is open; a check does not submit; a post from
// another site is refused; a submission reaches the cycle and is applied.
func TestBurstPageSubmissionForm(t *testing.T) {
	f := newCycleFixture(t, true)
	self := f.srv.URL
	if a := f.do(t, call{path: "/team/burst", user: "sitl"}); !strings.Contains(a.body, `action="/team/burst/submissions"`) ||
		!strings.Contains(a.body, `value="`+f.cycleID+`"`) {
		t.Fatalf("no submission form for the SITL: %d", a.status)
	}
	if a := f.do(t, call{path: "/team/burst", user: "scientist"}); strings.Contains(a.body, "/team/burst/submissions") {
		t.Error("a scientist sees the submission form")
	}
	csv := f.selectionsCSV(t, 1200, 1500, "SITL")
	if a := formPost(t, f, "scientist", self, f.cycleID, "sel.csv", csv, false); a.status != http.StatusForbidden {
		t.Errorf("a scientist submitting: %d", a.status)
	}
	for _, origin := range []string{"https://evil.example", "site:cross-site", "site:same-site"} {
		if a := formPost(t, f, "sitl", origin, f.cycleID, "sel.csv", csv, false); a.status != http.StatusForbidden ||
			!strings.Contains(a.body, "another site") {
			t.Errorf("cross-site post (%s): %d %s", origin, a.status, a.body)
		}
	}
	for _, c := range []struct {
		cycle, file, csv string
		want             int
	}{
		{f.cycleID, "", "", http.StatusBadRequest},                    // no file
		{f.cycleID, "sel.csv", "not, a, selection\n", 400},            // not selections
		{"19990101-000000", "sel.csv", csv, http.StatusNotFound},      // no such cycle
		{f.cycleID, "empty.csv", "start_time, stop_time, fom\n", 400}, // no rows
	} {
		if a := formPost(t, f, "sitl", self, c.cycle, c.file, c.csv, false); a.status != c.want || !strings.Contains(a.body, `"error"`) {
			t.Errorf("%s %q: %d %.200s, want %d and a JSON error", c.cycle, c.csv, a.status, a.body, c.want)
		}
	}
	a := formPost(t, f, "sitl", "site:same-origin", f.cycleID, "sel.csv", csv, true)
	if a.status != http.StatusOK || !strings.Contains(a.body, "Checked (not submitted)") || !strings.Contains(a.body, "<b>"+sitlcycle.VerdictAccepted+"</b>verdict") {
		i := strings.Index(a.body, "<main")
		t.Errorf("check only: %d %.600s", a.status, a.body[max(i, 0):])
	}
	a = formPost(t, f, "sitl", self, f.cycleID, "sel.csv", csv, false)
	if a.status != http.StatusAccepted || !strings.Contains(a.body, "Submitted: sel.csv to cycle "+f.cycleID) {
		t.Fatalf("submit: %d %.300s", a.status, a.body)
	}
	if c := f.applied(t); c.Source != "SITL" || c.Submissions != 1 {
		t.Errorf("applied %q after %d submissions, want the form's one", c.Source, c.Submissions)
	}
}
