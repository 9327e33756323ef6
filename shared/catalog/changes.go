package catalog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// The change feed mirrors poll. Every record sits in the by-change index
// once, at the time of its last visible change (ingest, release,
// unrelease): a change moves the record's entry to the end of the feed, so a
// mirror that has read past the record's ingestion still sees it released
// (or withdrawn) later. Ordering is (change time, name): total and stable.
//
//	by-change  cpk = C#<changed yyyy-mm-dd>  csk = <changed time, fixed width>#<name>
const indexChange = "by-change"

// What a change-feed entry says happened to its record.
const (
	ChangeIndexed    = "indexed"
	ChangeReleased   = "released"
	ChangeUnreleased = "unreleased"
)

// feedSettle is how far behind now the feed stops reading. A writer stamps
// the change time before its write commits; without the margin a mirror
// could read past that time before the write became visible and never see
// it. Writes take milliseconds; the margin covers them and small clock skew
// between writers.
const feedSettle = 5 * time.Second

// feedLimit caps one page of the feed.
const feedLimit = 1000

// errUnchanged ends an update that would change nothing.
var errUnchanged = errors.New("catalog: unchanged")

// changedAt is when the record last changed visibly; records written
// before changes were tracked changed when they were ingested.
func (r Record) changedAt() time.Time {
	if r.Changed.IsZero() {
		return r.Ingested.UTC()
	}
	return r.Changed.UTC()
}

func (r Record) changeKeys() (pk, sk string) {
	at := r.changedAt()
	return "C#" + at.Format(time.DateOnly), at.Format(ingestLayout) + "#" + r.Name
}

// SetReleased sets the released flag and release number of a file, and, when
// that changes what the public sees, moves its change-feed entry to at with
// the change released or unreleased. It reports whether the record changed.
func (c *Catalog) SetReleased(ctx context.Context, name string, released bool, number string, at time.Time) (bool, error) {
	at = at.UTC()
	if err := c.ensureEntry(ctx, store.Item{"pk": feedDaysPK, "sk": at.Format(time.DateOnly)}); err != nil {
		return false, err
	}
	_, err := c.Update(ctx, name, func(r *Record) error {
		if r.Released == released && r.ReleaseID == number {
			return errUnchanged
		}
		// The public sees a change when the flag flips, or when a
		// released file gets another release number; a release number
		// on a file that stays unreleased is not visible.
		visible := r.Released != released || released
		r.Released, r.ReleaseID = released, number
		if !visible {
			return nil
		}
		r.Change = ChangeUnreleased
		if released {
			r.Change = ChangeReleased
		}
		// Entries only move forward, even if this writer's clock lags
		// the one that stamped the previous change.
		if prev := r.changedAt(); !at.After(prev) {
			at = prev.Add(time.Nanosecond)
		}
		r.Changed = at
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("catalog: set released %s: %w", name, err)
	}
	return true, nil
}

// Change is one page of the change feed.
type Change struct {
	// Records are the changed records in feed order; each says what
	// changed (Change) and when (Changed).
	Records []Record `json:"files"`
	// Cursor continues the feed; pass it back to get what came after.
	Cursor string `json:"cursor"`
	// More is true when the page was cut at the limit, so more entries
	// may follow at once; false when the feed was read up to now.
	More bool `json:"more"`
}

type feedCursor struct {
	Day  string `json:"d"` // yyyy-mm-dd of the partition being read
	From string `json:"f"` // the last csk returned (exclusive lower bound)
}

func decodeFeedCursor(s string) (feedCursor, error) {
	var cur feedCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &cur)
	}
	if err == nil {
		_, err = time.Parse(time.DateOnly, cur.Day)
	}
	if err != nil {
		return feedCursor{}, fmt.Errorf("catalog: bad change-feed cursor: %w", store.ErrInvalid)
	}
	return cur, nil
}

func (cur feedCursor) encode() string {
	b, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Changes returns the records whose last change came after since (or after
// cursor, which wins when set), in change order, up to limit, and a cursor
// to continue. Reading stops a few seconds before now (feedSettle), so a
// mirror that polls with the returned cursor never misses a change and never
// sees one twice; a record that changes again reappears later in the feed.
func (c *Catalog) Changes(ctx context.Context, since time.Time, cursor string, limit int, now time.Time) (Change, error) {
	if limit <= 0 || limit > feedLimit {
		limit = feedLimit
	}
	since = since.UTC()
	cur := feedCursor{Day: since.Format(time.DateOnly), From: since.Format(ingestLayout) + "#~"}
	if cursor != "" {
		var err error
		if cur, err = decodeFeedCursor(cursor); err != nil {
			return Change{}, err
		}
	}
	cutoff := now.UTC().Add(-feedSettle)
	lastDay, skTo := cutoff.Format(time.DateOnly), cutoff.Format(ingestLayout)
	out := Change{Records: []Record{}}
	// Start at the first day with changes on or after the cursor's day.
	next, err := c.nextFeedDay(ctx, cur.Day, true)
	if err != nil {
		return Change{}, err
	}
	day := cur
	if next != cur.Day {
		day = feedCursor{Day: next}
	}
	for day.Day != "" && day.Day <= lastDay {
		// Appending a space makes the inclusive bound exclusive: no key
		// contains a character below it. A key at the cutoff instant
		// sorts after skTo, so the upper bound excludes it too.
		q := store.Query{Index: indexChange, PK: "C#" + day.Day, SKTo: skTo, Limit: limit - len(out.Records)}
		if day.From != "" {
			q.SKFrom = day.From + " "
		}
		page, err := c.db.Query(ctx, TableName, q)
		if err != nil {
			return Change{}, fmt.Errorf("catalog: change feed %s: %w", day.Day, err)
		}
		for _, it := range page.Items {
			r, err := fromItem(it)
			if err != nil {
				return Change{}, err
			}
			out.Records = append(out.Records, r)
			day.From = it.String("csk")
		}
		cur = day
		if len(out.Records) >= limit {
			out.More = true
			break
		}
		if page.Cursor != "" {
			continue
		}
		next, err := c.nextFeedDay(ctx, day.Day, false)
		if err != nil {
			return Change{}, err
		}
		if next == "" || next > lastDay {
			break // stay on this day: its later changes come next
		}
		day = feedCursor{Day: next}
	}
	out.Cursor = cur.encode()
	return out, nil
}

// nextFeedDay returns the first registered change day after day (or equal
// to it when inclusive), or "" when there is none.
func (c *Catalog) nextFeedDay(ctx context.Context, day string, inclusive bool) (string, error) {
	from := day
	if !inclusive {
		from += " "
	}
	page, err := c.db.Query(ctx, TableName, store.Query{PK: feedDaysPK, SKFrom: from, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("catalog: change feed days: %w", err)
	}
	if len(page.Items) == 0 {
		return "", nil
	}
	return page.Items[0].String("sk"), nil
}
