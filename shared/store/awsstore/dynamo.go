package awsstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
)

// TableStore is store.TableStore on DynamoDB. Table names are the prefix
// followed by the spec's name, so one account holds several deployments
// (and each test its own tables).
//
// Reads of tables (Get, Query without an index, Scan) are strongly
// consistent, as the port promises read-your-writes; index queries cannot
// be (DynamoDB's GSIs are eventually consistent on AWS, synchronous in
// DynamoDB Local and moto), so code must not rely on reading its own write
// through an index.
type TableStore struct {
	client  *dynamodb.Client
	prefix  string
	clock   clock.Clock
	backoff func(attempt int) time.Duration

	mu      sync.Mutex
	schemas map[string]*schema // by spec name
}

// TableOption configures a TableStore.
type TableOption func(*TableStore)

// WithTableClock sets the clock that times BatchPut's back-off and
// EnsureTable's polling (default clock.Real).
func WithTableClock(c clock.Clock) TableOption { return func(s *TableStore) { s.clock = c } }

// WithBatchBackoff sets the wait before retry attempt (1, 2, ...) of a
// BatchPut's unprocessed items (default batchBackoff).
func WithBatchBackoff(f func(attempt int) time.Duration) TableOption {
	return func(s *TableStore) { s.backoff = f }
}

