package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/magpie-sdc/magpie/shared/store"
)

var projectedSpec = store.TableSpec{Name: "files", PK: "pk", SK: "sk", Indexes: []store.IndexSpec{
	{Name: "byProduct", PK: "product", SK: "tag", Projection: store.ProjectAll},
	{Name: "byDay", PK: "day"},
}}

// checkIndexEntries asserts that every index holds exactly one entry per
// item having its key attributes, and that a ProjectAll entry is the item's
// stored bytes while any other entry is empty.
func checkIndexEntries(t *testing.T, s *TableStore, table string) {
	t.Helper()
	d, err := s.table(table)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, ix := range d.indexes {
			want := map[string][]byte{}
			err := tx.Bucket(d.bucket).ForEach(func(k, v []byte) error {
				pk, sk := splitItemKey(k)
				ik, err := storedIndexKey(ix.spec, v, pk, sk)
				if ik != nil {
					want[string(ik)] = ix.entry(v)
				}
				return err
			})
			if err != nil {
				return err
			}
			n := 0
			err = tx.Bucket(ix.bucket).ForEach(func(k, v []byte) error {
				n++
				w, ok := want[string(k)]
				switch {
				case !ok:
					return fmt.Errorf("index %s: stray entry %q", ix.spec.Name, k)
				case !bytes.Equal(v, w):
					return fmt.Errorf("index %s: entry %q holds %d bytes, want %d (projection %q)", ix.spec.Name, k, len(v), len(w), ix.spec.Projection)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n != len(want) {
				return fmt.Errorf("index %s: %d entries, want %d", ix.spec.Name, n, len(want))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Random puts, conditional puts, deletes, transactions and batch puts keep
// the projected copies exact.
func TestProjectionCopiesFollowWrites(t *testing.T) {
	ctx := context.Background()
	s := openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"), WithNoSync())
	if err := s.EnsureTable(ctx, projectedSpec); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	item := func() store.Item {
		it := store.Item{"pk": fmt.Sprint("f", rng.IntN(12)), "sk": "F", "rev": int64(rng.IntN(3)), "size": int64(rng.IntN(1000))}
		if rng.IntN(4) > 0 {
			it["product"] = fmt.Sprint("p", rng.IntN(2))
			it["tag"] = fmt.Sprint("t", rng.IntN(3))
		}
		if rng.IntN(2) == 0 {
			it["day"] = fmt.Sprint("d", rng.IntN(2))
		}
		return it
	}
	for i := range 400 {
		var err error
		switch i % 5 {
		case 0:
			err = s.Put(ctx, "files", item(), store.Cond{})
		case 1:
			// Fails or succeeds at random; either way the copies hold.
			err = s.Put(ctx, "files", item(), store.IfAttrEquals("rev", int64(rng.IntN(3))))
		case 2:
			err = s.Delete(ctx, "files", store.Key{PK: fmt.Sprint("f", rng.IntN(12)), SK: "F"}, store.Cond{})
		case 3:
			a, b := item(), item()
			if a["pk"] == b["pk"] {
				b["pk"] = "other"
			}
			err = s.Transact(ctx, []store.WriteOp{{Table: "files", Put: a}, {Table: "files", Put: b, Cond: store.IfExists()}})
		case 4:
			a, b := item(), item()
			b["pk"] = "batch" + fmt.Sprint(rng.IntN(3))
			if a["pk"] == b["pk"] {
				continue
			}
			err = s.BatchPut(ctx, "files", []store.Item{a, b})
		}
		if err != nil && !errors.Is(err, store.ErrConditionFailed) {
			t.Fatalf("op %d: %v", i, err)
		}
		if i%50 == 49 {
			checkIndexEntries(t, s, "files")
		}
	}
	checkIndexEntries(t, s, "files")
}

// A file whose index was stored keys-only (as before projections) is
// rewritten with copies when the spec asks for ProjectAll, and back; queries
// answer the same throughout.
func TestProjectionChangeRewritesIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tables.db")
	s := openTestTableStore(t, path, WithNoSync())
	keysOnly := projectedSpec
	keysOnly.Indexes = []store.IndexSpec{{Name: "byProduct", PK: "product", SK: "tag"}}
	if err := s.EnsureTable(ctx, keysOnly); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		it := store.Item{"pk": fmt.Sprint("f", i), "sk": "F", "product": fmt.Sprint("p", i%2), "tag": fmt.Sprint("t", i), "n": int64(i)}
		if err := s.Put(ctx, "files", it, store.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	query := func() []int64 {
		t.Helper()
		page, err := s.Query(ctx, "files", store.Query{Index: "byProduct", PK: "p1", SKFrom: "t11", SKTo: "t17"})
		if err != nil {
			t.Fatal(err)
		}
		var ns []int64
		for _, it := range page.Items {
			ns = append(ns, it.Int("n"))
		}
		return ns
	}
	want := fmt.Sprint([]int64{11, 13, 15, 17})
	if got := fmt.Sprint(query()); got != want {
		t.Fatalf("keys-only query: %s, want %s", got, want)
	}
	for _, spec := range []store.TableSpec{projectedSpec, keysOnly, projectedSpec} {
		if err := s.EnsureTable(ctx, spec); err != nil {
			t.Fatal(err)
		}
		d, _ := s.table("files")
		if ix, _ := d.index("byProduct"); ix.spec.Projection != spec.Indexes[0].Projection {
			t.Fatalf("projection %q after EnsureTable, want %q", ix.spec.Projection, spec.Indexes[0].Projection)
		}
		checkIndexEntries(t, s, "files")
		if got := fmt.Sprint(query()); got != want {
			t.Fatalf("query with projection %q: %s, want %s", spec.Indexes[0].Projection, got, want)
		}
	}
	// The projection is part of the persisted schema.
	s.Close()
	s = openTestTableStore(t, path, WithNoSync())
	d, _ := s.table("files")
	if ix, _ := d.index("byProduct"); ix.spec.Projection != store.ProjectAll {
		t.Fatalf("projection after reopen: %q", ix.spec.Projection)
	}
	checkIndexEntries(t, s, "files")

	bad := projectedSpec
	bad.Indexes = []store.IndexSpec{{Name: "byProduct", PK: "product", SK: "tag", Projection: "KEYS"}}
	if err := s.EnsureTable(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown projection: %v, want ErrInvalid", err)
	}
}

// Every kind of write to a table moves its generation; reads and writes to
// other tables do not.
func TestGenerationFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s := openTestTableStore(t, filepath.Join(t.TempDir(), "tables.db"), WithNoSync())
	other := store.TableSpec{Name: "other", PK: "pk"}
	for _, spec := range []store.TableSpec{projectedSpec, other} {
		if err := s.EnsureTable(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	item := store.Item{"pk": "f1", "sk": "F", "product": "p", "tag": "t"}
	for _, tc := range []struct {
		name  string
		op    func() error
		moves bool
	}{
		{"put", func() error { return s.Put(ctx, "files", item, store.Cond{}) }, true},
		{"get", func() error { _, err := s.Get(ctx, "files", store.Key{PK: "f1", SK: "F"}); return err }, false},
		{"query", func() error { _, err := s.Query(ctx, "files", store.Query{Index: "byProduct", PK: "p"}); return err }, false},
		{"put elsewhere", func() error { return s.Put(ctx, "other", store.Item{"pk": "x"}, store.Cond{}) }, false},
		{"batch put", func() error { return s.BatchPut(ctx, "files", []store.Item{{"pk": "f2", "sk": "F"}}) }, true},
		{"transact", func() error {
			return s.Transact(ctx, []store.WriteOp{{Table: "files", Delete: &store.Key{PK: "f2", SK: "F"}}})
		}, true},
		{"delete", func() error { return s.Delete(ctx, "files", store.Key{PK: "f1", SK: "F"}, store.Cond{}) }, true},
		{"new index", func() error {
			spec := projectedSpec
			spec.Indexes = append(slices.Clone(spec.Indexes), store.IndexSpec{Name: "byTag", PK: "tag"})
			return s.EnsureTable(ctx, spec)
		}, true},
	} {
		before := s.Generation("files")
		if err := tc.op(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if moved := s.Generation("files") != before; moved != tc.moves {
			t.Errorf("%s: generation moved %v, want %v", tc.name, moved, tc.moves)
		}
	}
}
