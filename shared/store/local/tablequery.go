package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/magpie-sdc/magpie/shared/store"
)

// A cursor is the bbolt key of the last item returned, base64url-encoded.
// The next page starts strictly after (or, descending, before) it, so items
// written or deleted between pages do not shift the pages.

func encodeCursor(k []byte) string { return base64.RawURLEncoding.EncodeToString(k) }

func decodeCursor(c string) ([]byte, error) {
	k, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(k) == 0 {
		return nil, invalidf("cursor %q", c)
	}
	return k, nil
}

// skBound validates a sort-key bound given in a query.
func skBound(what, s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return invalidf("%s is not UTF-8 without NUL", what)
	}
	return nil
}

// Query reads one partition of the table or of an index in sort-key order.
func (s *TableStore) Query(ctx context.Context, table string, q store.Query) (store.Page, error) {
	var page store.Page
	cursor, err := s.query(ctx, table, q, func(v []byte) error {
		item, err := decodeItem(v)
		if err != nil {
			return err
		}
		page.Items = append(page.Items, item)
		return nil
	})
	if err != nil {
		return store.Page{}, err
	}
	page.Cursor = cursor
	return page, nil
}

// QueryVisit is Query without building Items (store.QueryVisitor): each
// item is read in place, within the read transaction, through a view that
// costs one allocation per item.
func (s *TableStore) QueryVisit(ctx context.Context, table string, q store.Query, fn func(store.Attrs) error) (string, error) {
	var view itemView
	return s.query(ctx, table, q, func(v []byte) error {
		if err := view.reset(v); err != nil {
			return err
		}
		return fn(&view)
	})
}

var _ store.Counter = (*TableStore)(nil)

// Count counts a query's items without decoding them (store.Counter).
func (s *TableStore) Count(ctx context.Context, table string, q store.Query) (int, error) {
	q.Limit, q.Cursor = 0, ""
	n := 0
	for {
		cursor, err := s.query(ctx, table, q, func([]byte) error { n++; return nil })
		if err != nil {
			return n, err
		}
		if cursor == "" {
			return n, nil
		}
		q.Cursor = cursor
	}
}

// query calls fn with the stored form of each item of the query's page
// (bbolt's memory: valid during the call only) and returns the cursor.
func (s *TableStore) query(ctx context.Context, table string, q store.Query, fn func(v []byte) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("query %s: %w", table, err)
	}
	d, err := s.table(table)
	if err != nil {
		return "", fmt.Errorf("query: %w", err)
	}
	r, err := d.queryRange(q)
	if err != nil {
		return "", fmt.Errorf("query %s: %w", table, err)
	}
	var cursor string
	err = s.db.View(func(tx *bolt.Tx) error {
		// One cursor for the item lookups of an index query: Bucket.Get
		// would allocate a new one per item.
		items := tx.Bucket(d.bucket).Cursor()
		n := 0
		return r.walk(tx.Bucket(r.bucket).Cursor(), func(k, v []byte) error {
			if q.Limit > 0 && n == q.Limit {
				cursor = encodeCursor(r.last) // the last returned entry, not the peeked one
				return errStop
			}
			if r.index && len(v) == 0 {
				// Keys only: the item is read from the table. (A
				// ProjectAll entry is the item itself; stored items are
				// never empty.)
				ik, err := indexedItemKey(k[len(r.prefix):])
				if err != nil {
					return err
				}
				var got []byte
				if got, v = items.Seek(ik); !bytes.Equal(got, ik) || v == nil {
					return fmt.Errorf("index %s: entry %q without its item", q.Index, k)
				}
			}
			if err := fn(v); err != nil {
				return err
			}
			r.last = append(r.last[:0], k...)
			n++
			return nil
		})
	})
	if err != nil && err != errStop {
		return "", fmt.Errorf("query %s: %w", table, err)
	}
	return cursor, nil
}

// keyRange is a validated query: entries of bucket with keys in
// [lower, upper), after the cursor when there is one.
type keyRange struct {
	bucket       []byte
	index        bool
	prefix       []byte // the partition: pk 0x00
	lower, upper []byte
	after        []byte
	desc         bool
	last         []byte
}

