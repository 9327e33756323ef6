// Package local implements the storage ports on one machine: store.ObjectStore
// on a folder (one folder is one bucket) and store.TableStore on a bbolt file.
package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Layout of a bucket folder:
//
//	root/a/b/c.cdf                   the bytes of key a/b/c.cdf
//	root/.meta/a/b/c.cdf.<ino>.json  its metadata sidecar (content type,
//	                                 storage class, SHA-256, user metadata,
//	                                 tags)
//	root/.tmp/                       files being written; never listed
//
// The sidecar name carries the inode number of the data file it describes.
// Rename and link keep the inode, so a Put writes the sidecar for its temp
// file before the data appears under the key: a crash at any point leaves
// either no new data, or new data whose sidecar is already durable. Old and
// new versions never share a sidecar, so a crash mid-replace cannot make the
// old bytes carry the new checksum, and two racing create-only puts cannot
// clobber each other's metadata. Orphan sidecars (from a crash or a lost
// create-only race) are harmless: nothing points at them.
const (
	tmpDirName  = ".tmp"
	metaDirName = ".meta"

	maxKeyLen      = 1024 // bytes, as S3
	maxSegmentLen  = 200  // bytes; leaves room for ".<ino>.json" in 255
	maxMetadataLen = 2048 // bytes of user metadata, as S3
	maxListLimit   = 1000 // S3 never returns more per page
)

// ObjectStore is a bucket on a local folder. It is safe for concurrent use,
// also by several processes sharing the folder.
type ObjectStore struct {
	root string
}

var _ store.ObjectStore = (*ObjectStore)(nil)

// NewObjectStore opens (creating if needed) the bucket folder root.
func NewObjectStore(root string) (*ObjectStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("object store %q: %w", root, err)
	}
	for _, d := range []string{abs, filepath.Join(abs, tmpDirName), filepath.Join(abs, metaDirName)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("object store %q: %w", root, err)
		}
	}
	return &ObjectStore{root: abs}, nil
}

// Root returns the bucket folder.
func (s *ObjectStore) Root() string { return s.root }

