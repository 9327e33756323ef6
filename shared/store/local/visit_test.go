package local

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
)

// The view answers every accessor exactly as the decoded Item does.
func TestItemViewMatchesItem(t *testing.T) {
	items := []store.Item{
		{"pk": "N#a", "sk": "F", "size": int64(1 << 40), "neg": int64(math.MinInt64), "released": true, "off": false,
			"x": 2.5, "big": 1e20, "small": int64(-42), "e18": int64(999999999999999999), "bin": []byte("b"), "ss": []string{"a"}, "m": map[string]any{"k": "v"}, "nul": nil, "empty": ""},
		{"only": "one"},
		{"ü": "ä", "long": string(make([]byte, 300))}, // multi-byte length prefix
	}
	probe := []string{"pk", "sk", "size", "neg", "small", "e18", "released", "off", "x", "big", "bin", "ss", "m", "nul", "empty", "only", "ü", "long", "missing", "", "zz"}
	var v itemView
	for _, in := range items {
		data, err := encodeItem(in)
		if err != nil {
			t.Fatal(err)
		}
		it, err := decodeItem(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.reset(data); err != nil {
			t.Fatal(err)
		}
		for _, name := range probe {
			if got, want := v.String(name), it.String(name); got != want {
				t.Errorf("%v: String(%q) = %q, want %q", in, name, got, want)
			}
			if got, want := v.Int(name), it.Int(name); got != want {
				t.Errorf("%v: Int(%q) = %d, want %d", in, name, got, want)
			}
			if got, want := v.Bool(name), it.Bool(name); got != want {
				t.Errorf("%v: Bool(%q) = %v, want %v", in, name, got, want)
			}
		}
		for n := range len(data) {
			if err := v.reset(data[:n]); err == nil {
				t.Errorf("truncated to %d bytes: view without error", n)
			}
		}
	}
}

// QueryVisit walks the same items, pages and cursors as Query, on the
// table and on an index, both directions.
func TestQueryVisitMatchesQuery(t *testing.T) {
	ctx := context.Background()
	s := openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"), WithNoSync())
	spec := store.TableSpec{Name: "things", PK: "pk", SK: "sk", Indexes: []store.IndexSpec{{Name: "by-i", PK: "ipk", SK: "isk"}}}
	if err := s.EnsureTable(ctx, spec); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		it := store.Item{"pk": "p", "sk": fmt.Sprintf("%03d", i), "ipk": "i", "isk": fmt.Sprintf("%03d", 100-i), "n": int64(i), "odd": i%2 == 1}
		if err := s.Put(ctx, "things", it, store.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []store.Query{
		{PK: "p", Limit: 7},
		{PK: "p", SKFrom: "005", SKTo: "020", Descending: true, Limit: 4},
		{Index: "by-i", PK: "i", Limit: 10},
		{Index: "by-i", PK: "i", SKPrefix: "08", Descending: true},
		{PK: "nothing"},
	} {
		for {
			page, err := s.Query(ctx, "things", q)
			if err != nil {
				t.Fatal(err)
			}
			var got []store.Item
			cursor, err := s.QueryVisit(ctx, "things", q, func(a store.Attrs) error {
				got = append(got, store.Item{"sk": a.String("sk"), "n": a.Int("n"), "odd": a.Bool("odd")})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []store.Item
			for _, it := range page.Items {
				want = append(want, store.Item{"sk": it.String("sk"), "n": it.Int("n"), "odd": it.Bool("odd")})
			}
			if !reflect.DeepEqual(got, want) || cursor != page.Cursor {
				t.Fatalf("%+v: visit %v cursor %q, query %v cursor %q", q, got, cursor, want, page.Cursor)
			}
			if cursor == "" {
				break
			}
			q.Cursor = cursor
		}
	}
	// An error from fn ends the walk and comes back.
	stop := errors.New("enough")
	calls := 0
	_, err := s.QueryVisit(ctx, "things", store.Query{PK: "p"}, func(store.Attrs) error { calls++; return stop })
	if calls != 1 || err == nil || !errors.Is(err, stop) {
		t.Fatalf("fn error: %d calls, %v", calls, err)
	}
}

// BenchmarkDecode compares building an Item with reading a catalog-like
// record's attributes through the view.
func BenchmarkDecode(b *testing.B) {
	data, err := encodeItem(catalogItem(7, 42))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("item", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			it, err := decodeItem(data)
			if err != nil || it.String("file") == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("view", func(b *testing.B) {
		b.ReportAllocs()
		var v itemView
		for b.Loop() {
			if err := v.reset(data); err != nil || v.String("file") == "" || v.Int("size") == 0 {
				b.Fatal(err)
			}
		}
	})
}

// Strings read through the view stay intact after later items (which share
// its arena) and after the source buffer changes (bbolt's memory outside
// the transaction), across arena chunks.
func TestItemViewStringsOutliveLaterItems(t *testing.T) {
	var v itemView
	buf := make([]byte, 0, 4096)
	var kept []string
	var want []string
	for i := range 200 { // ~ 200 × 300 bytes: several chunks
		name := fmt.Sprintf("file-%03d-%s", i, string(make([]byte, 250+i%7)))
		data, err := encodeItem(store.Item{"pk": "p", "name": name})
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf[:0], data...)
		if err := v.reset(buf); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, v.String("name"))
		want = append(want, name)
		for j := range buf {
			buf[j] = 0xff // the source is reused, as bbolt's pages are
		}
	}
	for i := range kept {
		if kept[i] != want[i] {
			t.Fatalf("item %d: kept %q, want %q", i, kept[i][:12], want[i][:12])
		}
	}
}
