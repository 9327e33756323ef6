package awsstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
)

const (
	// shaMetaKey is the user-metadata key (x-amz-meta-sha256) holding the
	// hex SHA-256 of the object's bytes. S3's own checksums are base64 and,
	// for multipart objects, a checksum of part checksums, so the whole-object
	// digest the catalog records is kept here.
	shaMetaKey = "sha256"

	defaultMultipartThreshold = 64 << 20
	defaultPartSize           = 16 << 20
	minPartSize               = 5 << 20 // S3's minimum for all parts but the last
	maxParts                  = 10000
	maxCopySize               = 5 << 30 // CopyObject's limit
	maxMetadataLen            = 2048    // bytes of user metadata S3 accepts
	maxKeyLen                 = 1024

	// conflictRetries bounds the retries of a conditional put S3 answered
	// with 409 ConditionalRequestConflict (a concurrent conditional write to
	// the same key was in flight); the retry then sees 412 or succeeds.
	conflictRetries = 5
)

// ObjectStore is store.ObjectStore on one S3 bucket.
type ObjectStore struct {
	client    *s3.Client
	bucket    string
	clock     clock.Clock
	threshold int64
	partSize  int64
	// precheckCopy: see WithCreateOnlyCopyPrecheck.
	precheckCopy bool
}

// ObjectOption configures an ObjectStore.
type ObjectOption func(*ObjectStore)

// WithObjectClock sets the clock giving Put's ModTime (default clock.Real).
func WithObjectClock(c clock.Clock) ObjectOption { return func(s *ObjectStore) { s.clock = c } }

// WithMultipart sets the size above which Put uploads in parts, and the part
// size (S3 requires parts of at least 5 MiB). Defaults: 64 MiB, 16 MiB.
func WithMultipart(threshold, partSize int64) ObjectOption {
	return func(s *ObjectStore) {
		s.threshold = max(threshold, 0)
		s.partSize = max(partSize, minPartSize)
	}
}

// WithCreateOnlyCopyPrecheck makes a create-only Copy check with HEAD that the
// destination is free before copying. AWS S3 enforces If-None-Match on
// CopyObject atomically, so production does not need it; moto 5 ignores
// that header on CopyObject, and this restores the semantics there (not
// atomically: two racing copies can both pass the check).
func WithCreateOnlyCopyPrecheck() ObjectOption { return func(s *ObjectStore) { s.precheckCopy = true } }

// NewObjectStore returns the ObjectStore of bucket.
func NewObjectStore(client *s3.Client, bucket string, opts ...ObjectOption) *ObjectStore {
	s := &ObjectStore{client: client, bucket: bucket, clock: clock.Real{}, threshold: defaultMultipartThreshold, partSize: defaultPartSize}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ store.ObjectStore = (*ObjectStore)(nil)

func checkKey(key string) error {
	if key == "" || len(key) > maxKeyLen || !utf8.ValidString(key) {
		return invalidf("object key %q: want 1 to %d bytes of UTF-8", key, maxKeyLen)
	}
	return nil
}

// putMeta is the validated, S3-ready form of PutOptions.
type putMeta struct {
	class       types.StorageClass
	contentType string
	metadata    map[string]string // user metadata, keys lower-cased
	sha256      string            // expected digest (hex), or ""
	tags        map[string]string // nil: none on a put, the source's on a copy
}

func newPutMeta(opts store.PutOptions) (putMeta, error) {
	m := putMeta{class: types.StorageClassStandard, contentType: opts.ContentType}
	switch opts.StorageClass {
	case "":
	case store.ClassStandard, store.ClassIntelligentTiered, store.ClassGlacierIR, store.ClassGlacier, store.ClassDeepArchive:
		m.class = types.StorageClass(opts.StorageClass)
	default:
		return m, invalidf("storage class %q", opts.StorageClass)
	}
	if len(opts.Metadata) > 0 {
		m.metadata = make(map[string]string, len(opts.Metadata))
		total := 0
		for k, v := range opts.Metadata {
			lk := strings.ToLower(k)
			if k == "" || !isToken(k) || !utf8.ValidString(v) {
				return m, invalidf("metadata key %q", k)
			}
			if lk == shaMetaKey {
				return m, invalidf("metadata key %q is reserved for the object's digest", k)
			}
			m.metadata[lk] = v
			total += len(k) + len(v)
		}
		if total > maxMetadataLen {
			return m, invalidf("metadata of %d bytes exceeds %d", total, maxMetadataLen)
		}
	}
	if err := store.CheckTags(opts.Tags); err != nil {
		return m, err
	}
	m.tags = maps.Clone(opts.Tags)
	if opts.SHA256 != "" {
		sum := strings.ToLower(opts.SHA256)
		if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
			return m, invalidf("sha256 %q is not 64 hex digits", opts.SHA256)
		}
		m.sha256 = sum
	}
	return m, nil
}

