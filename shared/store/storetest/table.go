package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
)

// TableStoreContract checks the documented behaviour of store.TableStore.
// newStore must return a store in which the suite's tables ("items",
// "other", "kvs") do not exist yet, e.g. a fresh file or a fresh table-name
// prefix.
func TableStoreContract(t *testing.T, newStore func(t *testing.T) store.TableStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.TableStore)
	}{
		{"EnsureTableIdempotent", tabEnsure},
		{"GetMissing", tabGetMissing},
		{"ValueRoundTrip", tabRoundTrip},
		{"KeyValidation", tabKeyValidation},
		{"ItemSizeLimit", tabItemSize},
		{"PutReplacesWholeItem", tabReplace},
		{"PutConditions", tabPutConditions},
		{"DeleteConditions", tabDeleteConditions},
		{"CreateOnlyRace", tabCreateRace},
		{"OptimisticVersionRace", tabVersionRace},
		{"QueryOrderAndRanges", tabQueryOrder},
		{"QueryPagination", tabQueryPages},
		{"QueryValidation", tabQueryValidation},
		{"IndexQuery", tabIndexQuery},
		{"IndexMaintenance", tabIndexMaintenance},
		{"HashOnlyTable", tabHashOnly},
		{"Scan", tabScan},
		{"TransactAllOrNothing", tabTransact},
		{"TransactValidation", tabTransactValidation},
		{"BatchPut", tabBatchPut},
		{"Count", tabCount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// The suite's tables: "items" has a sort key and two indexes (byName with a
// sort key, projected ALL, so every test runs both ways an adapter may store
// an index; byKind hash-only); "other" is a second ranged table; "kvs" is
// hash-only.
var (
	itemsSpec = store.TableSpec{Name: "items", PK: "pk", SK: "sk", Indexes: []store.IndexSpec{
		{Name: "byName", PK: "name", SK: "ts", Projection: store.ProjectAll},
		{Name: "byKind", PK: "kind"},
	}}
	otherSpec = store.TableSpec{Name: "other", PK: "pk", SK: "sk"}
	kvSpec    = store.TableSpec{Name: "kvs", PK: "id"}
)

func ensure(t *testing.T, s store.TableStore, specs ...store.TableSpec) {
	t.Helper()
	for _, spec := range specs {
		if err := s.EnsureTable(context.Background(), spec); err != nil {
			t.Fatalf("EnsureTable(%s): %v", spec.Name, err)
		}
	}
}

func tput(t *testing.T, s store.TableStore, table string, it store.Item) {
	t.Helper()
	if err := s.Put(context.Background(), table, it, store.Cond{}); err != nil {
		t.Fatalf("Put(%s, %v): %v", table, it, err)
	}
}

func tget(t *testing.T, s store.TableStore, table string, k store.Key) store.Item {
	t.Helper()
	it, err := s.Get(context.Background(), table, k)
	if err != nil {
		t.Fatalf("Get(%s, %v): %v", table, k, err)
	}
	return it
}

func absent(t *testing.T, s store.TableStore, table string, k store.Key) {
	t.Helper()
	_, err := s.Get(context.Background(), table, k)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s, %v): %v, want ErrNotFound", table, k, err)
	}
}

func sameItem(t *testing.T, what string, got, want store.Item) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

func tabEnsure(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec, itemsSpec)
	tput(t, s, "items", store.Item{"pk": "p", "sk": "s", "v": int64(1)})
	ensure(t, s, itemsSpec)
	sameItem(t, "item after a second EnsureTable", tget(t, s, "items", store.Key{PK: "p", SK: "s"}),
		store.Item{"pk": "p", "sk": "s", "v": int64(1)})
	if err := s.Put(context.Background(), "nosuchtable", store.Item{"pk": "p", "sk": "s"}, store.Cond{}); err == nil {
		t.Fatal("Put into a table never created succeeded")
	}
}

func tabGetMissing(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	absent(t, s, "items", store.Key{PK: "nobody", SK: "nothing"})
}