// NewTableStore returns a TableStore for the tables named prefix + spec name.
func NewTableStore(client *dynamodb.Client, prefix string, opts ...TableOption) *TableStore {
	s := &TableStore{client: client, prefix: prefix, clock: clock.Real{}, backoff: batchBackoff, schemas: map[string]*schema{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ store.TableStore = (*TableStore)(nil)

// schema is what the adapter needs to know of a table: its DynamoDB name
// and key attributes, and those of its indexes.
type schema struct {
	table   string // full DynamoDB name
	pk, sk  string
	indexes map[string]keys
}

type keys struct{ pk, sk string }

// keyAttrs lists the attributes of a key of the table (index == "") or of
// an index: the index's keys and then the table's, as LastEvaluatedKey has.
func (sc *schema) keyAttrs(index string) []string {
	attrs := []string{sc.pk}
	if sc.sk != "" {
		attrs = append(attrs, sc.sk)
	}
	if index == "" {
		return attrs
	}
	ix := sc.indexes[index]
	out := []string{ix.pk}
	if ix.sk != "" {
		out = append(out, ix.sk)
	}
	return append(out, attrs...)
}

// validName reports whether s is a valid DynamoDB table or index name: 3
// to 255 of A-Z a-z 0-9 _ . - (a loop: the equivalent regular expression
// costs ~1 ms of every function's cold start to compile).
func validName(s string) bool {
	if len(s) < 3 || len(s) > 255 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func (s *TableStore) checkSpec(spec store.TableSpec) error {
	if !validName(s.prefix + spec.Name) {
		return invalidf("table name %q: want 3 to 255 of A-Z a-z 0-9 _ . -", s.prefix+spec.Name)
	}
	if spec.PK == "" || spec.PK == spec.SK {
		return invalidf("table %s: key attributes %q and %q", spec.Name, spec.PK, spec.SK)
	}
	seen := map[string]bool{}
	for _, ix := range spec.Indexes {
		if !validName(ix.Name) || seen[ix.Name] {
			return invalidf("table %s: index name %q", spec.Name, ix.Name)
		}
		seen[ix.Name] = true
		if ix.PK == "" || ix.PK == ix.SK {
			return invalidf("table %s: index %s key attributes %q and %q", spec.Name, ix.Name, ix.PK, ix.SK)
		}
	}
	return nil
}

// EnsureTable creates the table (on-demand billing, indexes projecting all
// attributes) unless it exists, then waits until it and its indexes are
// ACTIVE. An existing table must have the spec's key schema and indexes.
func (s *TableStore) EnsureTable(ctx context.Context, spec store.TableSpec) error {
	if err := s.checkSpec(spec); err != nil {
		return fmt.Errorf("ensure table: %w", err)
	}
	name := s.prefix + spec.Name
	in := &dynamodb.CreateTableInput{
		TableName:   &name,
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(spec.PK, spec.SK),
	}
	defined := map[string]bool{}
	define := func(attrs ...string) {
		for _, a := range attrs {
			if a != "" && !defined[a] {
				defined[a] = true
				in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
			}
		}
	}
	define(spec.PK, spec.SK)
	for _, ix := range spec.Indexes {
		define(ix.PK, ix.SK)
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PK, ix.SK),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	if _, err := s.client.CreateTable(ctx, in); err != nil && apiCode(err) != "ResourceInUseException" {
		return fmt.Errorf("create table %s: %w", name, mapDynamoErr(err))
	}
	sc, err := s.waitActive(ctx, name)
	if err != nil {
		return err
	}
	if err := sameSchema(sc, spec); err != nil {
		return fmt.Errorf("table %s exists with another schema: %w", name, err)
	}
	s.mu.Lock()
	s.schemas[spec.Name] = sc
	s.mu.Unlock()
	return nil
}

func keySchema(pk, sk string) []types.KeySchemaElement {
	ks := []types.KeySchemaElement{{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash}}
	if sk != "" {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange})
	}
	return ks
}

// Polling of a table being created: DynamoDB takes seconds, the emulators
// none.
const (
	activePoll    = time.Second
	activeTimeout = 5 * time.Minute
)

// waitActive polls DescribeTable until the table and its indexes are ACTIVE.
func (s *TableStore) waitActive(ctx context.Context, name string) (*schema, error) {
	deadline := s.clock.Now().Add(activeTimeout)
	for {
		out, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err != nil {
			return nil, fmt.Errorf("describe table %s: %w", name, mapDynamoErr(err))
		}
		if isActive(out.Table) {
			return schemaOf(out.Table), nil
		}
		if !s.clock.Now().Before(deadline) {
			return nil, fmt.Errorf("table %s not ACTIVE after %v (status %s)", name, activeTimeout, out.Table.TableStatus)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for table %s: %w", name, ctx.Err())
		case <-s.clock.After(activePoll):
		}
	}
}

func isActive(t *types.TableDescription) bool {
	if t.TableStatus != types.TableStatusActive {
		return false
	}
	for _, ix := range t.GlobalSecondaryIndexes {
		if ix.IndexStatus != "" && ix.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

func schemaOf(t *types.TableDescription) *schema {
	sc := &schema{table: aws.ToString(t.TableName), indexes: map[string]keys{}}
	sc.pk, sc.sk = keysOf(t.KeySchema)
	for _, ix := range t.GlobalSecondaryIndexes {
		pk, sk := keysOf(ix.KeySchema)
		sc.indexes[aws.ToString(ix.IndexName)] = keys{pk, sk}
	}
	return sc
}

func keysOf(ks []types.KeySchemaElement) (pk, sk string) {
	for _, k := range ks {
		switch k.KeyType {
		case types.KeyTypeHash:
			pk = aws.ToString(k.AttributeName)
		case types.KeyTypeRange:
			sk = aws.ToString(k.AttributeName)
		}
	}
	return pk, sk
}

func sameSchema(sc *schema, spec store.TableSpec) error {
	if sc.pk != spec.PK || sc.sk != spec.SK {
		return fmt.Errorf("keys (%s, %s), spec wants (%s, %s)", sc.pk, sc.sk, spec.PK, spec.SK)
	}
	for _, ix := range spec.Indexes {
		got, ok := sc.indexes[ix.Name]
		if !ok {
			return fmt.Errorf("index %s is missing", ix.Name)
		}
		if got != (keys{ix.PK, ix.SK}) {
			return fmt.Errorf("index %s has keys (%s, %s), spec wants (%s, %s)", ix.Name, got.pk, got.sk, ix.PK, ix.SK)
		}
	}
	return nil
}

// schema returns the table's schema: from EnsureTable, or described once
// (a Lambda uses tables the stack created, without EnsureTable).
func (s *TableStore) schema(ctx context.Context, table string) (*schema, error) {
	s.mu.Lock()
	sc := s.schemas[table]
	s.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	name := s.prefix + table
	out, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, mapDynamoErr(err))
	}
	sc = schemaOf(out.Table)
	s.mu.Lock()
	s.schemas[table] = sc
	s.mu.Unlock()
	return sc, nil
}

var errNoTable = errors.New("table does not exist")

// mapDynamoErr turns DynamoDB errors into the port's errors.
func mapDynamoErr(err error) error {
	switch apiCode(err) {
	case "ConditionalCheckFailedException":
		return also(store.ErrConditionFailed, err)
	case "ValidationException", "ItemCollectionSizeLimitExceededException":
		return also(store.ErrInvalid, err)
	case "ResourceNotFoundException":
		return also(errNoTable, err)
	}
	return err
}

// keyOf validates a key against the schema and converts it.
func (sc *schema) keyOf(k store.Key) (map[string]types.AttributeValue, error) {
	if k.PK == "" || !utf8Valid(k.PK, k.SK) {
		return nil, invalidf("key %+v: empty partition key or not UTF-8", k)
	}
	key := map[string]types.AttributeValue{sc.pk: &types.AttributeValueMemberS{Value: k.PK}}
	switch {
	case sc.sk == "" && k.SK != "":
		return nil, invalidf("key %+v: the table has no sort key", k)
	case sc.sk != "" && k.SK == "":
		return nil, invalidf("key %+v: sort key missing", k)
	case sc.sk != "":
		key[sc.sk] = &types.AttributeValueMemberS{Value: k.SK}
	}
	return key, nil
}

// checkItem validates an item's key attributes (table and index keys must
// be non-empty strings) and returns its key.
func (sc *schema) checkItem(item store.Item) (store.Key, error) {
	var k store.Key
	for _, attr := range []string{sc.pk, sc.sk} {
		if attr == "" {
			continue
		}
		s, ok := item[attr].(string)
		if !ok || s == "" {
			return k, invalidf("key attribute %q must be a non-empty string, not %#v", attr, item[attr])
		}
	}
	for name, ix := range sc.indexes {
		for _, attr := range []string{ix.pk, ix.sk} {
			if v, ok := item[attr]; ok && attr != "" {
				if s, ok := v.(string); !ok || s == "" {
					return k, invalidf("index %s key attribute %q must be a non-empty string, not %#v", name, attr, v)
				}
			}
		}
	}
	k.PK, _ = item[sc.pk].(string)
	if sc.sk != "" {
		k.SK, _ = item[sc.sk].(string)
	}
	return k, nil
}

func utf8Valid(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// Get returns the item under key (strongly consistent read).
func (s *TableStore) Get(ctx context.Context, table string, k store.Key) (store.Item, error) {
	sc, err := s.schema(ctx, table)
	if err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	key, err := sc.keyOf(k)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", table, err)
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &sc.table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get %s %+v: %w", table, k, mapDynamoErr(err))
	}
	if out.Item == nil {
		return nil, fmt.Errorf("get %s %+v: %w", table, k, store.ErrNotFound)
	}
	item, err := decodeItem(out.Item)
	if err != nil {
		return nil, fmt.Errorf("get %s %+v: %w", table, k, err)
	}
	return item, nil
}

// Put writes the whole item if cond holds.
func (s *TableStore) Put(ctx context.Context, table string, item store.Item, cond store.Cond) error {
	sc, err := s.schema(ctx, table)
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	av, err := sc.encodePut(item)
	if err != nil {
		return fmt.Errorf("put %s: %w", table, err)
	}
	ce, err := sc.condition(cond)
	if err != nil {
		return fmt.Errorf("put %s: %w", table, err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &sc.table, Item: av,
		ConditionExpression: ce.expr, ExpressionAttributeNames: ce.names, ExpressionAttributeValues: ce.values,
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", table, mapDynamoErr(err))
	}
	return nil
}

func (sc *schema) encodePut(item store.Item) (map[string]types.AttributeValue, error) {
	if _, err := sc.checkItem(item); err != nil {
		return nil, err
	}
	return encodeItem(item)
}

// Delete removes the item under key if cond holds.
func (s *TableStore) Delete(ctx context.Context, table string, k store.Key, cond store.Cond) error {
	sc, err := s.schema(ctx, table)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	key, err := sc.keyOf(k)
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	ce, err := sc.condition(cond)
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	_, err = s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &sc.table, Key: key,
		ConditionExpression: ce.expr, ExpressionAttributeNames: ce.names, ExpressionAttributeValues: ce.values,
	})
	if err != nil {
		return fmt.Errorf("delete %s %+v: %w", table, k, mapDynamoErr(err))
	}
	return nil
}

// condExpr is a ConditionExpression with its names and values.
type condExpr struct {
	expr   *string
	names  map[string]string
	values map[string]types.AttributeValue
}

// condition translates a port condition. Attribute names always go through
// #placeholders, so reserved words ("name", "status", "ts") are fine.
func (sc *schema) condition(c store.Cond) (condExpr, error) {
	switch c.Kind {
	case store.CondNone:
		return condExpr{}, nil
	case store.CondNotExists:
		return condExpr{expr: aws.String("attribute_not_exists(#k)"), names: map[string]string{"#k": sc.pk}}, nil
	case store.CondExists:
		return condExpr{expr: aws.String("attribute_exists(#k)"), names: map[string]string{"#k": sc.pk}}, nil
	case store.CondAttrEquals, store.CondAttrNotEquals:
		if c.Attr == "" || !utf8.ValidString(c.Attr) {
			return condExpr{}, invalidf("condition attribute %q", c.Attr)
		}
		v, _, err := encodeValue(c.Value, 1)
		if err != nil {
			return condExpr{}, fmt.Errorf("condition value: %w", err)
		}
		ce := condExpr{names: map[string]string{"#a": c.Attr}, values: map[string]types.AttributeValue{":v": v}}
		if c.Kind == store.CondAttrEquals {
			ce.expr = aws.String("#a = :v") // false when the item or attribute is absent
		} else {
			ce.expr = aws.String("attribute_not_exists(#a) OR #a <> :v")
		}
		return ce, nil
	}
	return condExpr{}, invalidf("condition kind %d", c.Kind)
}
