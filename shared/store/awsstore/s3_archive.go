package awsstore

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Restore tiers, as S3 names them: Expedited (minutes, GLACIER only),
// Standard (hours) and Bulk (cheapest, up to 48 h for DEEP_ARCHIVE).
const (
	TierExpedited = "Expedited"
	TierStandard  = "Standard"
	TierBulk      = "Bulk"
)

// ArchiveStatus tells whether an object's bytes can be read now.
type ArchiveStatus struct {
	StorageClass string
	// Archived: the object is in a class (GLACIER, DEEP_ARCHIVE, or an
	// Intelligent-Tiering archive tier) whose bytes need a restore to be read.
	Archived bool
	// RestoreOngoing: a restore was requested and is not finished.
	RestoreOngoing bool
	// RestoredUntil: when the restored copy expires (zero if none).
	RestoredUntil time.Time
}

// Readable reports whether Get can read the object now.
func (a ArchiveStatus) Readable() bool {
	return !a.Archived || (!a.RestoreOngoing && !a.RestoredUntil.IsZero())
}

// Archive returns the archive status of key.
func (s *ObjectStore) Archive(ctx context.Context, key string) (ArchiveStatus, error) {
	if err := checkKey(key); err != nil {
		return ArchiveStatus{}, fmt.Errorf("archive status: %w", err)
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return ArchiveStatus{}, fmt.Errorf("archive status %s: %w", key, mapS3Err(err))
	}
	st := ArchiveStatus{StorageClass: string(out.StorageClass)}
	if st.StorageClass == "" {
		st.StorageClass = store.ClassStandard
	}
	st.Archived = out.StorageClass == types.StorageClassGlacier || out.StorageClass == types.StorageClassDeepArchive || out.ArchiveStatus != ""
	st.RestoreOngoing, st.RestoredUntil = parseRestore(aws.ToString(out.Restore))
	return st, nil
}

var (
	ongoingRe = regexp.MustCompile(`ongoing-request="(true|false)"`)
	expiryRe  = regexp.MustCompile(`expiry-date="([^"]+)"`)
)

// parseRestore reads S3's x-amz-restore header:
// ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT".
func parseRestore(h string) (ongoing bool, until time.Time) {
	if m := ongoingRe.FindStringSubmatch(h); m != nil {
		ongoing = m[1] == "true"
	}
	if m := expiryRe.FindStringSubmatch(h); m != nil {
		if t, err := time.Parse(time.RFC1123, m[1]); err == nil {
			until = t.UTC()
		}
	}
	return ongoing, until
}

// Restore asks S3 to make a readable copy of an archived object for days
// days, with tier TierExpedited, TierStandard (default when "") or TierBulk.
// Asking again while a restore is running is not an error. Objects not in
// an archive class give ErrInvalid.
func (s *ObjectStore) Restore(ctx context.Context, key string, days int, tier string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if days < 1 {
		return invalidf("restore %s: %d days", key, days)
	}
	switch tier {
	case "":
		tier = TierStandard
	case TierExpedited, TierStandard, TierBulk:
	default:
		return invalidf("restore %s: tier %q (want %s, %s or %s)", key, tier, TierExpedited, TierStandard, TierBulk)
	}
	_, err := s.client.RestoreObject(ctx, &s3.RestoreObjectInput{
		Bucket: &s.bucket,
		Key:    &key,
		RestoreRequest: &types.RestoreRequest{
			Days:                 aws.Int32(int32(days)),
			GlacierJobParameters: &types.GlacierJobParameters{Tier: types.Tier(tier)},
		},
	})
	if err != nil {
		if apiCode(err) == "RestoreAlreadyInProgress" {
			return nil
		}
		return fmt.Errorf("restore %s: %w", key, mapS3Err(err))
	}
	return nil
}
