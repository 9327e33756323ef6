package awsstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/magpie-sdc/magpie/shared/store"
)

var _ store.Tagger = (*ObjectStore)(nil)

// SetTags replaces the tags of the existing object key with PutObjectTagging
// (DeleteObjectTagging when tags is empty). Unlike a copy onto itself it
// neither rewrites the bytes nor resets the object's age, which lifecycle
// transitions count from, and it works on objects already in Glacier classes.
func (s *ObjectStore) SetTags(ctx context.Context, key string, tags map[string]string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("set tags: %w", err)
	}
	if err := store.CheckTags(tags); err != nil {
		return fmt.Errorf("set tags %s: %w", key, err)
	}
	if len(tags) == 0 {
		if _, err := s.client.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &s.bucket, Key: &key}); err != nil {
			return fmt.Errorf("set tags %s: %w", key, mapS3Err(err))
		}
		return nil
	}
	set := make([]types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		set = append(set, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	_, err := s.client.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &s.bucket, Key: &key, Tagging: &types.Tagging{TagSet: set}})
	if err != nil {
		return fmt.Errorf("set tags %s: %w", key, mapS3Err(err))
	}
	return nil
}
