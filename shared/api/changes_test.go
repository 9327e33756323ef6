package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/store"
)

// ingestNew drops a file into the dropbox and indexes it.
func (f *fixture) ingestNew(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	key := "test/" + name
	if _, err := f.l.Dropbox.Put(ctx, key, strings.NewReader(content(name)), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := f.l.Ingest(ctx, key); err != nil || out.Result != "indexed" {
		t.Fatalf("ingest %s: %+v %v", name, out, err)
	}
}

// fgmDay is the release scope of mms1 fgm L2 on one day (all versions).
func fgmDay(day string) release.Scope {
	d, _ := time.Parse(time.DateOnly, day)
	return release.Scope{Instrument: []string{"fgm"}, Level: []string{"l2"}, SC: []string{"mms1"}, From: d, To: d.Add(24*time.Hour - time.Second)}
}

// publicNow lists the names the public may see in the catalog now.
func (f *fixture) publicNow(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, kind := range []string{catalog.KindScience, catalog.KindAncillary, catalog.KindSelection} {
		recs, err := f.l.Catalog.Query(context.Background(), catalog.Filter{Kind: kind, AllVersions: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if f.api.visible(false, r) {
				out[r.Name] = true
			}
		}
	}
	return out
}

// mirror follows the public change feed as a mirror would.
type mirror struct {
	cursor string
	files  map[string]bool
}

type feedEntry struct {
	Name     string `json:"file_name"`
	Change   string `json:"change"`
	Released bool   `json:"released"`
	Size     *int64 `json:"file_size"`
}

// poll reads the feed to its end; everPublic are the names that have been
// public at some time, the only names the public feed may carry.
func (m *mirror) poll(t *testing.T, f *fixture, everPublic map[string]bool) {
	t.Helper()
	for range 100 {
		q := url.Values{"limit": {"3"}}
		if m.cursor != "" {
			q.Set("cursor", m.cursor)
		}
		a := f.do(t, call{path: "/api/v1/files/changes", query: q})
		if a.status != 200 {
			t.Fatalf("feed: %d %s", a.status, a.body)
		}
		var page struct {
			Files  []feedEntry `json:"files"`
			Cursor string      `json:"cursor"`
			More   bool        `json:"more"`
		}
		if err := json.Unmarshal([]byte(a.body), &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Files {
			if !everPublic[e.Name] {
				t.Fatalf("the public feed named %s, which was never public", e.Name)
			}
			switch e.Change {
			case catalog.ChangeIndexed, catalog.ChangeReleased:
				if !e.Released || e.Size == nil {
					t.Fatalf("public entry of an unreleased file or without metadata: %+v", e)
				}
				m.files[e.Name] = true
			case catalog.ChangeUnreleased:
				if e.Size != nil {
					t.Fatalf("a tombstone carries metadata: %s", a.body)
				}
				delete(m.files, e.Name)
			default:
				t.Fatalf("entry without a change: %+v", e)
			}
		}
		if page.Cursor == "" {
			t.Fatal("no cursor")
		}
		m.cursor = page.Cursor
		if !page.More {
			return
		}
	}
	t.Fatal("the feed did not end")
}

// A public mirror that follows the change feed, polling whenever it likes,
// ends with exactly the released files, whatever was released, withdrawn,
// re-released or superseded after it last polled.
func TestChangeFeedMirrorEndsWithTheReleasedFiles(t *testing.T) {
	const (
		day17   = "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf" // fixture: ingested, never released
		day16   = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf" // fixture: released
		day16v2 = "mms1_fgm_srvy_l2_20151016_v4.19.0.cdf"
		day18   = "mms1_fgm_srvy_l2_20151018_v4.18.0.cdf"
		l1b18   = "mms1_fgm_srvy_l1b_20151018_v4.18.0.cdf" // team only
	)
	type step struct {
		do   string // ingest | release | unrelease | poll
		arg  string // file name, or day of the scope
		want string // after a poll: an expected member of the mirror ("-name": expected absent)
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"released after the mirror passed its ingestion", []step{
			{do: "poll", want: "-" + day17}, {do: "release", arg: "2015-10-17"}, {do: "poll", want: day17}}},
		{"withdrawn after the mirror copied it", []step{
			{do: "poll", want: day16}, {do: "unrelease", arg: "2015-10-16"}, {do: "poll", want: "-" + day16}}},
		{"ingest, release, unrelease, re-release, new version; polling after each", []step{
			{do: "poll"}, {do: "ingest", arg: day18}, {do: "ingest", arg: l1b18}, {do: "poll", want: "-" + day18},
			{do: "release", arg: "2015-10-18"}, {do: "poll", want: day18},
			{do: "unrelease", arg: "2015-10-18"}, {do: "poll", want: "-" + day18},
			{do: "release", arg: "2015-10-18"}, {do: "poll", want: day18},
			{do: "ingest", arg: day16v2}, {do: "poll", want: "-" + day16v2},
			{do: "release", arg: "2015-10-16"}, {do: "poll", want: day16v2}}},
		{"the same, polling only at the end", []step{
			{do: "poll"}, {do: "ingest", arg: day18}, {do: "ingest", arg: l1b18}, {do: "release", arg: "2015-10-18"},
			{do: "unrelease", arg: "2015-10-18"}, {do: "release", arg: "2015-10-18"}, {do: "ingest", arg: day16v2},
			{do: "unrelease", arg: "2015-10-16"}, {do: "release", arg: "2015-10-16"}, {do: "poll", want: day16v2}}},
		{"a mirror that starts after everything", []step{
			{do: "release", arg: "2015-10-17"}, {do: "unrelease", arg: "2015-10-16"}, {do: "poll", want: day17}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			everPublic := f.publicNow(t)
			m := &mirror{files: map[string]bool{}}
			for i, s := range tc.steps {
				f.clk.Advance(time.Minute)
				var err error
				switch s.do {
				case "ingest":
					f.ingestNew(t, s.arg)
				case "release":
					_, err = f.rel.Release(ctx, fgmDay(s.arg), fmt.Sprintf("R%d", i), "", "test")
				case "unrelease":
					_, err = f.rel.Unrelease(ctx, fgmDay(s.arg), "", "test")
				case "poll":
					m.poll(t, f, everPublic)
					if name, absent := strings.CutPrefix(s.want, "-"); s.want != "" && m.files[name] == absent {
						t.Fatalf("step %d: %s in the mirror: %v", i, name, m.files[name])
					}
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				for n := range f.publicNow(t) {
					everPublic[n] = true
				}
			}
			want := f.publicNow(t)
			if !mapsEqual(m.files, want) {
				t.Fatalf("mirror:\n got %v\nwant %v", nameSet(m.files), nameSet(want))
			}
		})
	}
}

func mapsEqual(a, b map[string]bool) bool {
	return slices.Equal(nameSet(a), nameSet(b))
}

func nameSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A team caller sees every change, with what changed; bad cursors and
// limits are 400 with a JSON error.
func TestChangeFeedTeamViewAndBadInput(t *testing.T) {
	f := newFixture(t)
	f.clk.Advance(time.Minute)
	a := f.do(t, call{path: "/api/v1/files/changes", user: "scientist"})
	var page struct {
		Files []catalog.Record `json:"files"`
	}
	if a.status != 200 || json.Unmarshal([]byte(a.body), &page) != nil || len(page.Files) != len(released)+len(unreleased) {
		t.Fatalf("team feed: %d %s", a.status, a.body)
	}
	for _, r := range page.Files {
		want := catalog.ChangeIndexed
		if slices.Contains(released, r.Name) {
			want = catalog.ChangeReleased
		}
		if r.Change != want || r.Changed.IsZero() {
			t.Errorf("%s: change %q at %v, want %s", r.Name, r.Change, r.Changed, want)
		}
	}
	for _, q := range []url.Values{{"cursor": {"garbage!"}}, {"limit": {"0"}}, {"limit": {"x"}}, {"since": {"yesterday"}}} {
		a := f.do(t, call{path: "/api/v1/files/changes", query: q})
		if a.status != 400 || !strings.Contains(a.body, `"error"`) {
			t.Errorf("%v: %d %s", q, a.status, a.body)
		}
	}
}

type searchPage struct {
	Files      []catalog.Record `json:"files"`
	NextCursor string           `json:"next_cursor"`
}

func (f *fixture) search(t *testing.T, q url.Values) searchPage {
	t.Helper()
	a := f.do(t, call{path: "/api/v1/files", query: q, user: "scientist"})
	var p searchPage
	if a.status != 200 || json.Unmarshal([]byte(a.body), &p) != nil {
		t.Fatalf("search %v: %d %s", q, a.status, a.body)
	}
	return p
}

// Paging through a search returns each file exactly once, also when files
// are added between pages (before and after the cursor's position).
func TestSearchPagesByCursor(t *testing.T) {
	for _, k := range []int{1, 2, 3, 7, 100} {
		t.Run(fmt.Sprint("limit ", k), func(t *testing.T) {
			f := newFixture(t)
			base := url.Values{"instrument_id": {"fgm"}, "all_versions": {"true"}}
			before := map[string]bool{}
			for _, r := range f.search(t, base).Files {
				before[r.Name] = true
			}
			seen := map[string]int{}
			q := url.Values{"instrument_id": {"fgm"}, "all_versions": {"true"}, "limit": {fmt.Sprint(k)}}
			added := 0
			for page := 0; ; page++ {
				p := f.search(t, q)
				if len(p.Files) > k {
					t.Fatalf("page of %d, limit %d", len(p.Files), k)
				}
				for _, r := range p.Files {
					seen[r.Name]++
				}
				if p.NextCursor == "" {
					break
				}
				if page > 100 {
					t.Fatal("paging does not end")
				}
				// New files sort before and after any position.
				if added < 4 {
					f.ingestNew(t, fmt.Sprintf("mms1_fgm_srvy_l2_201510%02d_v4.18.0.cdf", 1+added))
					f.ingestNew(t, fmt.Sprintf("mms4_fgm_srvy_l2_201510%02d_v4.18.0.cdf", 1+added))
					added++
				}
				q.Set("cursor", p.NextCursor)
			}
			for n := range before {
				if seen[n] != 1 {
					t.Errorf("%s seen %d times", n, seen[n])
				}
			}
			for n, c := range seen {
				if c != 1 {
					t.Errorf("%s seen %d times", n, c)
				}
			}
		})
	}
}

func TestSearchRejectsBadCursors(t *testing.T) {
	f := newFixture(t)
	p := f.search(t, url.Values{"instrument_id": {"fgm"}, "limit": {"1"}})
	if p.NextCursor == "" {
		t.Fatal("no next_cursor")
	}
	feed := f.do(t, call{path: "/api/v1/files/changes", user: "scientist"})
	var fc struct {
		Cursor string `json:"cursor"`
	}
	json.Unmarshal([]byte(feed.body), &fc)
	for name, q := range map[string]url.Values{
		"malformed":         {"cursor": {"not a cursor"}},
		"another search":    {"instrument_id": {"scm"}, "cursor": {p.NextCursor}},
		"a change feed's":   {"instrument_id": {"fgm"}, "cursor": {fc.Cursor}},
		"tampered":          {"instrument_id": {"fgm"}, "cursor": {p.NextCursor[:len(p.NextCursor)-2]}},
		"bad limit":         {"limit": {"0"}},
		"the same, limit 2": {"instrument_id": {"fgm"}, "limit": {"2"}, "cursor": {p.NextCursor}},
	} {
		a := f.do(t, call{path: "/api/v1/files", query: q, user: "scientist"})
		want := 400
		if name == "the same, limit 2" {
			want = 200 // only limit may change between pages
		}
		if a.status != want || want == 400 && !strings.Contains(a.body, `"error"`) {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
}
