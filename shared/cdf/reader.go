package cdf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// File is an open CDF: its metadata is read eagerly, variable values lazily
// (through Var.Values and the typed accessors).
type File struct {
	Version, Release, Increment int
	// Encoding is the data encoding code of the CDR (6 IBM PC, 1 network...).
	Encoding int
	// RowMajor is the CDR majority flag; multi-dimensional values of
	// column-major files are not transposed and are refused.
	RowMajor bool
	// LeapSecondLastUpdated is the GDR field (YYYYMMDD; 0 or -1 if unset).
	LeapSecondLastUpdated int
	Copyright             string
	Globals               []GlobalAttr
	Vars                  []*Var

	r      io.ReaderAt
	size   int64
	order  binary.ByteOrder
	closer io.Closer
}

// GlobalAttr is a global attribute and its entries in entry-number order.
type GlobalAttr struct {
	Name    string
	Entries []Value
}

// Attr is one variable attribute entry.
type Attr struct {
	Name  string
	Value Value
}

// Var is a variable (zVariable, or rVariable of older files).
type Var struct {
	Name string
	Type DataType
	// NumElems is the string length for CHAR/UCHAR (1 for numbers).
	NumElems int
	// Dims is the shape of one record (varying dimensions only, as stored).
	Dims       []int
	RecVary    bool
	NumRecords int
	// Z is true for zVariables, false for rVariables.
	Z     bool
	Attrs []Attr
	// Pad is the pad value, if the file has one.
	Pad *Value

	f        *File
	num      int32
	flags    int32
	sRecords int32
	vxrHead  int64
	recBytes int64
}

// Open opens and reads the metadata of the CDF file at path. Close it when
// done: values are read from it on demand.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cdf: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("cdf: %w", err)
	}
	f, err := Read(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%w (reading %s)", err, path)
	}
	f.closer = fh
	return f, nil
}

// Close closes the file opened by Open (no-op for Read).
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Var returns the variable called name, or nil.
func (f *File) Var(name string) *Var {
	for _, v := range f.Vars {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// GlobalAttr returns the global attribute called name.
func (f *File) GlobalAttr(name string) (GlobalAttr, bool) {
	for _, a := range f.Globals {
		if a.Name == name {
			return a, true
		}
	}
	return GlobalAttr{}, false
}

// Attr returns the variable's entry of attribute name.
func (v *Var) Attr(name string) (Value, bool) {
	for _, a := range v.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return Value{}, false
}

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// record is an internal record read into memory: body excludes the header.
type record struct {
	off  int64
	typ  int32
	body []byte
}

// cursor reads big-endian control fields from a record body; running off
// the end sets err instead of panicking.
type cursor struct {
	b   []byte
	p   int
	err error
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || c.p+n > len(c.b) {
		c.err = formatErr("record too short")
		return false
	}
	return true
}

func (c *cursor) i32() int32 {
	if !c.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(c.b[c.p:]))
	c.p += 4
	return v
}

func (c *cursor) i64() int64 {
	if !c.need(8) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(c.b[c.p:]))
	c.p += 8
	return v
}

func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	v := c.b[c.p : c.p+n]
	c.p += n
	return v
}

