package catalog

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// BenchmarkQueryProductMonth measures the web services' main query — one
// product, one month, newest versions — in a catalog of 1,000,000 records
// (4 spacecraft × 50 products × 5,000 days), and reports p50/p99 latency.
// It reads the index every time: the store's write counter is hidden, so
// the answer cache (answers.go) stays out of it.
func BenchmarkQueryProductMonth(b *testing.B) {
	ctx := context.Background()
	db, err := local.OpenTableStore(filepath.Join(b.TempDir(), "cat.db"), local.WithNoSync())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c := New(struct {
		store.TableStore
		store.QueryVisitor
	}{db, db})
	if err := c.EnsureTable(ctx); err != nil {
		b.Fatal(err)
	}
	levels := []string{"l1a", "l1b", "ql", "l2", "sitl"}
	instruments := []string{"fgm", "scm", "edp", "edi", "dsp", "fpi", "hpca", "feeps", "epd-eis", "aspoc"}
	day0 := time.Date(2015, 3, 13, 0, 0, 0, 0, time.UTC)
	ingested := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]store.Item, 0, 5000)
	n := 0
	for sc := 1; sc <= 4; sc++ {
		for _, in := range instruments {
			for _, lv := range levels {
				for d := 0; d < 5000; d++ {
					start := day0.AddDate(0, 0, d)
					r := Record{Kind: KindScience, SC: fmt.Sprintf("mms%d", sc), Instrument: in, Rate: "srvy", Level: lv, Ext: "cdf",
						Start: start, TimeDigits: 8, Version: "4.18.0", Size: 1 << 20, SHA256: "x", Ingested: ingested.Add(time.Duration(n) * time.Millisecond),
						Status: StatusArchived, StorageClass: store.ClassStandard}
					r.Name = fmt.Sprintf("%s_%s_srvy_%s_%s_v4.18.0.cdf", r.SC, in, lv, start.Format("20060102"))
					r.ArchiveKey = r.Name
					batch = append(batch, toItem(r))
					n++
					if len(batch) == cap(batch) {
						if err := db.BatchPut(ctx, TableName, batch); err != nil {
							b.Fatal(err)
						}
						batch = batch[:0]
					}
				}
			}
		}
	}
	f := Filter{SC: []string{"mms2"}, Instrument: []string{"fgm"}, Rate: []string{"srvy"}, Level: []string{"l2"}, Descriptor: []string{""},
		From: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2020, 6, 30, 0, 0, 0, 0, time.UTC)}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		recs, err := c.Query(ctx, f)
		lat = append(lat, time.Since(t))
		if err != nil || len(recs) != 30 {
			b.Fatalf("%d records, %v", len(recs), err)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(n), "records")
}
