package local

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Items are stored in a compact typed encoding of DynamoDB's AttributeValue
// model (S, N, B, BOOL, NULL, M, L, SS). It is binary rather than JSON
// because decoding is on the query path: JSON cost ~16µs per item, a 30-item
// query ~0.5ms. The layout:
//
//	item  = version(1) uvarint(count) { str(name) value }   names sorted
//	value = tag payload
//	  S   str            N  str (decimal text)      B  str (bytes)
//	  T / F (bool)       0 (NULL)
//	  M   uvarint(count) { str(key) value }         keys sorted
//	  L   uvarint(count) { value }
//	  s   uvarint(count) { str }                    (SS, order kept)
//	str   = uvarint(len) bytes
//
// Numbers are decimal text, so int64 values keep every digit; whole numbers
// decode as int64 and the others as float64, as the port documents. Sorted
// names make the encoding canonical: equal values have equal bytes, which is
// how attribute conditions compare.
const (
	codecVersion = 1

	tagS     = 'S'
	tagN     = 'N'
	tagB     = 'B'
	tagTrue  = 'T'
	tagFalse = 'F'
	tagNull  = '0'
	tagM     = 'M'
	tagL     = 'L'
	tagSS    = 's'

	maxItemSize = 400 * 1024 // bytes, DynamoDB's item limit
	maxDepth    = 32         // nesting levels DynamoDB allows
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrInvalid)...)
}

type encoder struct{ buf []byte }

func (e *encoder) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// encodeItem validates item and returns its stored form.
func encodeItem(item store.Item) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 256)}
	e.buf = append(e.buf, codecVersion)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(item)))
	size := 0
	for _, name := range slices.Sorted(maps.Keys(item)) {
		if name == "" || !utf8.ValidString(name) {
			return nil, invalidf("attribute name %q", name)
		}
		e.str(name)
		n, err := e.value(item[name], 1)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		size += len(name) + n
	}
	if size > maxItemSize {
		return nil, invalidf("item of about %d bytes exceeds the 400 KB limit", size)
	}
	return e.buf, nil
}

// encodedValue is the stored form of v alone, to compare a condition's value
// with a stored attribute byte for byte.
func encodedValue(v any) ([]byte, error) {
	var e encoder
	if _, err := e.value(v, 1); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// value appends one Go value and returns its DynamoDB size.
func (e *encoder) value(v any, depth int) (int, error) {
	if depth > maxDepth {
		return 0, invalidf("nested deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, tagNull)
		return 1, nil
	case string:
		if !utf8.ValidString(x) {
			return 0, invalidf("string is not UTF-8")
		}
		e.buf = append(e.buf, tagS)
		e.str(x)
		return len(x), nil
	case bool:
		if x {
			e.buf = append(e.buf, tagTrue)
		} else {
			e.buf = append(e.buf, tagFalse)
		}
		return 1, nil
	case int:
		return e.int(int64(x)), nil
	case int8:
		return e.int(int64(x)), nil
	case int16:
		return e.int(int64(x)), nil
	case int32:
		return e.int(int64(x)), nil
	case int64:
		return e.int(x), nil
	case uint:
		return e.uint(uint64(x))
	case uint8:
		return e.int(int64(x)), nil
	case uint16:
		return e.int(int64(x)), nil
	case uint32:
		return e.int(int64(x)), nil
	case uint64:
		return e.uint(x)
	case float32:
		return e.float(float64(x))
	case float64:
		return e.float(x)
	case []byte:
		e.buf = append(e.buf, tagB)
		e.str(string(x))
		return len(x), nil
	case []string:
		e.buf = append(e.buf, tagSS)
		e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
		size := 0
		for _, s := range x {
			if !utf8.ValidString(s) {
				return 0, invalidf("string is not UTF-8")
			}
			e.str(s)
			size += len(s)
		}
		return size, nil
	case map[string]any:
		return e.mapValue(x, depth)
	case store.Item:
		return e.mapValue(x, depth)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return e.mapValue(m, depth)
	case []any:
		e.buf = append(e.buf, tagL)
		e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
		size := 3
		for i, el := range x {
			n, err := e.value(el, depth+1)
			if err != nil {
				return 0, fmt.Errorf("[%d]: %w", i, err)
			}
			size += n + 1
		}
		return size, nil
	}
	return 0, invalidf("unsupported value type %T", v)
}

func (e *encoder) mapValue(x map[string]any, depth int) (int, error) {
	e.buf = append(e.buf, tagM)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(x)))
	size := 3
	for _, k := range slices.Sorted(maps.Keys(x)) {
		if !utf8.ValidString(k) {
			return 0, invalidf("map key %q is not UTF-8", k)
		}
		e.str(k)
		n, err := e.value(x[k], depth+1)
		if err != nil {
			return 0, fmt.Errorf(".%s: %w", k, err)
		}
		size += len(k) + n + 1
	}
	return size, nil
}

