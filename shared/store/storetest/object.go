// Package storetest holds contract test suites for the storage ports. Every
// adapter (local, S3, DynamoDB) runs them from its own tests, so all adapters
// behave the same where the ports say how they behave.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
)

// ObjectStoreContract checks the documented behaviour of store.ObjectStore.
// newStore must return an empty bucket not shared with any other call.
func ObjectStoreContract(t *testing.T, newStore func(t *testing.T) store.ObjectStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.ObjectStore)
	}{
		{"PutGetHeadRoundTrip", objPutGetHead},
		{"EmptyObject", objEmpty},
		{"Overwrite", objOverwrite},
		{"CreateOnly", objCreateOnly},
		{"CreateOnlyRace", objCreateOnlyRace},
		{"SHA256Checked", objSHA256},
		{"InvalidStorageClass", objBadStorageClass},
		{"NotFound", objNotFound},
		{"Ranges", objRanges},
		{"LargeStreamed", objLarge},
		{"ReadersSeeWholeObjects", objAtomicReplace},
		{"ListOrderAndPrefixes", objListOrder},
		{"ListPagination", objListPages},
		{"ListAll", objListAll},
		{"Copy", objCopy},
		{"Tags", objTags},
		{"Delete", objDelete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func put(t *testing.T, s store.ObjectStore, key string, data []byte, opts store.PutOptions) store.ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), key, bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func read(t *testing.T, s store.ObjectStore, key string, rng *store.Range) ([]byte, store.ObjectInfo) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key, rng)
	if err != nil {
		t.Fatalf("Get(%q, %v): %v", key, rng, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data, info
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// checkInfo compares the parts of an ObjectInfo a caller set or can know.
func checkInfo(t *testing.T, what string, got store.ObjectInfo, key string, data []byte, opts store.PutOptions) {
	t.Helper()
	if got.Key != key || got.Size != int64(len(data)) {
		t.Errorf("%s: key %q size %d, want %q %d", what, got.Key, got.Size, key, len(data))
	}
	if got.SHA256 != "" && got.SHA256 != sum(data) {
		t.Errorf("%s: sha256 %s, want %s", what, got.SHA256, sum(data))
	}
	class := opts.StorageClass
	if class == "" {
		class = store.ClassStandard
	}
	if got.StorageClass != class {
		t.Errorf("%s: storage class %q, want %q", what, got.StorageClass, class)
	}
	if opts.ContentType != "" && got.ContentType != opts.ContentType {
		t.Errorf("%s: content type %q, want %q", what, got.ContentType, opts.ContentType)
	}
	if len(got.Metadata) != len(opts.Metadata) || (len(opts.Metadata) > 0 && !reflect.DeepEqual(got.Metadata, opts.Metadata)) {
		t.Errorf("%s: metadata %v, want %v", what, got.Metadata, opts.Metadata)
	}
}

func objPutGetHead(t *testing.T, s store.ObjectStore) {
	data := []byte("CDF\x00 bytes of mms1_fgm_srvy_l2")
	opts := store.PutOptions{
		ContentType:  "application/x-cdf",
		StorageClass: store.ClassIntelligentTiered,
		Metadata:     map[string]string{"origin": "dropbox", "level": "l2"},
	}
	key := "mms1/fgm/srvy/l2/2015/09/mms1_fgm_srvy_l2_20150901_v4.18.0.cdf"
	info := put(t, s, key, data, opts)
	checkInfo(t, "Put", info, key, data, opts)

	got, ginfo := read(t, s, key, nil)
	if !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, want %q", got, data)
	}
	checkInfo(t, "Get", ginfo, key, data, opts)

	hinfo, err := s.Head(context.Background(), key)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	checkInfo(t, "Head", hinfo, key, data, opts)
	if hinfo.ModTime.IsZero() {
		t.Error("Head: zero ModTime")
	}
}

func objEmpty(t *testing.T, s store.ObjectStore) {
	info := put(t, s, "empty", nil, store.PutOptions{})
	checkInfo(t, "Put", info, "empty", nil, store.PutOptions{})
	got, _ := read(t, s, "empty", nil)
	if len(got) != 0 {
		t.Fatalf("Get = %q, want nothing", got)
	}
	_, _, err := s.Get(context.Background(), "empty", &store.Range{Start: 0, End: -1})
	wantErr(t, "range of an empty object", err, store.ErrInvalid)
}

func objOverwrite(t *testing.T, s store.ObjectStore) {
	put(t, s, "k", []byte("first version"), store.PutOptions{Metadata: map[string]string{"v": "1"}})
	opts := store.PutOptions{ContentType: "text/plain"}
	put(t, s, "k", []byte("second"), opts)
	got, info := read(t, s, "k", nil)
	if string(got) != "second" {
		t.Fatalf("Get = %q after overwrite", got)
	}
	checkInfo(t, "Get", info, "k", []byte("second"), opts)
}

func objCreateOnly(t *testing.T, s store.ObjectStore) {
	put(t, s, "a/b", []byte("original"), store.PutOptions{CreateOnly: true})
	_, err := s.Put(context.Background(), "a/b", bytes.NewReader([]byte("other")), store.PutOptions{CreateOnly: true})
	wantErr(t, "second create-only put", err, store.ErrExists)
	got, _ := read(t, s, "a/b", nil)
	if string(got) != "original" {
		t.Fatalf("Get = %q, create-only put changed the object", got)
	}
}

func objCreateOnlyRace(t *testing.T, s store.ObjectStore) {
	const writers = 16
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		winner = -1
		wins   int
	)
	for i := range writers {
		wg.Go(func() {
			data := bytes.Repeat([]byte{byte('A' + i)}, 1000+i)
			_, err := s.Put(context.Background(), "race/key", bytes.NewReader(data), store.PutOptions{
				CreateOnly: true,
				Metadata:   map[string]string{"writer": fmt.Sprint(i)},
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
				winner = i
			case !errors.Is(err, store.ErrExists):
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d create-only writers won, want exactly 1", wins)
	}
	got, info := read(t, s, "race/key", nil)
	want := bytes.Repeat([]byte{byte('A' + winner)}, 1000+winner)
	if !bytes.Equal(got, want) {
		t.Fatalf("stored %d bytes of %q, want the winner's (%d)", len(got), got[:1], winner)
	}
	checkInfo(t, "winner", info, "race/key", want, store.PutOptions{Metadata: map[string]string{"writer": fmt.Sprint(winner)}})
}

func objSHA256(t *testing.T, s store.ObjectStore) {
	data := []byte("checked bytes")
	info := put(t, s, "ok", data, store.PutOptions{SHA256: sum(data)})
	checkInfo(t, "Put", info, "ok", data, store.PutOptions{})

	_, err := s.Put(context.Background(), "bad", bytes.NewReader(data), store.PutOptions{SHA256: sum([]byte("other"))})
	wantErr(t, "put with wrong sha256", err, store.ErrInvalid)
	_, err = s.Head(context.Background(), "bad")
	wantErr(t, "head after sha mismatch", err, store.ErrNotFound)

	// A mismatch on an existing key keeps the old object.
	_, err = s.Put(context.Background(), "ok", bytes.NewReader([]byte("corrupt")), store.PutOptions{SHA256: sum(data)})
	wantErr(t, "overwrite with wrong sha256", err, store.ErrInvalid)
	if got, _ := read(t, s, "ok", nil); !bytes.Equal(got, data) {
		t.Fatalf("object changed to %q by a failed put", got)
	}
	page, err := s.List(context.Background(), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 || page.Objects[0].Key != "ok" {
		t.Fatalf("List after failed puts = %v, want only ok", keysOf(page.Objects))
	}
}

func objBadStorageClass(t *testing.T, s store.ObjectStore) {
	_, err := s.Put(context.Background(), "k", bytes.NewReader([]byte("x")), store.PutOptions{StorageClass: "COLD_AND_DUSTY"})
	wantErr(t, "unknown storage class", err, store.ErrInvalid)
}

func objNotFound(t *testing.T, s store.ObjectStore) {
	ctx := context.Background()
	put(t, s, "dir/file", []byte("x"), store.PutOptions{})
	for _, key := range []string{"missing", "dir", "dir/file/more", "dir/fil"} {
		_, err := s.Head(ctx, key)
		wantErr(t, "Head "+key, err, store.ErrNotFound)
		_, _, err = s.Get(ctx, key, nil)
		wantErr(t, "Get "+key, err, store.ErrNotFound)
	}
	_, err := s.Copy(ctx, "missing", "dst", store.PutOptions{})
	wantErr(t, "Copy of a missing key", err, store.ErrNotFound)
}

func objRanges(t *testing.T, s store.ObjectStore) {
	data := []byte("0123456789abcdef")
	put(t, s, "r", data, store.PutOptions{})
	n := int64(len(data))
	for _, tc := range []struct {
		rng  store.Range
		want string
	}{
		{store.Range{Start: 0, End: 0}, "0"},
		{store.Range{Start: 2, End: 5}, "2345"},
		{store.Range{Start: 10, End: -1}, "abcdef"},
		{store.Range{Start: 0, End: -1}, string(data)},
		{store.Range{Start: n - 1, End: n - 1}, "f"},
		{store.Range{Start: 12, End: 1000}, "cdef"},
	} {
		got, _ := read(t, s, "r", &tc.rng)
		if string(got) != tc.want {
			t.Errorf("range %+v = %q, want %q", tc.rng, got, tc.want)
		}
	}
	for _, rng := range []store.Range{{Start: n, End: -1}, {Start: n + 5, End: n + 10}, {Start: 5, End: 2}, {Start: -1, End: 3}} {
		rc, _, err := s.Get(context.Background(), "r", &rng)
		if err == nil {
			rc.Close()
		}
		wantErr(t, fmt.Sprintf("range %+v", rng), err, store.ErrInvalid)
	}
}

func objLarge(t *testing.T, s store.ObjectStore) {
	data := make([]byte, 5<<20+123)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	info := put(t, s, "big.cdf", data, store.PutOptions{SHA256: sum(data)})
	checkInfo(t, "Put", info, "big.cdf", data, store.PutOptions{})
	got, _ := read(t, s, "big.cdf", nil)
	if !bytes.Equal(got, data) {
		t.Fatal("large object differs after round trip")
	}
	part, _ := read(t, s, "big.cdf", &store.Range{Start: 3 << 20, End: 3<<20 + 65535})
	if !bytes.Equal(part, data[3<<20:3<<20+65536]) {
		t.Fatal("range of a large object differs")
	}
}

// objAtomicReplace: readers racing with overwrites see one whole version.
func objAtomicReplace(t *testing.T, s store.ObjectStore) {
	versions := [][]byte{bytes.Repeat([]byte("A"), 256<<10), bytes.Repeat([]byte("B"), 256<<10)}
	put(t, s, "hot", versions[0], store.PutOptions{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			if _, err := s.Put(context.Background(), "hot", bytes.NewReader(versions[i%2]), store.PutOptions{}); err != nil {
				t.Errorf("overwrite: %v", err)
				return
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 20 {
				rc, _, err := s.Get(context.Background(), "hot", nil)
				if err != nil {
					t.Errorf("Get during overwrites: %v", err)
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Errorf("read during overwrites: %v", err)
					return
				}
				if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
					t.Errorf("reader saw a mixed or partial object of %d bytes", len(got))
					return
				}
			}
		})
	}
	wg.Wait()
}

func keysOf(objs []store.ObjectInfo) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys
}

// listKeys lists every page with the given page size, checking the paging
// rules, and returns the keys in the order returned.
func listKeys(t *testing.T, s store.ObjectStore, prefix, token string, limit int) []string {
	t.Helper()
	var keys []string
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("listing does not end")
		}
		page, err := s.List(context.Background(), prefix, token, limit)
		if err != nil {
			t.Fatalf("List(%q, %q, %d): %v", prefix, token, limit, err)
		}
		if limit > 0 && len(page.Objects) > limit {
			t.Fatalf("List returned %d objects, limit %d", len(page.Objects), limit)
		}
		if page.Next != "" && len(page.Objects) == 0 {
			t.Fatalf("List returned an empty page with a continuation token")
		}
		if pages > 0 && token != "" && len(page.Objects) == 0 {
			t.Fatalf("continuation token %q led to an empty page", token)
		}
		keys = append(keys, keysOf(page.Objects)...)
		if page.Next == "" {
			return keys
		}
		token = page.Next
	}
}

func objListOrder(t *testing.T, s store.ObjectStore) {
	// Byte order, not folder order: "a-c" < "a/b" < "a0" because '-' < '/' < '0'.
	keys := []string{"b", "a/c/d", "a0", "a-c", "a/b", "a/c/e/f", "mms1/fgm/x.cdf", "mms1/fgm/y.cdf", "mms1/fgmx", "mms1/fpi/z.cdf", "mms10/a", "é/x", "Z"}
	for _, k := range keys {
		put(t, s, k, []byte(k), store.PutOptions{})
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	for _, tc := range []struct {
		prefix, token string
		want          []string
	}{
		{"", "", sorted},
		{"a", "", []string{"a-c", "a/b", "a/c/d", "a/c/e/f", "a0"}},
		{"a/", "", []string{"a/b", "a/c/d", "a/c/e/f"}},
		{"a/c", "", []string{"a/c/d", "a/c/e/f"}},
		{"mms1/fgm/", "", []string{"mms1/fgm/x.cdf", "mms1/fgm/y.cdf"}},
		{"mms1/fg", "", []string{"mms1/fgm/x.cdf", "mms1/fgm/y.cdf", "mms1/fgmx"}},
		{"mms1/", "", []string{"mms1/fgm/x.cdf", "mms1/fgm/y.cdf", "mms1/fgmx", "mms1/fpi/z.cdf"}},
		{"mms1", "", []string{"mms1/fgm/x.cdf", "mms1/fgm/y.cdf", "mms1/fgmx", "mms1/fpi/z.cdf", "mms10/a"}},
		{"a/c/e/f", "", []string{"a/c/e/f"}},
		{"nothing", "", nil},
		{"a/b/", "", nil},
		{"", "a/b", []string{"a/c/d", "a/c/e/f", "a0", "b", "mms1/fgm/x.cdf", "mms1/fgm/y.cdf", "mms1/fgmx", "mms1/fpi/z.cdf", "mms10/a", "é/x"}},
		{"", "a/bz", []string{"a/c/d", "a/c/e/f", "a0", "b", "mms1/fgm/x.cdf", "mms1/fgm/y.cdf", "mms1/fgmx", "mms1/fpi/z.cdf", "mms10/a", "é/x"}},
		{"mms1/", "mms1/fgm/x.cdf", []string{"mms1/fgm/y.cdf", "mms1/fgmx", "mms1/fpi/z.cdf"}},
		{"", "é/x", nil},
	} {
		got := listKeys(t, s, tc.prefix, tc.token, 0)
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(prefix %q, token %q) = %q, want %q", tc.prefix, tc.token, got, tc.want)
		}
	}
	page, err := s.List(context.Background(), "a/c/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Objects {
		if o.Size != int64(len(o.Key)) {
			t.Errorf("List: %s has size %d, want %d", o.Key, o.Size, len(o.Key))
		}
	}
}

func objListPages(t *testing.T, s store.ObjectStore) {
	var want []string
	for i := range 23 {
		k := fmt.Sprintf("d%d/f%02d", i%3, i)
		put(t, s, k, []byte{byte(i)}, store.PutOptions{})
		want = append(want, k)
	}
	slices.Sort(want)
	for _, limit := range []int{1, 2, 5, 22, 23, 24, 1000} {
		got := listKeys(t, s, "", "", limit)
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d: %q, want %q", limit, got, want)
		}
	}
	page, err := s.List(context.Background(), "", "", 23)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 23 || page.Next != "" {
		t.Errorf("exact-size page: %d objects, next %q; want 23 and no token", len(page.Objects), page.Next)
	}
}