func (c *cursor) text(n int) string {
	b := c.bytes(n)
	if i := slices.Index(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// readRecord reads the whole internal record at off, checking its type is
// one of want (any when want is empty).
func (f *File) readRecord(off int64, want ...int32) (record, error) {
	if off < 8 || off > f.size-recHeaderSize {
		return record{}, formatErr("record offset %d outside file of %d bytes", off, f.size)
	}
	var h [recHeaderSize]byte
	if _, err := f.r.ReadAt(h[:], off); err != nil {
		return record{}, fmt.Errorf("cdf: read record at %d: %w", off, err)
	}
	size := int64(binary.BigEndian.Uint64(h[:]))
	typ := int32(binary.BigEndian.Uint32(h[8:]))
	if size < recHeaderSize || size > f.size-off {
		return record{}, formatErr("record at %d has size %d beyond file of %d bytes", off, size, f.size)
	}
	if len(want) > 0 && !slices.Contains(want, typ) {
		if typ == rtCVVR || typ == rtCPR || typ == rtCCR {
			return record{}, fmt.Errorf("%w: compressed data (record type %d at %d)", ErrUnsupported, typ, off)
		}
		return record{}, formatErr("record at %d has type %d, want %v", off, typ, want)
	}
	rec := record{off: off, typ: typ}
	if typ == rtVVR {
		return rec, nil // values are read separately, in bulk
	}
	rec.body = make([]byte, size-recHeaderSize)
	if _, err := f.r.ReadAt(rec.body, off+recHeaderSize); err != nil {
		return record{}, fmt.Errorf("cdf: read record at %d: %w", off, err)
	}
	return rec, nil
}

func byteOrder(encoding int32) (binary.ByteOrder, error) {
	switch encoding {
	case 1, 2, 5, 7, 9, 11, 12, 18:
		return binary.BigEndian, nil
	case 4, 6, 13, 16, 17, 19:
		return binary.LittleEndian, nil
	}
	return nil, fmt.Errorf("%w: data encoding %d (non-IEEE or unknown)", ErrUnsupported, encoding)
}

// Read reads the metadata of the CDF held by r (size bytes long).
func Read(r io.ReaderAt, size int64) (*File, error) {
	var magic [8]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, formatErr("file shorter than the magic numbers")
		}
		return nil, fmt.Errorf("cdf: read magic: %w", err)
	}
	m1 := binary.BigEndian.Uint32(magic[:])
	m2 := binary.BigEndian.Uint32(magic[4:])
	switch {
	case m1 == magicV3 && m2 == magicCompressed:
		return nil, fmt.Errorf("%w: compressed CDF file", ErrUnsupported)
	case m1 == magicV3 && m2 == magicUncompressed:
	case m1 == magicV3:
		return nil, formatErr("unknown second magic number %#08x", m2)
	case m1 == 0xCDF26002 || m1 == 0x0000FFFF:
		return nil, fmt.Errorf("%w: CDF version 2 file", ErrUnsupported)
	default:
		return nil, formatErr("not a CDF file (magic %#08x)", m1)
	}
	f := &File{r: r, size: size}
	if err := f.readHeaders(); err != nil {
		return nil, err
	}
	return f, nil
}

// seen guards linked-list walks against cycles in corrupt files.
type seen map[int64]bool

func (s seen) visit(off int64) error {
	if s[off] {
		return formatErr("record at %d is linked twice (cycle)", off)
	}
	s[off] = true
	return nil
}