func (e *encoder) number(n string) int {
	e.buf = append(e.buf, tagN)
	e.str(n)
	return len(n)/2 + 1
}

func (e *encoder) int(i int64) int { return e.number(strconv.FormatInt(i, 10)) }

func (e *encoder) uint(u uint64) (int, error) {
	if u > math.MaxInt64 {
		return 0, invalidf("integer %d does not fit int64", u)
	}
	return e.int(int64(u)), nil
}

// float writes whole numbers as integers so they read back as int64, the way
// DynamoDB normalises 3.0 to 3; NaN, infinities and magnitudes DynamoDB
// cannot hold are refused.
func (e *encoder) float(f float64) (int, error) {
	abs := math.Abs(f)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, invalidf("number %v", f)
	case abs >= 1e126 || (abs != 0 && abs < 1e-130):
		return 0, invalidf("number %v is out of DynamoDB's range", f)
	case f == math.Trunc(f) && abs < 1<<63:
		return e.int(int64(f)), nil
	}
	return e.number(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

var errCorrupt = errors.New("corrupt stored item")

// decoder reads the encoding; it never trusts lengths or counts, so damaged
// data gives an error, not a panic. Values it returns never alias its input
// (bbolt's memory is only valid inside a transaction).
type decoder struct {
	b   []byte
	err error
	// s, when set, is the whole input copied into one string: strings are
	// cut from it rather than copied one by one, so decoding an item costs
	// one allocation for all its names and strings instead of one each.
	s string
}

// str reads a length-prefixed string.
func (d *decoder) str() string {
	r := d.raw()
	if d.s == "" || len(r) == 0 {
		return string(r)
	}
	end := len(d.s) - len(d.b)
	return d.s[end-len(r) : end]
}

// pos is the offset in s of the next byte to read.
func (d *decoder) pos() int { return len(d.s) - len(d.b) }

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	if len(d.b) > 0 && d.b[0] < 0x80 { // one byte: most lengths and counts
		v := uint64(d.b[0])
		d.b = d.b[1:]
		return v
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads an element count, each element taking at least one byte.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) tag() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	t := d.b[0]
	d.b = d.b[1:]
	return t
}

func (d *decoder) header() int {
	if len(d.b) == 0 || d.b[0] != codecVersion {
		d.fail()
		return 0
	}
	d.b = d.b[1:]
	return d.count()
}

// decodeItem turns a stored item back into Go values.
func decodeItem(data []byte) (store.Item, error) {
	d := decoder{b: data, s: string(data)}
	n := d.header()
	item := make(store.Item, n)
	for i := 0; i < n && d.err == nil; i++ {
		name := d.str()
		item[name] = d.value(1)
	}
	if d.err != nil {
		return nil, d.err
	}
	return item, nil
}

