// Package ingest is the indexer: it takes a file that arrived in the dropbox,
// validates its name and content against the mission profile, stores it
// immutably in the archive, records it in the catalog, announces it, and only
// then removes the dropbox copy. Anything bad goes to quarantine with a reason;
// nothing is ever deleted unarchived. Every step is idempotent, so a repeated
// event or a crash at any point is recovered by running it again.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/store"
)

// QuarantinePrefix is where rejected files go, inside the dropbox bucket.
const QuarantinePrefix = "quarantine/"

// MetaSHA256 is the object metadata key an uploader may set to the SHA-256
// (hex) it expects; the archive copy is verified against it.
const MetaSHA256 = "expected-sha256"

// Results of indexing one dropbox object.
const (
	ResultIndexed     = "indexed"     // archived, cataloged, announced
	ResultDuplicate   = "duplicate"   // the identical file was already archived
	ResultQuarantined = "quarantined" // rejected, moved to quarantine with a reason
	ResultSkipped     = "skipped"     // not a file for the indexer (quarantine, temp files)
	ResultGone        = "gone"        // the object no longer exists (already handled)
)

// Quarantine reason codes (machine-readable).
const (
	CodeInvalidName    = "invalid-name"
	CodeUnknownProduct = "unknown-product"
	CodeEmpty          = "empty-file"
	CodeBadContent     = "bad-content"
	CodeChecksum       = "checksum-mismatch"
	CodeConflict       = "conflicting-file"
)

// Outcome says what happened to one dropbox object.
type Outcome struct {
	Key           string          `json:"key"`
	Name          string          `json:"file_name"`
	Result        string          `json:"result"`
	Code          string          `json:"code,omitempty"`
	Reason        string          `json:"reason,omitempty"`
	QuarantineKey string          `json:"quarantine_key,omitempty"`
	Record        *catalog.Record `json:"record,omitempty"`
}

// Indexer indexes files from one dropbox bucket.
type Indexer struct {
	Profile *mission.Profile
	Dropbox store.ObjectStore
	Archive store.ObjectStore
	Catalog *catalog.Catalog
	Events  events.Publisher
	Clock   clock.Clock
	Log     *slog.Logger
}

// Index handles the dropbox object key. A returned error is transient (the
// store or catalog failed): the caller retries later, and the dropbox copy
// is still there. Every final decision is an Outcome.
func (ix *Indexer) Index(ctx context.Context, key string) (Outcome, error) {
	out, err := ix.index(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		// The dropbox copy vanished mid-way: another delivery of the same
		// file (a watcher and a direct ingest, or two queue consumers)
		// finished it first. That is the idempotent path, not a failure.
		return ix.gone(ctx, Outcome{Key: key, Name: path.Base(key)}), nil
	}
	return out, err
}

// gone reports a dropbox object that no longer exists: a duplicate when the
// catalog has the file, otherwise nothing to do.
func (ix *Indexer) gone(ctx context.Context, out Outcome) Outcome {
	out.Result = ResultGone
	if rec, err := ix.Catalog.Get(ctx, out.Name); err == nil {
		out.Result, out.Record = ResultDuplicate, &rec
	}
	return out
}

func (ix *Indexer) index(ctx context.Context, key string) (Outcome, error) {
	name := path.Base(key)
	out := Outcome{Key: key, Name: name}
	if strings.HasPrefix(key, QuarantinePrefix) || strings.HasPrefix(name, ".") || strings.HasSuffix(key, "/") {
		out.Result = ResultSkipped
		return out, nil
	}
	info, err := ix.Dropbox.Head(ctx, key)
	if err != nil {
		return out, fmt.Errorf("ingest %s: head dropbox object: %w", key, err)
	}

	parsed, reject := ix.validateName(name)
	if reject != nil {
		return ix.quarantine(ctx, out, info, *reject)
	}
	if info.Size == 0 {
		return ix.quarantine(ctx, out, info, rejection{CodeEmpty, "the file is empty"})
	}
	if r, err := ix.checkContent(ctx, key, name, info.Size); err != nil {
		return out, err
	} else if r != nil {
		return ix.quarantine(ctx, out, info, *r)
	}

	rec, err := catalog.FromName(parsed)
	if err != nil {
		return out, err
	}
	// Already cataloged: an identical re-drop, or a retry after a crash
	// between the catalog write and the dropbox removal.
	if old, err := ix.Catalog.Get(ctx, name); err == nil {
		return ix.finishExisting(ctx, out, info, old)
	} else if !errors.Is(err, store.ErrNotFound) {
		return out, fmt.Errorf("ingest %s: %w", key, err)
	}

	archived, reject, err := ix.archive(ctx, key, info, rec)
	if err != nil {
		return out, err
	}
	if reject != nil {
		return ix.quarantine(ctx, out, info, *reject)
	}
	rec.Size, rec.SHA256, rec.Ingested = archived.Size, archived.SHA256, ix.Clock.Now()
	if archived.StorageClass != "" {
		rec.StorageClass = archived.StorageClass
	}
	added, err := ix.Catalog.Add(ctx, rec)
	if catalog.IsExists(err) {
		return ix.finishExisting(ctx, out, info, added)
	}
	if err != nil {
		return out, fmt.Errorf("ingest %s: %w", key, err)
	}
	if err := ix.tagVersions(ctx, key, added, archived.Tags != nil); err != nil {
		return out, err
	}
	return ix.announce(ctx, out, key, added, ResultIndexed)
}

