package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Table layout (one table, so a record and its index entries are written in
// one conditional put, strongly consistent by name on every store):
//
//	file record      pk = N#<file name>         sk = "F"
//	  by-product     ppk = ProductKey()          psk = T#<yyyymmddhhmmss>#V#<sortable version>
//	  by-ingest      fpk = F#<ingest yyyy-mm-dd> fsk = <ingest time, fixed width>#<name>
//	  by-change      cpk = C#<changed yyyy-mm-dd> csk = <changed time>#<name> (changes.go)
//	product entry    pk = "PRODUCTS"             sk = ProductKey()
//	feed day entry   pk = "FEEDDAYS"             sk = <change yyyy-mm-dd>
//
// The name-keyed primary key makes "is this name archived?" a strongly
// consistent read and immutability a single condition (attribute_not_exists),
// while the indexes serve the time-range queries and the change feed.
const (
	TableName    = "catalog"
	indexProduct = "by-product"
	indexIngest  = "by-ingest"
	productsPK   = "PRODUCTS"
	feedDaysPK   = "FEEDDAYS"
	ingestLayout = "2006-01-02T15:04:05.000000000Z"
)

// Spec is the catalog table's declaration (used by EnsureTable and by infra).
var Spec = store.TableSpec{
	Name: TableName, PK: "pk", SK: "sk",
	Indexes: []store.IndexSpec{
		// Every MMS web-service query reads this index: a copy of the
		// record in it makes the query one range scan on the local store.
		{Name: indexProduct, PK: "ppk", SK: "psk", Projection: store.ProjectAll},
		{Name: indexIngest, PK: "fpk", SK: "fsk"},
		{Name: indexChange, PK: "cpk", SK: "csk"},
	},
}

// ErrExists is returned by Add when a record with that name exists; the
// existing record is returned with it.
var ErrExists = errors.New("catalog: file already cataloged")

// Catalog is the repository of file records.
type Catalog struct {
	db store.TableStore

	clock clock.Clock

	// known caches product entries this instance has written, so steady-state
	// ingest costs one write per file, not two.
	mu    sync.Mutex
	known map[string]bool

	// The product registry is read by every query that does not name a
	// whole product (most MMS web-service calls), so it is cached for
	// productsTTL. Products this instance registers invalidate the cache at
	// once; those registered by other processes (other Lambdas) appear
	// within the TTL.
	products   []ProductEntry
	productsAt time.Time

	// answers caches product queries between writes (answers.go).
	answers answerCache
}

// productsTTL bounds how stale the cached product registry may be.
const productsTTL = 30 * time.Second

// New returns a catalog on db; call EnsureTable once at start-up.
func New(db store.TableStore) *Catalog {
	return &Catalog{db: db, clock: clock.Real{}, known: map[string]bool{}}
}

// invalidateProducts drops the cached product registry.
func (c *Catalog) invalidateProducts() {
	c.mu.Lock()
	c.products = nil
	c.mu.Unlock()
}

// EnsureTable creates the catalog table if needed.
func (c *Catalog) EnsureTable(ctx context.Context) error {
	if err := c.db.EnsureTable(ctx, Spec); err != nil {
		return fmt.Errorf("catalog: ensure table: %w", err)
	}
	return nil
}

// Add records a newly archived file. If the name is taken it returns the
// existing record and an error wrapping ErrExists, so the caller can tell an
// identical re-delivery (same checksum) from a conflicting file.
func (c *Catalog) Add(ctx context.Context, r Record) (Record, error) {
	if r.Name == "" || r.Ingested.IsZero() {
		return Record{}, fmt.Errorf("catalog: add %q: name and ingest time are required", r.Name)
	}
	if r.Change == "" {
		r.Change, r.Changed = ChangeIndexed, r.Ingested
	}
	if err := c.ensureProduct(ctx, r); err != nil {
		return Record{}, err
	}
	if err := c.ensureFeedDay(ctx, r); err != nil {
		return Record{}, err
	}
	err := c.db.Put(ctx, TableName, toItem(r), store.IfNotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		old, gerr := c.Get(ctx, r.Name)
		if gerr != nil {
			return Record{}, fmt.Errorf("catalog: add %s: exists, but reading it failed: %w", r.Name, gerr)
		}
		return old, fmt.Errorf("%w: %s", ErrExists, r.Name)
	}
	if err != nil {
		return Record{}, fmt.Errorf("catalog: add %s: %w", r.Name, err)
	}
	return r, nil
}

func (c *Catalog) ensureProduct(ctx context.Context, r Record) error {
	return c.ensureEntry(ctx, store.Item{"pk": productsPK, "sk": r.ProductKey(), "kind": r.Kind, "sc": r.SC,
		"instrument": r.Instrument, "rate": r.Rate, "level": r.Level, "descriptor": r.Descriptor, "product": r.Product})
}

// ensureFeedDay registers the day a record changed, so the change feed
// can step from one day with changes to the next without probing the empty
// days between (a mirror starting from scratch asks for everything since 0).
func (c *Catalog) ensureFeedDay(ctx context.Context, r Record) error {
	return c.ensureEntry(ctx, store.Item{"pk": feedDaysPK, "sk": r.changedAt().Format(time.DateOnly)})
}

// ensureEntry writes a registry item once; the per-instance cache makes the
// steady state cost nothing.
func (c *Catalog) ensureEntry(ctx context.Context, item store.Item) error {
	id := item.String("pk") + "|" + item.String("sk")
	c.mu.Lock()
	seen := c.known[id]
	c.mu.Unlock()
	if seen {
		return nil
	}
	err := c.db.Put(ctx, TableName, item, store.IfNotExists())
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("catalog: register %s: %w", id, err)
	}
	c.mu.Lock()
	c.known[id] = true
	if item.String("pk") == productsPK {
		c.products = nil
	}
	c.mu.Unlock()
	return nil
}

