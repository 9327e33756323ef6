// Package catalogtest fills a catalog with a synthetic mission for
// benchmarks and load tests: many records, shaped like MMS's, loaded fast.
package catalogtest

import (
	"context"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/store"
)

// The synthetic mission: 4 spacecraft × 10 instruments × 5 levels, one
// 1 MiB survey file a day each, ingested a millisecond apart from
// 2026-01-01; the L2 files are released.
var (
	levels      = []string{"l1a", "l1b", "ql", "l2", "sitl"}
	instruments = []string{"fgm", "scm", "edp", "edi", "dsp", "fpi", "hpca", "feeps", "epd-eis", "aspoc"}
	ingested    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// RecordsPerDay is how many records one day of the mission adds.
const RecordsPerDay = 4 * 10 * 5

// LoadMission bulk-loads days days of the synthetic mission from day0 into
// cat and returns how many records it wrote.
func LoadMission(ctx context.Context, cat *catalog.Catalog, day0 time.Time, days int) (int, error) {
	n := 0
	for sc := 1; sc <= 4; sc++ {
		recs := make([]catalog.Record, 0, len(instruments)*len(levels)*days)
		for _, in := range instruments {
			for _, lv := range levels {
				for d := range days {
					start := day0.AddDate(0, 0, d)
					r := catalog.Record{Kind: catalog.KindScience, SC: fmt.Sprintf("mms%d", sc), Instrument: in, Rate: "srvy", Level: lv,
						Ext: "cdf", Start: start, TimeDigits: 8, Version: "4.18.0", Size: 1 << 20, SHA256: "0",
						Ingested: ingested.Add(time.Duration(n) * time.Millisecond), Status: catalog.StatusArchived,
						StorageClass: store.ClassStandard, Released: lv == "l2", ReleaseID: "R1"}
					r.Name = fmt.Sprintf("%s_%s_srvy_%s_%s_v4.18.0.cdf", r.SC, in, lv, start.Format("20060102"))
					r.ArchiveKey = r.Name
					recs = append(recs, r)
					n++
				}
			}
		}
		if err := cat.BulkLoad(ctx, recs); err != nil {
			return n, fmt.Errorf("synthetic mission: %w", err)
		}
	}
	return n, nil
}
