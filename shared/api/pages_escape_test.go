package api

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	g "maragu.dev/gomponents"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/latis"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store"
)

// evil breaks out of an attribute value and out of text if it is not
// escaped.
const evil = `x"><script>alert('x')</script>`

// evilText is evil as an escaped text node or attribute value.
const evilText = `x&#34;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;`

func renderString(t *testing.T, n g.Node) string {
	t.Helper()
	var b bytes.Buffer
	if err := n.Render(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPagesEscape renders every page that shows data- or user-provided
// strings with evil in each of them, and checks that it shows up escaped,
// as text and in attribute values, and never as markup.
func TestPagesEscape(t *testing.T) {
	day := time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)
	team := pageBase{Title: "T", Mission: "mms", MissionName: "MMS", Active: "status", Team: true, Prefix: "/team", DL: "/team/files/",
		Here: "/" + evil}
	public := team
	public.Team, public.Prefix, public.DL = false, "", "/api/v1/files/"
	rec := catalog.Record{Name: evil, Kind: catalog.KindScience, SC: "mms1", Instrument: "fgm", Rate: evil, Level: evil, Descriptor: evil,
		Version: evil, Start: day, Size: 10, Ingested: day, Released: true, ReleaseID: evil}
	ql := rec
	ql.Level = "ql"
	quar := ingest.QuarantineReason{FileName: evil, QuarantineKey: evil, Code: evil, Reason: evil, QuarantinedAt: evil}
	fileLink := `href="/team/files/` + url.PathEscape(evil) + `/download"`
	ev := latis.Event{Start: day, End: day.Add(time.Hour), Type: evil, SC: evil, Source: evil, Description: evil, Discussion: evil, Tag: evil}
	cv := campaignView{ID: evil, ExecutionID: evil, Status: evil, Request: campaign.Request{Instruments: []string{evil}, Start: evil, Reason: evil},
		Estimate: &campaign.Estimate{PriceSource: evil}, ByReason: map[string]int{evil: 1}, Error: evil, Cause: evil,
		Summary: &campaign.Summary{NewVersions: []string{evil}}}
	for _, tc := range []struct {
		name string
		page g.Node
		// attrs are attribute values that must hold evil, escaped.
		attrs []string
	}{
		{"layout (public)", page(public), []string{`href="/team/` + evilText + `"`}},
		{"layout (team)", page(team), []string{`href="/` + evilText + `">public view`}},
		{"status", statusView(statusData{pageBase: team, Recent: []catalog.Record{rec}, Quarantine: []ingest.QuarantineReason{quar},
			QLDay: evil, QL: []catalog.Record{ql}}), []string{`alt="` + evilText + `"`, fileLink}},
		{"browse tiles", browseView(browseData{pageBase: team, Crumbs: []crumb{{evil, evil}}, Heading: evil,
			Tiles: []tile{{evil, evil, evil}}}), []string{`href="` + evilText + `"`}},
		{"browse days", browseView(browseData{pageBase: team, Depth: 3, Crumbs: []crumb{{"a", "/"}, {"b", "/"}, {"c", "/"}, {"d", evil}},
			Days: []dayRow{{Day: evil, Products: []string{evil}}}}), []string{`href="` + evilText + evilText + `"`}},
		{"browse files", browseView(browseData{pageBase: team, Depth: 4, Crumbs: make([]crumb, 5), Files: []catalog.Record{rec},
			QL: []catalog.Record{ql}}), []string{`alt="` + evilText + `"`, fileLink}},
		{"availability", availabilityView(availabilityData{pageBase: public, Instrument: evil, SC: evil, From: evil, To: evil,
			Instruments: []string{evil}, SCs: []string{evil}, Legend: []crumb{{evil, "#fff"}},
			Charts: []chart{{evil, coverageSVG([]coverageRow{{Label: evil, Level: "l2", Days: map[string]int{"2015-10-16": 1}}}, day, day,
				func(string, string) string { return evil })}}}),
			[]string{`value="` + evilText + `"`, `href="` + evilText + `"`}},
		{"recent", recentView(recentData{pageBase: team, Files: []catalog.Record{rec}}), []string{fileLink}},
		{"jobs", jobsView(jobsData{pageBase: team, Configured: true, Status: evil, Statuses: []string{evil},
			Jobs: []pipeline.Job{{ID: evil, Node: evil, SC: evil, Status: evil, Inputs: []pipeline.JobInput{{FileName: evil}}, Missing: []string{evil},
				Outputs: []string{evil}, Error: evil, StderrTail: evil, Processor: evil}}}),
			[]string{`title="` + evilText + `"`, `class="status-` + evilText + `"`, `href="?status=` + evilText + `"`}},
		{"quarantine", quarantineView(quarantineData{pageBase: team, Quarantine: []ingest.QuarantineReason{quar}}), nil},
		{"events", eventsView(eventsData{pageBase: public, From: evil, To: evil, CSV: evil, Legend: []crumb{{evil, "#fff"}},
			Timeline: eventsSVG([]latis.Event{ev}, day, day.Add(24*time.Hour)),
			Events:   []eventRow{{Start: evil, End: evil, Type: evil, SC: evil, Source: evil, Description: evil, Discussion: evil, Tag: evil, Orbit: evil}}}),
			[]string{`value="` + evilText + `"`, `href="` + evilText + `"`}},
		{"burst", burstView(burstData{pageBase: team, Available: true,
			Cycle:       &sitlcycle.Cycle{ID: evil, Status: evil, Source: evil},
			WindowStart: evil, WindowEnd: evil, ABS: []absRow{{Start: evil, End: evil}}, Spacecraft: []string{evil},
			Segments: []segmentRow{{Start: evil, End: evil, Status: evil, Source: evil, Discussion: evil}},
			Reports:  []burst.BufferCounts{{Observatory: evil}}, States: []string{evil}, CanSubmit: true}),
			[]string{`value="` + evilText + `"`}},
		{"submission", submissionView(submissionData{pageBase: team, CycleID: evil, File: evil, Verdict: evil,
			Findings: []sitl.Finding{{Rule: evil, Message: evil, Severity: sitl.Severity(evil)}}}), nil},
		{"campaigns", campaignsView(campaignsData{pageBase: team, Configured: true, Campaigns: []campaignView{cv}, Counts: map[string]int{evil: 1}}),
			[]string{`title="` + evilText + `"`, `class="status-` + evilText + `"`, `href="/team/campaigns/` + evilText + `"`}},
		{"campaign", campaignDetailView(campaignData{pageBase: team, Campaign: cv}),
			[]string{`class="status-` + evilText + `"`, `href="/api/v1/reprocess/` + evilText + `"`, fileLink}},
	} {
		body := renderString(t, tc.page)
		if strings.Contains(body, "<script") || strings.Contains(body, `x"><`) {
			t.Errorf("%s: evil is not escaped: %s", tc.name, body)
			continue
		}
		if !strings.Contains(body, evilText) {
			t.Errorf("%s: evil is not shown escaped as text", tc.name)
		}
		for _, a := range tc.attrs {
			if !strings.Contains(body, a) {
				t.Errorf("%s: lacks %s", tc.name, a)
			}
		}
	}
}

// TestQuarantinePagesEscapeFileNames drops a file whose name is markup and
// checks the pages that list quarantined files show it escaped.
func TestQuarantinePagesEscapeFileNames(t *testing.T) {
	// A dropbox key cannot hold the "/" of a closing tag.
	const name, escaped = `<script>alert("x")'.cdf`, `&lt;script&gt;alert(&#34;x&#34;)&#39;.cdf`
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.l.Dropbox.Put(ctx, "test/"+name, strings.NewReader("not a science file"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := f.l.Ingest(ctx, "test/"+name); err != nil || out.Result != "quarantined" {
		t.Fatalf("ingest: %+v %v", out, err)
	}
	for _, path := range []string{"/team/quarantine", "/team/"} {
		a := f.do(t, call{path: path, user: "operator"})
		if a.status != 200 {
			t.Fatalf("%s: %d %.300s", path, a.status, a.body)
		}
		if strings.Contains(a.body, "<script") || !strings.Contains(a.body, "<code>"+escaped+"</code>") {
			t.Errorf("%s does not show the file name escaped: %s", path, a.body)
		}
	}
}
