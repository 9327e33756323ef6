package catalog

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/store/local"
)

func TestBulkLoad(t *testing.T) {
	ctx := context.Background()
	db, err := local.OpenTableStore(filepath.Join(t.TempDir(), "cat.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := New(db)
	if err := c.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []Record
	for d := 0; d < 7000; d++ { // more than one batch
		start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		r := Record{Kind: KindScience, SC: "mms1", Instrument: "fgm", Rate: "srvy", Level: "l2", Ext: "cdf", Start: start, TimeDigits: 8,
			Version: "1.0.0", Size: 10, Ingested: now.Add(time.Duration(d) * time.Minute), Status: StatusArchived}
		r.Name = "mms1_fgm_srvy_l2_" + start.Format("20060102") + "_v1.0.0.cdf"
		recs = append(recs, r)
	}
	if err := c.BulkLoad(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got, err := c.Query(ctx, Filter{Instrument: []string{"fgm"}, From: recs[100].Start, To: recs[129].Start})
	if err != nil || len(got) != 30 || got[0].Name != recs[100].Name {
		t.Fatalf("query after bulk load: %d %v", len(got), err)
	}
	ps, err := c.Products(ctx)
	if err != nil || len(ps) != 1 || ps[0].Instrument != "fgm" {
		t.Errorf("products: %+v %v", ps, err)
	}
	ch, err := c.Changes(ctx, now.AddDate(0, 0, 4), "", 10, now.AddDate(0, 0, 10))
	if err != nil || len(ch.Records) == 0 {
		t.Errorf("change feed after bulk load: %+v %v", ch, err)
	}
	if err := c.BulkLoad(ctx, []Record{{Name: "x"}}); err == nil {
		t.Error("a record without ingest time was loaded")
	}
}
