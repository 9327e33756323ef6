package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Records written before the change feed existed (no by-change keys) join
// it at their ingestion time, once; the feed then lists every file.
func TestBackfillChangeFeed(t *testing.T) {
	c := newCatalog(t)
	ctx := context.Background()
	names := []string{"mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf", "mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"}
	for i, n := range names {
		r := add(t, c, n, t0.Add(time.Duration(i)*time.Minute))
		// Rewrite it as session 1 stored it: no change keys.
		it := toItem(r)
		for _, k := range []string{"cpk", "csk", "change", "changed"} {
			delete(it, k)
		}
		if err := c.db.Put(ctx, TableName, it, store.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(time.Hour)
	if page, err := c.Changes(ctx, time.Time{}, "", 100, now); err != nil || len(page.Records) != 0 {
		t.Fatalf("feed before the backfill: %d records %v (want none: the old records have no keys)", len(page.Records), err)
	}
	added, err := c.BackfillChangeFeed(ctx, nil)
	if err != nil || added != len(names) {
		t.Fatalf("backfill: %d %v", added, err)
	}
	page, err := c.Changes(ctx, time.Time{}, "", 100, now)
	if err != nil || len(page.Records) != len(names) {
		t.Fatalf("feed after: %d records %v", len(page.Records), err)
	}
	for i, r := range page.Records {
		if r.Name != names[i] || r.Change != ChangeIndexed || !r.changedAt().Equal(t0.Add(time.Duration(i)*time.Minute)) {
			t.Errorf("entry %d: %s %s at %s", i, r.Name, r.Change, r.changedAt())
		}
	}
	// Done once: a second call does nothing, even if a record lost its keys.
	if added, err := c.BackfillChangeFeed(ctx, nil); err != nil || added != 0 {
		t.Errorf("second backfill: %d %v", added, err)
	}
}
