package local

import (
	"context"
	"fmt"
	"maps"
	"os"

	"github.com/magpie-sdc/magpie/shared/store"
)

var _ store.Tagger = (*ObjectStore)(nil)

// SetTags replaces the tags of the existing object key (S3's
// PutObjectTagging): the bytes, metadata and modification time stay as they
// are, so age-based lifecycle rules keep counting from the original write.
// An empty or nil tags removes them all.
func (s *ObjectStore) SetTags(ctx context.Context, key string, tags map[string]string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("set tags: %w", err)
	}
	if err := store.CheckTags(tags); err != nil {
		return fmt.Errorf("set tags %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set tags %s: %w", key, err)
	}
	fi, err := os.Stat(s.objectPath(key))
	if err != nil || !fi.Mode().IsRegular() {
		return notFound("set tags", key, err)
	}
	id := fileID(fi)
	side, found, err := s.readSidecar(key, id)
	if err != nil {
		return fmt.Errorf("set tags %s: %w", key, err)
	}
	if !found || side.Size != fi.Size() {
		// A file placed without Put (no sidecar): describe it by its size so
		// objectInfo trusts the new sidecar, and nothing else.
		side = sidecar{Size: fi.Size()}
	}
	side.Tags = nil
	if len(tags) > 0 {
		side.Tags = maps.Clone(tags)
	}
	if err := s.writeSidecar(s.sidecarPath(key, id), side); err != nil {
		return fmt.Errorf("set tags %s: %w", key, err)
	}
	return nil
}
