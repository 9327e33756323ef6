package storetest

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
)

// TaggerContract checks store.Tagger: SetTags replaces an object's tags in
// place (bytes, metadata and checksum unchanged), removes them when empty,
// refuses tags S3 would refuse, and reports a missing key as ErrNotFound.
func TaggerContract(t *testing.T, newStore func(t *testing.T) store.ObjectStore) {
	ctx := context.Background()
	s := newStore(t)
	tg, ok := s.(store.Tagger)
	if !ok {
		t.Fatalf("%T does not implement store.Tagger", s)
	}
	data := []byte("archived bytes")
	orig := put(t, s, "arch/a.cdf", data, store.PutOptions{CreateOnly: true, Metadata: map[string]string{"dropbox-key": "a.cdf"}, Tags: map[string]string{"level": "l2"}})

	for _, step := range []struct {
		name string
		tags map[string]string
		want map[string]string
	}{
		{"add superseded", map[string]string{"level": "l2", "superseded": "true"}, map[string]string{"level": "l2", "superseded": "true"}},
		{"replace", map[string]string{"kind": "ancillary"}, map[string]string{"kind": "ancillary"}},
		{"remove all", map[string]string{}, nil},
		{"tag again", map[string]string{"level": "l1b"}, map[string]string{"level": "l1b"}},
	} {
		if err := tg.SetTags(ctx, "arch/a.cdf", step.tags); err != nil {
			t.Fatalf("%s: SetTags: %v", step.name, err)
		}
		h, err := s.Head(ctx, "arch/a.cdf")
		if err != nil {
			t.Fatalf("%s: Head: %v", step.name, err)
		}
		if len(h.Tags) != len(step.want) || (len(step.want) > 0 && !reflect.DeepEqual(h.Tags, step.want)) {
			t.Errorf("%s: tags %v, want %v", step.name, h.Tags, step.want)
		}
		if h.Size != orig.Size || h.SHA256 != orig.SHA256 || h.Metadata["dropbox-key"] != "a.cdf" {
			t.Errorf("%s: object changed: size %d sha %q metadata %v, want %d %q dropbox-key=a.cdf", step.name, h.Size, h.SHA256, h.Metadata, orig.Size, orig.SHA256)
		}
	}
	rc, _, err := s.Get(ctx, "arch/a.cdf", nil)
	if err != nil {
		t.Fatalf("Get after SetTags: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("bytes after SetTags: %q, want %q", got, data)
	}
	wantErr(t, "SetTags on a missing key", tg.SetTags(ctx, "arch/missing.cdf", map[string]string{"level": "l2"}), store.ErrNotFound)
	wantErr(t, "SetTags with an aws: key", tg.SetTags(ctx, "arch/a.cdf", map[string]string{"aws:x": "y"}), store.ErrInvalid)
}
