package awsstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Paging. DynamoDB's Limit caps the items *evaluated* per call and a call
// also stops at 1 MB, and it returns LastEvaluatedKey whenever it stopped
// early, even if nothing follows, so a page boundary can fall at the end
// and the next call return nothing. The port promises instead: at most
// Limit items per page, a cursor only when more items follow (never an
// empty page after a cursor), and no limit when Limit <= 0. So a page asks
// for Limit+1 items (calling again after a 1 MB stop), returns Limit of
// them, and makes the cursor from the last item returned; with no limit it
// reads to the end. Queries carry no filter, so evaluated = returned.

// fetchFunc makes one Query or Scan call from start (nil: the beginning)
// asking for at most limit items (nil: no limit).
type fetchFunc func(ctx context.Context, start map[string]types.AttributeValue, limit *int32) ([]map[string]types.AttributeValue, map[string]types.AttributeValue, error)

func (sc *schema) page(ctx context.Context, index string, cursor string, limit int, fetch fetchFunc) (store.Page, error) {
	attrs := sc.keyAttrs(index)
	start, err := decodeCursor(cursor, attrs)
	if err != nil {
		return store.Page{}, err
	}
	var raw []map[string]types.AttributeValue
	for {
		var lim *int32
		if limit > 0 {
			lim = aws.Int32(int32(limit + 1 - len(raw)))
		}
		items, next, err := fetch(ctx, start, lim)
		if err != nil {
			return store.Page{}, err
		}
		raw = append(raw, items...)
		if len(next) == 0 || (limit > 0 && len(raw) > limit) {
			break
		}
		start = next
	}
	var page store.Page
	if limit > 0 && len(raw) > limit {
		raw = raw[:limit]
		c, err := encodeCursor(raw[limit-1], attrs)
		if err != nil {
			return store.Page{}, err
		}
		page.Cursor = c
	}
	page.Items = make([]store.Item, len(raw))
	for i, r := range raw {
		if page.Items[i], err = decodeItem(r); err != nil {
			return store.Page{}, err
		}
	}
	return page, nil
}

