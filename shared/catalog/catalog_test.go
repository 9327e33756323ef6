package catalog

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

func newCatalog(t testing.TB) *Catalog {
	t.Helper()
	db, err := local.OpenTableStore(filepath.Join(t.TempDir(), "cat.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := New(db)
	if err := c.EnsureTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func add(t *testing.T, c *Catalog, name string, ingested time.Time) Record {
	t.Helper()
	n, err := naming.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromName(n)
	if err != nil {
		t.Fatal(err)
	}
	r.Size, r.SHA256, r.Ingested = 100, "sha-"+name, ingested
	if _, err := c.Add(context.Background(), r); err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
	return r
}

func names(rs []Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNewestVersionPerTimeTagAndExactVersions(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	for i, n := range []string{
		"mms1_fgm_srvy_l2_20151016_v4.9.0.cdf",
		"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", // numerically newer than 4.9.0
		"mms1_fgm_srvy_l2_20151016_v4.10.2.cdf",
		"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf",
		"mms1_fgm_srvy_l2_20151018_v3.0.100.cdf",
		"mms1_fgm_srvy_l2_20151018_v3.0.99.cdf",
		"mms2_fgm_srvy_l2_20151016_v4.18.0.cdf",
		"mms1_fgm_brst_l2_20151016013000_v5.113.0.cdf",
	} {
		add(t, c, n, t0.Add(time.Duration(i)*time.Second))
	}
	f := Filter{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l2"}, Descriptor: []string{""}}
	got, err := c.Query(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151018_v3.0.100.cdf"}
	if !equal(names(got), want) {
		t.Errorf("newest per time tag:\n got %v\nwant %v", names(got), want)
	}
	f.Version = "4.9.0"
	got, _ = c.Query(ctx, f)
	if !equal(names(got), []string{"mms1_fgm_srvy_l2_20151016_v4.9.0.cdf"}) {
		t.Errorf("exact version: %v", names(got))
	}
	f.Version, f.AllVersions = "", true
	got, _ = c.Query(ctx, f)
	if len(got) != 6 {
		t.Errorf("all versions: %d records %v", len(got), names(got))
	}
	// Partial filters go through the product registry.
	got, _ = c.Query(ctx, Filter{Instrument: []string{"fgm"}, From: day("2015-10-16"), To: day("2015-10-16")})
	if len(got) != 2 {
		t.Errorf("instrument-wide query for one day: %v", names(got))
	}
	got, _ = c.Query(ctx, Filter{Instrument: []string{"fgm"}, Rate: []string{"brst"}})
	if !equal(names(got), []string{"mms1_fgm_brst_l2_20151016013000_v5.113.0.cdf"}) {
		t.Errorf("burst: %v", names(got))
	}
}

func TestTimeRangeIsInclusiveOnTheTimeTag(t *testing.T) {
	c := newCatalog(t)
	for i, n := range []string{
		"mms1_fgm_srvy_l2_20151015_v4.18.0.cdf",
		"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
		"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf",
		"mms1_fgm_srvy_l2_20151018_v4.18.0.cdf",
		"mms1_fpi_fast_l2_dis-moms_20151016000000_v3.3.0.cdf",
		"mms1_fpi_fast_l2_dis-moms_20151016020000_v3.3.0.cdf",
		"mms1_fpi_fast_l2_dis-moms_20151016040000_v3.3.0.cdf",
	} {
		add(t, c, n, t0.Add(time.Duration(i)*time.Second))
	}
	cases := []struct {
		f    Filter
		want []string
	}{
		{Filter{Instrument: []string{"fgm"}, From: day("2015-10-16"), To: day("2015-10-17")},
			[]string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"}},
		{Filter{Instrument: []string{"fgm"}, From: day("2015-10-17")},
			[]string{"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151018_v4.18.0.cdf"}},
		{Filter{Instrument: []string{"fgm"}, To: day("2015-10-15")}, []string{"mms1_fgm_srvy_l2_20151015_v4.18.0.cdf"}},
		{Filter{Instrument: []string{"fpi"}, From: day("2015-10-16").Add(2 * time.Hour), To: day("2015-10-16").Add(4 * time.Hour)},
			[]string{"mms1_fpi_fast_l2_dis-moms_20151016020000_v3.3.0.cdf", "mms1_fpi_fast_l2_dis-moms_20151016040000_v3.3.0.cdf"}},
		{Filter{Instrument: []string{"fpi"}, From: day("2015-10-16").Add(2*time.Hour + time.Second), To: day("2015-10-16").Add(4*time.Hour - time.Second)}, nil},
		{Filter{Instrument: []string{"fgm"}, From: day("2015-10-19")}, nil},
		{Filter{Instrument: []string{"nosuch"}}, nil},
	}
	for i, tc := range cases {
		got, err := c.Query(context.Background(), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if !equal(names(got), tc.want) {
			t.Errorf("case %d: got %v want %v", i, names(got), tc.want)
		}
	}
}

func TestAddIsCreateOnlyAndGetByName(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	r := add(t, c, "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", t0)
	got, err := c.Get(ctx, r.Name)
	if err != nil || got.SHA256 != r.SHA256 || got.Size != 100 || !got.Ingested.Equal(t0) || got.Version != "4.18.0" {
		t.Fatalf("get: %+v %v", got, err)
	}
	dup := r
	dup.SHA256 = "different"
	old, err := c.Add(ctx, dup)
	if !IsExists(err) || old.SHA256 != r.SHA256 {
		t.Fatalf("second add: err %v old %+v", err, old)
	}
	if _, err := c.Get(ctx, "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing name: %v", err)
	}
}

func TestUpdateChecksRevision(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	r := add(t, c, "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", t0)
	u, err := c.Update(ctx, r.Name, func(r *Record) error { r.Released, r.ReleaseID = true, "R1"; return nil })
	if err != nil || u.Revision != 1 {
		t.Fatal(u, err)
	}
	got, _ := c.Query(ctx, Filter{Instrument: []string{"fgm"}, ReleasedOnly: true})
	if len(got) != 1 || got[0].ReleaseID != "R1" {
		t.Fatalf("released query: %+v", got)
	}
	// Concurrent updates all land.
	done := make(chan error)
	for range 8 {
		go func() {
			_, err := c.Update(ctx, r.Name, func(r *Record) error { r.StorageClass = store.ClassGlacierIR; return nil })
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	got1, _ := c.Get(ctx, r.Name)
	if got1.Revision != 9 {
		t.Errorf("revision after 9 updates = %d", got1.Revision)
	}
}

func TestAncillaryAndSelectionRecords(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	add(t, c, "MMS1_DEFEPH_2015289_2015290.V00", t0)
	add(t, c, "MMS1_DEFEPH_2015289_2015290.V01", t0.Add(time.Second))
	add(t, c, "MMS1_DEFEPH_2015290_2015291.V00", t0.Add(2*time.Second))
	add(t, c, "MMS_DEFQ_2015289_2015290.V00", t0.Add(3*time.Second))
	add(t, c, "abs_selections_2015-10-16-08-30-53.sav", t0.Add(4*time.Second))
	got, err := c.Query(ctx, Filter{Kind: KindAncillary, SC: []string{"mms1"}, Product: []string{"defeph"}, From: day("2015-10-16"), To: day("2015-10-16")})
	if err != nil {
		t.Fatal(err)
	}
	if !equal(names(got), []string{"MMS1_DEFEPH_2015289_2015290.V01"}) {
		t.Errorf("ancillary newest: %v", names(got))
	}
	got, _ = c.Query(ctx, Filter{Kind: KindAncillary, Product: []string{"defq"}})
	if !equal(names(got), []string{"MMS_DEFQ_2015289_2015290.V00"}) {
		t.Errorf("constellation ancillary: %v", names(got))
	}
	got, _ = c.Query(ctx, Filter{Kind: KindSelection, Product: []string{"abs_selections"}})
	if len(got) != 1 {
		t.Errorf("selections: %v", names(got))
	}
	// Exact names: other filters still apply.
	got, _ = c.Query(ctx, Filter{Kind: KindAncillary, Names: []string{"MMS1_DEFEPH_2015289_2015290.V00", "nope"}, SC: []string{"mms1"}})
	if !equal(names(got), []string{"MMS1_DEFEPH_2015289_2015290.V00"}) {
		t.Errorf("by name: %v", names(got))
	}
	got, _ = c.Query(ctx, Filter{Kind: KindAncillary, Names: []string{"MMS1_DEFEPH_2015289_2015290.V00"}, SC: []string{"mms2"}})
	if len(got) != 0 {
		t.Errorf("by name with other filter: %v", names(got))
	}
}

func TestChangeFeedPagesAcrossDaysWithoutGapsOrRepeats(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	var all []string
	for i := range 25 {
		// Spread over three ingest days.
		at := t0.Add(time.Duration(i) * 3 * time.Hour)
		n := fmt.Sprintf("mms1_fgm_srvy_l2_201510%02d_v4.18.0.cdf", i+1)
		add(t, c, n, at)
		all = append(all, n)
	}
	now := t0.Add(100 * time.Hour)
	var seen []string
	cursor := ""
	for page := 0; page < 20; page++ {
		ch, err := c.Changes(ctx, t0.Add(-time.Hour), cursor, 4, now)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, names(ch.Records)...)
		cursor = ch.Cursor
		if len(ch.Records) == 0 {
			break
		}
	}
	if !equal(seen, all) {
		t.Fatalf("feed:\n got %v\nwant %v", seen, all)
	}
	// A record added later appears on the next poll with the same cursor.
	add(t, c, "mms2_fgm_srvy_l2_20151001_v4.18.0.cdf", now.Add(-time.Minute))
	ch, err := c.Changes(ctx, time.Time{}, cursor, 10, now)
	if err != nil || !equal(names(ch.Records), []string{"mms2_fgm_srvy_l2_20151001_v4.18.0.cdf"}) {
		t.Fatalf("next poll: %v %v", names(ch.Records), err)
	}
	// since is exclusive.
	ch, _ = c.Changes(ctx, t0.Add(72*time.Hour), "", 100, now)
	if len(ch.Records) != 0+1 { // only the record ingested at now-1m is after t0+72h
		t.Fatalf("since filter: %v", names(ch.Records))
	}
	// A mirror starting from scratch: since the zero time, one call.
	ch, err = c.Changes(ctx, time.Time{}, "", 1000, now)
	if err != nil || len(ch.Records) != 26 {
		t.Fatalf("from scratch: %d records, %v", len(ch.Records), err)
	}
	if _, err := c.Changes(ctx, time.Time{}, "garbage!", 10, now); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
	recent, _ := c.Recent(ctx, 3, 10, now)
	if len(recent) != 3 || recent[0].Name != "mms2_fgm_srvy_l2_20151001_v4.18.0.cdf" {
		t.Fatalf("recent: %v", names(recent))
	}
}

func TestProductRegistryCacheSeesOwnNewProducts(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	add(t, c, "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", t0)
	if got, _ := c.Query(ctx, Filter{Level: []string{"l2"}}); len(got) != 1 {
		t.Fatalf("first query: %v", names(got))
	}
	// A product registered after the registry was cached is seen at once.
	add(t, c, "mms1_scm_srvy_l2_scsrvy_20151016_v2.2.0.cdf", t0.Add(time.Second))
	if got, _ := c.Query(ctx, Filter{Level: []string{"l2"}}); len(got) != 2 {
		t.Fatalf("after a new product: %v", names(got))
	}
}

// plainStore hides the local store's QueryVisitor, so queries take the
// Item-building path every adapter supports.
type plainStore struct{ store.TableStore }

// Both read paths give the same records for the same filters.
func TestQueryWithAndWithoutVisitor(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	for i, n := range []string{
		"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151016_v4.19.0.cdf",
		"mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "mms1_fgm_brst_l2_20151016123000_v4.18.0.cdf",
		"mms2_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fpi_fast_l2_des-moms_20151016000000_v3.3.0.cdf",
	} {
		add(t, c, n, t0.Add(time.Duration(i)*1500*time.Millisecond))
	}
	plain := New(plainStore{c.db})
	for _, f := range []Filter{
		{SC: []string{"mms1"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l2"}, Descriptor: []string{""}},
		{SC: []string{"mms1"}, Instrument: []string{"fgm"}, From: day("2015-10-16"), To: day("2015-10-16")},
		{Instrument: []string{"fgm", "fpi"}, AllVersions: true},
		{SC: []string{"mms1"}, Version: "4.18.0"},
	} {
		got, err := c.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := plain.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || len(got) == 0 {
			t.Errorf("filter %+v:\nvisitor %+v\nitems   %+v", f, got, want)
		}
	}
}
