package local

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/storetest"
)

func newTestObjectStore(t *testing.T) *ObjectStore {
	t.Helper()
	s, err := NewObjectStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestObjectStoreContract(t *testing.T) {
	storetest.ObjectStoreContract(t, func(t *testing.T) store.ObjectStore { return newTestObjectStore(t) })
}

func TestObjectStoreRejectsUncleanKeys(t *testing.T) {
	s := newTestObjectStore(t)
	ctx := context.Background()
	for _, key := range []string{
		"", "/abs", "a//b", "a/", "a/../b", "..", "../escape", "./a", "a/./b",
		".tmp/x", ".meta/x", ".tmp", "a\x00b", "bad\xffutf8",
		strings.Repeat("k", 201), strings.Repeat("a/", 513) + "b",
	} {
		_, err := s.Put(ctx, key, strings.NewReader("x"), store.PutOptions{})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put(%q): %v, want ErrInvalid", key, err)
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Head(%q): %v, want ErrInvalid", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Delete(%q): %v, want ErrInvalid", key, err)
		}
	}
	// Nothing escaped the root.
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Root()), "escape")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file escaped the root: %v", err)
	}
	// Keys that are fine on a file system but look odd are accepted.
	for _, key := range []string{".hidden", "a/.tmp", "a/..b", "with space/ü.cdf"} {
		if _, err := s.Put(ctx, key, strings.NewReader("x"), store.PutOptions{}); err != nil {
			t.Errorf("Put(%q): %v", key, err)
		}
	}
}

func TestObjectStoreKeyFileConflicts(t *testing.T) {
	s := newTestObjectStore(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "a/b", strings.NewReader("x"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// A folder cannot be both an object and a prefix: a clear error, no panic.
	for _, opts := range []store.PutOptions{{}, {CreateOnly: true}} {
		if _, err := s.Put(ctx, "a/b/c", strings.NewReader("x"), opts); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put under an object (%+v): %v, want ErrInvalid", opts, err)
		}
		if _, err := s.Put(ctx, "a", strings.NewReader("x"), opts); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put on a prefix (%+v): %v, want ErrInvalid", opts, err)
		}
	}
}

func TestObjectStoreLayoutAndLeftovers(t *testing.T) {
	s := newTestObjectStore(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "mms1/fgm/f.cdf", strings.NewReader("data"), store.PutOptions{ContentType: "application/x-cdf"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(s.Root(), "mms1", "fgm", "f.cdf"))
	if err != nil || string(data) != "data" {
		t.Fatalf("object file holds %q, %v", data, err)
	}
	// A crash mid-put leaves temp files and orphan sidecars: never listed,
	// never mistaken for metadata of a live object.
	for _, p := range []string{
		filepath.Join(s.Root(), tmpDirName, "put-123"),
		filepath.Join(s.Root(), metaDirName, "mms1", "fgm", "g.cdf.42.json"),
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"size":4}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.List(ctx, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(page.Objects); !slices.Equal(got, []string{"mms1/fgm/f.cdf"}) {
		t.Fatalf("List = %q, want only the object", got)
	}
	if _, err := s.Head(ctx, "mms1/fgm/g.cdf"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("orphan sidecar made an object appear: %v", err)
	}
	// Delete removes the folders it emptied, not the root.
	if err := s.Delete(ctx, "mms1/fgm/f.cdf"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "mms1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty folder mms1 left behind: %v", err)
	}
	if _, err := os.Stat(s.Root()); err != nil {
		t.Errorf("root removed: %v", err)
	}
}

func TestObjectStoreFileDroppedIn(t *testing.T) {
	s := newTestObjectStore(t)
	ctx := context.Background()
	// A file copied into the folder by hand has no sidecar: it is an object
	// of class STANDARD with no known checksum.
	if err := os.WriteFile(filepath.Join(s.Root(), "dropped.bin"), []byte("hand made"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := s.Head(ctx, "dropped.bin")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 9 || info.SHA256 != "" || info.StorageClass != store.ClassStandard {
		t.Fatalf("Head = %+v", info)
	}
	// Replacing a file by hand (new bytes, old sidecar) must not report the
	// old checksum for the new bytes.
	if _, err := s.Put(ctx, "k", strings.NewReader("put bytes"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(s.Root(), "k.new")
	if err := os.WriteFile(tmp, []byte("by hand"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.Root(), "k")); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Head(ctx, "k"); err != nil || info.SHA256 != "" {
		t.Fatalf("Head after a hand replace = %+v, %v; want no checksum", info, err)
	}
}

func TestObjectStoreReplaceDropsOldSidecar(t *testing.T) {
	s := newTestObjectStore(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.Put(ctx, "a/k", bytes.NewReader([]byte{byte(i)}), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(s.Root(), metaDirName, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d sidecars after 3 puts, want 1", len(entries))
	}
	if err := s.Delete(ctx, "a/k"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), metaDirName, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("sidecar folder left after delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), metaDirName)); err != nil {
		t.Fatalf("meta root removed: %v", err)
	}
}

func keysOf(objs []store.ObjectInfo) []string {
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}
