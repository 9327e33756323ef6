package catalog

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// answerCache keeps the records queryProduct found, on a store that counts
// its writes (store.ChangeCounter: the local store). Every entry is labelled
// with the table's generation read before its query ran, and is served only
// while the generation is still that one: any committed write to the
// catalog table, by any caller of the store (ingest, release, reprocessing,
// BulkLoad), retires all entries at once. It therefore never answers with
// records older than a fresh query would read, released or not; it only
// saves reading and decoding the same records again between writes (the
// MMS web services ask for the same product-months over and over).
type answerCache struct {
	mu   sync.Mutex
	gen  uint64
	recs map[string][]Record
	held int // records in recs
}

// The cache is bounded by entries and by records held (~30 MB at ~600 bytes
// a record with its strings); when full it starts over.
const (
	maxAnswers     = 1024
	maxHeldRecords = 50_000
)

// get returns a copy of the records stored under key at generation gen.
func (a *answerCache) get(key string, gen uint64) ([]Record, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return nil, false
	}
	recs, ok := a.recs[key]
	if !ok {
		return nil, false
	}
	return slices.Clone(recs), true // callers filter and append in place
}

// put stores a copy of recs, read at generation gen, under key. An answer
// older than the entries held is dropped; a newer one replaces them all.
func (a *answerCache) put(key string, gen uint64, recs []Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case gen < a.gen || len(recs) > maxHeldRecords:
		return
	case gen > a.gen || a.recs == nil || len(a.recs) >= maxAnswers || a.held+len(recs) > maxHeldRecords:
		a.gen, a.recs, a.held = gen, map[string][]Record{}, 0
	}
	if old, ok := a.recs[key]; ok {
		a.held -= len(old)
	}
	a.recs[key] = slices.Clone(recs)
	a.held += len(recs)
}

// answerKey identifies a query of partition pk under filter f: every field
// of the filter is in it (TestAnswerKeyCoversFilter checks), so two filters
// share an entry only if they ask the same.
func answerKey(pk string, f Filter) string {
	var b strings.Builder
	b.Grow(128)
	str := func(s string) { b.WriteString(s); b.WriteByte(0) }
	list := func(l []string) {
		b.WriteString(strconv.Itoa(len(l)))
		b.WriteByte(1)
		for _, s := range l {
			str(s)
		}
	}
	when := func(t time.Time) {
		if !t.IsZero() {
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(t.Nanosecond()))
		}
		b.WriteByte(0)
	}
	flag := func(v bool) {
		if v {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	str(pk)
	str(f.Kind)
	list(f.SC)
	list(f.Instrument)
	list(f.Rate)
	list(f.Level)
	list(f.Descriptor)
	list(f.Product)
	list(f.Ext)
	list(f.Names)
	when(f.From)
	when(f.To)
	str(f.Version)
	flag(f.AllVersions)
	flag(f.ReleasedOnly)
	flag(f.IgnoreDates)
	return b.String()
}

// queryProduct returns the records of one by-product partition that f
// selects, from the answer cache when the store counts its writes and
// nothing was written since the same query last ran.
func (c *Catalog) queryProduct(ctx context.Context, pk string, f Filter) ([]Record, error) {
	counter, ok := c.db.(store.ChangeCounter)
	if !ok {
		return c.readProduct(ctx, pk, f)
	}
	// Read before the query: a write committed after this point moves the
	// generation, so the answer below can never be labelled newer than it is.
	gen := counter.Generation(TableName)
	key := answerKey(pk, f)
	if recs, ok := c.answers.get(key, gen); ok {
		return recs, nil
	}
	recs, err := c.readProduct(ctx, pk, f)
	if err != nil {
		return nil, err
	}
	c.answers.put(key, gen, recs)
	return recs, nil
}
