package pipeline

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
)

// InputIndex answers a plan's catalog queries from memory. Planning a
// campaign resolves hundreds of thousands of slots, each with one to four
// small catalog queries; the index reads each input product (each distinct
// filter but for its dates) once, over the plan's span plus the look-back
// and look-ahead of the input windows, and serves every query within that
// span from the records read. The first query reaching further back (latest
// searching the whole history when the recent days hold no file) reads the
// product's whole history up to the span's end instead. Queries reaching
// past the span, or by name or version, go to the catalog. Answers are
// those of Catalog.Query: the same records in the same order.
//
// An InputIndex is not safe for concurrent use: use one per goroutine.
type InputIndex struct {
	planner *Planner
	from    time.Time // records are read with time tags in [from, to]
	to      time.Time
	loaded  map[string]indexEntry
}

// indexEntry is what the index read for one filter: its records with time
// tags from since (zero: the whole history) to the index's end.
type indexEntry struct {
	since time.Time
	runs  []indexRun
}

// indexRun is one product's records in catalog order (time tag, then
// version), newest version per time tag, as Catalog.Query returns them.
type indexRun struct {
	recs  []catalog.Record
	unixs []int64 // time tags in seconds, for binary search
}

// Look-back and look-ahead of the input windows: covering reads 7 days
// back, latest first 4 days back, adjacent one day either side, and a
// daily job gathering an hours partition the whole day.
const (
	indexLookBack  = 8 * 24 * time.Hour
	indexLookAhead = 2 * 24 * time.Hour
)

// NewInputIndex returns an index for planning slots that start in
// [from, to).
func (p *Planner) NewInputIndex(from, to time.Time) *InputIndex {
	return &InputIndex{planner: p, from: from.UTC().Add(-indexLookBack).Truncate(time.Second),
		to: to.UTC().Add(indexLookAhead).Truncate(time.Second), loaded: map[string]indexEntry{}}
}

// Preview is Planner.Preview with the catalog read through the index.
func (x *InputIndex) Preview(ctx context.Context, nodeID, sc string, start time.Time) (Job, error) {
	n := x.planner.Graph.Node(nodeID)
	if n == nil {
		return Job{}, fmt.Errorf("preview: unknown node %q", nodeID)
	}
	return x.planner.resolveJob(ctx, x.query, partition{node: n, sc: sc, start: start.UTC(), digits: partitionDigits(n)})
}

// query is Catalog.Query, from memory when the index can answer it.
func (x *InputIndex) query(ctx context.Context, f catalog.Filter) ([]catalog.Record, error) {
	if !x.covers(f) {
		return x.planner.Catalog.Query(ctx, f)
	}
	key := filterKey(f)
	e, ok := x.loaded[key]
	if !ok || !e.since.IsZero() && (f.From.IsZero() || f.From.Unix() < e.since.Unix()) {
		since := x.from
		if f.From.IsZero() || f.From.Unix() < x.from.Unix() {
			since = time.Time{} // the whole history
		}
		all := f
		all.From, all.To = since, x.to
		recs, err := x.planner.Catalog.Query(ctx, all)
		if err != nil {
			return nil, err
		}
		e = indexEntry{since: since, runs: splitRuns(recs)}
		x.loaded[key] = e
	}
	lo, hi := int64(math.MinInt64), f.To.Unix()
	if !f.From.IsZero() {
		lo = f.From.Unix()
	}
	var out []catalog.Record
	for _, run := range e.runs {
		i := sort.Search(len(run.unixs), func(k int) bool { return run.unixs[k] >= lo })
		j := sort.Search(len(run.unixs), func(k int) bool { return run.unixs[k] > hi })
		switch {
		case i >= j:
		case len(e.runs) == 1:
			// The usual single product: the index's own records, capped
			// so that appending copies (the resolve functions only read).
			return run.recs[i:j:j], nil
		default:
			out = append(out, run.recs[i:j]...)
		}
	}
	return out, nil
}

// covers reports whether the index can answer f: a date-bounded query by
// product ending within the span. Queries by name, by version, of all
// versions or ignoring dates go to the catalog.
func (x *InputIndex) covers(f catalog.Filter) bool {
	if len(f.Names) > 0 || f.Version != "" || f.AllVersions || f.IgnoreDates || f.To.IsZero() {
		return false
	}
	return f.To.Unix() <= x.to.Unix() && (f.From.IsZero() || f.From.Unix() <= f.To.Unix())
}

// filterKey identifies a filter but for its dates.
func filterKey(f catalog.Filter) string {
	var b strings.Builder
	b.WriteString(f.Kind)
	for _, l := range [][]string{f.SC, f.Instrument, f.Rate, f.Level, f.Descriptor, f.Product, f.Ext} {
		b.WriteByte('|')
		for i, v := range l {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(v)
		}
	}
	if f.ReleasedOnly {
		b.WriteString("|released")
	}
	return b.String()
}

// splitRuns splits a query's answer (products one after the other, each
// in time-tag order) into one run per product.
func splitRuns(recs []catalog.Record) []indexRun {
	var runs []indexRun
	for i := 0; i < len(recs); {
		pk := recs[i].ProductKey()
		j := i + 1
		for j < len(recs) && recs[j].ProductKey() == pk {
			j++
		}
		run := indexRun{recs: recs[i:j:j], unixs: make([]int64, j-i)}
		for k, r := range run.recs {
			run.unixs[k] = r.Start.Unix()
		}
		runs = append(runs, run)
		i = j
	}
	return runs
}
