package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Layout of the bbolt file:
//
//	bucket "_tables"           table name → JSON TableSpec (the persisted schema)
//	bucket "t/<table>"         pk 0x00 sk            → item (encoding in attrvalue.go)
//	bucket "i/<table>/<index>" ipk 0x00 isk 0x00 pk 0x00 sk → empty, or the item
//
// sk is "" for a hash-only table and isk "" for a hash-only index. Key values
// are non-empty UTF-8 without NUL, so 0x00 ends each part unambiguously and
// bbolt's byte order is DynamoDB's order: partition, then sort key in UTF-8
// byte order (index entries with equal index keys follow the table key). An
// entry of a ProjectAll index holds a copy of the item (written in the same
// transaction as the item), so a query of it is one range scan; any other
// index entry is empty and names its item, which is read from the item
// bucket in the same read transaction. Items lacking an index key attribute
// are not indexed.
const (
	tablesBucket = "_tables"

	maxPKLen     = 2048 // bytes, DynamoDB's partition key limit
	maxSKLen     = 1024 // bytes, DynamoDB's sort key limit
	maxTransact  = 100  // ops per transaction, as DynamoDB
	maxIndexes   = 20   // global secondary indexes per table, as DynamoDB
	loadChunk    = 5000 // items per bbolt transaction in BatchPut
	soloBatchMax = 100  // BatchPut of at most this many items shares a commit
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// TableStore is the DynamoDB-shaped table store on one bbolt file. It is safe
// for concurrent use; the file is locked against other processes.
type TableStore struct {
	db *bolt.DB
	// writers counts single-item writes in flight: a lone writer commits at
	// once, concurrent ones join a bbolt Batch and share one fsync.
	writers atomic.Int64

	mu     sync.RWMutex // guards tables; EnsureTable holds it to serialise schema changes
	tables map[string]*tableDef
}

var _ store.TableStore = (*TableStore)(nil)

type tableConfig struct {
	noSync      bool
	batchDelay  time.Duration
	lockTimeout time.Duration
}

// Option tunes OpenTableStore.
type Option func(*tableConfig)

// WithNoSync skips fsync on commit: fast, but a crash of the machine can lose
// recent writes or corrupt the file. For tests and benchmarks only.
func WithNoSync() Option { return func(c *tableConfig) { c.noSync = true } }

// WithBatchDelay sets how long a write waits for others to share its commit
// when several are in flight (default 1ms).
func WithBatchDelay(d time.Duration) Option { return func(c *tableConfig) { c.batchDelay = d } }

// WithLockTimeout sets how long to wait for another process to release the
// file (default 5s).
func WithLockTimeout(d time.Duration) Option { return func(c *tableConfig) { c.lockTimeout = d } }

// OpenTableStore opens or creates the table store file at path.
func OpenTableStore(path string, opts ...Option) (*TableStore, error) {
	cfg := tableConfig{batchDelay: time.Millisecond, lockTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:        cfg.lockTimeout,
		NoSync:         cfg.noSync,
		NoFreelistSync: true, // cheaper commits; the freelist is rebuilt on open
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("open table store %s: %w", path, err)
	}
	db.MaxBatchDelay = cfg.batchDelay
	s := &TableStore{db: db, tables: map[string]*tableDef{}}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(tablesBucket))
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var spec store.TableSpec
			if err := json.Unmarshal(v, &spec); err != nil {
				return fmt.Errorf("schema of table %s: %w", k, err)
			}
			s.tables[spec.Name] = newTableDef(spec)
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open table store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file.
func (s *TableStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close table store: %w", err)
	}
	return nil
}

type tableDef struct {
	spec    store.TableSpec
	bucket  []byte
	indexes []indexDef
	// gen counts committed writes (store.ChangeCounter). It is shared by
	// the defs that replace this one when indexes are added.
	gen *atomic.Uint64
}

type indexDef struct {
	spec   store.IndexSpec
	bucket []byte
}

// entry is the value of the index entry of an item stored as value.
func (ix *indexDef) entry(value []byte) []byte {
	if ix.spec.Projection == store.ProjectAll {
		return value
	}
	return []byte{}
}