// tagVersions marks the older versions of rec superseded (or rec itself,
// when a newer version came first). It runs after the catalog write and
// before the dropbox copy is removed, so if it fails the event is retried,
// finds the file cataloged, and tags again (finishExisting).
func (ix *Indexer) tagVersions(ctx context.Context, key string, rec catalog.Record, loneTagged bool) error {
	n, err := tagVersions(ctx, ix.Archive, ix.Catalog, rec, loneTagged)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", key, err)
	}
	if n > 0 {
		ix.Log.InfoContext(ctx, "archive versions tagged", "file", rec.Name, "retagged", n)
	}
	return nil
}

// Object tag keys the indexer writes on archive objects.
const (
	TagLevel = "level"
	TagKind  = "kind"
)

type rejection struct{ code, reason string }

// validateName parses the name and checks it against the mission profile.
func (ix *Indexer) validateName(name string) (naming.Name, *rejection) {
	n, err := naming.Parse(name)
	if err != nil {
		var ne *naming.NameError
		if errors.As(err, &ne) {
			return nil, &rejection{CodeInvalidName, ne.Reason}
		}
		return nil, &rejection{CodeInvalidName, err.Error()}
	}
	err = ix.Profile.CheckName(n)
	if err != nil {
		return nil, &rejection{CodeUnknownProduct, err.Error()}
	}
	return n, nil
}

// checkContent reads the first bytes of the file and checks they are what
// the extension promises.
func (ix *Indexer) checkContent(ctx context.Context, key, name string, size int64) (*rejection, error) {
	n := min(size, int64(headLen))
	rc, _, err := ix.Dropbox.Get(ctx, key, &store.Range{Start: 0, End: n - 1})
	if err != nil {
		return nil, fmt.Errorf("ingest %s: read head: %w", key, err)
	}
	defer rc.Close()
	head, err := io.ReadAll(io.LimitReader(rc, n))
	if err != nil {
		return nil, fmt.Errorf("ingest %s: read head: %w", key, err)
	}
	if reason := checkHead(name, head); reason != "" {
		return &rejection{CodeBadContent, reason}, nil
	}
	return nil, nil
}

// archive copies the dropbox object into the archive, create-only, computing
// its SHA-256 on the way, tagged for the archive's lifecycle rules (see
// archiveTags). If the archive already holds the key (a retry after a crash)
// the existing copy is accepted only when it is the same file.
func (ix *Indexer) archive(ctx context.Context, key string, info store.ObjectInfo, rec catalog.Record) (store.ObjectInfo, *rejection, error) {
	archiveKey := rec.ArchiveKey
	rc, _, err := ix.Dropbox.Get(ctx, key, nil)
	if err != nil {
		return store.ObjectInfo{}, nil, fmt.Errorf("ingest %s: open: %w", key, err)
	}
	defer rc.Close()
	want := info.Metadata[MetaSHA256]
	archived, err := ix.Archive.Put(ctx, archiveKey, rc, store.PutOptions{
		CreateOnly: true, SHA256: want, ContentType: contentType(key),
		Metadata: map[string]string{"dropbox-key": key},
		Tags:     archiveTags(rec),
	})
	switch {
	case err == nil:
		return archived, nil, nil
	case errors.Is(err, store.ErrInvalid) && want != "":
		return store.ObjectInfo{}, &rejection{CodeChecksum, fmt.Sprintf("SHA-256 of the content differs from the uploader's %s", want)}, nil
	case !errors.Is(err, store.ErrExists):
		return store.ObjectInfo{}, nil, fmt.Errorf("ingest %s: archive: %w", key, err)
	}
	existing, err := ix.Archive.Head(ctx, archiveKey)
	if err != nil {
		return store.ObjectInfo{}, nil, fmt.Errorf("ingest %s: head archive copy: %w", key, err)
	}
	sum, err := ix.dropboxSHA256(ctx, key)
	if err != nil {
		return store.ObjectInfo{}, nil, err
	}
	if existing.SHA256 == "" || existing.SHA256 != sum {
		return store.ObjectInfo{}, &rejection{CodeConflict, fmt.Sprintf("the archive already holds a different %s (SHA-256 %s); archived files are immutable: deliver a new version instead", path.Base(key), existing.SHA256)}, nil
	}
	return existing, nil, nil
}