func (d *decoder) value(depth int) any {
	if depth > maxDepth+1 {
		d.fail()
		return nil
	}
	switch d.tag() {
	case tagNull:
		return nil
	case tagTrue:
		return true
	case tagFalse:
		return false
	case tagS:
		return d.str()
	case tagN:
		v, err := parseNumber(d.str())
		if err != nil {
			d.fail()
		}
		return v
	case tagB:
		return append([]byte{}, d.raw()...)
	case tagSS:
		ss := make([]string, d.count())
		for i := range ss {
			ss[i] = d.str()
		}
		return ss
	case tagL:
		l := make([]any, d.count())
		for i := range l {
			l[i] = d.value(depth + 1)
		}
		return l
	case tagM:
		n := d.count()
		m := make(map[string]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.str()
			m[k] = d.value(depth + 1)
		}
		return m
	}
	d.fail()
	return nil
}

// skip passes over one value without building it.
func (d *decoder) skip(depth int) {
	if depth > maxDepth+1 {
		d.fail()
		return
	}
	switch d.tag() {
	case tagNull, tagTrue, tagFalse:
	case tagS, tagN, tagB:
		d.raw()
	case tagSS:
		for n := d.count(); n > 0 && d.err == nil; n-- {
			d.raw()
		}
	case tagL:
		for n := d.count(); n > 0 && d.err == nil; n-- {
			d.skip(depth + 1)
		}
	case tagM:
		for n := d.count(); n > 0 && d.err == nil; n-- {
			d.raw()
			d.skip(depth + 1)
		}
	default:
		d.fail()
	}
}

// rawAttrs maps each top-level attribute of a stored item to its encoded
// value (sub-slices of stored, valid as long as it is).
func rawAttrs(stored []byte) (map[string][]byte, error) {
	d := decoder{b: stored}
	n := d.header()
	attrs := make(map[string][]byte, n)
	for i := 0; i < n && d.err == nil; i++ {
		name := d.raw()
		start := d.b
		d.skip(1)
		attrs[string(name)] = start[:len(start)-len(d.b)]
	}
	if d.err != nil {
		return nil, d.err
	}
	return attrs, nil
}

// rawString returns the string held by an encoded value, if it is one.
func rawString(raw []byte) (string, bool) {
	if len(raw) == 0 || raw[0] != tagS {
		return "", false
	}
	d := decoder{b: raw[1:]}
	s := string(d.raw())
	return s, d.err == nil
}

func parseNumber(n string) (any, error) {
	if !strings.ContainsAny(n, ".eE") {
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return nil, fmt.Errorf("number %q: %w", n, err)
	}
	return f, nil
}

// itemView reads single attributes of a stored item without decoding the
// others (store.Attrs), in place: reset indexes the stored bytes (bbolt's
// memory, valid during the visit only) and each accessor copies out only
// the value asked for, so what it returns outlives the transaction. Keys,
// names and attributes nobody asks for are never copied. The view is reused
// from item to item; attributes are kept as offsets rather than slices,
// which cost the garbage collector no write barriers.
type itemView struct {
	b     []byte
	attrs []attrSpan // in stored (sorted by name) order
	next  int        // where the previous lookup ended: names asked in order are found without a search
	// arena holds the strings returned so far, so a query's strings cost
	// one allocation per arenaChunk bytes instead of one each (a 30-record
	// file_info: 2 instead of ~500). Bytes once appended are never written
	// again (a full chunk is replaced, not reused), which is what lets
	// strings point into it. A string kept from it keeps its whole chunk
	// alive: at most arenaChunk bytes.
	arena []byte
}

const arenaChunk = 4 << 10

// copyString returns b copied into the arena, as a string.
func (v *itemView) copyString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(v.arena)-len(v.arena) < len(b) {
		v.arena = make([]byte, 0, max(arenaChunk, len(b)))
	}
	start := len(v.arena)
	v.arena = append(v.arena, b...)
	return unsafe.String(&v.arena[start], len(b))
}

// attrSpan locates one attribute's name and encoded value in itemView.b.
type attrSpan struct{ name, nameEnd, val, valEnd int32 }