// sidecar is the metadata kept beside an object.
type sidecar struct {
	Size         int64             `json:"size"`
	SHA256       string            `json:"sha256,omitempty"`
	StorageClass string            `json:"storage_class,omitempty"`
	ContentType  string            `json:"content_type,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// checkKey accepts clean relative slash paths that stay inside the root.
func checkKey(key string) error {
	bad := func(why string) error {
		return fmt.Errorf("key %q: %s: %w", key, why, store.ErrInvalid)
	}
	switch {
	case key == "":
		return bad("empty")
	case len(key) > maxKeyLen:
		return bad("longer than 1024 bytes")
	case !utf8.ValidString(key):
		return bad("not UTF-8")
	case strings.ContainsRune(key, 0):
		return bad("contains NUL")
	case strings.HasPrefix(key, "/"):
		return bad("leading /")
	}
	for i, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return bad("empty path segment")
		case seg == "." || seg == "..":
			return bad("dot segment")
		case len(seg) > maxSegmentLen:
			return bad("path segment longer than 200 bytes")
		case i == 0 && (seg == tmpDirName || seg == metaDirName):
			return bad("reserved prefix")
		}
	}
	return nil
}

func (s *ObjectStore) objectPath(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

func (s *ObjectStore) sidecarPath(key string, id uint64) string {
	return filepath.Join(s.root, metaDirName, filepath.FromSlash(key)+"."+strconv.FormatUint(id, 10)+".json")
}

// newSidecar validates the metadata part of opts.
func newSidecar(opts store.PutOptions) (sidecar, error) {
	side := sidecar{StorageClass: opts.StorageClass, ContentType: opts.ContentType}
	switch opts.StorageClass {
	case "":
		side.StorageClass = store.ClassStandard
	case store.ClassStandard, store.ClassIntelligentTiered, store.ClassGlacierIR, store.ClassGlacier, store.ClassDeepArchive:
	default:
		return side, fmt.Errorf("storage class %q: %w", opts.StorageClass, store.ErrInvalid)
	}
	md, err := normMetadata(opts.Metadata)
	if err != nil {
		return side, err
	}
	side.Metadata = md
	if err := store.CheckTags(opts.Tags); err != nil {
		return side, err
	}
	side.Tags = maps.Clone(opts.Tags)
	return side, nil
}

// normMetadata lower-cases keys, as S3 does with x-amz-meta-* headers.
func normMetadata(in map[string]string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	total := 0
	for k, v := range in {
		if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("metadata key %q: %w", k, store.ErrInvalid)
		}
		out[strings.ToLower(k)] = v
		total += len(k) + len(v)
	}
	if total > maxMetadataLen {
		return nil, fmt.Errorf("metadata of %d bytes exceeds %d: %w", total, maxMetadataLen, store.ErrInvalid)
	}
	return out, nil
}

func checkSHA(sum string) (string, error) {
	if sum == "" {
		return "", nil
	}
	sum = strings.ToLower(sum)
	if _, err := hex.DecodeString(sum); err != nil || len(sum) != 2*sha256.Size {
		return "", fmt.Errorf("sha256 %q is not 64 hex digits: %w", sum, store.ErrInvalid)
	}
	return sum, nil
}

// Put stores r under key atomically; see the layout comment for the order of
// writes.
func (s *ObjectStore) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put: %w", err)
	}
	side, err := newSidecar(opts)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	want, err := checkSHA(opts.SHA256)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	return s.put(ctx, key, r, opts.CreateOnly, want, side)
}

func (s *ObjectStore) put(ctx context.Context, key string, r io.Reader, createOnly bool, wantSHA string, side sidecar) (store.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	dst := s.objectPath(key)
	if createOnly {
		// Fast path only; the link below is what makes create-only safe.
		if fi, err := os.Lstat(dst); err == nil && !fi.IsDir() {
			return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, store.ErrExists)
		}
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, tmpDirName), "put-*")
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed { // after a link (create-only) this drops the temp name
			os.Remove(tmpName)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx: ctx, r: r})
	if err == nil {
		err = tmp.Sync()
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = tmp.Stat()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: write: %w", key, err)
	}
	side.Size = n
	side.SHA256 = hex.EncodeToString(h.Sum(nil))
	if wantSHA != "" && wantSHA != side.SHA256 {
		return store.ObjectInfo{}, fmt.Errorf("put %s: sha256 is %s, expected %s: %w", key, side.SHA256, wantSHA, store.ErrInvalid)
	}

	id := fileID(fi)
	sidePath := s.sidecarPath(key, id)
	if err := s.writeSidecar(sidePath, side); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: metadata: %w", key, err)
	}
	old, oldErr := os.Lstat(dst)
	if err := s.place(tmpName, dst, createOnly); err != nil {
		os.Remove(sidePath)
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	renamed = !createOnly
	if oldErr == nil && !createOnly {
		if oldID := fileID(old); oldID != id {
			os.Remove(s.sidecarPath(key, oldID))
		}
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	return objectInfo(key, fi, side, true), nil
}

// place moves the finished temp file under its key. Create-only uses link(2),
// which fails if the name exists, so two racing writers cannot both win.
func (s *ObjectStore) place(tmp, dst string, createOnly bool) error {
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("a parent of the key is an object: %w", store.ErrInvalid)
			}
			return err
		}
		var err error
		if createOnly {
			err = os.Link(tmp, dst)
		} else {
			err = os.Rename(tmp, dst)
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, fs.ErrNotExist) && attempt < 5:
			continue // a concurrent Delete pruned the empty parent; make it again
		case errors.Is(err, fs.ErrExist) && createOnly:
			if fi, serr := os.Lstat(dst); serr == nil && fi.IsDir() {
				return fmt.Errorf("key is a prefix of other objects: %w", store.ErrInvalid)
			}
			return store.ErrExists
		case errors.Is(err, syscall.EISDIR) || errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY):
			return fmt.Errorf("key is a prefix of other objects: %w", store.ErrInvalid)
		case errors.Is(err, syscall.ENOTDIR):
			return fmt.Errorf("a parent of the key is an object: %w", store.ErrInvalid)
		}
		return err
	}
}

// writeSidecar writes side durably at path via a temp file and a rename.
func (s *ObjectStore) writeSidecar(path string, side sidecar) error {
	data, err := json.Marshal(side)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, tmpDirName), "meta-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		err := os.Rename(tmp.Name(), path)
		if errors.Is(err, fs.ErrNotExist) && attempt < 5 {
			continue // parent pruned by a concurrent Delete
		}
		return err
	}
}

// readSidecar returns the sidecar of the data file with inode id, if any.
func (s *ObjectStore) readSidecar(key string, id uint64) (sidecar, bool, error) {
	var side sidecar
	data, err := os.ReadFile(s.sidecarPath(key, id))
	if errors.Is(err, fs.ErrNotExist) {
		return side, false, nil
	}
	if err != nil {
		return side, false, fmt.Errorf("metadata of %s: %w", key, err)
	}
	if err := json.Unmarshal(data, &side); err != nil {
		return side, false, fmt.Errorf("metadata of %s: %w", key, err)
	}
	return side, true, nil
}

// objectInfo merges the file's own facts with its sidecar.
func objectInfo(key string, fi os.FileInfo, side sidecar, found bool) store.ObjectInfo {
	info := store.ObjectInfo{
		Key:          key,
		Size:         fi.Size(),
		ModTime:      fi.ModTime().UTC(),
		StorageClass: store.ClassStandard,
	}
	if !found || side.Size != fi.Size() {
		return info // written by something else than Put (e.g. a file dropped in)
	}
	info.SHA256 = side.SHA256
	if side.StorageClass != "" {
		info.StorageClass = side.StorageClass
	}
	info.ContentType = side.ContentType
	if len(side.Metadata) > 0 {
		info.Metadata = make(map[string]string, len(side.Metadata))
		for k, v := range side.Metadata {
			info.Metadata[k] = v
		}
	}
	if len(side.Tags) > 0 {
		info.Tags = maps.Clone(side.Tags)
	}
	return info
}

// describe returns the info of the open file f at key. When the sidecar is
// missing it checks that key still names f: a concurrent replace removes the
// old sidecar, and the caller then retries with the new file.
func (s *ObjectStore) describe(key string, fi os.FileInfo) (store.ObjectInfo, bool, error) {
	side, found, err := s.readSidecar(key, fileID(fi))
	if err != nil {
		return store.ObjectInfo{}, false, err
	}
	if !found {
		now, err := os.Stat(s.objectPath(key))
		if err == nil && !os.SameFile(now, fi) {
			return store.ObjectInfo{}, false, nil
		}
	}
	return objectInfo(key, fi, side, found), true, nil
}

const describeAttempts = 3

// Head describes key.
func (s *ObjectStore) Head(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("head: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("head %s: %w", key, err)
	}
	for attempt := 1; ; attempt++ {
		fi, err := os.Stat(s.objectPath(key))
		if err != nil || !fi.Mode().IsRegular() {
			return store.ObjectInfo{}, notFound("head", key, err)
		}
		info, ok, err := s.describe(key, fi)
		if err != nil {
			return store.ObjectInfo{}, fmt.Errorf("head %s: %w", key, err)
		}
		if ok || attempt == describeAttempts {
			return info, nil
		}
	}
}

func notFound(op, key string, err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s %s: %w", op, key, store.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

// Get opens key, or the inclusive byte range rng of it. The reader streams
// from the file; ObjectInfo.Size is the size of the whole object.
func (s *ObjectStore) Get(ctx context.Context, key string, rng *store.Range) (io.ReadCloser, store.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	f, info, err := s.open(key)
	if err != nil {
		return nil, store.ObjectInfo{}, err
	}
	if rng == nil {
		return f, info, nil
	}
	start, end := rng.Start, rng.End
	if end < 0 || end >= info.Size {
		end = info.Size - 1
	}
	if start < 0 || start >= info.Size || (rng.End >= 0 && rng.End < rng.Start) {
		f.Close()
		return nil, store.ObjectInfo{}, fmt.Errorf("get %s: range %d-%d of %d bytes: %w", key, rng.Start, rng.End, info.Size, store.ErrInvalid)
	}
	return sectionReadCloser{Reader: io.NewSectionReader(f, start, end-start+1), f: f}, info, nil
}

// open opens the current file of key with its matching description.
func (s *ObjectStore) open(key string) (*os.File, store.ObjectInfo, error) {
	for attempt := 1; ; attempt++ {
		f, err := os.Open(s.objectPath(key))
		if err != nil {
			return nil, store.ObjectInfo{}, notFound("get", key, err)
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, store.ObjectInfo{}, notFound("get", key, err)
		}
		info, ok, err := s.describe(key, fi)
		if err != nil {
			f.Close()
			return nil, store.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
		}
		if ok || attempt == describeAttempts {
			return f, info, nil
		}
		f.Close()
	}
}

type sectionReadCloser struct {
	io.Reader
	f *os.File
}

func (r sectionReadCloser) Close() error { return r.f.Close() }

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Copy copies srcKey to dstKey. As S3 does by default, content type and user
// metadata are copied unless opts sets either of them (then both are taken
// from opts), tags are copied unless opts.Tags is not nil, and the storage
// class is opts.StorageClass (default STANDARD).
func (s *ObjectStore) Copy(ctx context.Context, srcKey, dstKey string, opts store.PutOptions) (store.ObjectInfo, error) {
	if err := checkKey(srcKey); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy: %w", err)
	}
	if err := checkKey(dstKey); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy: %w", err)
	}
	side, err := newSidecar(opts)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy %s: %w", srcKey, err)
	}
	want, err := checkSHA(opts.SHA256)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy %s: %w", srcKey, err)
	}
	f, srcInfo, err := s.open(srcKey)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy: %w", err)
	}
	defer f.Close()
	if opts.ContentType == "" && opts.Metadata == nil {
		side.ContentType = srcInfo.ContentType
		side.Metadata = srcInfo.Metadata
	}
	if opts.Tags == nil {
		side.Tags = srcInfo.Tags
	}
	info, err := s.put(ctx, dstKey, f, opts.CreateOnly, want, side)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy %s: %w", srcKey, err)
	}
	return info, nil
}

// Delete removes key and its metadata, then the folders left empty.
func (s *ObjectStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	p := s.objectPath(key)
	fi, err := os.Lstat(p)
	if err != nil || fi.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	side := s.sidecarPath(key, fileID(fi))
	if err := os.Remove(side); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: metadata: %w", key, err)
	}
	prune(filepath.Dir(p), s.root)
	prune(filepath.Dir(side), filepath.Join(s.root, metaDirName))
	return nil
}

// prune removes dir and its parents while they are empty, stopping at stop.
// os.Remove fails on a non-empty folder, so a concurrent writer that has just
// created a file there keeps it (and a writer whose folder vanished retries).
func prune(dir, stop string) {
	for dir != stop && strings.HasPrefix(dir, stop+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// List returns objects in S3 key order: folders are walked in sorted order
// (a folder sorting as its name plus "/"), starting at the folder the prefix
// names, and whole subtrees at or before the token are skipped unread.
func (s *ObjectStore) List(ctx context.Context, prefix, token string, limit int) (store.ListPage, error) {
	if err := ctx.Err(); err != nil {
		return store.ListPage{}, fmt.Errorf("list %s: %w", prefix, err)
	}
	if limit <= 0 || limit > maxListLimit {
		limit = maxListLimit
	}
	cut := strings.LastIndex(prefix, "/") + 1
	dirKey, namePrefix := prefix[:cut], prefix[cut:]
	if dirKey != "" && checkKey(strings.TrimSuffix(dirKey, "/")) != nil {
		return store.ListPage{}, nil // no valid key can start with prefix
	}
	w := lister{s: s, ctx: ctx, token: token, want: limit + 1}
	if err := w.walk(dirKey, namePrefix); err != nil && !errors.Is(err, errListFull) {
		return store.ListPage{}, fmt.Errorf("list %s: %w", prefix, err)
	}
	page := store.ListPage{Objects: w.found}
	if len(w.found) > limit {
		page.Objects = w.found[:limit]
		page.Next = page.Objects[limit-1].Key
	}
	return page, nil
}

var errListFull = errors.New("list page full")

type lister struct {
	s     *ObjectStore
	ctx   context.Context
	token string
	want  int
	found []store.ObjectInfo
}

type listEntry struct {
	name    string
	sortKey string // name, plus "/" for a folder: the order of the keys beneath
	dir     bool
}

func (w *lister) walk(dirKey, namePrefix string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	des, err := os.ReadDir(filepath.Join(w.s.root, filepath.FromSlash(dirKey)))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	entries := make([]listEntry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, namePrefix) {
			continue
		}
		if dirKey == "" && (name == tmpDirName || name == metaDirName) {
			continue
		}
		e := listEntry{name: name, sortKey: name, dir: de.IsDir()}
		if e.dir {
			e.sortKey += "/"
		} else if !de.Type().IsRegular() && de.Type()&fs.ModeSymlink == 0 {
			continue
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b listEntry) int { return strings.Compare(a.sortKey, b.sortKey) })
	for _, e := range entries {
		key := dirKey + e.name
		if e.dir {
			sub := key + "/"
			if w.token >= sub && !strings.HasPrefix(w.token, sub) {
				continue // every key below sorts before the token
			}
			if err := w.walk(sub, ""); err != nil {
				return err
			}
			continue
		}
		if key <= w.token || checkKey(key) != nil {
			continue
		}
		if err := w.add(key); err != nil {
			return err
		}
	}
	return nil
}

func (w *lister) add(key string) error {
	fi, err := os.Stat(w.s.objectPath(key))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
		return nil // deleted meanwhile, or a link to something that is not a file
	}
	if err != nil {
		return err
	}
	info := store.ObjectInfo{Key: key}
	if len(w.found) < w.want-1 { // the extra entry only tells that more exist
		side, found, err := w.s.readSidecar(key, fileID(fi))
		if err != nil {
			return err
		}
		info = objectInfo(key, fi, side, found)
	}
	w.found = append(w.found, info)
	if len(w.found) >= w.want {
		return errListFull
	}
	return nil
}