func (d *tableDef) queryRange(q store.Query) (*keyRange, error) {
	r := &keyRange{bucket: d.bucket, desc: q.Descending}
	hasSK := d.spec.SK != ""
	if q.Index != "" {
		ix, ok := d.index(q.Index)
		if !ok {
			return nil, invalidf("no index %q", q.Index)
		}
		r.bucket, r.index, hasSK = ix.bucket, true, ix.spec.SK != ""
	}
	if _, err := keyString("partition key", q.PK, maxPKLen); err != nil {
		return nil, err
	}
	bounded := q.SKFrom != "" || q.SKTo != "" || q.SKPrefix != ""
	switch {
	case bounded && !hasSK:
		return nil, invalidf("sort key condition on a hash-only key")
	case q.SKPrefix != "" && (q.SKFrom != "" || q.SKTo != ""):
		return nil, invalidf("SKPrefix with SKFrom or SKTo")
	case q.SKFrom != "" && q.SKTo != "" && q.SKFrom > q.SKTo:
		return nil, invalidf("SKFrom %q after SKTo %q", q.SKFrom, q.SKTo)
	}
	for _, b := range []string{q.SKFrom, q.SKTo, q.SKPrefix} {
		if err := skBound("sort key bound", b); err != nil {
			return nil, err
		}
	}
	// Key values hold no 0x00 and, being UTF-8, no 0xff: so within the
	// partition, "SK <= to" is "key < prefix+to+0x01" and "SK begins with p"
	// is "prefix+p <= key < prefix+p+0xff".
	r.prefix = append([]byte(q.PK), 0)
	r.lower = append(append([]byte{}, r.prefix...), q.SKFrom+q.SKPrefix...)
	switch {
	case q.SKTo != "":
		r.upper = append(append(append([]byte{}, r.prefix...), q.SKTo...), 0x01)
	default:
		r.upper = append(append(append([]byte{}, r.prefix...), q.SKPrefix...), 0xff)
	}
	if q.Cursor != "" {
		after, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		if bytes.Compare(after, r.lower) < 0 || bytes.Compare(after, r.upper) >= 0 {
			return nil, invalidf("cursor does not belong to this query")
		}
		r.after = after
	}
	return r, nil
}

// walk calls fn for each entry of the range in order until fn returns an
// error (errStop to end early).
func (r *keyRange) walk(c *bolt.Cursor, fn func(k, v []byte) error) error {
	var k, v []byte
	if !r.desc {
		if r.after != nil {
			if k, v = c.Seek(r.after); k != nil && bytes.Equal(k, r.after) {
				k, v = c.Next()
			}
		} else {
			k, v = c.Seek(r.lower)
		}
		for ; k != nil && bytes.Compare(k, r.upper) < 0; k, v = c.Next() {
			if err := fn(k, v); err != nil {
				return err
			}
		}
		return nil
	}
	start := r.upper
	if r.after != nil {
		start = r.after
	}
	// Seek finds the first key >= start; the walk begins just before it.
	if k, _ = c.Seek(start); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.Compare(k, r.lower) >= 0; k, v = c.Prev() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// indexedItemKey returns the item key "pk 0x00 sk" an index entry points
// to, from "isk 0x00 pk 0x00 sk" (the index key after its partition), as a
// sub-slice of it.
func indexedItemKey(rest []byte) ([]byte, error) {
	i := bytes.IndexByte(rest, 0)
	if i < 0 || bytes.IndexByte(rest[i+1:], 0) < 0 {
		return nil, fmt.Errorf("malformed index entry %q", rest)
	}
	return rest[i+1:], nil
}

// Scan pages through the whole table in key order (partition, then sort key).
func (s *TableStore) Scan(ctx context.Context, table string, cursor string, limit int) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, fmt.Errorf("scan %s: %w", table, err)
	}
	d, err := s.table(table)
	if err != nil {
		return store.Page{}, fmt.Errorf("scan: %w", err)
	}
	var after []byte
	if cursor != "" {
		if after, err = decodeCursor(cursor); err != nil {
			return store.Page{}, fmt.Errorf("scan %s: %w", table, err)
		}
	}
	var page store.Page
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(d.bucket).Cursor()
		k, v := c.First()
		if after != nil {
			if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		var last []byte
		for ; k != nil; k, v = c.Next() {
			if limit > 0 && len(page.Items) == limit {
				page.Cursor = encodeCursor(last)
				return nil
			}
			item, err := decodeItem(v)
			if err != nil {
				return err
			}
			page.Items = append(page.Items, item)
			last = append(last[:0], k...)
		}
		return nil
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("scan %s: %w", table, err)
	}
	return page, nil
}
