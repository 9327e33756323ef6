package local

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/storetest"
)

func openTestTableStore(t testing.TB, path string, opts ...Option) *TableStore {
	t.Helper()
	s, err := OpenTableStore(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTableStoreContract(t *testing.T) {
	storetest.TableStoreContract(t, func(t *testing.T) store.TableStore {
		return openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"), WithNoSync())
	})
}

// The contract again with durable commits, so the Batch path with fsync is
// the one exercised by the races.
func TestTableStoreContractDurable(t *testing.T) {
	if testing.Short() {
		t.Skip("durable variant skipped in -short")
	}
	storetest.TableStoreContract(t, func(t *testing.T) store.TableStore {
		return openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"))
	})
}

var catalogSpec = store.TableSpec{Name: "catalog", PK: "pk", SK: "sk", Indexes: []store.IndexSpec{
	{Name: "byFile", PK: "file"},
	{Name: "byIngest", PK: "day", SK: "ingested"},
}}

func TestTableStoreReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tables.db")
	s, err := OpenTableStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureTable(ctx, catalogSpec); err != nil {
		t.Fatal(err)
	}
	item := store.Item{"pk": "P#mms1#fgm", "sk": "T#1", "file": "f.cdf", "day": "2015-09-01", "ingested": "12:00", "tt2000": int64(499348869184000000)}
	if err := s.Put(ctx, "catalog", item, store.IfNotExists()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTestTableStore(t, path)
	got, err := s.Get(ctx, "catalog", store.Key{PK: "P#mms1#fgm", SK: "T#1"})
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if !reflect.DeepEqual(got, item) {
		t.Fatalf("after reopen: %#v", got)
	}
	// The schema survived: the index is queried without EnsureTable.
	page, err := s.Query(ctx, "catalog", store.Query{Index: "byFile", PK: "f.cdf"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("index after reopen: %v, %v", page.Items, err)
	}
	// And a conditional write still sees the item.
	if err := s.Put(ctx, "catalog", item, store.IfNotExists()); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("create-only put after reopen: %v", err)
	}
}

func TestTableStoreEnsureTableChanges(t *testing.T) {
	ctx := context.Background()
	s := openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"), WithNoSync())
	base := store.TableSpec{Name: "catalog", PK: "pk", SK: "sk"}
	if err := s.EnsureTable(ctx, base); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		it := store.Item{"pk": "p", "sk": fmt.Sprint(i)}
		if i%2 == 0 {
			it["file"] = fmt.Sprintf("f%d", i)
		}
		if err := s.Put(ctx, "catalog", it, store.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	// Adding an index fills it from the items already there.
	withIndex := base
	withIndex.Indexes = []store.IndexSpec{{Name: "byFile", PK: "file"}}
	if err := s.EnsureTable(ctx, withIndex); err != nil {
		t.Fatal(err)
	}
	page, err := s.Query(ctx, "catalog", store.Query{Index: "byFile", PK: "f2"})
	if err != nil || len(page.Items) != 1 || page.Items[0].String("sk") != "2" {
		t.Fatalf("backfilled index: %v, %v", page.Items, err)
	}
	// Omitting it later keeps it.
	if err := s.EnsureTable(ctx, base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Query(ctx, "catalog", store.Query{Index: "byFile", PK: "f2"}); err != nil {
		t.Fatalf("index dropped: %v", err)
	}
	for _, bad := range []store.TableSpec{
		{Name: "catalog", PK: "other", SK: "sk"},
		{Name: "catalog", PK: "pk"},
		{Name: "catalog", PK: "pk", SK: "sk", Indexes: []store.IndexSpec{{Name: "byFile", PK: "name"}}},
		{Name: "x", PK: "pk"},
		{Name: "bad/name", PK: "pk"},
		{Name: "nokey", PK: ""},
		{Name: "dupidx", PK: "pk", Indexes: []store.IndexSpec{{Name: "ix1", PK: "a"}, {Name: "ix1", PK: "b"}}},
	} {
		if err := s.EnsureTable(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("EnsureTable(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestTableStoreLocalRules(t *testing.T) {
	ctx := context.Background()
	s := openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"), WithNoSync())
	if err := s.EnsureTable(ctx, catalogSpec); err != nil {
		t.Fatal(err)
	}
	// Key values with NUL would break the key layout; invalid UTF-8 is not
	// a DynamoDB string. Both are refused, never stored.
	for _, it := range []store.Item{
		{"pk": "a\x00b", "sk": "s"},
		{"pk": "p", "sk": "bad\xff"},
		{"pk": "p", "sk": "s", "file": "x\x00"},
		{"pk": strings.Repeat("p", 2049), "sk": "s"},
		{"pk": "p", "sk": "s", "big": uint64(math.MaxUint64)},
		{"pk": "p", "sk": "s", "inf": math.Inf(1)},
		{"pk": "p", "sk": "s", "huge": 1e200},
	} {
		if err := s.Put(ctx, "catalog", it, store.Cond{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put(%q): %v, want ErrInvalid", it, err)
		}
	}
	// Duplicate keys in one BatchPut are refused, as DynamoDB does.
	err := s.BatchPut(ctx, "catalog", []store.Item{{"pk": "p", "sk": "1"}, {"pk": "p", "sk": "1"}})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("BatchPut with duplicates: %v, want ErrInvalid", err)
	}
	// Cursors are checked against the query they continue.
	for _, c := range []string{"!!!", encodeCursor([]byte("other\x00x"))} {
		if _, err := s.Query(ctx, "catalog", store.Query{PK: "p", Cursor: c}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Query with cursor %q: %v, want ErrInvalid", c, err)
		}
	}
	// Scan walks partitions in key order.
	for _, pk := range []string{"b", "a", "c"} {
		if err := s.Put(ctx, "catalog", store.Item{"pk": pk, "sk": "1"}, store.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.Scan(ctx, "catalog", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, it := range page.Items {
		order = append(order, it.String("pk"))
	}
	if !reflect.DeepEqual(order, []string{"a", "b", "c"}) {
		t.Errorf("scan order %q", order)
	}
}

func TestAttrValueEncoding(t *testing.T) {
	item := store.Item{"t": int64(math.MinInt64), "s": "x", "l": []any{nil, true, map[string]any{"b": 1, "a": []string{"z", "y"}}}}
	data, err := encodeItem(item)
	if err != nil {
		t.Fatal(err)
	}
	// Canonical: encoding again (maps iterate in random order) gives the same bytes.
	for range 20 {
		again, err := encodeItem(item)
		if err != nil || string(again) != string(data) {
			t.Fatalf("encoding not canonical: %q vs %q (%v)", again, data, err)
		}
	}
	// Numbers are exact decimal text.
	if !strings.Contains(string(data), "-9223372036854775808") {
		t.Fatalf("min int64 not stored as decimal text: %q", data)
	}
	// Damaged data is an error, never a panic or a wrong item.
	for n := range len(data) {
		if _, err := decodeItem(data[:n]); err == nil {
			t.Errorf("truncated to %d bytes: decoded without error", n)
		}
		if _, err := rawAttrs(data[:n]); err == nil && n < len(data) {
			t.Errorf("truncated to %d bytes: raw attributes without error", n)
		}
	}
	garbled := append([]byte{}, data...)
	for i := 1; i < len(garbled); i++ {
		garbled[i] ^= 0xA5
		decodeItem(garbled) // must not panic
		garbled[i] ^= 0xA5
	}
}

func FuzzAttrValueRoundTrip(f *testing.F) {
	f.Add("s", int64(1), 1.5, []byte{1}, true)
	f.Add("", int64(math.MinInt64), -0.0, []byte{}, false)
	f.Fuzz(func(t *testing.T, s string, i int64, x float64, b []byte, ok bool) {
		in := store.Item{"s": s, "i": i, "x": x, "b": b, "ok": ok, "m": map[string]any{s: []any{i, s}}}
		data, err := encodeItem(in)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("encode error not ErrInvalid: %v", err)
			}
			return
		}
		out, err := decodeItem(data)
		if err != nil {
			t.Fatal(err)
		}
		if out["s"] != s || out["i"] != i || out["ok"] != ok || string(out["b"].([]byte)) != string(b) {
			t.Fatalf("round trip %#v -> %#v", in, out)
		}
		switch v := out["x"].(type) {
		case int64:
			if float64(v) != x {
				t.Fatalf("float %v came back as %d", x, v)
			}
		case float64:
			if v != x {
				t.Fatalf("float %v came back as %v", x, v)
			}
		}
	})
}

// Writes racing with EnsureTable adding an index all end up in the index.
func TestTableStoreIndexAddedDuringWrites(t *testing.T) {
	ctx := context.Background()
	s := openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"), WithNoSync())
	base := store.TableSpec{Name: "catalog", PK: "pk", SK: "sk"}
	if err := s.EnsureTable(ctx, base); err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				it := store.Item{"pk": "p", "sk": fmt.Sprintf("%d-%03d", w, i), "file": "f"}
				if err := s.Put(ctx, "catalog", it, store.IfNotExists()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	withIndex := base
	withIndex.Indexes = []store.IndexSpec{{Name: "byFile", PK: "file"}}
	if err := s.EnsureTable(ctx, withIndex); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	n, cursor := 0, ""
	for {
		page, err := s.Query(ctx, "catalog", store.Query{Index: "byFile", PK: "f", Cursor: cursor, Limit: 64})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		if cursor = page.Cursor; cursor == "" {
			break
		}
	}
	if n != writers*each {
		t.Fatalf("index holds %d items, want %d", n, writers*each)
	}
}