// Get returns the record of a file name, or an error wrapping store.ErrNotFound.
func (c *Catalog) Get(ctx context.Context, name string) (Record, error) {
	it, err := c.db.Get(ctx, TableName, store.Key{PK: "N#" + name, SK: "F"})
	if err != nil {
		return Record{}, fmt.Errorf("catalog: get %s: %w", name, err)
	}
	return fromItem(it)
}

// Update applies fn to the record of name and writes it back if nobody else
// changed it meanwhile (the revision check); on a conflict it re-reads and
// retries. Every round of a conflict lets one writer through, so the bound
// only stops a pathological storm.
func (c *Catalog) Update(ctx context.Context, name string, fn func(*Record) error) (Record, error) {
	for attempt := 0; attempt < 50; attempt++ {
		r, err := c.Get(ctx, name)
		if err != nil {
			return Record{}, err
		}
		rev := r.Revision
		if err := fn(&r); err != nil {
			return Record{}, err
		}
		r.Name, r.Revision = name, rev+1
		err = c.db.Put(ctx, TableName, toItem(r), store.IfAttrEquals("revision", rev))
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return Record{}, fmt.Errorf("catalog: update %s: %w", name, err)
		}
		return r, nil
	}
	return Record{}, fmt.Errorf("catalog: update %s: too many concurrent updates", name)
}

// Filter selects records. Empty lists match everything; From and To bound the
// time tag inclusively (zero means unbounded).
type Filter struct {
	Kind        string // KindScience (default), KindAncillary or KindSelection
	SC          []string
	Instrument  []string
	Rate        []string
	Level       []string
	Descriptor  []string
	Product     []string // ancillary product codes or selection types
	Ext         []string
	Names       []string // exact file names; other filters still apply
	From, To    time.Time
	Version     string // exact version; implies all versions are considered
	AllVersions bool   // every version instead of the newest per time tag
	// ReleasedOnly restricts to released files (what the public may see).
	ReleasedOnly bool
	// IgnoreDates serves predicted ancillary products, which match any date.
	IgnoreDates bool
}

