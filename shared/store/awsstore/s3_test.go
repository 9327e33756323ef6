package awsstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/storetest"
)

// newBucket creates an empty bucket on the emulator, emptied and removed
// when the test ends.
func newBucket(t *testing.T, client *s3.Client) string {
	t.Helper()
	ctx := context.Background()
	bucket := uniqueName("magpie-test-")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Cleanup(func() {
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Logf("cleanup list: %v", err)
				return
			}
			var ids []types.ObjectIdentifier
			for _, o := range page.Contents {
				ids = append(ids, types.ObjectIdentifier{Key: o.Key})
			}
			if len(ids) > 0 {
				client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: ids}})
			}
		}
		client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
	})
	return bucket
}

func TestS3Contract(t *testing.T) {
	client := emulatorS3(t)
	storetest.ObjectStoreContract(t, func(t *testing.T) store.ObjectStore {
		// moto ignores If-None-Match on CopyObject; AWS does not need this.
		return NewObjectStore(client, newBucket(t, client), WithCreateOnlyCopyPrecheck())
	})
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestS3Multipart drives the multipart path with S3's smallest parts.
func TestS3Multipart(t *testing.T) {
	client := emulatorS3(t)
	ctx := context.Background()
	s := NewObjectStore(client, newBucket(t, client), WithMultipart(minPartSize, minPartSize))
	data := randomBytes(2*minPartSize+12345, 3)

	t.Run("with digest", func(t *testing.T) {
		info, err := s.Put(ctx, "big/with-sum", bytes.NewReader(data), store.PutOptions{SHA256: hexSum(data), CreateOnly: true, StorageClass: store.ClassGlacierIR, Metadata: map[string]string{"a": "b"}, Tags: map[string]string{"level": "l1b"}})
		if err != nil {
			t.Fatal(err)
		}
		if info.SHA256 != hexSum(data) || info.Size != int64(len(data)) {
			t.Fatalf("Put info %+v", info)
		}
		if h, err := s.Head(ctx, "big/with-sum"); err != nil || h.Tags["level"] != "l1b" || len(h.Tags) != 1 {
			t.Fatalf("Head of a tagged multipart object: tags %v, %v; want level=l1b", h.Tags, err)
		}
		rc, ginfo, err := s.Get(ctx, "big/with-sum", nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes (%v), want the %d put", len(got), err, len(data))
		}
		if ginfo.SHA256 != hexSum(data) || ginfo.StorageClass != store.ClassGlacierIR || ginfo.Metadata["a"] != "b" {
			t.Fatalf("Get info %+v", ginfo)
		}
	})
	t.Run("create-only on a taken key", func(t *testing.T) {
		_, err := s.Put(ctx, "big/with-sum", bytes.NewReader(data), store.PutOptions{CreateOnly: true})
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("second create-only multipart put: %v, want ErrExists", err)
		}
	})
	t.Run("without digest", func(t *testing.T) {
		info, err := s.Put(ctx, "big/no-sum", bytes.NewReader(data), store.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if info.SHA256 != hexSum(data) {
			t.Fatalf("Put computed %s, want %s", info.SHA256, hexSum(data))
		}
		h, err := s.Head(ctx, "big/no-sum")
		if err != nil || h.Size != int64(len(data)) {
			t.Fatalf("Head: %+v, %v", h, err)
		}
	})
	t.Run("digest mismatch stores nothing", func(t *testing.T) {
		_, err := s.Put(ctx, "big/bad", bytes.NewReader(data), store.PutOptions{SHA256: hexSum([]byte("other"))})
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("mismatched multipart put: %v, want ErrInvalid", err)
		}
		if _, err := s.Head(ctx, "big/bad"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Head after failed put: %v, want ErrNotFound", err)
		}
		ups, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &s.bucket})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) != 0 {
			t.Fatalf("%d multipart uploads left behind, want them aborted", len(ups.Uploads))
		}
	})
}

// TestS3Archive: archived objects cannot be read until restored (moto
// restores at once; S3 takes minutes to hours).
func TestS3Archive(t *testing.T) {
	client := emulatorS3(t)
	ctx := context.Background()
	s := NewObjectStore(client, newBucket(t, client))
	for _, class := range []string{store.ClassStandard, store.ClassGlacier} {
		if _, err := s.Put(ctx, class, bytes.NewReader([]byte("x")), store.PutOptions{StorageClass: class}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Restore(ctx, store.ClassStandard, 1, ""); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Restore of a STANDARD object: %v, want ErrInvalid", err)
	}
	st, err := s.Archive(ctx, store.ClassStandard)
	if err != nil || st.Archived || !st.Readable() {
		t.Fatalf("Archive of a STANDARD object: %+v, %v", st, err)
	}

	st, err = s.Archive(ctx, store.ClassGlacier)
	if err != nil || !st.Archived || st.Readable() || st.StorageClass != store.ClassGlacier {
		t.Fatalf("Archive of a GLACIER object: %+v, %v", st, err)
	}
	if _, _, err := s.Get(ctx, store.ClassGlacier, nil); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Get of an archived object: %v, want ErrInvalid", err)
	}
	for _, tc := range []struct {
		days int
		tier string
	}{{0, TierBulk}, {1, "Fast"}} {
		if err := s.Restore(ctx, store.ClassGlacier, tc.days, tc.tier); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Restore(%d, %q): %v, want ErrInvalid", tc.days, tc.tier, err)
		}
	}
	for range 2 { // asking twice is fine
		if err := s.Restore(ctx, store.ClassGlacier, 2, TierBulk); err != nil {
			t.Fatalf("Restore: %v", err)
		}
	}
	st, err = s.Archive(ctx, store.ClassGlacier)
	if err != nil || !st.Readable() || st.RestoredUntil.IsZero() {
		t.Fatalf("Archive after restore: %+v, %v", st, err)
	}
	rc, _, err := s.Get(ctx, store.ClassGlacier, nil)
	if err != nil {
		t.Fatalf("Get after restore: %v", err)
	}
	rc.Close()
	if err := s.Restore(ctx, "missing", 1, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Restore of a missing key: %v, want ErrNotFound", err)
	}
}

func TestParseRestore(t *testing.T) {
	for _, tc := range []struct {
		h       string
		ongoing bool
		until   string
	}{
		{"", false, ""},
		{`ongoing-request="true"`, true, ""},
		{`ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`, false, "2012-12-21T00:00:00Z"},
		{`ongoing-request="false", expiry-date="garbage"`, false, ""},
	} {
		ongoing, until := parseRestore(tc.h)
		got := ""
		if !until.IsZero() {
			got = until.Format("2006-01-02T15:04:05Z07:00")
		}
		if ongoing != tc.ongoing || got != tc.until {
			t.Errorf("parseRestore(%q) = %v, %q; want %v, %q", tc.h, ongoing, got, tc.ongoing, tc.until)
		}
	}
}

func TestCopySource(t *testing.T) {
	for key, want := range map[string]string{
		"a/b.cdf":       "bkt/a/b.cdf",
		"a b+c/é":       "bkt/a%20b%2Bc/%C3%A9",
		"x?y#z&w=1~_-.": "bkt/x%3Fy%23z%26w%3D1~_-.",
	} {
		if got := copySource("bkt", key); got != want {
			t.Errorf("copySource(%q) = %q, want %q", key, got, want)
		}
	}
}