// isToken reports whether s can be an HTTP header name suffix.
func isToken(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// s3Metadata is the metadata sent to S3: the user's plus the digest.
func (m putMeta) s3Metadata(sum string) map[string]string {
	md := maps.Clone(m.metadata)
	if sum != "" {
		if md == nil {
			md = map[string]string{}
		}
		md[shaMetaKey] = sum
	}
	return md
}

func (m putMeta) info(key string, size int64, sum string, now time.Time) store.ObjectInfo {
	ct := m.contentType
	if ct == "" {
		ct = "binary/octet-stream" // what S3 reports for objects stored without one
	}
	info := store.ObjectInfo{Key: key, Size: size, ModTime: now, SHA256: sum, StorageClass: string(m.class), ContentType: ct, Metadata: maps.Clone(m.metadata)}
	if len(m.tags) > 0 {
		info.Tags = maps.Clone(m.tags)
	}
	return info
}

// tagging is the x-amz-tagging header value: the tags as URL query
// parameters, in key order, spaces as %20; nil when there are none.
func (m putMeta) tagging() *string {
	if len(m.tags) == 0 {
		return nil
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m.tags)) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(queryEscape(k))
		b.WriteByte('=')
		b.WriteString(queryEscape(m.tags[k]))
	}
	return aws.String(b.String())
}

// queryEscape escapes s for a query string with spaces as %20: S3 reads the
// tagging header that way, and a literal + is already escaped as %2B.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Put stores r under key. Bodies up to the multipart threshold are read into
// memory, hashed, checked against opts.SHA256 and sent in one PutObject with
// x-amz-checksum-sha256, so S3 verifies what it received; larger bodies go
// up in parts (see putMultipart). CreateOnly is If-None-Match: *.
func (s *ObjectStore) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put: %w", err)
	}
	meta, err := newPutMeta(opts)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	head, err := io.ReadAll(io.LimitReader(r, s.threshold+1))
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: read body: %w", key, err)
	}
	if int64(len(head)) > s.threshold {
		return s.putMultipart(ctx, key, io.MultiReader(bytes.NewReader(head), r), opts.CreateOnly, meta)
	}
	digest := sha256.Sum256(head)
	sum := hex.EncodeToString(digest[:])
	if meta.sha256 != "" && meta.sha256 != sum {
		return store.ObjectInfo{}, invalidf("put %s: sha256 of the body is %s, expected %s", key, sum, meta.sha256)
	}
	in := &s3.PutObjectInput{
		Bucket:         &s.bucket,
		Key:            &key,
		Body:           bytes.NewReader(head),
		ContentLength:  aws.Int64(int64(len(head))),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(digest[:])),
		Metadata:       meta.s3Metadata(sum),
		StorageClass:   meta.class,
		Tagging:        meta.tagging(),
	}
	if meta.contentType != "" {
		in.ContentType = &meta.contentType
	}
	if opts.CreateOnly {
		in.IfNoneMatch = aws.String("*")
	}
	for attempt := 0; ; attempt++ {
		in.Body = bytes.NewReader(head)
		_, err = s.client.PutObject(ctx, in)
		if !isConflict(err) || attempt == conflictRetries {
			break
		}
	}
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, mapS3Err(err))
	}
	return meta.info(key, int64(len(head)), sum, s.clock.Now()), nil
}

