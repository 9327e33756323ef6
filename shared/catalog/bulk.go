package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// BulkLoad writes the records of a catalog being built from scratch (a
// migration, a load test) in batches, with their product and feed-day
// registry entries. Unlike Add it checks nothing: a record whose name
// exists is overwritten, so it is for empty catalogs only.
func (c *Catalog) BulkLoad(ctx context.Context, recs []Record) error {
	defer c.invalidateProducts()
	const batch = 5000
	registry := map[string]store.Item{}
	items := make([]store.Item, 0, batch)
	flush := func() error {
		if len(items) == 0 {
			return nil
		}
		if err := c.db.BatchPut(ctx, TableName, items); err != nil {
			return fmt.Errorf("catalog: bulk load: %w", err)
		}
		items = items[:0]
		return nil
	}
	for _, r := range recs {
		if r.Name == "" || r.Ingested.IsZero() {
			return fmt.Errorf("catalog: bulk load %q: name and ingest time are required", r.Name)
		}
		registry[r.ProductKey()] = store.Item{"pk": productsPK, "sk": r.ProductKey(), "kind": r.Kind, "sc": r.SC,
			"instrument": r.Instrument, "rate": r.Rate, "level": r.Level, "descriptor": r.Descriptor, "product": r.Product}
		day := r.changedAt().Format(time.DateOnly)
		registry[feedDaysPK+day] = store.Item{"pk": feedDaysPK, "sk": day}
		items = append(items, toItem(r))
		if len(items) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, it := range registry {
		items = append(items, it)
		if len(items) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