func (f *File) readHeaders() error {
	cdr, err := f.readRecord(8, rtCDR)
	if err != nil {
		return fmt.Errorf("cdf: CDR: %w", err)
	}
	c := cursor{b: cdr.body}
	gdrOff := c.i64()
	f.Version, f.Release = int(c.i32()), int(c.i32())
	enc := c.i32()
	flags := c.i32()
	c.i32()
	c.i32()
	f.Increment = int(c.i32())
	c.i32()
	c.i32()
	f.Copyright = c.text(copyrightLen)
	if c.err != nil {
		return fmt.Errorf("cdf: CDR: %w", c.err)
	}
	f.Encoding = int(enc)
	if f.Version != 3 {
		return fmt.Errorf("%w: CDF version %d.%d", ErrUnsupported, f.Version, f.Release)
	}
	if f.order, err = byteOrder(enc); err != nil {
		return err
	}
	if flags&cdrFlagSingleFile == 0 {
		return fmt.Errorf("%w: multi-file CDF", ErrUnsupported)
	}
	f.RowMajor = flags&cdrFlagRowMajor != 0

	gdr, err := f.readRecord(gdrOff, rtGDR)
	if err != nil {
		return fmt.Errorf("cdf: GDR: %w", err)
	}
	c = cursor{b: gdr.body}
	rvdrHead, zvdrHead, adrHead := c.i64(), c.i64(), c.i64()
	c.i64() // eof
	c.i32() // NrVars
	c.i32() // NumAttr
	c.i32() // rMaxRec
	rNumDims := c.i32()
	c.i32() // NzVars
	c.i64() // UIRhead
	c.i32()
	f.LeapSecondLastUpdated = int(c.i32())
	c.i32()
	if rNumDims < 0 || rNumDims > 10 {
		return formatErr("GDR rNumDims %d", rNumDims)
	}
	rDims := make([]int, rNumDims)
	for i := range rDims {
		rDims[i] = int(c.i32())
	}
	if c.err != nil {
		return fmt.Errorf("cdf: GDR: %w", c.err)
	}

	visited := seen{}
	rVars := map[int32]*Var{}
	zVars := map[int32]*Var{}
	for _, chain := range []struct {
		head int64
		rt   int32
		byN  map[int32]*Var
	}{{rvdrHead, rtRVDR, rVars}, {zvdrHead, rtZVDR, zVars}} {
		for off := chain.head; off != 0; {
			if err := visited.visit(off); err != nil {
				return err
			}
			rec, err := f.readRecord(off, chain.rt)
			if err != nil {
				return fmt.Errorf("cdf: VDR: %w", err)
			}
			v, next, err := f.parseVDR(rec, rDims)
			if err != nil {
				return fmt.Errorf("cdf: VDR at %d: %w", off, err)
			}
			if _, dup := chain.byN[v.num]; dup {
				return formatErr("variable number %d used twice", v.num)
			}
			chain.byN[v.num] = v
			f.Vars = append(f.Vars, v)
			off = next
		}
	}

	for off := adrHead; off != 0; {
		if err := visited.visit(off); err != nil {
			return err
		}
		rec, err := f.readRecord(off, rtADR)
		if err != nil {
			return fmt.Errorf("cdf: ADR: %w", err)
		}
		next, err := f.parseADR(rec, visited, rVars, zVars)
		if err != nil {
			return fmt.Errorf("cdf: ADR at %d: %w", off, err)
		}
		off = next
	}
	return nil
}

// checkedProduct multiplies positive sizes, failing past limit.
func checkedProduct(limit int64, xs ...int64) (int64, bool) {
	p := int64(1)
	for _, x := range xs {
		if x < 0 || (x > 0 && p > limit/x) {
			return 0, false
		}
		p *= x
	}
	return p, p <= limit
}

func (f *File) parseVDR(rec record, rDims []int) (*Var, int64, error) {
	c := cursor{b: rec.body}
	v := &Var{f: f, Z: rec.typ == rtZVDR}
	next := c.i64()
	v.Type = DataType(c.i32())
	maxRec := c.i32()
	v.vxrHead = c.i64()
	c.i64() // VXRtail
	v.flags = c.i32()
	v.sRecords = c.i32()
	c.i32()
	c.i32()
	c.i32()
	numElems := c.i32()
	v.num = c.i32()
	c.i64() // CPRorSPRoffset
	c.i32() // BlockingFactor
	v.Name = c.text(nameLen)
	var dims []int
	if v.Z {
		n := c.i32()
		if n < 0 || n > 10 {
			return nil, 0, formatErr("zNumDims %d", n)
		}
		for range n {
			dims = append(dims, int(c.i32()))
		}
	} else {
		dims = rDims
	}
	for _, d := range dims {
		if vary := c.i32(); vary != 0 {
			v.Dims = append(v.Dims, d)
		}
	}
	if c.err != nil {
		return nil, 0, c.err
	}
	size := v.Type.Size()
	if size == 0 {
		return nil, 0, formatErr("variable %q has unknown data type %d", v.Name, int32(v.Type))
	}
	if numElems < 1 {
		return nil, 0, formatErr("variable %q has NumElems %d", v.Name, numElems)
	}
	if maxRec < -1 {
		return nil, 0, formatErr("variable %q has MaxRec %d", v.Name, maxRec)
	}
	v.NumElems = int(numElems)
	v.NumRecords = int(maxRec) + 1
	v.RecVary = v.flags&vdrFlagRecVary != 0
	factors := []int64{int64(size), int64(numElems)}
	for _, d := range v.Dims {
		if d < 1 {
			return nil, 0, formatErr("variable %q has dimension size %d", v.Name, d)
		}
		factors = append(factors, int64(d))
	}
	var ok bool
	if v.recBytes, ok = checkedProduct(math.MaxInt32, factors...); !ok {
		return nil, 0, formatErr("variable %q record too large", v.Name)
	}
	if v.flags&vdrFlagPad != 0 {
		pad := c.bytes(size * v.NumElems)
		if c.err != nil {
			return nil, 0, formatErr("variable %q pad value: %v", v.Name, c.err)
		}
		data, err := decodeValues(v.Type, pad, f.order, v.NumElems, true, false)
		if err != nil {
			return nil, 0, err
		}
		v.Pad = &Value{Type: v.Type, Data: data}
	}
	return v, next, nil
}

