package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

func (f *fixture) tagsOf(t *testing.T, name string) map[string]string {
	t.Helper()
	rec, err := f.cat.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("catalog %s: %v", name, err)
	}
	h, err := f.archive.Head(context.Background(), rec.ArchiveKey)
	if err != nil {
		t.Fatal(err)
	}
	return h.Tags
}

func TestNewerVersionsSupersedeOlderOnes(t *testing.T) {
	sup := func(tags map[string]string) map[string]string {
		out := maps.Clone(tags)
		out[TagSuperseded] = "true"
		return out
	}
	l2 := map[string]string{TagLevel: "l2"}
	anc := map[string]string{TagKind: "ancillary"}
	tests := []struct {
		name  string
		order []string                     // dropped and indexed in this order
		want  map[string]map[string]string // tags per file afterwards
	}{
		{"in order", []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.18.1.cdf", "mms1_fgm_srvy_l2_20151016_v4.19.0.cdf"},
			map[string]map[string]string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf": sup(l2), "mms1_fgm_srvy_l2_20151016_v4.18.1.cdf": sup(l2), "mms1_fgm_srvy_l2_20151016_v4.19.0.cdf": l2}},
		{"numeric not lexical", []string{"mms1_fgm_srvy_l2_20151016_v4.10.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.9.0.cdf"},
			map[string]map[string]string{"mms1_fgm_srvy_l2_20151016_v4.9.0.cdf": sup(l2), "mms1_fgm_srvy_l2_20151016_v4.10.0.cdf": l2}},
		{"newer first", []string{"mms1_fgm_srvy_l2_20151016_v5.0.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"},
			map[string]map[string]string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf": sup(l2), "mms1_fgm_srvy_l2_20151016_v5.0.0.cdf": l2}},
		{"other day and spacecraft untouched", []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.19.0.cdf", "mms2_fgm_srvy_l2_20151016_v4.19.0.cdf"},
			map[string]map[string]string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf": l2, "mms1_fgm_srvy_l2_20151017_v4.19.0.cdf": l2, "mms2_fgm_srvy_l2_20151016_v4.19.0.cdf": l2}},
		{"ancillary versions", []string{"MMS1_DEFEPH_2015289_2015290.V00", "MMS1_DEFEPH_2015289_2015290.V01"},
			map[string]map[string]string{"MMS1_DEFEPH_2015289_2015290.V00": sup(anc), "MMS1_DEFEPH_2015289_2015290.V01": anc}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for i, name := range tc.order {
				body := cdfBytes("version " + name)
				if name[0] == 'M' {
					body = []byte("DEFINITIVE EPHEMERIS " + name + "\n")
				}
				f.drop(t, name, body, nil)
				if out := f.index(t, name); out.Result != ResultIndexed {
					t.Fatalf("file %d %s: %+v", i, name, out)
				}
			}
			for name, want := range tc.want {
				if got := f.tagsOf(t, name); !reflect.DeepEqual(got, want) {
					t.Errorf("%s tagged %v, want %v", name, got, want)
				}
			}
		})
	}
}

func TestSupersedingKeepsOtherTags(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const old, newer = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.18.1.cdf"
	f.drop(t, old, cdfBytes("a"), nil)
	out := f.index(t, old)
	if err := f.archive.SetTags(ctx, out.Record.ArchiveKey, map[string]string{TagLevel: "l2", "project": "mms"}); err != nil {
		t.Fatal(err)
	}
	f.drop(t, newer, cdfBytes("b"), nil)
	f.index(t, newer)
	want := map[string]string{TagLevel: "l2", "project": "mms", TagSuperseded: "true"}
	if got := f.tagsOf(t, old); !reflect.DeepEqual(got, want) {
		t.Errorf("old version tagged %v, want %v", got, want)
	}
}

// failingTags fails SetTags while fail is set, as a crash or throttling
// between the catalog write and the tagging would.
type failingTags struct {
	store.ObjectStore
	tagger store.Tagger
	fail   bool
}

func (f *failingTags) SetTags(ctx context.Context, key string, tags map[string]string) error {
	if f.fail {
		return errors.New("simulated tagging failure")
	}
	return f.tagger.SetTags(ctx, key, tags)
}

func TestFailedTaggingIsHealedByTheRetry(t *testing.T) {
	f := newFixture(t)
	ft := &failingTags{ObjectStore: f.archive, tagger: f.archive}
	f.ix.Archive = ft
	const old, newer = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.18.1.cdf"
	f.drop(t, old, cdfBytes("a"), nil)
	f.index(t, old)
	f.drop(t, newer, cdfBytes("b"), nil)
	ft.fail = true
	if _, err := f.ix.Index(context.Background(), newer); err == nil {
		t.Fatal("Index succeeded although tagging failed")
	}
	if !f.exists(t, f.dropbox, newer) {
		t.Fatal("dropbox copy removed before the older version was tagged")
	}
	if got := f.tagsOf(t, old); got[TagSuperseded] != "" {
		t.Fatalf("old version tagged %v before the retry", got)
	}
	ft.fail = false
	if out := f.index(t, newer); out.Result != ResultDuplicate {
		t.Fatalf("retry: %+v", out)
	}
	if got := f.tagsOf(t, old); got[TagSuperseded] != "true" {
		t.Errorf("old version tagged %v after the retry, want superseded=true", got)
	}
}

func TestHealTagsWalksTheCatalogInBoundedPasses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	names := []string{
		"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.18.1.cdf",
		"mms2_fpi_fast_l1b_des-dist_20151016_v1.0.0.cdf", "MMS1_DEFEPH_2015289_2015290.V00",
		"mms1_fgm_srvy_l1b_20151016_v4.18.0.cdf",
	}
	for _, n := range names {
		body := cdfBytes(n)
		if n[0] == 'M' {
			body = []byte("DEFINITIVE EPHEMERIS\n")
		}
		f.drop(t, n, body, nil)
		f.index(t, n)
	}
	for _, n := range names { // as archived before tagging existed
		rec, err := f.cat.Get(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.archive.SetTags(ctx, rec.ArchiveKey, nil); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	cursor, examined, retagged, passes := "", 0, 0, 0
	for passes = 1; passes <= 10; passes++ {
		res, err := HealTags(ctx, f.archive, f.cat, cursor, 2, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Examined > 2 {
			t.Fatalf("pass %d examined %d records, limit 2", passes, res.Examined)
		}
		examined, retagged, cursor = examined+res.Examined, retagged+res.Retagged, res.Cursor
		if res.Examined == 0 {
			break
		}
	}
	if examined != len(names) || retagged != len(names) || passes != 4 {
		t.Errorf("examined %d, retagged %d in %d passes; want %d, %d in 4 (3 with work, 1 empty)", examined, retagged, passes, len(names), len(names))
	}
	want := map[string]map[string]string{
		names[0]: {TagLevel: "l2", TagSuperseded: "true"}, names[1]: {TagLevel: "l2"},
		names[2]: {TagLevel: "l1b"}, names[3]: {TagKind: "ancillary"}, names[4]: {TagLevel: "l1b"},
	}
	for n, w := range want {
		if got := f.tagsOf(t, n); !reflect.DeepEqual(got, w) {
			t.Errorf("%s healed to %v, want %v", n, got, w)
		}
	}
	// A second pass from the start finds nothing to do.
	res, err := HealTags(ctx, f.archive, f.cat, "", 100, now)
	if err != nil || res.Retagged != 0 || res.Examined != len(names) {
		t.Errorf("second pass: %+v, %v; want %d examined, 0 retagged", res, err, len(names))
	}
}

func TestTaggingNeedsATaggerArchive(t *testing.T) {
	f := newFixture(t)
	f.ix.Archive = struct{ store.ObjectStore }{f.archive}
	const old, newer = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.18.1.cdf"
	f.drop(t, old, cdfBytes("a"), nil)
	f.index(t, old) // a lone version needs no retagging
	f.drop(t, newer, cdfBytes("b"), nil)
	if _, err := f.ix.Index(context.Background(), newer); !errors.Is(err, ErrNoTagger) {
		t.Errorf("Index with an archive without SetTags: %v, want ErrNoTagger", err)
	}
}

func TestHandlerEmitsDataLatencyForNewFilesOnly(t *testing.T) {
	f := newFixture(t) // clock: 2026-11-21T12:00:00Z
	var logw bytes.Buffer
	h := &Handler{Indexer: f.ix, Bucket: "magpie-dropbox", Metrics: telemetry.NewMetrics(&logw, nil)}
	const name = "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
	event := func(created string) []byte {
		return []byte(`{"Records":[{"eventSource":"aws:s3","eventTime":"` + created + `","eventName":"ObjectCreated:Put",
			"s3":{"bucket":{"name":"magpie-dropbox"},"object":{"key":"` + name + `"}}}]}`)
	}
	f.drop(t, name, cdfBytes("x"), nil)
	if _, err := h.Handle(context.Background(), event("2026-11-21T11:58:30.500Z")); err != nil {
		t.Fatal(err)
	}
	// The same notification again (a duplicate) measures nothing more.
	f.drop(t, name, cdfBytes("x"), nil)
	if _, err := h.Handle(context.Background(), event("2026-11-21T11:59:00Z")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logw.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d metric lines, want 1: %q", len(lines), logw.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if got := rec[telemetry.MetricDataLatency]; got != 89.5 {
		t.Errorf("%s = %v, want 89.5 (11:58:30.5 to 12:00:00)", telemetry.MetricDataLatency, got)
	}
	aws, _ := rec["_aws"].(map[string]any)
	if ts, _ := aws["Timestamp"].(float64); int64(ts) != time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("_aws.Timestamp %v, want the catalog write time", aws["Timestamp"])
	}
}