// Query returns the matching records in product order, then time tag, then
// version; by default only the newest version of each (product, time tag).
func (c *Catalog) Query(ctx context.Context, f Filter) ([]Record, error) {
	if f.Kind == "" {
		f.Kind = KindScience
	}
	if len(f.Names) > 0 {
		return c.queryNames(ctx, f)
	}
	pks, err := c.productKeys(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, pk := range pks {
		recs, err := c.queryProduct(ctx, pk, f)
		if err != nil {
			return nil, err
		}
		if out == nil && len(recs) > 0 {
			out = recs // the common case of one product: no copy
			continue
		}
		out = append(out, recs...)
	}
	return out, nil
}

// productKeys lists the by-product partitions a filter touches. A fully
// specified science product needs no lookup; otherwise the product registry
// is read and filtered.
func (c *Catalog) productKeys(ctx context.Context, f Filter) ([]string, error) {
	if f.Kind == KindScience && len(f.SC) == 1 && len(f.Instrument) == 1 && len(f.Rate) == 1 &&
		len(f.Level) == 1 && len(f.Descriptor) == 1 {
		r := Record{Kind: KindScience, SC: f.SC[0], Instrument: f.Instrument[0], Rate: f.Rate[0], Level: f.Level[0], Descriptor: f.Descriptor[0]}
		return []string{r.ProductKey()}, nil
	}
	products, err := c.cachedProducts(ctx)
	if err != nil {
		return nil, err
	}
	var pks []string
	for _, p := range products {
		if p.Kind != f.Kind || !match(f.SC, p.SC) || !match(f.Instrument, p.Instrument) || !match(f.Rate, p.Rate) ||
			!match(f.Level, p.Level) || !match(f.Descriptor, p.Descriptor) || !match(f.Product, p.Product) {
			continue
		}
		pks = append(pks, p.Key)
	}
	return pks, nil
}

func match(want []string, v string) bool { return len(want) == 0 || slices.Contains(want, v) }

// ProductEntry is one product the catalog has files of.
type ProductEntry struct {
	Key        string `json:"key"`
	Kind       string `json:"kind"`
	SC         string `json:"sc_id,omitempty"`
	Instrument string `json:"instrument_id,omitempty"`
	Rate       string `json:"data_rate_mode,omitempty"`
	Level      string `json:"data_level,omitempty"`
	Descriptor string `json:"descriptor,omitempty"`
	Product    string `json:"product,omitempty"`
}

// Products lists every product with at least one cataloged file.
func (c *Catalog) Products(ctx context.Context) ([]ProductEntry, error) {
	ps, err := c.cachedProducts(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(ps), nil
}

// cachedProducts returns the cached product registry, reading it again when
// stale. The slice is shared and never modified (a refresh replaces it), so
// callers in this package read it without copying and must not change it.
func (c *Catalog) cachedProducts(ctx context.Context) ([]ProductEntry, error) {
	now := c.clock.Now()
	c.mu.Lock()
	if c.products != nil && now.Sub(c.productsAt) < productsTTL {
		out := c.products
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	out, err := c.readProducts(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.products, c.productsAt = out, now
	c.mu.Unlock()
	return out, nil
}

// readProducts reads the whole product registry from the table.
func (c *Catalog) readProducts(ctx context.Context) ([]ProductEntry, error) {
	out := []ProductEntry{}
	cursor := ""
	for {
		page, err := c.db.Query(ctx, TableName, store.Query{PK: productsPK, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("catalog: list products: %w", err)
		}
		for _, it := range page.Items {
			out = append(out, ProductEntry{Key: it.String("sk"), Kind: it.String("kind"), SC: it.String("sc"),
				Instrument: it.String("instrument"), Rate: it.String("rate"), Level: it.String("level"),
				Descriptor: it.String("descriptor"), Product: it.String("product")})
		}
		if page.Cursor == "" {
			return out, nil
		}
		cursor = page.Cursor
	}
}

// readProduct is queryProduct without the answer cache.
func (c *Catalog) readProduct(ctx context.Context, pk string, f Filter) ([]Record, error) {
	q := store.Query{Index: indexProduct, PK: pk}
	if !f.IgnoreDates {
		if !f.From.IsZero() {
			q.SKFrom = "T#" + f.From.UTC().Format("20060102150405")
		}
		if !f.To.IsZero() {
			q.SKTo = "T#" + f.To.UTC().Format("20060102150405") + "#~"
		}
	}
	// A month of daily files fits the first allocation.
	recs := make([]Record, 0, 32)
	if v, ok := c.db.(store.QueryVisitor); ok {
		// The hot path of the web services: records are read in place,
		// without building an Item per record.
		add := func(a store.Attrs) error {
			r, err := fromItem(a)
			if err != nil {
				return err
			}
			recs = append(recs, r)
			return nil
		}
		for {
			cursor, err := v.QueryVisit(ctx, TableName, q, add)
			if err != nil {
				return nil, fmt.Errorf("catalog: query %s: %w", pk, err)
			}
			if cursor == "" {
				break
			}
			q.Cursor = cursor
		}
		return selectVersions(recs, f), nil
	}
	for {
		page, err := c.db.Query(ctx, TableName, q)
		if err != nil {
			return nil, fmt.Errorf("catalog: query %s: %w", pk, err)
		}
		for _, it := range page.Items {
			r, err := fromItem(it)
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
		}
		if page.Cursor == "" {
			break
		}
		q.Cursor = page.Cursor
	}
	return selectVersions(recs, f), nil
}

func (c *Catalog) queryNames(ctx context.Context, f Filter) ([]Record, error) {
	var recs []Record
	for _, n := range f.Names {
		r, err := c.Get(ctx, n)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.Kind != f.Kind || !match(f.SC, r.SC) || !match(f.Instrument, r.Instrument) || !match(f.Rate, r.Rate) ||
			!match(f.Level, r.Level) || !match(f.Descriptor, r.Descriptor) || !match(f.Product, r.Product) {
			continue
		}
		if !f.IgnoreDates && (!f.From.IsZero() && r.Start.Before(f.From) || !f.To.IsZero() && r.Start.After(f.To)) {
			continue
		}
		recs = append(recs, r)
	}
	// An exact name asks for that file, whatever newer versions exist.
	f.AllVersions = true
	out := selectVersions(recs, f)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// selectVersions applies the extension, release and version rules to records
// of one product in index order.
func selectVersions(recs []Record, f Filter) []Record {
	keep := recs[:0]
	for _, r := range recs {
		if !match(f.Ext, r.Ext) || f.ReleasedOnly && !r.Released {
			continue
		}
		if f.Version != "" && r.Version != f.Version {
			continue
		}
		keep = append(keep, r)
	}
	if f.AllVersions || f.Version != "" || startsIncrease(keep) {
		return keep
	}
	// Newest version per group. Index order puts versions of one time tag
	// next to each other, but extensions interleave, so group by key.
	best := make(map[groupID]int, len(keep))
	order := make([]groupID, 0, len(keep))
	for i, r := range keep {
		g := r.groupKey()
		j, ok := best[g]
		if !ok {
			order = append(order, g)
			best[g] = i
			continue
		}
		if newer(r, keep[j]) {
			best[g] = i
		}
	}
	out := make([]Record, 0, len(order))
	for _, g := range order {
		out = append(out, keep[best[g]])
	}
	return out
}

// startsIncrease reports whether the time tags strictly increase (to the
// second, as groups compare them): then no two records share a group, which
// is the usual answer of one product's index (one version per time tag), and
// grouping can be skipped.
func startsIncrease(recs []Record) bool {
	for i := 1; i < len(recs); i++ {
		if recs[i].Start.Unix() <= recs[i-1].Start.Unix() {
			return false
		}
	}
	return true
}

// Recent returns up to n records ingested most recently (newest first),
// looking back at most days days.
func (c *Catalog) Recent(ctx context.Context, n, days int, now time.Time) ([]Record, error) {
	var out []Record
	for d := 0; d < days && len(out) < n; d++ {
		day := now.UTC().AddDate(0, 0, -d).Format(time.DateOnly)
		page, err := c.db.Query(ctx, TableName, store.Query{Index: indexIngest, PK: "F#" + day, Descending: true, Limit: n - len(out)})
		if err != nil {
			return nil, fmt.Errorf("catalog: recent: %w", err)
		}
		for _, it := range page.Items {
			r, err := fromItem(it)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func toItem(r Record) store.Item {
	it := store.Item{
		"pk": "N#" + r.Name, "sk": "F",
		"ppk": r.ProductKey(), "psk": r.timeKey(),
		"fpk": "F#" + r.Ingested.UTC().Format(time.DateOnly), "fsk": r.Ingested.UTC().Format(ingestLayout) + "#" + r.Name,
		"name": r.Name, "kind": r.Kind, "ext": r.Ext, "start": r.Start.UTC().Format(time.RFC3339),
		"version": r.Version, "size": r.Size, "sha256": r.SHA256, "ingested": r.Ingested.UTC().Format(time.RFC3339Nano),
		"archive_key": r.ArchiveKey, "storage_class": r.StorageClass, "status": r.Status,
		"released": r.Released, "revision": r.Revision,
	}
	it["cpk"], it["csk"] = r.changeKeys()
	it["change"], it["changed"] = r.Change, r.changedAt().Format(time.RFC3339Nano)
	if r.Change == "" {
		it["change"] = ChangeIndexed
	}
	for k, v := range map[string]string{"sc": r.SC, "instrument": r.Instrument, "rate": r.Rate, "level": r.Level,
		"descriptor": r.Descriptor, "product": r.Product, "release_id": r.ReleaseID} {
		if v != "" {
			it[k] = v
		}
	}
	if r.TimeDigits != 0 {
		it["time_digits"] = int64(r.TimeDigits)
	}
	if !r.End.IsZero() {
		it["end"] = r.End.UTC().Format(time.RFC3339)
	}
	return it
}

// fromItem reads the attributes in name order, which lets a store's view
// of its sorted encoding find each one without searching.
func fromItem(it store.Attrs) (Record, error) {
	var r Record
	r.ArchiveKey = it.String("archive_key")
	r.Change = it.String("change")
	changed := it.String("changed")
	r.Descriptor = it.String("descriptor")
	end := it.String("end")
	r.Ext = it.String("ext")
	ingested := it.String("ingested")
	r.Instrument = it.String("instrument")
	r.Kind = it.String("kind")
	r.Level = it.String("level")
	r.Name = it.String("name")
	r.Product = it.String("product")
	r.Rate = it.String("rate")
	r.ReleaseID = it.String("release_id")
	r.Released = it.Bool("released")
	r.Revision = it.Int("revision")
	r.SC = it.String("sc")
	r.SHA256 = it.String("sha256")
	r.Size = it.Int("size")
	start := it.String("start")
	r.Status = it.String("status")
	r.StorageClass = it.String("storage_class")
	r.TimeDigits = int(it.Int("time_digits"))
	r.Version = it.String("version")
	var err error
	parse := func(attr, s, layout string) time.Time {
		if s == "" || err != nil {
			return time.Time{}
		}
		if t, ok := parseUTC(s); ok {
			return t
		}
		t, perr := time.Parse(layout, s)
		if perr != nil {
			err = fmt.Errorf("catalog: record %s: bad %s %q: %w", r.Name, attr, s, perr)
		}
		return t
	}
	r.Start = parse("start", start, time.RFC3339)
	r.End = parse("end", end, time.RFC3339)
	r.Ingested = parse("ingested", ingested, time.RFC3339Nano)
	r.Changed = parse("changed", changed, time.RFC3339Nano)
	if r.Change == "" {
		// Written before changes were tracked: its one change was its ingestion.
		r.Change, r.Changed = ChangeIndexed, r.Ingested
	}
	if r.Name == "" && err == nil {
		err = errors.New("catalog: item without a file name")
	}
	return r, err
}

// IsExists reports whether err says the file is already cataloged.
func IsExists(err error) bool { return errors.Is(err, ErrExists) }
