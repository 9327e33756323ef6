package awsstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/magpie-sdc/magpie/shared/store"
)

// putMultipart uploads a large body in parts of s.partSize, one part in
// memory at a time. Each part carries its SHA-256 so S3 verifies it; the
// whole-object digest is computed on the way and checked against the
// expected one before completing, so a mismatch stores nothing.
//
// The whole-object digest is known before the upload starts only when the
// caller gave it (opts.SHA256); only then can it be stored as metadata,
// which S3 fixes at CreateMultipartUpload. Without it the object is stored
// without the sha256 metadata (Head reports no digest) and Put still
// returns the digest it computed. Archive writes always pass the digest.
//
// Create-only: a HEAD first saves uploading gigabytes for nothing when the
// key is taken; the atomic guard is If-None-Match on CompleteMultipartUpload.
// Any failure aborts the upload so no parts linger (and are billed).
func (s *ObjectStore) putMultipart(ctx context.Context, key string, body io.Reader, createOnly bool, meta putMeta) (store.ObjectInfo, error) {
	if createOnly {
		if err := s.mustBeFree(ctx, key); err != nil {
			return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
	}
	create := &s3.CreateMultipartUploadInput{
		Bucket:            &s.bucket,
		Key:               &key,
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		Metadata:          meta.s3Metadata(meta.sha256),
		StorageClass:      meta.class,
		Tagging:           meta.tagging(),
	}
	if meta.contentType != "" {
		create.ContentType = &meta.contentType
	}
	up, err := s.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("put %s: start multipart upload: %w", key, mapS3Err(err))
	}
	size, sum, err := s.uploadParts(ctx, key, up.UploadId, body, createOnly, meta.sha256)
	if err != nil {
		// Abort with a context of its own: ctx may be what failed.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		if _, aerr := s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: up.UploadId}); aerr != nil {
			err = errors.Join(err, fmt.Errorf("abort multipart upload %s: %w", aws.ToString(up.UploadId), aerr))
		}
		return store.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	return meta.info(key, size, sum, s.clock.Now()), nil
}

const abortTimeout = 30 * time.Second

// uploadParts sends the parts and completes the upload; it returns the size
// and hex digest of the whole body.
func (s *ObjectStore) uploadParts(ctx context.Context, key string, uploadID *string, body io.Reader, createOnly bool, wantSHA string) (int64, string, error) {
	var (
		whole hash.Hash = sha256.New()
		parts []types.CompletedPart
		size  int64
		buf   = make([]byte, s.partSize)
	)
	for n := int32(1); ; n++ {
		got, rerr := io.ReadFull(body, buf)
		if rerr != nil && rerr != io.ErrUnexpectedEOF && rerr != io.EOF {
			return 0, "", fmt.Errorf("read body: %w", rerr)
		}
		if got == 0 && n > 1 {
			break
		}
		if n > maxParts {
			return 0, "", invalidf("body over %d parts of %d bytes", maxParts, s.partSize)
		}
		part := buf[:got]
		whole.Write(part)
		size += int64(got)
		digest := sha256.Sum256(part)
		sum := base64.StdEncoding.EncodeToString(digest[:])
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:         &s.bucket,
			Key:            &key,
			UploadId:       uploadID,
			PartNumber:     aws.Int32(n),
			Body:           bytes.NewReader(part),
			ContentLength:  aws.Int64(int64(got)),
			ChecksumSHA256: &sum,
		})
		if err != nil {
			return 0, "", fmt.Errorf("upload part %d: %w", n, mapS3Err(err))
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n), ChecksumSHA256: &sum})
		if rerr != nil { // short read: that was the last part
			break
		}
	}
	sum := hex.EncodeToString(whole.Sum(nil))
	if wantSHA != "" && wantSHA != sum {
		return 0, "", invalidf("sha256 of the body is %s, expected %s", sum, wantSHA)
	}
	complete := &s3.CompleteMultipartUploadInput{
		Bucket:          &s.bucket,
		Key:             &key,
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	if createOnly {
		complete.IfNoneMatch = aws.String("*")
	}
	var err error
	for attempt := 0; ; attempt++ {
		_, err = s.client.CompleteMultipartUpload(ctx, complete)
		if !isConflict(err) || attempt == conflictRetries {
			break
		}
	}
	if err != nil {
		return 0, "", fmt.Errorf("complete multipart upload: %w", mapS3Err(err))
	}
	return size, sum, nil
}