// A cursor is the base64url JSON of the key attributes of the last item of
// the previous page: what ExclusiveStartKey needs. All key attributes are
// strings, so the JSON is a flat object of strings.
func encodeCursor(item map[string]types.AttributeValue, attrs []string) (string, error) {
	key := make(map[string]string, len(attrs))
	for _, a := range attrs {
		s, ok := item[a].(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("item has no string key attribute %q for the cursor", a)
		}
		key[a] = s.Value
	}
	b, err := json.Marshal(key)
	if err != nil {
		return "", fmt.Errorf("cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func decodeCursor(cursor string, attrs []string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var key map[string]string
	if err == nil {
		err = json.Unmarshal(b, &key)
	}
	if err != nil || len(key) != len(attrs) {
		return nil, invalidf("cursor %q is not one this query made", cursor)
	}
	start := make(map[string]types.AttributeValue, len(attrs))
	for _, a := range attrs {
		v, ok := key[a]
		if !ok || v == "" {
			return nil, invalidf("cursor %q is not one this query made", cursor)
		}
		start[a] = &types.AttributeValueMemberS{Value: v}
	}
	return start, nil
}

// Query reads one partition of the table or of an index in sort-key order.
func (s *TableStore) Query(ctx context.Context, table string, q store.Query) (store.Page, error) {
	sc, err := s.schema(ctx, table)
	if err != nil {
		return store.Page{}, fmt.Errorf("query: %w", err)
	}
	in, err := sc.queryInput(q)
	if err != nil {
		return store.Page{}, fmt.Errorf("query %s: %w", table, err)
	}
	page, err := sc.page(ctx, q.Index, q.Cursor, q.Limit, func(ctx context.Context, start map[string]types.AttributeValue, limit *int32) ([]map[string]types.AttributeValue, map[string]types.AttributeValue, error) {
		call := *in
		call.ExclusiveStartKey, call.Limit = start, limit
		out, err := s.client.Query(ctx, &call)
		if err != nil {
			return nil, nil, mapDynamoErr(err)
		}
		return out.Items, out.LastEvaluatedKey, nil
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("query %s: %w", table, err)
	}
	return page, nil
}

// queryInput validates q and builds its QueryInput (without paging).
func (sc *schema) queryInput(q store.Query) (*dynamodb.QueryInput, error) {
	if q.PK == "" {
		return nil, invalidf("query without a partition key")
	}
	for _, s := range []string{q.PK, q.SKFrom, q.SKTo, q.SKPrefix} {
		if !utf8.ValidString(s) {
			return nil, invalidf("query key %q is not UTF-8", s)
		}
	}
	ks := keys{sc.pk, sc.sk}
	in := &dynamodb.QueryInput{TableName: &sc.table, ScanIndexForward: aws.Bool(!q.Descending)}
	if q.Index != "" {
		ix, ok := sc.indexes[q.Index]
		if !ok {
			return nil, invalidf("no index %q", q.Index)
		}
		ks, in.IndexName = ix, aws.String(q.Index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	ranged := q.SKFrom != "" || q.SKTo != "" || q.SKPrefix != ""
	switch {
	case ranged && ks.sk == "":
		return nil, invalidf("sort-key condition on a key space without a sort key")
	case q.SKPrefix != "" && (q.SKFrom != "" || q.SKTo != ""):
		return nil, invalidf("SKPrefix combined with SKFrom or SKTo")
	case q.SKFrom != "" && q.SKTo != "" && q.SKFrom > q.SKTo:
		return nil, invalidf("SKFrom %q after SKTo %q", q.SKFrom, q.SKTo)
	}
	expr := "#pk = :pk"
	in.ExpressionAttributeNames = map[string]string{"#pk": ks.pk}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: q.PK}}
	str := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	switch {
	case q.SKPrefix != "":
		expr += " AND begins_with(#sk, :p)"
		in.ExpressionAttributeValues[":p"] = str(q.SKPrefix)
	case q.SKFrom != "" && q.SKTo != "":
		expr += " AND #sk BETWEEN :from AND :to"
		in.ExpressionAttributeValues[":from"], in.ExpressionAttributeValues[":to"] = str(q.SKFrom), str(q.SKTo)
	case q.SKFrom != "":
		expr += " AND #sk >= :from"
		in.ExpressionAttributeValues[":from"] = str(q.SKFrom)
	case q.SKTo != "":
		expr += " AND #sk <= :to"
		in.ExpressionAttributeValues[":to"] = str(q.SKTo)
	}
	if ranged {
		in.ExpressionAttributeNames["#sk"] = ks.sk
	}
	in.KeyConditionExpression = &expr
	return in, nil
}

// Scan pages through the whole table. The order is DynamoDB's (by hash of
// the partition key, then sort key), not the key order the local adapter
// gives: DynamoDB has no ordered scan.
func (s *TableStore) Scan(ctx context.Context, table string, cursor string, limit int) (store.Page, error) {
	sc, err := s.schema(ctx, table)
	if err != nil {
		return store.Page{}, fmt.Errorf("scan: %w", err)
	}
	page, err := sc.page(ctx, "", cursor, limit, func(ctx context.Context, start map[string]types.AttributeValue, limit *int32) ([]map[string]types.AttributeValue, map[string]types.AttributeValue, error) {
		out, err := s.client.Scan(ctx, &dynamodb.ScanInput{TableName: &sc.table, ExclusiveStartKey: start, Limit: limit, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, nil, mapDynamoErr(err)
		}
		return out.Items, out.LastEvaluatedKey, nil
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("scan %s: %w", table, err)
	}
	return page, nil
}

var _ store.Counter = (*TableStore)(nil)

// Count counts the items of a query with Select COUNT, following
// DynamoDB's pages (each reads at most 1 MB): nothing is transferred but
// the counts.
func (s *TableStore) Count(ctx context.Context, table string, q store.Query) (int, error) {
	sc, err := s.schema(ctx, table)
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	in, err := sc.queryInput(q)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	in.Select = types.SelectCount
	n := 0
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return n, fmt.Errorf("count %s: %w", table, mapDynamoErr(err))
		}
		n += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return n, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