// isConflict: S3 refused a conditional write because another conditional
// write to the key was in progress; the request may be retried.
func isConflict(err error) bool {
	return err != nil && (apiCode(err) == "ConditionalRequestConflict" || httpStatus(err) == http.StatusConflict)
}

// mapS3Err turns S3 errors into the port's errors.
func mapS3Err(err error) error {
	switch code := apiCode(err); {
	case code == "NoSuchKey" || code == "NotFound" || httpStatus(err) == http.StatusNotFound && code != "NoSuchBucket":
		return also(store.ErrNotFound, err)
	case code == "PreconditionFailed" || httpStatus(err) == http.StatusPreconditionFailed:
		return also(store.ErrExists, err)
	case code == "InvalidRange" || httpStatus(err) == http.StatusRequestedRangeNotSatisfiable:
		return also(store.ErrInvalid, err)
	case code == "InvalidObjectState":
		return fmt.Errorf("object is archived (restore it first): %w", also(store.ErrInvalid, err))
	case code == "InvalidStorageClass" || code == "InvalidArgument" || code == "BadDigest" || code == "KeyTooLongError" || code == "InvalidRequest":
		return also(store.ErrInvalid, err)
	}
	return err
}

// Get opens key, or the byte range rng of it. Ranges are checked before the
// request where possible; a range starting at or past the end (including any
// range of an empty object) is ErrInvalid, as S3's 416.
func (s *ObjectStore) Get(ctx context.Context, key string, rng *store.Range) (io.ReadCloser, store.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("get: %w", err)
	}
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if rng != nil {
		if rng.Start < 0 || (rng.End >= 0 && rng.End < rng.Start) {
			return nil, store.ObjectInfo{}, invalidf("get %s: range %d-%d", key, rng.Start, rng.End)
		}
		if rng.End < 0 {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-", rng.Start))
		} else {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", rng.Start, rng.End))
		}
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("get %s: %w", key, mapS3Err(err))
	}
	info := objectInfo(key, aws.ToInt64(out.ContentLength), out.LastModified, out.StorageClass, out.ContentType, out.Metadata)
	if rng != nil {
		total, ok := rangeTotal(aws.ToString(out.ContentRange))
		if !ok {
			out.Body.Close()
			return nil, store.ObjectInfo{}, fmt.Errorf("get %s: unexpected Content-Range %q", key, aws.ToString(out.ContentRange))
		}
		info.Size = total
	}
	return out.Body, info, nil
}

// rangeTotal reads the object size from a Content-Range "bytes a-b/total".
func rangeTotal(cr string) (int64, bool) {
	_, total, ok := strings.Cut(cr, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	return n, err == nil
}

func objectInfo(key string, size int64, mod *time.Time, class types.StorageClass, ct *string, md map[string]string) store.ObjectInfo {
	info := store.ObjectInfo{Key: key, Size: size, ModTime: aws.ToTime(mod), StorageClass: string(class), ContentType: aws.ToString(ct)}
	if info.StorageClass == "" {
		info.StorageClass = store.ClassStandard // S3 omits the header for STANDARD
	}
	for k, v := range md {
		k = strings.ToLower(k)
		if k == shaMetaKey {
			info.SHA256 = v
			continue
		}
		if info.Metadata == nil {
			info.Metadata = map[string]string{}
		}
		info.Metadata[k] = v
	}
	return info
}

// Head describes key, with its tags: HeadObject tells how many the object
// has, and only a tagged object costs a GetObjectTagging as well.
func (s *ObjectStore) Head(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("head: %w", err)
	}
	info, _, err := s.head(ctx, key)
	return info, err
}

// head describes key and returns its ETag.
func (s *ObjectStore) head(ctx context.Context, key string) (store.ObjectInfo, string, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return store.ObjectInfo{}, "", fmt.Errorf("head %s: %w", key, mapS3Err(err))
	}
	info := objectInfo(key, aws.ToInt64(out.ContentLength), out.LastModified, out.StorageClass, out.ContentType, out.Metadata)
	if aws.ToInt32(out.TagCount) > 0 {
		if info.Tags, err = s.tags(ctx, key); err != nil {
			return store.ObjectInfo{}, "", err
		}
	}
	return info, aws.ToString(out.ETag), nil
}

