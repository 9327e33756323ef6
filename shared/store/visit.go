package store

import "context"

// Attrs reads the attributes of one item by name, as Item's accessors do
// (Item implements it): the zero value when the attribute is missing or of
// another type.
type Attrs interface {
	String(name string) string
	Int(name string) int64
	Bool(name string) bool
}

// QueryVisitor is an optional TableStore capability for hot read paths: it
// runs a query like TableStore.Query, but hands each item to fn as Attrs
// instead of building an Item (a map with one allocation per attribute), and
// returns the page's cursor. The Attrs value is valid only during the call
// of fn; the strings it returns are the caller's to keep. An error from fn
// ends the query and is returned wrapped.
//
// Callers type-assert for it and fall back to Query, so adapters need not
// implement it.
type QueryVisitor interface {
	QueryVisit(ctx context.Context, table string, q Query, fn func(Attrs) error) (cursor string, err error)
}

// ChangeCounter is an optional TableStore capability for caches of query
// answers: Generation returns a number that changes (grows) whenever a write
// to the table commits, through any caller of this store value. An answer
// computed after reading generation g is current for as long as the
// generation is still g. Only an adapter that sees every write of its
// tables implements it (the local store, which holds its file locked); a
// shared database such as DynamoDB cannot.
type ChangeCounter interface {
	Generation(table string) uint64
}

// Counter is an optional TableStore capability: Count returns how many
// items a query (without Limit and Cursor) would return, without reading
// them out (DynamoDB: Select COUNT, page by page; locally: the keys only).
// Callers type-assert for it and fall back to Query.
type Counter interface {
	Count(ctx context.Context, table string, q Query) (int, error)
}