func newTableDef(spec store.TableSpec) *tableDef {
	d := &tableDef{spec: spec, bucket: []byte("t/" + spec.Name), gen: new(atomic.Uint64)}
	for _, ix := range spec.Indexes {
		d.indexes = append(d.indexes, indexDef{spec: ix, bucket: []byte("i/" + spec.Name + "/" + ix.Name)})
	}
	return d
}

func (d *tableDef) index(name string) (*indexDef, bool) {
	for i := range d.indexes {
		if d.indexes[i].spec.Name == name {
			return &d.indexes[i], true
		}
	}
	return nil, false
}

func (s *TableStore) table(name string) (*tableDef, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookup(name)
}

// lookup finds a table; the caller holds s.mu. Writers hold the read lock
// until their commit, so EnsureTable never fills a new index while a write
// planned without it is still in flight.
func (s *TableStore) lookup(name string) (*tableDef, error) {
	d, ok := s.tables[name]
	if !ok {
		return nil, fmt.Errorf("table %q: %w", name, store.ErrNotFound)
	}
	return d, nil
}

func validateSpec(spec store.TableSpec) error {
	if !nameRE.MatchString(spec.Name) {
		return invalidf("table name %q (want 3-255 of A-Z a-z 0-9 _ . -)", spec.Name)
	}
	if spec.PK == "" {
		return invalidf("table %s: no partition key attribute", spec.Name)
	}
	if len(spec.Indexes) > maxIndexes {
		return invalidf("table %s: more than %d indexes", spec.Name, maxIndexes)
	}
	seen := map[string]bool{}
	for _, ix := range spec.Indexes {
		if !nameRE.MatchString(ix.Name) {
			return invalidf("table %s: index name %q", spec.Name, ix.Name)
		}
		if seen[ix.Name] {
			return invalidf("table %s: index %s declared twice", spec.Name, ix.Name)
		}
		seen[ix.Name] = true
		if ix.PK == "" {
			return invalidf("table %s: index %s has no partition key attribute", spec.Name, ix.Name)
		}
		if ix.Projection != store.ProjectDefault && ix.Projection != store.ProjectAll {
			return invalidf("table %s: index %s: unknown projection %q", spec.Name, ix.Name, ix.Projection)
		}
	}
	return nil
}