func objListAll(t *testing.T, s store.ObjectStore) {
	var want []string
	for i := range 1003 {
		want = append(want, fmt.Sprintf("x/%04d", i))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(want); i += 8 {
				if _, err := s.Put(context.Background(), want[i], bytes.NewReader(nil), store.PutOptions{}); err != nil {
					t.Errorf("Put(%q): %v", want[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	var got []string
	err := store.ListAll(context.Background(), s, "x/", func(o store.ObjectInfo) error {
		got = append(got, o.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListAll returned %d keys, want %d in order", len(got), len(want))
	}
}

func objCopy(t *testing.T, s store.ObjectStore) {
	ctx := context.Background()
	data := []byte("calibration table")
	src := store.PutOptions{ContentType: "text/csv", Metadata: map[string]string{"kind": "cal"}}
	put(t, s, "src/cal.csv", data, src)

	info, err := s.Copy(ctx, "src/cal.csv", "dst/cal.csv", store.PutOptions{StorageClass: store.ClassGlacierIR})
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	want := src
	want.StorageClass = store.ClassGlacierIR
	checkInfo(t, "Copy", info, "dst/cal.csv", data, want)
	got, ginfo := read(t, s, "dst/cal.csv", nil)
	if !bytes.Equal(got, data) {
		t.Fatalf("copy holds %q", got)
	}
	checkInfo(t, "Get copy", ginfo, "dst/cal.csv", data, want)
	if got, _ := read(t, s, "src/cal.csv", nil); !bytes.Equal(got, data) {
		t.Fatal("Copy changed the source")
	}

	// New metadata replaces the source's.
	repl := store.PutOptions{ContentType: "application/json", Metadata: map[string]string{"kind": "new"}}
	if _, err := s.Copy(ctx, "src/cal.csv", "dst/other", repl); err != nil {
		t.Fatal(err)
	}
	h, err := s.Head(ctx, "dst/other")
	if err != nil {
		t.Fatal(err)
	}
	checkInfo(t, "copy with new metadata", h, "dst/other", data, repl)

	// Create-only copy onto an existing key fails and changes nothing.
	put(t, s, "taken", []byte("keep me"), store.PutOptions{})
	_, err = s.Copy(ctx, "src/cal.csv", "taken", store.PutOptions{CreateOnly: true})
	wantErr(t, "create-only copy onto an existing key", err, store.ErrExists)
	if got, _ := read(t, s, "taken", nil); string(got) != "keep me" {
		t.Fatalf("create-only copy overwrote the object with %q", got)
	}
	// Without CreateOnly it overwrites.
	if _, err := s.Copy(ctx, "src/cal.csv", "taken", store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, s, "taken", nil); !bytes.Equal(got, data) {
		t.Fatalf("copy over an object left %q", got)
	}
}

// objTags: tags (what S3 lifecycle rules select by) survive a put and a
// copy, are replaced by an overwrite, and are checked against S3's rules.
func objTags(t *testing.T, s store.ObjectStore) {
	ctx := context.Background()
	head := func(key string) map[string]string {
		t.Helper()
		h, err := s.Head(ctx, key)
		if err != nil {
			t.Fatalf("Head(%q): %v", key, err)
		}
		return h.Tags
	}
	sameTags := func(what string, got, want map[string]string) {
		t.Helper()
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: tags %v, want %v", what, got, want)
		}
	}
	tags := map[string]string{"level": "l1b", "kind": "science", "note": "a b+c/d=e:f@g.h_i-j"}
	data := []byte("tagged bytes")
	info := put(t, s, "arch/tagged.cdf", data, store.PutOptions{CreateOnly: true, Tags: tags})
	sameTags("Put", info.Tags, tags)
	sameTags("Head after Put", head("arch/tagged.cdf"), tags)

	info, err := s.Copy(ctx, "arch/tagged.cdf", "arch/copy.cdf", store.PutOptions{})
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	sameTags("Copy", info.Tags, tags)
	sameTags("Head of a copy", head("arch/copy.cdf"), tags)

	repl := map[string]string{"superseded": "true"}
	info, err = s.Copy(ctx, "arch/tagged.cdf", "arch/retagged.cdf", store.PutOptions{Tags: repl})
	if err != nil {
		t.Fatalf("Copy with tags: %v", err)
	}
	sameTags("Copy with tags", info.Tags, repl)
	sameTags("Head of a copy with tags", head("arch/retagged.cdf"), repl)
	if _, err := s.Copy(ctx, "arch/tagged.cdf", "arch/untagged.cdf", store.PutOptions{Tags: map[string]string{}}); err != nil {
		t.Fatalf("Copy with no tags: %v", err)
	}
	sameTags("Head of a copy with empty tags", head("arch/untagged.cdf"), nil)

	put(t, s, "arch/tagged.cdf", data, store.PutOptions{})
	sameTags("Head after an untagged overwrite", head("arch/tagged.cdf"), nil)

	many := map[string]string{}
	for i := range store.MaxTags + 1 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	for name, bad := range map[string]map[string]string{
		"too many":    many,
		"empty key":   {"": "v"},
		"aws: prefix": {"aws:level": "l1b"},
		"ampersand":   {"level": "l1b&x"},
		"long key":    {strings.Repeat("k", store.MaxTagKeyLen+1): "v"},
		"long value":  {"k": strings.Repeat("v", store.MaxTagValueLen+1)},
		"not UTF-8":   {"k": "\xff"},
		"question":    {"k?": "v"},
	} {
		_, err := s.Put(ctx, "arch/bad-tags", bytes.NewReader(data), store.PutOptions{Tags: bad})
		wantErr(t, "Put with tags "+name, err, store.ErrInvalid)
		_, err = s.Head(ctx, "arch/bad-tags")
		wantErr(t, "Head after a refused put with tags "+name, err, store.ErrNotFound)
	}
}

func objDelete(t *testing.T, s store.ObjectStore) {
	ctx := context.Background()
	put(t, s, "a/b/c", []byte("1"), store.PutOptions{Metadata: map[string]string{"m": "1"}})
	put(t, s, "a/b/d", []byte("2"), store.PutOptions{})
	if err := s.Delete(ctx, "a/b/c"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Head(ctx, "a/b/c")
	wantErr(t, "Head after Delete", err, store.ErrNotFound)
	if err := s.Delete(ctx, "a/b/c"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if err := s.Delete(ctx, "never/was"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if got := listKeys(t, s, "", "", 0); !slices.Equal(got, []string{"a/b/d"}) {
		t.Fatalf("List after Delete = %q", got)
	}
	if err := s.Delete(ctx, "a/b/d"); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, s, "", "", 0); len(got) != 0 {
		t.Fatalf("List after deleting all = %q", got)
	}
	// The key can be written again, create-only, with fresh metadata.
	info := put(t, s, "a/b/c", []byte("again"), store.PutOptions{CreateOnly: true})
	checkInfo(t, "Put after Delete", info, "a/b/c", []byte("again"), store.PutOptions{})
	h, err := s.Head(ctx, "a/b/c")
	if err != nil {
		t.Fatal(err)
	}
	checkInfo(t, "Head after re-put", h, "a/b/c", []byte("again"), store.PutOptions{})
}