func (v *itemView) name(i int) []byte { a := v.attrs[i]; return v.b[a.name:a.nameEnd] }

// compareName is strings.Compare(string(b), s) without converting b.
func compareName(b []byte, s string) int {
	switch {
	case string(b) == s:
		return 0
	case string(b) < s:
		return -1
	}
	return 1
}

func (v *itemView) reset(data []byte) error {
	d := decoder{b: data}
	n := d.header()
	v.b, v.attrs, v.next = data, v.attrs[:0], 0
	pos := func() int { return len(data) - len(d.b) }
	var prev []byte
	for i := 0; i < n && d.err == nil; i++ {
		name := d.raw()
		start := pos()
		// Scalars inline, the rest through skip: this loop runs for every
		// attribute of every record a web-service query returns.
		switch t := d.tag(); t {
		case tagS, tagN, tagB:
			if l := d.uvarint(); l <= uint64(len(d.b)) {
				d.b = d.b[l:]
			} else {
				d.fail()
			}
		case tagTrue, tagFalse, tagNull:
		default:
			d.b = data[start:] // back to the tag
			d.skip(1)
		}
		if i > 0 && string(name) <= string(prev) {
			d.fail() // the encoder sorts names; lookups rely on it
		}
		prev = name
		v.attrs = append(v.attrs, attrSpan{name: int32(start - len(name)), nameEnd: int32(start), val: int32(start), valEnd: int32(pos())})
	}
	return d.err
}

// raw returns the encoded value of an attribute, nil if it is missing.
func (v *itemView) raw(name string) []byte {
	i, n := v.next, len(v.attrs)
	switch {
	case i < n && string(v.name(i)) == name:
	case (i == 0 || string(v.name(i-1)) < name) && (i == n || string(v.name(i)) > name):
		return nil // absent, and the next name in order is still at i
	default:
		var ok bool
		if i, ok = slices.BinarySearchFunc(v.attrs, name, func(a attrSpan, name string) int {
			return compareName(v.b[a.name:a.nameEnd], name)
		}); !ok {
			v.next = i
			return nil
		}
	}
	v.next = i + 1
	a := v.attrs[i]
	return v.b[a.val:a.valEnd]
}

// payload returns the length-prefixed bytes after the tag of an S or N value.
func payload(raw []byte) []byte {
	var n uint64
	for i := 1; i < len(raw) && i < 11; i++ {
		c := raw[i]
		n |= uint64(c&0x7f) << (7 * (i - 1))
		if c < 0x80 {
			if n > uint64(len(raw)-i-1) {
				return nil
			}
			return raw[i+1 : i+1+int(n)]
		}
	}
	return nil
}

func (v *itemView) String(name string) string {
	if raw := v.raw(name); len(raw) > 0 && raw[0] == tagS {
		return v.copyString(payload(raw))
	}
	return ""
}

// Int is store.Item.Int: integers, and other numbers truncated.
func (v *itemView) Int(name string) int64 {
	raw := v.raw(name)
	if len(raw) == 0 || raw[0] != tagN {
		return 0
	}
	p := payload(raw)
	if i, ok := smallInt(p); ok {
		return i
	}
	if !strings.ContainsAny(string(p), ".eE") {
		if i, err := strconv.ParseInt(string(p), 10, 64); err == nil {
			return i
		}
	}
	f, _ := strconv.ParseFloat(string(p), 64)
	return int64(f)
}

// smallInt parses a plain decimal integer of at most 18 digits (which
// cannot overflow), the common case, without strconv's copy of the text.
func smallInt(p []byte) (int64, bool) {
	neg := len(p) > 0 && p[0] == '-'
	if neg {
		p = p[1:]
	}
	if len(p) == 0 || len(p) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func (v *itemView) Bool(name string) bool {
	raw := v.raw(name)
	return len(raw) == 1 && raw[0] == tagTrue
}
