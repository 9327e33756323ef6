// Package store defines the storage ports every Magpie repository and handler
// talks to: an object store shaped like S3 and a table store shaped like
// DynamoDB. Adapters live in sub-packages (local: a folder and bbolt; aws: S3
// and DynamoDB); the domain code never knows which one it has.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors every adapter returns (wrapped) so callers can test with errors.Is.
var (
	// ErrNotFound: no object or item under that key.
	ErrNotFound = errors.New("not found")
	// ErrExists: a create-only put found the key already taken.
	ErrExists = errors.New("already exists")
	// ErrConditionFailed: a table write's condition did not hold.
	ErrConditionFailed = errors.New("condition failed")
	// ErrInvalid: the request itself is malformed (bad key, bad range).
	ErrInvalid = errors.New("invalid request")
)

// Storage classes, named as S3 names them.
const (
	ClassStandard          = "STANDARD"
	ClassIntelligentTiered = "INTELLIGENT_TIERING"
	ClassGlacierIR         = "GLACIER_IR"
	ClassGlacier           = "GLACIER"
	ClassDeepArchive       = "DEEP_ARCHIVE"
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ModTime      time.Time
	SHA256       string // lower-case hex; empty when the store does not know it
	StorageClass string
	ContentType  string
	Metadata     map[string]string
	// Tags are the object's tags (S3 object tagging). Unlike Metadata they
	// are what S3 lifecycle rules select objects by (e.g. level=l1b moves
	// level-1b files to a colder class). Head reports them; Get and List
	// may leave them nil (on S3 they cost a request of their own).
	Tags map[string]string
}

// PutOptions qualify a Put.
type PutOptions struct {
	// CreateOnly makes the put fail with ErrExists when the key is taken
	// (S3: If-None-Match: *). Archive writes always use it.
	CreateOnly   bool
	StorageClass string
	// SHA256 (hex), when set, is checked by the store against the bytes it
	// received; a mismatch fails the put and stores nothing.
	SHA256      string
	ContentType string
	Metadata    map[string]string
	// Tags, when not nil, are the object's tags (see ObjectInfo.Tags and
	// CheckTags). Copy keeps the source's tags when Tags is nil (S3's
	// TaggingDirective COPY) and replaces them, even by none, otherwise.
	Tags map[string]string
}

// Limits S3 puts on object tags.
const (
	MaxTags        = 10
	MaxTagKeyLen   = 128 // Unicode characters
	MaxTagValueLen = 256 // Unicode characters
)

// CheckTags reports, as ErrInvalid, tags S3 would refuse: more than MaxTags,
// an empty or over-long key, an over-long value, the reserved "aws:" key
// prefix, or a character outside letters, digits, spaces and + - = . _ : / @.
// Every adapter applies it so a tag that works locally also works on S3.
func CheckTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return fmt.Errorf("%d tags, at most %d allowed: %w", len(tags), MaxTags, ErrInvalid)
	}
	for k, v := range tags {
		switch {
		case k == "" || utf8.RuneCountInString(k) > MaxTagKeyLen:
			return fmt.Errorf("tag key %q: empty or longer than %d characters: %w", k, MaxTagKeyLen, ErrInvalid)
		case utf8.RuneCountInString(v) > MaxTagValueLen:
			return fmt.Errorf("tag %q: value longer than %d characters: %w", k, MaxTagValueLen, ErrInvalid)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return fmt.Errorf("tag key %q: the aws: prefix is reserved: %w", k, ErrInvalid)
		case !tagText(k) || !tagText(v):
			return fmt.Errorf("tag %q=%q: characters other than letters, digits, spaces and + - = . _ : / @: %w", k, v, ErrInvalid)
		}
	}
	return nil
}

// tagText reports whether s holds only the characters S3 allows in tags.
func tagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && !strings.ContainsRune("+-=._:/@", r) {
			return false
		}
	}
	return true
}

// Range selects bytes [Start, End] inclusive, as an HTTP Range header does.
// End < 0 means to the end of the object.
type Range struct {
	Start, End int64
}

// ListPage is one page of a listing, in key order.
type ListPage struct {
	Objects []ObjectInfo
	// Next is the continuation token for the following page; empty at the end.
	Next string
}

// ObjectStore is one bucket.
type ObjectStore interface {
	// Put stores the bytes of r under key, atomically: readers see the old
	// object or the whole new one, never a part.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (ObjectInfo, error)
	// Get opens an object, or the byte range rng of it when rng is not nil.
	Get(ctx context.Context, key string, rng *Range) (io.ReadCloser, ObjectInfo, error)
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// List returns up to limit objects whose keys start with prefix, after the
	// continuation token (empty for the first page). limit <= 0 means 1000.
	List(ctx context.Context, prefix, token string, limit int) (ListPage, error)
	Copy(ctx context.Context, srcKey, dstKey string, opts PutOptions) (ObjectInfo, error)
	// Delete removes key; deleting a missing key is not an error (as in S3).
	Delete(ctx context.Context, key string) error
}

// ListAll walks every page of a listing and calls fn for each object.
func ListAll(ctx context.Context, s ObjectStore, prefix string, fn func(ObjectInfo) error) error {
	token := ""
	for {
		page, err := s.List(ctx, prefix, token, 1000)
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := fn(o); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		token = page.Next
	}
}