// tags reads the tag set of key.
func (s *ObjectStore) tags(ctx context.Context, key string) (map[string]string, error) {
	out, err := s.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("head %s: tags: %w", key, mapS3Err(err))
	}
	if len(out.TagSet) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// List returns a page of keys under prefix in byte order. The continuation
// token is the last key of the previous page (S3's StartAfter), so a token
// stays valid whatever is written in between.
func (s *ObjectStore) List(ctx context.Context, prefix, token string, limit int) (store.ListPage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket, MaxKeys: aws.Int32(int32(limit))}
	if prefix != "" {
		in.Prefix = &prefix
	}
	if token != "" {
		in.StartAfter = &token
	}
	out, err := s.client.ListObjectsV2(ctx, in)
	if err != nil {
		return store.ListPage{}, fmt.Errorf("list %q: %w", prefix, mapS3Err(err))
	}
	var page store.ListPage
	for _, o := range out.Contents {
		info := store.ObjectInfo{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified), StorageClass: string(o.StorageClass)}
		if info.StorageClass == "" {
			info.StorageClass = store.ClassStandard
		}
		page.Objects = append(page.Objects, info)
	}
	if aws.ToBool(out.IsTruncated) && len(page.Objects) > 0 {
		page.Next = page.Objects[len(page.Objects)-1].Key
	}
	return page, nil
}

// Copy copies srcKey to dstKey inside the bucket with CopyObject. As S3 does,
// content type and user metadata come from the source unless opts sets
// either (then both come from opts); the digest always follows the bytes;
// tags are the source's unless opts.Tags is not nil (TaggingDirective COPY
// or REPLACE); the storage class is opts.StorageClass (default STANDARD).
// CreateOnly is If-None-Match: * on CopyObject. Sources over 5 GiB are refused (they need
// UploadPartCopy, which Magpie has had no use for).
func (s *ObjectStore) Copy(ctx context.Context, srcKey, dstKey string, opts store.PutOptions) (store.ObjectInfo, error) {
	if err := checkKey(srcKey); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy: %w", err)
	}
	if err := checkKey(dstKey); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy: %w", err)
	}
	meta, err := newPutMeta(opts)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("copy %s: %w", srcKey, err)
	}
	// The copy is guarded by the source's ETag, so the digest read by HEAD
	// is the digest of the bytes copied. A 412 is then either the source
	// changing under us (try again) or, when create-only, the destination
	// being taken: HEAD tells which.
	var (
		src store.ObjectInfo
		out *s3.CopyObjectOutput
	)
	for attempt := 0; ; attempt++ {
		src, out, err = s.copyOnce(ctx, srcKey, dstKey, opts, meta)
		if err == nil {
			break
		}
		if !errors.Is(err, errSourceChanged) || attempt == conflictRetries {
			return store.ObjectInfo{}, err
		}
	}
	if opts.ContentType == "" && opts.Metadata == nil {
		meta.contentType, meta.metadata = src.ContentType, src.Metadata
	}
	if opts.Tags == nil {
		meta.tags = src.Tags
	}
	info := meta.info(dstKey, src.Size, copyDigest(src, meta), s.clock.Now())
	if out.CopyObjectResult != nil && out.CopyObjectResult.LastModified != nil {
		info.ModTime = *out.CopyObjectResult.LastModified
	}
	return info, nil
}

// copyDigest is the digest of a copy: the source's, or the one the caller
// gave and verifySource checked by reading a source stored without one.
func copyDigest(src store.ObjectInfo, meta putMeta) string {
	if src.SHA256 != "" {
		return src.SHA256
	}
	return meta.sha256
}

var errSourceChanged = errors.New("copy source changed during the copy")