func (f *File) parseADR(rec record, visited seen, rVars, zVars map[int32]*Var) (int64, error) {
	c := cursor{b: rec.body}
	next := c.i64()
	grHead := c.i64()
	scope := c.i32()
	c.i32() // Num
	c.i32() // NgrEntries
	c.i32() // MAXgrEntry
	c.i32()
	zHead := c.i64()
	c.i32() // NzEntries
	c.i32() // MAXzEntry
	c.i32()
	name := c.text(nameLen)
	if c.err != nil {
		return 0, c.err
	}
	global := scope == 1 || scope == 3 // 3: global scope assumed
	type entry struct {
		num int32
		val Value
	}
	var gEntries []entry
	for _, list := range []struct {
		head int64
		rt   int32
		vars map[int32]*Var
	}{{grHead, rtAGEDR, rVars}, {zHead, rtAZEDR, zVars}} {
		for off := list.head; off != 0; {
			if err := visited.visit(off); err != nil {
				return 0, err
			}
			er, err := f.readRecord(off, list.rt)
			if err != nil {
				return 0, fmt.Errorf("attribute %q entry: %w", name, err)
			}
			ec := cursor{b: er.body}
			enext := ec.i64()
			ec.i32() // AttrNum
			typ := DataType(ec.i32())
			num := ec.i32()
			numElems := ec.i32()
			ec.bytes(5 * 4)
			if ec.err != nil {
				return 0, fmt.Errorf("attribute %q entry at %d: %w", name, off, ec.err)
			}
			if typ.Size() == 0 || numElems < 0 {
				return 0, formatErr("attribute %q entry at %d: type %d, NumElems %d", name, off, int32(typ), numElems)
			}
			n, ok := checkedProduct(int64(len(er.body)), int64(typ.Size()), int64(numElems))
			if !ok {
				return 0, formatErr("attribute %q entry at %d: value beyond record", name, off)
			}
			raw := ec.bytes(int(n))
			if ec.err != nil {
				return 0, formatErr("attribute %q entry at %d: value beyond record", name, off)
			}
			data, err := decodeValues(typ, raw, f.order, int(numElems), true, false)
			if err != nil {
				return 0, fmt.Errorf("attribute %q: %w", name, err)
			}
			val := Value{Type: typ, Data: data}
			if global {
				gEntries = append(gEntries, entry{num, val})
			} else if v := list.vars[num]; v != nil {
				v.Attrs = append(v.Attrs, Attr{Name: name, Value: val})
			}
			off = enext
		}
	}
	if global {
		slices.SortStableFunc(gEntries, func(a, b entry) int { return int(a.num) - int(b.num) })
		ga := GlobalAttr{Name: name}
		for _, e := range gEntries {
			ga.Entries = append(ga.Entries, e.val)
		}
		f.Globals = append(f.Globals, ga)
	}
	return next, nil
}

// segment is a run of stored records: first..last at file offset off.
type segment struct {
	first, last int64
	off         int64
}

