package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/magpie-sdc/magpie/shared/store"
)

// migrationsPK holds one item per data migration: its progress, then done.
const migrationsPK = "MIGRATIONS"

// changeFeedMigration names the backfill of the change feed.
const changeFeedMigration = "change-feed"

// BackfillChangeFeed puts the records cataloged before the change feed
// existed into it, each at its ingestion time as "indexed", so mirrors and
// the nightly tag healing (which walk the feed) see every file. It scans
// the table page by page, saving its position after each page, so a run
// cut short (a Lambda's time limit, a stopped server) goes on where it
// stopped; once the scan is through it records that it is done and later
// calls return at once. progress, if set, hears the running count after
// each page. It returns how many records this call added.
func (c *Catalog) BackfillChangeFeed(ctx context.Context, progress func(added int)) (int, error) {
	key := store.Key{PK: migrationsPK, SK: changeFeedMigration}
	state, err := c.db.Get(ctx, TableName, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		state = store.Item{"pk": key.PK, "sk": key.SK}
	case err != nil:
		return 0, fmt.Errorf("catalog: backfill change feed: %w", err)
	case state.String("done") == "true":
		return 0, nil
	}
	added := 0
	cursor := state.String("cursor")
	for {
		if err := ctx.Err(); err != nil {
			return added, fmt.Errorf("catalog: backfill change feed: stopped, resumes next time: %w", err)
		}
		page, err := c.db.Scan(ctx, TableName, cursor, 500)
		if err != nil {
			return added, fmt.Errorf("catalog: backfill change feed: scan: %w", err)
		}
		for _, it := range page.Items {
			if !strings.HasPrefix(it.String("pk"), "N#") || it.String("cpk") != "" {
				continue // a registry item, or a record in the feed already
			}
			// Writing the record back gives it its feed keys (toItem); a
			// concurrent writer would have given it the same or later ones.
			if _, err := c.Update(ctx, it.String("name"), func(r *Record) error { return c.ensureFeedDay(ctx, *r) }); err != nil {
				return added, fmt.Errorf("catalog: backfill change feed: %w", err)
			}
			added++
		}
		cursor = page.Cursor
		state["cursor"] = cursor
		if cursor == "" {
			state["done"] = "true"
		}
		if err := c.db.Put(ctx, TableName, state, store.Cond{}); err != nil {
			return added, fmt.Errorf("catalog: backfill change feed: save progress: %w", err)
		}
		if progress != nil {
			progress(added)
		}
		if cursor == "" {
			return added, nil
		}
	}
}