// EnsureTable creates the table, or adds (and fills) indexes that spec names
// and the stored table lacks, and rewrites an index whose projection spec
// changes. A different key schema, or an index of the same name on other
// attributes, is an error; indexes absent from spec are kept.
func (s *TableStore) EnsureTable(ctx context.Context, spec store.TableSpec) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ensure table %s: %w", spec.Name, err)
	}
	if err := validateSpec(spec); err != nil {
		return fmt.Errorf("ensure table: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	merged := spec
	merged.Indexes = append([]store.IndexSpec(nil), spec.Indexes...)
	var added []store.IndexSpec
	if old, ok := s.tables[spec.Name]; ok {
		if old.spec.PK != spec.PK || old.spec.SK != spec.SK {
			return invalidf("ensure table %s: exists with key (%s, %s), asked for (%s, %s)",
				spec.Name, old.spec.PK, old.spec.SK, spec.PK, spec.SK)
		}
		merged.Indexes = append([]store.IndexSpec(nil), old.spec.Indexes...)
		for _, ix := range spec.Indexes {
			if have, ok := old.index(ix.Name); ok {
				if have.spec.PK != ix.PK || have.spec.SK != ix.SK {
					return invalidf("ensure table %s: index %s exists on (%s, %s), asked for (%s, %s)",
						spec.Name, ix.Name, have.spec.PK, have.spec.SK, ix.PK, ix.SK)
				}
				if have.spec.Projection != ix.Projection {
					// Stored with the other projection (e.g. a file from
					// before projections): refill it the new way.
					merged.Indexes[slices.IndexFunc(merged.Indexes, func(m store.IndexSpec) bool { return m.Name == ix.Name })] = ix
					added = append(added, ix)
				}
				continue
			}
			merged.Indexes = append(merged.Indexes, ix)
			added = append(added, ix)
		}
		if len(added) == 0 {
			return nil
		}
		if len(merged.Indexes) > maxIndexes {
			return invalidf("ensure table %s: more than %d indexes", spec.Name, maxIndexes)
		}
	} else {
		added = merged.Indexes
	}
	d := newTableDef(merged)
	if old, ok := s.tables[spec.Name]; ok {
		d.gen = old.gen
	}
	blob, err := json.Marshal(merged)
	if err != nil {
		return fmt.Errorf("ensure table %s: %w", spec.Name, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte(tablesBucket)).Put([]byte(spec.Name), blob); err != nil {
			return err
		}
		items, err := tx.CreateBucketIfNotExists(d.bucket)
		if err != nil {
			return err
		}
		for _, ix := range added {
			ixd, _ := d.index(ix.Name)
			if tx.Bucket(ixd.bucket) != nil {
				if err := tx.DeleteBucket(ixd.bucket); err != nil {
					return err
				}
			}
			ib, err := tx.CreateBucket(ixd.bucket)
			if err != nil {
				return err
			}
			// Fill the index from the items already stored.
			err = items.ForEach(func(k, v []byte) error {
				pk, sk := splitItemKey(k)
				ik, err := storedIndexKey(ixd.spec, v, pk, sk)
				if err != nil || ik == nil {
					return err
				}
				return ib.Put(ik, ixd.entry(v))
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ensure table %s: %w", spec.Name, err)
	}
	s.tables[spec.Name] = d
	d.gen.Add(1)
	return nil
}

var _ store.ChangeCounter = (*TableStore)(nil)

// Generation implements store.ChangeCounter: it grows after every committed
// write to the table (0 for an unknown table). Writers bump it after their
// commit, so a reader that reads it before its own read transaction never
// labels an answer with a generation newer than the data it read.
func (s *TableStore) Generation(table string) uint64 {
	d, err := s.table(table)
	if err != nil {
		return 0
	}
	return d.gen.Load()
}

// keyString validates a key attribute value.
func keyString(attr string, v any, max int) (string, error) {
	s, ok := v.(string)
	switch {
	case !ok:
		return "", invalidf("key attribute %s is %T, not a string", attr, v)
	case s == "":
		return "", invalidf("key attribute %s is empty", attr)
	case len(s) > max:
		return "", invalidf("key attribute %s is longer than %d bytes", attr, max)
	case !utf8.ValidString(s) || bytes.IndexByte([]byte(s), 0) >= 0:
		return "", invalidf("key attribute %s is not UTF-8 without NUL", attr)
	}
	return s, nil
}

func itemKey(pk, sk string) []byte {
	k := make([]byte, 0, len(pk)+1+len(sk))
	k = append(k, pk...)
	k = append(k, 0)
	return append(k, sk...)
}

func splitItemKey(k []byte) (pk, sk string) {
	i := bytes.IndexByte(k, 0)
	return string(k[:i]), string(k[i+1:])
}

func indexKey(ipk, isk, pk, sk string) []byte {
	k := make([]byte, 0, len(ipk)+len(isk)+len(pk)+len(sk)+3)
	k = append(k, ipk...)
	k = append(k, 0)
	k = append(k, isk...)
	k = append(k, 0)
	k = append(k, pk...)
	k = append(k, 0)
	return append(k, sk...)
}

// keyOf validates k against the table's key schema.
func (d *tableDef) keyOf(k store.Key) ([]byte, error) {
	pk, err := keyString(d.spec.PK, k.PK, maxPKLen)
	if err != nil {
		return nil, err
	}
	if d.spec.SK == "" {
		if k.SK != "" {
			return nil, invalidf("table %s has no sort key", d.spec.Name)
		}
		return itemKey(pk, ""), nil
	}
	sk, err := keyString(d.spec.SK, k.SK, maxSKLen)
	if err != nil {
		return nil, err
	}
	return itemKey(pk, sk), nil
}

// putPlan is a validated, encoded item write.
type putPlan struct {
	key     []byte
	value   []byte
	pk, sk  string
	idxKeys [][]byte // per index of the table; nil when the item is not in it
}

func (d *tableDef) planPut(item store.Item) (putPlan, error) {
	var p putPlan
	var err error
	if p.pk, err = keyString(d.spec.PK, item[d.spec.PK], maxPKLen); err != nil {
		return p, err
	}
	if d.spec.SK != "" {
		if p.sk, err = keyString(d.spec.SK, item[d.spec.SK], maxSKLen); err != nil {
			return p, err
		}
	}
	p.key = itemKey(p.pk, p.sk)
	if p.value, err = encodeItem(item); err != nil {
		return p, err
	}
	p.idxKeys = make([][]byte, len(d.indexes))
	for i, ix := range d.indexes {
		if p.idxKeys[i], err = itemIndexKey(ix.spec, item, p.pk, p.sk); err != nil {
			return p, err
		}
	}
	return p, nil
}

// itemIndexKey is the entry of item in index ix, or nil if the item lacks an
// index key attribute (sparse index). A present key attribute must be a
// valid key string, as DynamoDB requires.
func itemIndexKey(ix store.IndexSpec, item store.Item, pk, sk string) ([]byte, error) {
	v, ok := item[ix.PK]
	if !ok {
		return nil, nil
	}
	ipk, err := keyString(ix.PK, v, maxPKLen)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", ix.Name, err)
	}
	isk := ""
	if ix.SK != "" {
		v, ok := item[ix.SK]
		if !ok {
			return nil, nil
		}
		if isk, err = keyString(ix.SK, v, maxSKLen); err != nil {
			return nil, fmt.Errorf("index %s: %w", ix.Name, err)
		}
	}
	return indexKey(ipk, isk, pk, sk), nil
}

// storedIndexKey is itemIndexKey for an item in its stored form.
func storedIndexKey(ix store.IndexSpec, stored []byte, pk, sk string) ([]byte, error) {
	attrs, err := rawAttrs(stored)
	if err != nil {
		return nil, err
	}
	return rawIndexKey(ix, attrs, pk, sk)
}

func rawIndexKey(ix store.IndexSpec, attrs map[string][]byte, pk, sk string) ([]byte, error) {
	ipk, ok := rawString(attrs[ix.PK])
	if !ok {
		return nil, nil
	}
	isk := ""
	if ix.SK != "" {
		if isk, ok = rawString(attrs[ix.SK]); !ok {
			return nil, nil
		}
	}
	return indexKey(ipk, isk, pk, sk), nil
}

// condCheck is a validated condition.
type condCheck struct {
	kind store.CondKind
	attr string
	want []byte // encoded value for the attribute conditions
}

func prepareCond(c store.Cond) (condCheck, error) {
	cc := condCheck{kind: c.Kind, attr: c.Attr}
	switch c.Kind {
	case store.CondNone, store.CondNotExists, store.CondExists:
	case store.CondAttrEquals, store.CondAttrNotEquals:
		if c.Attr == "" {
			return cc, invalidf("condition without attribute")
		}
		var err error
		if cc.want, err = encodedValue(c.Value); err != nil {
			return cc, fmt.Errorf("condition value: %w", err)
		}
	default:
		return cc, invalidf("unknown condition kind %d", c.Kind)
	}
	return cc, nil
}

// holds tells whether the condition is met by the stored item old (nil when
// absent).
func (c condCheck) holds(old []byte) (bool, error) {
	switch c.kind {
	case store.CondNotExists:
		return old == nil, nil
	case store.CondExists:
		return old != nil, nil
	case store.CondAttrEquals, store.CondAttrNotEquals:
		equal := false
		if old != nil {
			attrs, err := rawAttrs(old)
			if err != nil {
				return false, err
			}
			raw, ok := attrs[c.attr]
			equal = ok && bytes.Equal(raw, c.want)
		}
		return equal == (c.kind == store.CondAttrEquals), nil
	}
	return true, nil
}

// applyPut writes plan over old (nil when absent), keeping indexes in step.
func (d *tableDef) applyPut(tx *bolt.Tx, p putPlan, old []byte) error {
	var oldKeys [][]byte
	if old != nil && len(d.indexes) > 0 {
		var err error
		if oldKeys, err = d.storedIndexKeys(old, p.pk, p.sk); err != nil {
			return err
		}
	}
	if err := tx.Bucket(d.bucket).Put(p.key, p.value); err != nil {
		return err
	}
	for i, ix := range d.indexes {
		ib := tx.Bucket(ix.bucket)
		if oldKeys != nil && oldKeys[i] != nil && !bytes.Equal(oldKeys[i], p.idxKeys[i]) {
			if err := ib.Delete(oldKeys[i]); err != nil {
				return err
			}
		}
		if p.idxKeys[i] != nil {
			if err := ib.Put(p.idxKeys[i], ix.entry(p.value)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *tableDef) storedIndexKeys(stored []byte, pk, sk string) ([][]byte, error) {
	attrs, err := rawAttrs(stored)
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(d.indexes))
	for i, ix := range d.indexes {
		if keys[i], err = rawIndexKey(ix.spec, attrs, pk, sk); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// applyDelete removes the item stored at key (old) and its index entries.
func (d *tableDef) applyDelete(tx *bolt.Tx, key, old []byte) error {
	if old == nil {
		return nil
	}
	pk, sk := splitItemKey(key)
	oldKeys, err := d.storedIndexKeys(old, pk, sk)
	if err != nil {
		return err
	}
	for i, ix := range d.indexes {
		if oldKeys[i] != nil {
			if err := tx.Bucket(ix.bucket).Delete(oldKeys[i]); err != nil {
				return err
			}
		}
	}
	return tx.Bucket(d.bucket).Delete(key)
}

// write runs fn in a read-write transaction. fn must be idempotent: inside a
// bbolt Batch it may run more than once (it is re-run alone if a batch-mate
// fails), so it reports outcomes through variables it resets on every run.
func (s *TableStore) write(fn func(*bolt.Tx) error) error {
	if s.writers.Add(1) == 1 {
		defer s.writers.Add(-1)
		return s.db.Update(fn) // nobody to share a commit with: don't wait
	}
	defer s.writers.Add(-1)
	return s.db.Batch(fn)
}

// Get returns the item at key or ErrNotFound.
func (s *TableStore) Get(ctx context.Context, table string, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", table, err)
	}
	d, err := s.table(table)
	if err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	k, err := d.keyOf(key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", table, err)
	}
	var item store.Item
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(d.bucket).Get(k)
		if v == nil {
			return store.ErrNotFound
		}
		item, err = decodeItem(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %s %v: %w", table, key, err)
	}
	return item, nil
}

// Put writes item if cond holds.
func (s *TableStore) Put(ctx context.Context, table string, item store.Item, cond store.Cond) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", table, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, err := s.lookup(table)
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	p, err := d.planPut(item)
	if err != nil {
		return fmt.Errorf("put %s: %w", table, err)
	}
	cc, err := prepareCond(cond)
	if err != nil {
		return fmt.Errorf("put %s: %w", table, err)
	}
	failed := false
	err = s.write(func(tx *bolt.Tx) error {
		failed = false
		old := tx.Bucket(d.bucket).Get(p.key)
		ok, err := cc.holds(old)
		if err != nil {
			return err
		}
		if !ok {
			failed = true // no write happened: nothing for the batch to undo
			return nil
		}
		return d.applyPut(tx, p, old)
	})
	d.gen.Add(1) // after the commit (or a failure: a spurious bump costs a cache miss only)
	if err != nil {
		return fmt.Errorf("put %s: %w", table, err)
	}
	if failed {
		return fmt.Errorf("put %s (%s, %s): %w", table, p.pk, p.sk, store.ErrConditionFailed)
	}
	return nil
}

// Delete removes the item at key if cond holds.
func (s *TableStore) Delete(ctx context.Context, table string, key store.Key, cond store.Cond) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, err := s.lookup(table)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	k, err := d.keyOf(key)
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	cc, err := prepareCond(cond)
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	failed := false
	err = s.write(func(tx *bolt.Tx) error {
		failed = false
		old := tx.Bucket(d.bucket).Get(k)
		ok, err := cc.holds(old)
		if err != nil {
			return err
		}
		if !ok {
			failed = true
			return nil
		}
		return d.applyDelete(tx, k, old)
	})
	d.gen.Add(1)
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	if failed {
		return fmt.Errorf("delete %s %v: %w", table, key, store.ErrConditionFailed)
	}
	return nil
}

// txOp is a validated transaction operation.
type txOp struct {
	d    *tableDef
	key  []byte
	put  *putPlan
	del  bool
	cond condCheck
}

// Transact applies ops atomically: every condition is checked before any
// write, in one bbolt transaction.
func (s *TableStore) Transact(ctx context.Context, ops []store.WriteOp) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("transact: %w", err)
	}
	if len(ops) == 0 || len(ops) > maxTransact {
		return invalidf("transact: %d operations (want 1 to %d)", len(ops), maxTransact)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	plan := make([]txOp, len(ops))
	seen := make(map[string]int, len(ops))
	for i, op := range ops {
		t, err := s.planOp(op)
		if err != nil {
			return fmt.Errorf("transact: op %d: %w", i, err)
		}
		id := op.Table + "\x00" + string(t.key)
		if j, dup := seen[id]; dup {
			return invalidf("transact: ops %d and %d touch the same item", j, i)
		}
		seen[id] = i
		plan[i] = t
	}
	failedOp := -1
	err := s.write(func(tx *bolt.Tx) error {
		failedOp = -1
		for i, op := range plan {
			ok, err := op.cond.holds(tx.Bucket(op.d.bucket).Get(op.key))
			if err != nil {
				return err
			}
			if !ok {
				failedOp = i
				return nil // nothing written yet
			}
		}
		for _, op := range plan {
			old := tx.Bucket(op.d.bucket).Get(op.key)
			var err error
			switch {
			case op.put != nil:
				err = op.d.applyPut(tx, *op.put, old)
			case op.del:
				err = op.d.applyDelete(tx, op.key, old)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, op := range plan {
		op.d.gen.Add(1)
	}
	if err != nil {
		return fmt.Errorf("transact: %w", err)
	}
	if failedOp >= 0 {
		return fmt.Errorf("transact: op %d on %s: %w", failedOp, ops[failedOp].Table, store.ErrConditionFailed)
	}
	return nil
}

func (s *TableStore) planOp(op store.WriteOp) (txOp, error) {
	d, err := s.lookup(op.Table)
	if err != nil {
		return txOp{}, err
	}
	t := txOp{d: d}
	if t.cond, err = prepareCond(op.Cond); err != nil {
		return t, err
	}
	set := 0
	if op.Put != nil {
		set++
		p, err := d.planPut(op.Put)
		if err != nil {
			return t, err
		}
		t.put, t.key = &p, p.key
	}
	if op.Delete != nil {
		set++
		if t.key, err = d.keyOf(*op.Delete); err != nil {
			return t, err
		}
		t.del = true
	}
	if op.Check != nil {
		set++
		if t.key, err = d.keyOf(*op.Check); err != nil {
			return t, err
		}
		if op.Cond.Kind == store.CondNone {
			return t, invalidf("condition check without a condition")
		}
	}
	if set != 1 {
		return t, invalidf("want exactly one of Put, Delete, Check; got %d", set)
	}
	return t, nil
}

// BatchPut writes items without conditions. Items are all validated first
// (an invalid one writes nothing) and then written in chunks, each chunk
// atomically; two items with the same key are refused, as DynamoDB does.
func (s *TableStore) BatchPut(ctx context.Context, table string, items []store.Item) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("batch put %s: %w", table, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, err := s.lookup(table)
	if err != nil {
		return fmt.Errorf("batch put: %w", err)
	}
	plans := make([]putPlan, len(items))
	seen := make(map[string]int, len(items))
	for i, it := range items {
		if plans[i], err = d.planPut(it); err != nil {
			return fmt.Errorf("batch put %s: item %d: %w", table, i, err)
		}
		if j, dup := seen[string(plans[i].key)]; dup {
			return invalidf("batch put %s: items %d and %d have the same key", table, j, i)
		}
		seen[string(plans[i].key)] = i
	}
	for start := 0; start < len(plans); start += loadChunk {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("batch put %s: %w", table, err)
		}
		chunk := plans[start:min(start+loadChunk, len(plans))]
		fn := func(tx *bolt.Tx) error {
			b := tx.Bucket(d.bucket)
			for _, p := range chunk {
				if err := d.applyPut(tx, p, b.Get(p.key)); err != nil {
					return err
				}
			}
			return nil
		}
		if len(chunk) <= soloBatchMax {
			err = s.write(fn)
		} else {
			err = s.db.Update(fn)
		}
		d.gen.Add(1)
		if err != nil {
			return fmt.Errorf("batch put %s: %w", table, err)
		}
	}
	return nil
}

// errStop ends a cursor walk early.
var errStop = errors.New("stop")
