package store

import (
	"context"
)

// Item is one table item: attribute name → value. Values are limited to what
// DynamoDB can hold and both adapters round-trip unchanged:
//
//	string, int64, float64, bool, []byte, []string, map[string]any, []any, nil
//
// Integers come back as int64 and other numbers as float64 (numbers are kept as
// decimal text, as DynamoDB does). Key attributes are always strings, so item
// order within a partition is byte order of the sort key in every adapter.
type Item map[string]any

// TableSpec declares a table: its key attributes and secondary indexes.
type TableSpec struct {
	Name    string
	PK      string // partition key attribute (string)
	SK      string // sort key attribute (string); empty for a hash-only table
	Indexes []IndexSpec
}

// IndexSpec declares a global secondary index projecting all attributes.
// Items without the index's PK attribute are not in the index (sparse).
type IndexSpec struct {
	Name string
	PK   string
	SK   string // may be empty
	// Projection says how the adapter stores the index; a query returns
	// whole items either way.
	Projection Projection `json:",omitempty"`
}

// Projection is how an adapter stores a secondary index. It never changes
// what a query returns (every index projects all attributes), only its cost.
type Projection string

const (
	// ProjectDefault leaves it to the adapter: DynamoDB copies all
	// attributes; the local store keeps keys only and reads each item from
	// the table (two B+tree descents per item, no extra space).
	ProjectDefault Projection = ""
	// ProjectAll keeps a copy of every attribute in the index, as DynamoDB's
	// ProjectionType ALL: a query is one ordered range scan, at the cost of
	// space and of writing the item twice. For indexes on hot read paths.
	ProjectAll Projection = "ALL"
)

// Key identifies one item: partition key value and sort key value (empty for
// hash-only tables).
type Key struct {
	PK, SK string
}

// Cond is a write condition, checked atomically with the write.
type Cond struct {
	// Kind selects the condition; the zero value is no condition.
	Kind CondKind
	// Attr and Value are used by AttrEquals and AttrNotEquals.
	Attr  string
	Value any
}

// CondKind names a condition.
type CondKind int

// Condition kinds.
const (
	CondNone          CondKind = iota
	CondNotExists              // the item must not exist (create-only)
	CondExists                 // the item must exist
	CondAttrEquals             // the item must exist and Attr must equal Value (optimistic version check)
	CondAttrNotEquals          // the item is absent, lacks Attr, or Attr differs from Value
)

// IfNotExists is the create-only condition.
func IfNotExists() Cond { return Cond{Kind: CondNotExists} }

// IfExists requires the item to exist.
func IfExists() Cond { return Cond{Kind: CondExists} }

// IfAttrEquals requires attr == value (e.g. an expected version number).
func IfAttrEquals(attr string, value any) Cond {
	return Cond{Kind: CondAttrEquals, Attr: attr, Value: value}
}

// Query selects items of one partition of the table or of an index, with an
// optional sort-key range, in sort-key order.
type Query struct {
	Index string // empty: the table itself
	PK    string // partition key value (required)
	// SKFrom and SKTo bound the sort key, inclusive; empty means unbounded.
	SKFrom, SKTo string
	// SKPrefix restricts the sort key to a prefix (begins_with); it may be
	// combined with neither SKFrom nor SKTo.
	SKPrefix   string
	Descending bool
	Limit      int    // <= 0: no limit
	Cursor     string // continuation from a previous page
}

// Page is one page of query or scan results.
type Page struct {
	Items []Item
	// Cursor continues the query; empty when there is nothing more.
	Cursor string
}

// WriteOp is one operation of a transaction.
type WriteOp struct {
	Table string
	// Exactly one of Put, Delete or Check is set.
	Put    Item
	Delete *Key
	Check  *Key // condition check only, no write
	Cond   Cond
}

// TableStore is the DynamoDB-shaped port.
type TableStore interface {
	// EnsureTable creates the table and its indexes if they do not exist.
	EnsureTable(ctx context.Context, spec TableSpec) error
	// Get returns the item or ErrNotFound.
	Get(ctx context.Context, table string, key Key) (Item, error)
	// Put writes the whole item (replacing any previous one) if cond holds,
	// else ErrConditionFailed.
	Put(ctx context.Context, table string, item Item, cond Cond) error
	// Delete removes the item if cond holds; deleting a missing item with no
	// condition is not an error.
	Delete(ctx context.Context, table string, key Key, cond Cond) error
	Query(ctx context.Context, table string, q Query) (Page, error)
	// Scan pages through the whole table in key order.
	Scan(ctx context.Context, table string, cursor string, limit int) (Page, error)
	// Transact applies all ops or none (at most 100, as DynamoDB allows);
	// any failed condition fails the whole transaction with ErrConditionFailed.
	Transact(ctx context.Context, ops []WriteOp) error
	// BatchPut writes many items without conditions, as efficiently as the
	// adapter can (DynamoDB: BatchWriteItem with retries of unprocessed items).
	BatchPut(ctx context.Context, table string, items []Item) error
}

// String returns the string attribute name of it, or "".
func (it Item) String(name string) string {
	s, _ := it[name].(string)
	return s
}

// Int returns the integer attribute name of it, or 0.
func (it Item) Int(name string) int64 {
	switch v := it[name].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// Bool returns the boolean attribute name of it, or false.
func (it Item) Bool(name string) bool {
	b, _ := it[name].(bool)
	return b
}