// finishExisting handles a dropbox file whose name is already cataloged.
func (ix *Indexer) finishExisting(ctx context.Context, out Outcome, info store.ObjectInfo, old catalog.Record) (Outcome, error) {
	sum, err := ix.dropboxSHA256(ctx, out.Key)
	if err != nil {
		return out, err
	}
	if sum != old.SHA256 {
		return ix.quarantine(ctx, out, info, rejection{CodeConflict,
			fmt.Sprintf("a different file named %s is already archived (SHA-256 %s, this one %s); archived files are immutable: deliver a new version instead", old.Name, old.SHA256, sum)})
	}
	if err := ix.tagVersions(ctx, out.Key, old, false); err != nil {
		return out, err
	}
	// The same file again. Announce it again before removing the copy: if
	// this is the retry of a run that crashed before announcing, downstream
	// would otherwise never hear of the file; consumers are idempotent.
	return ix.announce(ctx, out, out.Key, old, ResultDuplicate)
}

// announce publishes FileIndexed and then removes the dropbox copy.
func (ix *Indexer) announce(ctx context.Context, out Outcome, key string, rec catalog.Record, result string) (Outcome, error) {
	ev, err := events.New(events.FileIndexed, ix.Clock.Now(), rec)
	if err != nil {
		return out, err
	}
	if err := ix.Events.Publish(ctx, ev); err != nil {
		return out, fmt.Errorf("ingest %s: publish: %w", key, err)
	}
	if err := ix.Dropbox.Delete(ctx, key); err != nil {
		return out, fmt.Errorf("ingest %s: remove dropbox copy: %w", key, err)
	}
	out.Result, out.Record = result, &rec
	if result == ResultIndexed {
		ix.Log.InfoContext(ctx, "indexed", "file", rec.Name, "size", rec.Size, "archive_key", rec.ArchiveKey)
	}
	return out, nil
}

func (ix *Indexer) dropboxSHA256(ctx context.Context, key string) (string, error) {
	rc, _, err := ix.Dropbox.Get(ctx, key, nil)
	if err != nil {
		return "", fmt.Errorf("ingest %s: open: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("ingest %s: hash: %w", key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// QuarantineReason is the JSON document stored next to a quarantined file.
type QuarantineReason struct {
	FileName      string `json:"file_name"`
	DropboxKey    string `json:"dropbox_key"`
	QuarantineKey string `json:"quarantine_key"`
	Code          string `json:"code"`
	Reason        string `json:"reason"`
	Size          int64  `json:"size"`
	SHA256        string `json:"sha256"`
	QuarantinedAt string `json:"quarantined_at"`
	Mission       string `json:"mission"`
}

// quarantine moves the dropbox object under quarantine/ with its reason. The
// quarantine key is derived from the content hash, so repeating the move
// after a crash lands on the same key and never loses or doubles a file.
func (ix *Indexer) quarantine(ctx context.Context, out Outcome, info store.ObjectInfo, r rejection) (Outcome, error) {
	sum, err := ix.dropboxSHA256(ctx, out.Key)
	if err != nil {
		return out, err
	}
	qkey := QuarantinePrefix + sum[:12] + "_" + out.Name
	if _, err := ix.Dropbox.Copy(ctx, out.Key, qkey, store.PutOptions{CreateOnly: true}); err != nil && !errors.Is(err, store.ErrExists) {
		return out, fmt.Errorf("ingest %s: quarantine copy: %w", out.Key, err)
	}
	reason := QuarantineReason{FileName: out.Name, DropboxKey: out.Key, QuarantineKey: qkey, Code: r.code, Reason: r.reason,
		Size: info.Size, SHA256: sum, QuarantinedAt: ix.Clock.Now().Format("2006-01-02T15:04:05Z"), Mission: ix.Profile.ID}
	body, _ := json.MarshalIndent(reason, "", "  ")
	_, err = ix.Dropbox.Put(ctx, qkey+ReasonSuffix, bytes.NewReader(body), store.PutOptions{ContentType: "application/json"})
	if err != nil {
		return out, fmt.Errorf("ingest %s: write quarantine reason: %w", out.Key, err)
	}
	ev, err := events.New(events.FileQuarantined, ix.Clock.Now(), reason)
	if err == nil {
		err = ix.Events.Publish(ctx, ev)
	}
	if err != nil {
		return out, fmt.Errorf("ingest %s: publish quarantine: %w", out.Key, err)
	}
	if err := ix.Dropbox.Delete(ctx, out.Key); err != nil {
		return out, fmt.Errorf("ingest %s: remove quarantined dropbox copy: %w", out.Key, err)
	}
	ix.Log.WarnContext(ctx, "quarantined", "file", out.Name, "code", r.code, "reason", r.reason)
	out.Result, out.Code, out.Reason, out.QuarantineKey = ResultQuarantined, r.code, r.reason, qkey
	return out, nil
}

// ReasonSuffix ends the key of a quarantine reason document.
const ReasonSuffix = ".reason.json"

// archiveTags are the object tags the archive's S3 lifecycle rules select
// by (infra/sdc ArchiveLifecycle, from the profile's archive: section):
// level=<data level> for science files, kind=ancillary|selection for the
// rest, which have no level.
func archiveTags(rec catalog.Record) map[string]string {
	if rec.Kind == catalog.KindScience && rec.Level != "" {
		return map[string]string{TagLevel: rec.Level}
	}
	return map[string]string{TagKind: rec.Kind}
}
