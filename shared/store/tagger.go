package store

import "context"

// Tagger is implemented by object stores that can replace the tags of an
// object in place (S3 PutObjectTagging). The archive needs it: a file's
// lifecycle tags change after it was written (superseded=true when a newer
// version arrives) while its bytes, and its age, must not.
type Tagger interface {
	// SetTags replaces all tags of the existing object key (ErrNotFound if
	// there is none); empty tags removes them. Tags are checked as CheckTags.
	SetTags(ctx context.Context, key string, tags map[string]string) error
}
