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