// segments walks the variable's VXR list (and VXR trees) to its VVRs.
func (v *Var) segments() ([]segment, error) {
	var segs []segment
	visited := seen{}
	var walk func(head int64, depth int) error
	walk = func(head int64, depth int) error {
		if depth > 16 {
			return formatErr("VXR tree deeper than 16 levels")
		}
		for off := head; off != 0; {
			if err := visited.visit(off); err != nil {
				return err
			}
			rec, err := v.f.readRecord(off, rtVXR)
			if err != nil {
				return fmt.Errorf("VXR: %w", err)
			}
			c := cursor{b: rec.body}
			next := c.i64()
			nEntries := c.i32()
			nUsed := c.i32()
			if nEntries < 0 || nUsed < 0 || nUsed > nEntries || int64(nEntries)*vxrEntrySize > int64(len(rec.body)) {
				return formatErr("VXR at %d: %d of %d entries", off, nUsed, nEntries)
			}
			firsts := c.bytes(4 * int(nEntries))
			lasts := c.bytes(4 * int(nEntries))
			offs := c.bytes(8 * int(nEntries))
			if c.err != nil {
				return fmt.Errorf("VXR at %d: %w", off, c.err)
			}
			for i := range int(nUsed) {
				first := int64(int32(binary.BigEndian.Uint32(firsts[4*i:])))
				last := int64(int32(binary.BigEndian.Uint32(lasts[4*i:])))
				eoff := int64(binary.BigEndian.Uint64(offs[8*i:]))
				if first < 0 || last < first {
					return formatErr("VXR at %d: entry records %d..%d", off, first, last)
				}
				sub, err := v.f.readRecord(eoff, rtVXR, rtVVR)
				if err != nil {
					return fmt.Errorf("VXR at %d entry %d: %w", off, i, err)
				}
				if sub.typ == rtVXR {
					if err := walk(eoff, depth+1); err != nil {
						return err
					}
					continue
				}
				var h [8]byte
				if _, err := v.f.r.ReadAt(h[:], eoff); err != nil {
					return fmt.Errorf("cdf: read VVR at %d: %w", eoff, err)
				}
				stored := (int64(binary.BigEndian.Uint64(h[:])) - recHeaderSize) / v.recBytes
				if last-first+1 > stored {
					return formatErr("VVR at %d holds %d records, VXR says %d", eoff, stored, last-first+1)
				}
				segs = append(segs, segment{first, last, eoff + recHeaderSize})
			}
			off = next
		}
		return nil
	}
	if err := walk(v.vxrHead, 0); err != nil {
		return nil, err
	}
	slices.SortFunc(segs, func(a, b segment) int { return int(a.first - b.first) })
	return segs, nil
}

// Values reads all records of the variable and returns them, row-major, as
// a slice of the Go type for its data type ([]float32 for REAL4, []int64
// for TT2000, []string for CHAR...). Records not stored in the file hold the
// pad value (zero when there is none), or repeat the previous record when
// the variable says so (sparse records, previous mode).
func (v *Var) Values() (any, error) {
	raw, err := v.readRaw()
	if err != nil {
		return nil, fmt.Errorf("cdf: variable %q: %w", v.Name, err)
	}
	return decodeValues(v.Type, raw, v.f.order, v.NumElems, false, true)
}

func (v *Var) readRaw() ([]byte, error) {
	if v.flags&vdrFlagCompressed != 0 {
		return nil, fmt.Errorf("%w: compressed variable", ErrUnsupported)
	}
	if !v.f.RowMajor && len(v.Dims) > 1 {
		return nil, fmt.Errorf("%w: column-major multi-dimensional variable", ErrUnsupported)
	}
	n := int64(v.NumRecords)
	if n == 0 {
		return []byte{}, nil
	}
	// Refuse sizes the file cannot describe (corrupt MaxRec). Without
	// sparse records every record up to MaxRec is stored, so they fit in
	// the file; sparse variables may have some more, virtual, records.
	limit := v.f.size
	if v.sRecords != 0 {
		limit = 64*v.f.size + 1<<20
	}
	total, ok := checkedProduct(1<<40, n, v.recBytes)
	if !ok || total > limit {
		return nil, formatErr("%d records of %d bytes do not fit a file of %d bytes", n, v.recBytes, v.f.size)
	}
	segs, err := v.segments()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, total)
	next := int64(0) // first record not yet filled
	var padRec []byte
	fill := func(upTo int64) {
		for ; next < upTo; next++ {
			dst := buf[next*v.recBytes : (next+1)*v.recBytes]
			if v.sRecords == 2 && next > 0 { // sparse, previous mode
				copy(dst, buf[(next-1)*v.recBytes:next*v.recBytes])
				continue
			}
			if padRec == nil {
				padRec = v.padRecord()
			}
			copy(dst, padRec)
		}
	}
	for _, s := range segs {
		if s.first >= n {
			break
		}
		last := min(s.last, n-1)
		first := max(s.first, next) // overlapping entries: keep the first
		if first > last {
			continue
		}
		fill(first)
		lo, hi := first*v.recBytes, (last+1)*v.recBytes
		if _, err := v.f.r.ReadAt(buf[lo:hi], s.off+(first-s.first)*v.recBytes); err != nil {
			return nil, fmt.Errorf("read VVR data at %d: %w", s.off, err)
		}
		next = last + 1
	}
	fill(n)
	return buf, nil
}