// copyOnce makes one guarded CopyObject attempt; see Copy.
func (s *ObjectStore) copyOnce(ctx context.Context, srcKey, dstKey string, opts store.PutOptions, meta putMeta) (store.ObjectInfo, *s3.CopyObjectOutput, error) {
	src, etag, err := s.head(ctx, srcKey)
	if err != nil {
		return src, nil, fmt.Errorf("copy: %w", err)
	}
	if src.Size > maxCopySize {
		return src, nil, invalidf("copy %s: %d bytes is over CopyObject's 5 GiB", srcKey, src.Size)
	}
	if meta.sha256 != "" {
		if err := s.verifySource(ctx, src, etag, meta.sha256); err != nil {
			return src, nil, fmt.Errorf("copy %s: %w", srcKey, err)
		}
	}
	if opts.ContentType == "" && opts.Metadata == nil {
		meta.contentType, meta.metadata = src.ContentType, src.Metadata
	}
	if opts.CreateOnly && s.precheckCopy {
		if err := s.mustBeFree(ctx, dstKey); err != nil {
			return src, nil, fmt.Errorf("copy %s: %w", srcKey, err)
		}
	}
	in := &s3.CopyObjectInput{
		Bucket:            &s.bucket,
		Key:               &dstKey,
		CopySource:        aws.String(copySource(s.bucket, srcKey)),
		CopySourceIfMatch: &etag,
		MetadataDirective: types.MetadataDirectiveReplace,
		Metadata:          meta.s3Metadata(copyDigest(src, meta)),
		StorageClass:      meta.class,
		TaggingDirective:  types.TaggingDirectiveCopy,
	}
	if opts.Tags != nil {
		in.TaggingDirective, in.Tagging = types.TaggingDirectiveReplace, meta.tagging()
	}
	if meta.contentType != "" {
		in.ContentType = &meta.contentType
	}
	if opts.CreateOnly {
		in.IfNoneMatch = aws.String("*")
	}
	var out *s3.CopyObjectOutput
	for attempt := 0; ; attempt++ {
		out, err = s.client.CopyObject(ctx, in)
		if !isConflict(err) || attempt == conflictRetries {
			break
		}
	}
	if err == nil {
		return src, out, nil
	}
	mapped := mapS3Err(err)
	if errors.Is(mapped, store.ErrExists) {
		if !opts.CreateOnly {
			return src, nil, fmt.Errorf("copy %s: %w", srcKey, errSourceChanged)
		}
		if ferr := s.mustBeFree(ctx, dstKey); ferr == nil {
			return src, nil, fmt.Errorf("copy %s: %w", srcKey, errSourceChanged)
		}
	}
	return src, nil, fmt.Errorf("copy %s to %s: %w", srcKey, dstKey, mapped)
}

// mustBeFree returns ErrExists if key holds an object.
func (s *ObjectStore) mustBeFree(ctx context.Context, key string) error {
	switch _, _, err := s.head(ctx, key); {
	case err == nil:
		return fmt.Errorf("%s: %w", key, store.ErrExists)
	case errors.Is(err, store.ErrNotFound):
		return nil
	default:
		return err
	}
}

// verifySource checks that the source object's bytes have digest want: from
// its recorded digest, or by reading it when it has none.
func (s *ObjectStore) verifySource(ctx context.Context, src store.ObjectInfo, etag, want string) error {
	if src.SHA256 != "" {
		if src.SHA256 != want {
			return invalidf("source sha256 is %s, expected %s", src.SHA256, want)
		}
		return nil
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &src.Key, IfMatch: &etag})
	if err != nil {
		if errors.Is(mapS3Err(err), store.ErrExists) { // 412: it changed since HEAD
			return errSourceChanged
		}
		return fmt.Errorf("read source to verify it: %w", mapS3Err(err))
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return fmt.Errorf("read source to verify it: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return invalidf("source sha256 is %s, expected %s", got, want)
	}
	return nil
}

// copySource is the x-amz-copy-source value: bucket/key, URL-encoded except
// for the slashes.
func copySource(bucket, key string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString(bucket)
	b.WriteByte('/')
	for _, c := range []byte(key) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-_.~/", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// Delete removes key; a missing key is not an error.
func (s *ObjectStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil {
		return fmt.Errorf("delete %s: %w", key, mapS3Err(err))
	}
	return nil
}