func tabRoundTrip(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	for i, tc := range []struct {
		name    string
		in, out any
	}{
		{"string", "héllo, wörld", "héllo, wörld"},
		{"empty string", "", ""},
		{"zero", int64(0), int64(0)},
		{"TT2000 ns", int64(499348869184000000), int64(499348869184000000)},
		{"max int64", int64(math.MaxInt64), int64(math.MaxInt64)},
		{"min int64", int64(math.MinInt64), int64(math.MinInt64)},
		{"int", 42, int64(42)},
		{"int32", int32(-7), int64(-7)},
		{"uint16", uint16(65535), int64(65535)},
		{"uint64", uint64(1) << 62, int64(1) << 62},
		{"float", 1.5, 1.5},
		{"small float", -2.25e-10, -2.25e-10},
		{"whole float is an integer", 3.0, int64(3)},
		{"large float", 1e20, 1e20},
		{"true", true, true},
		{"false", false, false},
		{"bytes", []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}},
		{"string set", []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"null", nil, nil},
		{"empty list", []any{}, []any{}},
		{"empty map", map[string]any{}, map[string]any{}},
		{"nested", map[string]any{
			"n": int64(-1), "f": 0.25, "s": "x",
			"m": map[string]any{"deep": []any{"a", int64(math.MinInt64), nil, true, map[string]any{"k": []byte("v")}}},
		}, map[string]any{
			"n": int64(-1), "f": 0.25, "s": "x",
			"m": map[string]any{"deep": []any{"a", int64(math.MinInt64), nil, true, map[string]any{"k": []byte("v")}}},
		}},
		{"list", []any{int64(1), "two", 3.5, []any{false}}, []any{int64(1), "two", 3.5, []any{false}}},
	} {
		key := store.Key{PK: "types", SK: fmt.Sprintf("%02d", i)}
		tput(t, s, "items", store.Item{"pk": key.PK, "sk": key.SK, "v": tc.in})
		got := tget(t, s, "items", key)
		if !reflect.DeepEqual(got["v"], tc.out) {
			t.Errorf("%s: stored %#v, read back %#v (%T), want %#v (%T)", tc.name, tc.in, got["v"], got["v"], tc.out, tc.out)
		}
	}
	// Query returns the same values as Get.
	page, err := s.Query(context.Background(), "items", store.Query{PK: "types"})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		sameItem(t, "Query vs Get", it, tget(t, s, "items", store.Key{PK: "types", SK: it.String("sk")}))
	}
}