// padRecord is one record of pad values in file encoding: the variable's
// pad value, or zeros (spaces for strings) when it has none.
func (v *Var) padRecord() []byte {
	rec := make([]byte, v.recBytes)
	size := v.Type.Size() * v.NumElems
	pad := make([]byte, size)
	switch {
	case v.Pad == nil && v.Type.isString():
		for i := range pad {
			pad[i] = ' '
		}
	case v.Pad == nil:
	case v.Type.isString():
		copy(pad, v.Pad.Data.(string))
	default:
		putValues(pad, v.Pad.Data, 0, goLen(v.Pad.Data), 0) // little-endian
		if v.f.order == binary.BigEndian {
			es := v.Type.Size() / v.Type.goPer()
			for i := 0; i+es <= len(pad); i += es {
				slices.Reverse(pad[i : i+es])
			}
		}
	}
	for p := 0; p+size <= len(rec); p += size {
		copy(rec[p:], pad)
	}
	return rec
}

func typeErr(v *Var, want string) error {
	return fmt.Errorf("cdf: variable %q is %s, not readable as %s", v.Name, v.Type, want)
}

func values[T any](v *Var, want string) ([]T, error) {
	data, err := v.Values()
	if err != nil {
		return nil, err
	}
	out, ok := data.([]T)
	if !ok {
		return nil, typeErr(v, want)
	}
	return out, nil
}

// Int8s returns the values of an INT1 or BYTE variable.
func (v *Var) Int8s() ([]int8, error) { return values[int8](v, "[]int8") }

// Int16s returns the values of an INT2 variable.
func (v *Var) Int16s() ([]int16, error) { return values[int16](v, "[]int16") }

// Int32s returns the values of an INT4 variable.
func (v *Var) Int32s() ([]int32, error) { return values[int32](v, "[]int32") }

// Int64s returns the values of an INT8 or TIME_TT2000 variable.
func (v *Var) Int64s() ([]int64, error) { return values[int64](v, "[]int64") }

// Uint8s returns the values of a UINT1 variable.
func (v *Var) Uint8s() ([]uint8, error) { return values[uint8](v, "[]uint8") }

// Uint16s returns the values of a UINT2 variable.
func (v *Var) Uint16s() ([]uint16, error) { return values[uint16](v, "[]uint16") }

// Uint32s returns the values of a UINT4 variable.
func (v *Var) Uint32s() ([]uint32, error) { return values[uint32](v, "[]uint32") }

// Float32s returns the values of a REAL4 or FLOAT variable.
func (v *Var) Float32s() ([]float32, error) { return values[float32](v, "[]float32") }

// Float64s returns the values of a REAL8, DOUBLE, EPOCH or EPOCH16 (pairs)
// variable.
func (v *Var) Float64s() ([]float64, error) { return values[float64](v, "[]float64") }

// Strings returns the values of a CHAR or UCHAR variable, trailing spaces
// and NULs removed.
func (v *Var) Strings() ([]string, error) { return values[string](v, "[]string") }

// String summarises the variable like "mms1_fgm_b_gse_srvy_l2 CDF_REAL4 [4] x 1440 records".
func (v *Var) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", v.Name, v.Type)
	if v.Type.isString() {
		fmt.Fprintf(&b, "*%d", v.NumElems)
	}
	fmt.Fprintf(&b, " %v x %d records", v.Dims, v.NumRecords)
	if !v.RecVary {
		b.WriteString(" (non-record-varying)")
	}
	return b.String()
}
