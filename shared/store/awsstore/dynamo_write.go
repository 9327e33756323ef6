package awsstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/magpie-sdc/magpie/shared/store"
)

const maxTransactOps = 100 // DynamoDB's TransactWriteItems limit

// Transact applies ops atomically with TransactWriteItems. A cancellation
// because a condition failed is ErrConditionFailed; a cancellation because
// another transaction was touching the same items (TransactionConflict) is
// returned as is: nothing was written, and the caller may retry.
func (s *TableStore) Transact(ctx context.Context, ops []store.WriteOp) error {
	if len(ops) == 0 {
		return nil
	}
	if len(ops) > maxTransactOps {
		return invalidf("transaction of %d operations (at most %d)", len(ops), maxTransactOps)
	}
	items := make([]types.TransactWriteItem, len(ops))
	seen := map[string]bool{}
	for i, op := range ops {
		twi, id, err := s.transactItem(ctx, op)
		if err != nil {
			return fmt.Errorf("transact: operation %d: %w", i, err)
		}
		if seen[id] {
			return invalidf("transact: operation %d touches an item an earlier one does", i)
		}
		seen[id] = true
		items[i] = twi
	}
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		var codes []string
		for _, r := range tce.CancellationReasons {
			codes = append(codes, aws.ToString(r.Code))
		}
		for _, c := range codes {
			switch c {
			case "ConditionalCheckFailed":
				return fmt.Errorf("transact: %w", also(store.ErrConditionFailed, err))
			case "ValidationError", "ItemCollectionSizeLimitExceeded":
				return fmt.Errorf("transact: %w", also(store.ErrInvalid, err))
			}
		}
		return fmt.Errorf("transact: cancelled (%s): %w", strings.Join(codes, ", "), err)
	}
	return fmt.Errorf("transact: %w", mapDynamoErr(err))
}

// transactItem converts one op and returns an identity of the item it
// touches (table and key), to refuse two ops on one item as DynamoDB does.
func (s *TableStore) transactItem(ctx context.Context, op store.WriteOp) (types.TransactWriteItem, string, error) {
	var twi types.TransactWriteItem
	actions := 0
	for _, set := range []bool{op.Put != nil, op.Delete != nil, op.Check != nil} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		return twi, "", invalidf("%d actions (want exactly one of Put, Delete, Check)", actions)
	}
	sc, err := s.schema(ctx, op.Table)
	if err != nil {
		return twi, "", err
	}
	ce, err := sc.condition(op.Cond)
	if err != nil {
		return twi, "", err
	}
	var k store.Key
	switch {
	case op.Put != nil:
		if k, err = sc.checkItem(op.Put); err != nil {
			return twi, "", err
		}
		av, err := encodeItem(op.Put)
		if err != nil {
			return twi, "", err
		}
		twi.Put = &types.Put{TableName: &sc.table, Item: av, ConditionExpression: ce.expr, ExpressionAttributeNames: ce.names, ExpressionAttributeValues: ce.values}
	case op.Delete != nil:
		k = *op.Delete
		key, err := sc.keyOf(k)
		if err != nil {
			return twi, "", err
		}
		twi.Delete = &types.Delete{TableName: &sc.table, Key: key, ConditionExpression: ce.expr, ExpressionAttributeNames: ce.names, ExpressionAttributeValues: ce.values}
	default:
		if ce.expr == nil {
			return twi, "", invalidf("condition check without a condition")
		}
		k = *op.Check
		key, err := sc.keyOf(k)
		if err != nil {
			return twi, "", err
		}
		twi.ConditionCheck = &types.ConditionCheck{TableName: &sc.table, Key: key, ConditionExpression: ce.expr, ExpressionAttributeNames: ce.names, ExpressionAttributeValues: ce.values}
	}
	return twi, sc.table + "\x00" + k.PK + "\x00" + k.SK, nil
}

// BatchPut limits. BatchWriteItem takes 25 requests; items DynamoDB could
// not write for lack of capacity come back as UnprocessedItems and are
// retried with back-off, at most batchAttempts times per chunk. (Throttling
// errors of the call itself are the SDK retryer's business: see
// LoadConfig.)
const (
	batchSize      = 25
	batchAttempts  = 10
	batchBaseDelay = 50 * time.Millisecond
	batchMaxDelay  = 5 * time.Second
)

// batchBackoff is exponential with full jitter: a random wait up to
// 50 ms·2^(attempt-1), capped at 5 s (AWS's advice for unprocessed items).
func batchBackoff(attempt int) time.Duration {
	ceiling := batchMaxDelay
	if attempt < 8 {
		ceiling = min(batchBaseDelay<<(attempt-1), batchMaxDelay)
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// BatchPut writes items without conditions, 25 per BatchWriteItem. All items
// are validated before anything is written. BatchWriteItem refuses two
// requests for one key, so for a key given twice the last item wins, as
// sequential puts would do.
func (s *TableStore) BatchPut(ctx context.Context, table string, items []store.Item) error {
	if len(items) == 0 {
		return nil
	}
	sc, err := s.schema(ctx, table)
	if err != nil {
		return fmt.Errorf("batch put: %w", err)
	}
	type entry struct {
		key store.Key
		av  map[string]types.AttributeValue
	}
	last := map[store.Key]int{}
	entries := make([]entry, len(items))
	for i, it := range items {
		k, err := sc.checkItem(it)
		if err != nil {
			return fmt.Errorf("batch put %s: item %d: %w", table, i, err)
		}
		av, err := encodeItem(it)
		if err != nil {
			return fmt.Errorf("batch put %s: item %d: %w", table, i, err)
		}
		entries[i] = entry{k, av}
		last[k] = i
	}
	var reqs []types.WriteRequest
	for i, e := range entries {
		if last[e.key] == i {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: e.av}})
		}
	}
	for start := 0; start < len(reqs); start += batchSize {
		chunk := reqs[start:min(start+batchSize, len(reqs))]
		if err := s.writeChunk(ctx, sc.table, chunk); err != nil {
			return fmt.Errorf("batch put %s: items %d to %d of %d: %w", table, start, start+len(chunk)-1, len(reqs), err)
		}
	}
	return nil
}

// writeChunk writes up to 25 requests, retrying the unprocessed ones.
func (s *TableStore) writeChunk(ctx context.Context, table string, reqs []types.WriteRequest) error {
	for attempt := 1; ; attempt++ {
		out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			return mapDynamoErr(err)
		}
		reqs = out.UnprocessedItems[table]
		if len(reqs) == 0 {
			return nil
		}
		if attempt == batchAttempts {
			return fmt.Errorf("%d items still unprocessed after %d attempts", len(reqs), batchAttempts)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d items unprocessed: %w", len(reqs), ctx.Err())
		case <-s.clock.After(s.backoff(attempt)):
		}
	}
}