func tabKeyValidation(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	for _, it := range []store.Item{
		{"sk": "s"},
		{"pk": "p"},
		{"pk": int64(1), "sk": "s"},
		{"pk": "p", "sk": 2.5},
		{"pk": "", "sk": "s"},
		{"pk": "p", "sk": "s", "name": int64(5), "ts": "t"}, // index key attribute must be a string
		{"pk": "p", "sk": "s", "bad": struct{}{}},
		{"pk": "p", "sk": "s", "nan": math.NaN()},
	} {
		if err := s.Put(ctx, "items", it, store.Cond{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put(%v): %v, want ErrInvalid", it, err)
		}
	}
	if _, err := s.Get(ctx, "items", store.Key{PK: "p"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Get without sort key: %v, want ErrInvalid", err)
	}
	if _, err := s.Get(ctx, "items", store.Key{SK: "s"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Get without partition key: %v, want ErrInvalid", err)
	}
}

func tabItemSize(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	big := store.Item{"pk": "p", "sk": "big", "blob": strings.Repeat("x", 410*1024)}
	if err := s.Put(ctx, "items", big, store.Cond{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Put of a 410 KB item: %v, want ErrInvalid", err)
	}
	absent(t, s, "items", store.Key{PK: "p", SK: "big"})
	fits := store.Item{"pk": "p", "sk": "fits", "blob": strings.Repeat("x", 390*1024)}
	tput(t, s, "items", fits)
	sameItem(t, "390 KB item", tget(t, s, "items", store.Key{PK: "p", SK: "fits"}), fits)
}

func tabReplace(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	tput(t, s, "items", store.Item{"pk": "p", "sk": "s", "a": "1", "b": int64(2)})
	tput(t, s, "items", store.Item{"pk": "p", "sk": "s", "c": true})
	sameItem(t, "replaced item", tget(t, s, "items", store.Key{PK: "p", SK: "s"}), store.Item{"pk": "p", "sk": "s", "c": true})
}

func tabPutConditions(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	key := store.Key{PK: "cond", SK: "x"}
	stored := store.Item{"pk": "cond", "sk": "x", "version": int64(3), "state": "RUNNING"}
	for _, tc := range []struct {
		name   string
		exists bool // whether the item is stored before the put
		cond   store.Cond
		ok     bool
	}{
		{"none on absent", false, store.Cond{}, true},
		{"none on present", true, store.Cond{}, true},
		{"not-exists on absent", false, store.IfNotExists(), true},
		{"not-exists on present", true, store.IfNotExists(), false},
		{"exists on absent", false, store.IfExists(), false},
		{"exists on present", true, store.IfExists(), true},
		{"equals matching int64", true, store.IfAttrEquals("version", int64(3)), true},
		{"equals matching plain int", true, store.IfAttrEquals("version", 3), true},
		{"equals matching string", true, store.IfAttrEquals("state", "RUNNING"), true},
		{"equals other value", true, store.IfAttrEquals("version", int64(4)), false},
		{"equals other type", true, store.IfAttrEquals("version", "3"), false},
		{"equals missing attribute", true, store.IfAttrEquals("nope", "x"), false},
		{"equals on absent item", false, store.IfAttrEquals("version", int64(3)), false},
		{"not-equals on absent item", false, store.Cond{Kind: store.CondAttrNotEquals, Attr: "version", Value: int64(3)}, true},
		{"not-equals missing attribute", true, store.Cond{Kind: store.CondAttrNotEquals, Attr: "nope", Value: "x"}, true},
		{"not-equals other value", true, store.Cond{Kind: store.CondAttrNotEquals, Attr: "state", Value: "DONE"}, true},
		{"not-equals same value", true, store.Cond{Kind: store.CondAttrNotEquals, Attr: "state", Value: "RUNNING"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Delete(ctx, "items", key, store.Cond{}); err != nil {
				t.Fatal(err)
			}
			if tc.exists {
				tput(t, s, "items", stored)
			}
			next := store.Item{"pk": "cond", "sk": "x", "version": int64(4), "state": "DONE"}
			err := s.Put(ctx, "items", next, tc.cond)
			if tc.ok {
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				sameItem(t, "after put", tget(t, s, "items", key), next)
				return
			}
			wantErr(t, "Put", err, store.ErrConditionFailed)
			if tc.exists {
				sameItem(t, "item after a failed condition", tget(t, s, "items", key), stored)
			} else {
				absent(t, s, "items", key)
			}
		})
	}
}

func tabDeleteConditions(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	key := store.Key{PK: "del", SK: "x"}
	stored := store.Item{"pk": "del", "sk": "x", "version": int64(7)}
	if err := s.Delete(ctx, "items", key, store.Cond{}); err != nil {
		t.Fatalf("Delete of a missing item: %v", err)
	}
	wantErr(t, "Delete missing with IfExists", s.Delete(ctx, "items", key, store.IfExists()), store.ErrConditionFailed)

	tput(t, s, "items", stored)
	wantErr(t, "Delete with wrong version", s.Delete(ctx, "items", key, store.IfAttrEquals("version", int64(6))), store.ErrConditionFailed)
	wantErr(t, "Delete with IfNotExists", s.Delete(ctx, "items", key, store.IfNotExists()), store.ErrConditionFailed)
	sameItem(t, "item after failed deletes", tget(t, s, "items", key), stored)
	if err := s.Delete(ctx, "items", key, store.IfAttrEquals("version", int64(7))); err != nil {
		t.Fatalf("Delete with right version: %v", err)
	}
	absent(t, s, "items", key)
}

func tabCreateRace(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	const writers = 16
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		wins   int
		winner int64
	)
	for i := range writers {
		wg.Go(func() {
			err := s.Put(context.Background(), "items", store.Item{"pk": "race", "sk": "one", "writer": int64(i), "name": fmt.Sprint("w", i), "ts": "t"}, store.IfNotExists())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
				winner = int64(i)
			case !errors.Is(err, store.ErrConditionFailed):
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d create-only writers won, want 1", wins)
	}
	if got := tget(t, s, "items", store.Key{PK: "race", SK: "one"}).Int("writer"); got != winner {
		t.Fatalf("stored writer %d, winner was %d", got, winner)
	}
	// Only the winner reached the index.
	for i := range writers {
		page, err := s.Query(context.Background(), "items", store.Query{Index: "byName", PK: fmt.Sprint("w", i)})
		if err != nil {
			t.Fatal(err)
		}
		if want := btoi(int64(i) == winner); len(page.Items) != want {
			t.Errorf("index byName w%d holds %d items, want %d", i, len(page.Items), want)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tabVersionRace: concurrent read-modify-write loops guarded by a version
// check lose no increment.
func tabVersionRace(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	key := store.Key{PK: "counter", SK: "c"}
	tput(t, s, "items", store.Item{"pk": "counter", "sk": "c", "version": int64(0), "log": []any{}})
	const workers, increments = 8, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range increments {
				for attempt := 0; ; attempt++ {
					if attempt > 1000 {
						t.Errorf("worker %d: no progress", w)
						return
					}
					cur, err := s.Get(ctx, "items", key)
					if err != nil {
						t.Error(err)
						return
					}
					v := cur.Int("version")
					next := store.Item{"pk": "counter", "sk": "c", "version": v + 1, "log": append(cur["log"].([]any), int64(w))}
					err = s.Put(ctx, "items", next, store.IfAttrEquals("version", v))
					if err == nil {
						break
					}
					if !errors.Is(err, store.ErrConditionFailed) {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	got := tget(t, s, "items", key)
	if got.Int("version") != workers*increments || len(got["log"].([]any)) != workers*increments {
		t.Fatalf("version %d with %d log entries, want %d", got.Int("version"), len(got["log"].([]any)), workers*increments)
	}
}

// Sort keys chosen to expose non-byte ordering: "#" < "0" < "A" < "a" < "é".
var sortKeys = []string{"a", "a#", "a#b", "a#c", "a0", "A", "b", "é", "~", "T#2015-09-01#V#004.018.000", "T#2015-09-02#V#001.000.000"}

func queryAll(t *testing.T, s store.TableStore, table string, q store.Query) []store.Item {
	t.Helper()
	items, _ := queryPages(t, s, table, q)
	return items
}

// queryPages follows cursors to the end, checking the paging rules, and
// returns all items and the number of pages.
func queryPages(t *testing.T, s store.TableStore, table string, q store.Query) ([]store.Item, int) {
	t.Helper()
	var all []store.Item
	for pages := 1; ; pages++ {
		if pages > 10000 {
			t.Fatal("query does not end")
		}
		page, err := s.Query(context.Background(), table, q)
		if err != nil {
			t.Fatalf("Query(%s, %+v): %v", table, q, err)
		}
		if q.Limit > 0 && len(page.Items) > q.Limit {
			t.Fatalf("page of %d items, limit %d", len(page.Items), q.Limit)
		}
		if q.Cursor != "" && len(page.Items) == 0 {
			t.Fatalf("a cursor led to an empty page (query %+v)", q)
		}
		all = append(all, page.Items...)
		if page.Cursor == "" {
			return all, pages
		}
		q.Cursor = page.Cursor
	}
}

func sks(items []store.Item, attr string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.String(attr)
	}
	return out
}

func shuffled(in []string) []string {
	out := slices.Clone(in)
	r := rand.New(rand.NewPCG(7, 9))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func reversed(in []string) []string {
	out := slices.Clone(in)
	slices.Reverse(out)
	return out
}

func tabQueryOrder(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	for _, sk := range shuffled(sortKeys) {
		tput(t, s, "items", store.Item{"pk": "P1", "sk": sk})
		// Partitions whose keys extend P1 must not leak into P1's results.
		tput(t, s, "items", store.Item{"pk": "P10", "sk": sk})
		tput(t, s, "items", store.Item{"pk": "P1#", "sk": sk})
	}
	tput(t, s, "items", store.Item{"pk": "P0", "sk": "z"})
	sorted := slices.Clone(sortKeys)
	slices.Sort(sorted)
	filter := func(keep func(string) bool) []string {
		var out []string
		for _, k := range sorted {
			if keep(k) {
				out = append(out, k)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    store.Query
		want []string
	}{
		{"all", store.Query{}, sorted},
		{"from", store.Query{SKFrom: "a#b"}, filter(func(k string) bool { return k >= "a#b" })},
		{"to", store.Query{SKTo: "a#b"}, filter(func(k string) bool { return k <= "a#b" })},
		{"from-to inclusive", store.Query{SKFrom: "a#", SKTo: "b"}, filter(func(k string) bool { return k >= "a#" && k <= "b" })},
		{"from-to between keys", store.Query{SKFrom: "a#a", SKTo: "a1"}, []string{"a#b", "a#c", "a0"}},
		{"single key", store.Query{SKFrom: "a", SKTo: "a"}, []string{"a"}},
		{"empty range", store.Query{SKFrom: "c", SKTo: "d"}, nil},
		{"prefix", store.Query{SKPrefix: "a#"}, []string{"a#", "a#b", "a#c"}},
		{"prefix T#2015-09", store.Query{SKPrefix: "T#2015-09"}, []string{"T#2015-09-01#V#004.018.000", "T#2015-09-02#V#001.000.000"}},
		{"prefix matching nothing", store.Query{SKPrefix: "zz"}, nil},
	} {
		for _, desc := range []bool{false, true} {
			q := tc.q
			q.PK, q.Descending = "P1", desc
			want := tc.want
			if desc {
				want = reversed(want)
			}
			for _, limit := range []int{0, 1, 2, 3, 100} {
				q.Limit = limit
				got := sks(queryAll(t, s, "items", q), "sk")
				if !slices.Equal(got, want) {
					t.Errorf("%s desc=%v limit=%d: %q, want %q", tc.name, desc, limit, got, want)
				}
			}
		}
	}
	if got := queryAll(t, s, "items", store.Query{PK: "nobody"}); len(got) != 0 {
		t.Errorf("query of an empty partition returned %d items", len(got))
	}
}

func tabQueryPages(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	var want []string
	for i := range 25 {
		sk := fmt.Sprintf("T#%03d", i)
		want = append(want, sk)
		tput(t, s, "items", store.Item{"pk": "pages", "sk": sk, "i": int64(i)})
	}
	for _, limit := range []int{1, 7, 24, 25, 26} {
		for _, desc := range []bool{false, true} {
			items, pages := queryPages(t, s, "items", store.Query{PK: "pages", Limit: limit, Descending: desc})
			w := want
			if desc {
				w = reversed(want)
			}
			if got := sks(items, "sk"); !slices.Equal(got, w) {
				t.Errorf("limit %d desc=%v: %q", limit, desc, got)
			}
			if wantPages := (25 + limit - 1) / limit; pages != wantPages {
				t.Errorf("limit %d desc=%v: %d pages, want %d", limit, desc, pages, wantPages)
			}
		}
	}
	// Items written between pages do not disturb the pages already read.
	page, err := s.Query(context.Background(), "items", store.Query{PK: "pages", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	tput(t, s, "items", store.Item{"pk": "pages", "sk": "T#000a"}) // before the cursor
	tput(t, s, "items", store.Item{"pk": "pages", "sk": "T#500"})  // after it
	rest := queryAll(t, s, "items", store.Query{PK: "pages", Cursor: page.Cursor})
	if got := sks(rest, "sk"); !slices.Equal(got, append(slices.Clone(want[10:]), "T#500")) {
		t.Errorf("after writes between pages: %q", got)
	}
}

func tabQueryValidation(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec, kvSpec)
	ctx := context.Background()
	for _, tc := range []struct {
		table string
		q     store.Query
	}{
		{"items", store.Query{}},
		{"items", store.Query{PK: "p", SKPrefix: "a", SKFrom: "a"}},
		{"items", store.Query{PK: "p", SKPrefix: "a", SKTo: "b"}},
		{"items", store.Query{PK: "p", SKFrom: "b", SKTo: "a"}},
		{"items", store.Query{Index: "noSuchIndex", PK: "p"}},
		{"items", store.Query{Index: "byKind", PK: "p", SKFrom: "a"}},
		{"kvs", store.Query{PK: "p", SKPrefix: "a"}},
	} {
		if _, err := s.Query(ctx, tc.table, tc.q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Query(%s, %+v): %v, want ErrInvalid", tc.table, tc.q, err)
		}
	}
	if _, err := s.Query(ctx, "nosuchtable", store.Query{PK: "p"}); err == nil {
		t.Error("Query of a table never created succeeded")
	}
}

func tabIndexQuery(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	// Files of one product, indexed by name and time; one item is not in byName.
	files := []store.Item{
		{"pk": "P#mms1#fgm", "sk": "T#3", "name": "fgm", "ts": "2015-09-03", "kind": "cdf"},
		{"pk": "P#mms1#fgm", "sk": "T#1", "name": "fgm", "ts": "2015-09-01", "kind": "cdf"},
		{"pk": "P#mms2#fgm", "sk": "T#2", "name": "fgm", "ts": "2015-09-02", "kind": "cdf"},
		{"pk": "P#mms1#fpi", "sk": "T#1", "name": "fpi", "ts": "2015-09-01", "kind": "cdf"},
		{"pk": "P#mms1#fgm", "sk": "T#9", "ts": "2015-09-09", "kind": "log"},                 // no name: sparse
		{"pk": "P#mms1#fgm", "sk": "T#8", "name": "fgm", "kind": "log"},                      // no ts: not in byName either
		{"pk": "P#mms1#fgm", "sk": "T#7", "name": "fgmx", "ts": "2015-09-01", "kind": "cdf"}, // partition extends "fgm"
	}
	for _, f := range files {
		tput(t, s, "items", f)
	}
	got := queryAll(t, s, "items", store.Query{Index: "byName", PK: "fgm"})
	if ts := sks(got, "ts"); !slices.Equal(ts, []string{"2015-09-01", "2015-09-02", "2015-09-03"}) {
		t.Fatalf("byName fgm: %q", ts)
	}
	sameItem(t, "index query projects the whole item", got[0], files[1])
	desc := queryAll(t, s, "items", store.Query{Index: "byName", PK: "fgm", Descending: true, SKTo: "2015-09-02"})
	if ts := sks(desc, "ts"); !slices.Equal(ts, []string{"2015-09-02", "2015-09-01"}) {
		t.Fatalf("byName fgm desc to 09-02: %q", ts)
	}
	pre := queryAll(t, s, "items", store.Query{Index: "byName", PK: "fgm", SKPrefix: "2015-09-0", Limit: 1})
	if len(pre) != 3 {
		t.Fatalf("byName fgm prefix in pages of 1: %d items", len(pre))
	}
	if logs := queryAll(t, s, "items", store.Query{Index: "byKind", PK: "log", Limit: 1}); len(logs) != 2 {
		t.Fatalf("byKind log: %d items, want 2", len(logs))
	}
	if cdfs := queryAll(t, s, "items", store.Query{Index: "byKind", PK: "cdf"}); len(cdfs) != 5 {
		t.Fatalf("byKind cdf: %d items, want 5", len(cdfs))
	}
}

func tabIndexMaintenance(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	byName := func(name string) []string {
		return sks(queryAll(t, s, "items", store.Query{Index: "byName", PK: name}), "sk")
	}
	tput(t, s, "items", store.Item{"pk": "p", "sk": "1", "name": "old", "ts": "t1"})
	tput(t, s, "items", store.Item{"pk": "p", "sk": "2", "name": "old", "ts": "t2"})

	// Replace with a new index key: leaves the old partition, joins the new.
	tput(t, s, "items", store.Item{"pk": "p", "sk": "1", "name": "new", "ts": "t1"})
	if got := byName("old"); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("byName old after replace: %q", got)
	}
	if got := byName("new"); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("byName new after replace: %q", got)
	}
	// Replace with a new index sort key: one entry, in its new place.
	tput(t, s, "items", store.Item{"pk": "p", "sk": "2", "name": "new", "ts": "t0", "v": int64(2)})
	got := queryAll(t, s, "items", store.Query{Index: "byName", PK: "new"})
	if k := sks(got, "sk"); !slices.Equal(k, []string{"2", "1"}) {
		t.Fatalf("byName new after sort key change: %q", k)
	}
	if got[0].Int("v") != 2 {
		t.Fatalf("index returned a stale item: %v", got[0])
	}
	// Replace keeping the index keys, by put and by transaction: the index
	// returns the new attributes (an adapter keeping copies must update them).
	tput(t, s, "items", store.Item{"pk": "p", "sk": "1", "name": "new", "ts": "t1", "v": int64(3)})
	err := s.Transact(ctx, []store.WriteOp{{Table: "items", Cond: store.IfAttrEquals("v", int64(3)),
		Put: store.Item{"pk": "p", "sk": "1", "name": "new", "ts": "t1", "v": int64(4)}}})
	if err != nil {
		t.Fatal(err)
	}
	got = queryAll(t, s, "items", store.Query{Index: "byName", PK: "new"})
	if len(got) != 2 || got[1].String("sk") != "1" || got[1].Int("v") != 4 {
		t.Fatalf("index after replacing in place: %v", got)
	}
	// Replace without the index attribute: leaves the index.
	tput(t, s, "items", store.Item{"pk": "p", "sk": "2", "ts": "t0"})
	if got := byName("new"); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("byName new after dropping the attribute: %q", got)
	}
	// A failed condition leaves the index alone.
	err = s.Put(ctx, "items", store.Item{"pk": "p", "sk": "1", "name": "other", "ts": "t1"}, store.IfNotExists())
	wantErr(t, "conditional put", err, store.ErrConditionFailed)
	if got := byName("other"); len(got) != 0 {
		t.Fatalf("failed put reached the index: %q", got)
	}
	// Delete removes the entry.
	if err := s.Delete(ctx, "items", store.Key{PK: "p", SK: "1"}, store.Cond{}); err != nil {
		t.Fatal(err)
	}
	if got := byName("new"); len(got) != 0 {
		t.Fatalf("byName new after delete: %q", got)
	}
}

func tabHashOnly(t *testing.T, s store.TableStore) {
	ensure(t, s, kvSpec)
	ctx := context.Background()
	tput(t, s, "kvs", store.Item{"id": "a", "v": int64(1)})
	tput(t, s, "kvs", store.Item{"id": "ab", "v": int64(2)})
	sameItem(t, "Get", tget(t, s, "kvs", store.Key{PK: "a"}), store.Item{"id": "a", "v": int64(1)})
	if _, err := s.Get(ctx, "kvs", store.Key{PK: "a", SK: "x"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Get with a sort key on a hash-only table: %v, want ErrInvalid", err)
	}
	got := queryAll(t, s, "kvs", store.Query{PK: "a"})
	if len(got) != 1 || got[0].Int("v") != 1 {
		t.Fatalf("Query kv a: %v", got)
	}
	err := s.Put(ctx, "kvs", store.Item{"id": "a", "v": int64(9)}, store.IfNotExists())
	wantErr(t, "create-only put", err, store.ErrConditionFailed)
	if err := s.Delete(ctx, "kvs", store.Key{PK: "a"}, store.IfAttrEquals("v", int64(1))); err != nil {
		t.Fatal(err)
	}
	absent(t, s, "kvs", store.Key{PK: "a"})
}

func tabScan(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec, otherSpec)
	want := map[string]bool{}
	for i := range 23 {
		pk, sk := fmt.Sprintf("p%d", i%4), fmt.Sprintf("s%02d", i)
		tput(t, s, "items", store.Item{"pk": pk, "sk": sk})
		want[pk+"/"+sk] = true
	}
	tput(t, s, "other", store.Item{"pk": "p0", "sk": "not in items"})
	for _, limit := range []int{0, 1, 4, 23, 100} {
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 1000 {
				t.Fatal("scan does not end")
			}
			page, err := s.Scan(context.Background(), "items", cursor, limit)
			if err != nil {
				t.Fatal(err)
			}
			if limit > 0 && len(page.Items) > limit {
				t.Fatalf("scan page of %d, limit %d", len(page.Items), limit)
			}
			if cursor != "" && len(page.Items) == 0 {
				t.Fatalf("limit %d: a cursor led to an empty page", limit)
			}
			for _, it := range page.Items {
				id := it.String("pk") + "/" + it.String("sk")
				if seen[id] || !want[id] {
					t.Fatalf("limit %d: scan returned %s twice or unexpectedly", limit, id)
				}
				seen[id] = true
			}
			if page.Cursor == "" {
				break
			}
			cursor = page.Cursor
		}
		if len(seen) != len(want) {
			t.Fatalf("limit %d: scan returned %d items, want %d", limit, len(seen), len(want))
		}
	}
}

func tabTransact(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec, otherSpec)
	ctx := context.Background()
	tput(t, s, "items", store.Item{"pk": "tx", "sk": "doomed", "name": "gone", "ts": "t"})
	tput(t, s, "items", store.Item{"pk": "tx", "sk": "counter", "version": int64(1)})
	ops := func(guard store.Key) []store.WriteOp {
		return []store.WriteOp{
			{Table: "items", Put: store.Item{"pk": "tx", "sk": "new", "name": "fresh", "ts": "t"}, Cond: store.IfNotExists()},
			{Table: "items", Put: store.Item{"pk": "tx", "sk": "counter", "version": int64(2)}, Cond: store.IfAttrEquals("version", int64(1))},
			{Table: "items", Delete: &store.Key{PK: "tx", SK: "doomed"}},
			{Table: "other", Put: store.Item{"pk": "tx", "sk": "elsewhere"}},
			{Table: "other", Check: &guard, Cond: store.IfExists()},
		}
	}
	unchanged := func() {
		t.Helper()
		absent(t, s, "items", store.Key{PK: "tx", SK: "new"})
		absent(t, s, "other", store.Key{PK: "tx", SK: "elsewhere"})
		if v := tget(t, s, "items", store.Key{PK: "tx", SK: "counter"}).Int("version"); v != 1 {
			t.Fatalf("counter at %d after a failed transaction", v)
		}
		tget(t, s, "items", store.Key{PK: "tx", SK: "doomed"})
		if got := queryAll(t, s, "items", store.Query{Index: "byName", PK: "fresh"}); len(got) != 0 {
			t.Fatal("failed transaction reached the index")
		}
		if got := queryAll(t, s, "items", store.Query{Index: "byName", PK: "gone"}); len(got) != 1 {
			t.Fatal("failed transaction removed an index entry")
		}
	}
	guard := store.Key{PK: "tx", SK: "guard"}
	wantErr(t, "transaction with a failing check", s.Transact(ctx, ops(guard)), store.ErrConditionFailed)
	unchanged()

	// The last op's condition fails after earlier ones would have written.
	tput(t, s, "other", store.Item{"pk": "tx", "sk": "guard"})
	bad := ops(guard)
	bad[1].Cond = store.IfAttrEquals("version", int64(5))
	wantErr(t, "transaction with a stale version", s.Transact(ctx, bad), store.ErrConditionFailed)
	unchanged()

	if err := s.Transact(ctx, ops(guard)); err != nil {
		t.Fatalf("Transact: %v", err)
	}
	tget(t, s, "items", store.Key{PK: "tx", SK: "new"})
	tget(t, s, "other", store.Key{PK: "tx", SK: "elsewhere"})
	absent(t, s, "items", store.Key{PK: "tx", SK: "doomed"})
	if v := tget(t, s, "items", store.Key{PK: "tx", SK: "counter"}).Int("version"); v != 2 {
		t.Fatalf("counter at %d after the transaction", v)
	}
	if got := queryAll(t, s, "items", store.Query{Index: "byName", PK: "fresh"}); len(got) != 1 {
		t.Fatal("transaction's put missing from the index")
	}
	if got := queryAll(t, s, "items", store.Query{Index: "byName", PK: "gone"}); len(got) != 0 {
		t.Fatal("transaction's delete left an index entry")
	}
	// Replaying it fails (the create-only put) and changes nothing more.
	wantErr(t, "replayed transaction", s.Transact(ctx, ops(guard)), store.ErrConditionFailed)
}

func tabTransactValidation(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	k := store.Key{PK: "p", SK: "s"}
	tooMany := make([]store.WriteOp, 101)
	for i := range tooMany {
		tooMany[i] = store.WriteOp{Table: "items", Put: store.Item{"pk": "p", "sk": fmt.Sprint(i)}}
	}
	for _, tc := range []struct {
		name string
		ops  []store.WriteOp
	}{
		{"two ops on one item", []store.WriteOp{
			{Table: "items", Put: store.Item{"pk": "p", "sk": "s"}},
			{Table: "items", Delete: &k},
		}},
		{"put and check of one item", []store.WriteOp{
			{Table: "items", Put: store.Item{"pk": "p", "sk": "s"}},
			{Table: "items", Check: &k, Cond: store.IfNotExists()},
		}},
		{"more than 100 ops", tooMany},
		{"op with nothing to do", []store.WriteOp{{Table: "items"}}},
		{"op with two actions", []store.WriteOp{{Table: "items", Put: store.Item{"pk": "p", "sk": "s"}, Delete: &k}}},
		{"invalid item", []store.WriteOp{
			{Table: "items", Put: store.Item{"pk": "p", "sk": "ok"}},
			{Table: "items", Put: store.Item{"pk": "p"}},
		}},
	} {
		if err := s.Transact(ctx, tc.ops); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	absent(t, s, "items", store.Key{PK: "p", SK: "ok"})
	absent(t, s, "items", store.Key{PK: "p", SK: "0"})
	// Exactly 100 is allowed.
	if err := s.Transact(ctx, tooMany[:100]); err != nil {
		t.Fatalf("Transact of 100 ops: %v", err)
	}
}

func tabBatchPut(t *testing.T, s store.TableStore) {
	ensure(t, s, itemsSpec)
	ctx := context.Background()
	var items []store.Item
	for i := range 60 {
		items = append(items, store.Item{"pk": "batch", "sk": fmt.Sprintf("%03d", i), "kind": "first", "n": int64(i)})
	}
	if err := s.BatchPut(ctx, "items", items); err != nil {
		t.Fatalf("BatchPut: %v", err)
	}
	if got := queryAll(t, s, "items", store.Query{PK: "batch"}); len(got) != 60 {
		t.Fatalf("%d items after BatchPut, want 60", len(got))
	}
	sameItem(t, "batch item", tget(t, s, "items", store.Key{PK: "batch", SK: "042"}), items[42])
	// A second batch replaces items and moves their index entries.
	for _, it := range items {
		it["kind"] = "second"
	}
	if err := s.BatchPut(ctx, "items", items[:30]); err != nil {
		t.Fatal(err)
	}
	if n := len(queryAll(t, s, "items", store.Query{Index: "byKind", PK: "first"})); n != 30 {
		t.Fatalf("byKind first: %d, want 30", n)
	}
	if n := len(queryAll(t, s, "items", store.Query{Index: "byKind", PK: "second"})); n != 30 {
		t.Fatalf("byKind second: %d, want 30", n)
	}
	if err := s.BatchPut(ctx, "items", nil); err != nil {
		t.Fatalf("empty BatchPut: %v", err)
	}
	err := s.BatchPut(ctx, "items", []store.Item{{"pk": "batch", "sk": "ok"}, {"pk": "batch"}})
	wantErr(t, "BatchPut with an invalid item", err, store.ErrInvalid)
}

// tabCount: a store that counts (store.Counter) counts what the same
// query returns, on the table and on both kinds of index, ranges included.
func tabCount(t *testing.T, s store.TableStore) {
	c, ok := s.(store.Counter)
	if !ok {
		t.Skip("the store does not count")
	}
	ensure(t, s, itemsSpec)
	for i := range 30 {
		kind := "even"
		if i%2 == 1 {
			kind = "odd"
		}
		tput(t, s, "items", store.Item{"pk": "count", "sk": fmt.Sprintf("T#%03d", i), "kind": kind, "name": "n", "ts": fmt.Sprintf("%03d", i)})
	}
	for _, q := range []store.Query{
		{PK: "count"},
		{PK: "count", SKFrom: "T#010", SKTo: "T#019"},
		{PK: "count", SKPrefix: "T#02"},
		{PK: "nothing"},
		{Index: "byKind", PK: "odd"},
		{Index: "byName", PK: "n", SKFrom: "025"},
	} {
		n, err := c.Count(context.Background(), "items", q)
		if err != nil {
			t.Fatalf("count %+v: %v", q, err)
		}
		if want := len(queryAll(t, s, "items", q)); n != want {
			t.Errorf("count %+v = %d, want %d", q, n, want)
		}
	}
	if _, err := c.Count(context.Background(), "items", store.Query{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("count without a partition key: %v, want ErrInvalid", err)
	}
}
