package cdf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// LeapSecondLastUpdated is the date (YYYYMMDD) of the last leap second in
// the table the TT2000 values were computed with: 2017-01-01, the leap
// second at the end of 2016. Readers compare it with their own table and
// refuse or warn about files newer than it. Writers default to it; set
// Writer.LeapSecondLastUpdated when the leap second table changes.
const LeapSecondLastUpdated = 20170101

// Default layout limits: records are split into VVRs of about this many
// bytes, indexed by VXRs of this many entries linked in a list.
const (
	defaultVVRBytes   = 8 << 20
	defaultVXREntries = 16
)

// Writer collects the content of one CDF file and writes it in one go.
//
// Definition errors (bad names, type mismatches, duplicates) are sticky:
// the first is kept, later calls are ignored, and it is returned by Err and
// WriteTo, so a file can be described without checking every call.
//
// Data given to Append is retained, not copied, until WriteTo returns: do
// not modify it in between.
type Writer struct {
	// LeapSecondLastUpdated is written to the GDR; NewWriter sets it to the
	// package constant LeapSecondLastUpdated.
	LeapSecondLastUpdated int32

	attrs      []*attribute
	attrByName map[string]*attribute
	vars       []*Variable
	varByName  map[string]*Variable
	err        error

	vvrBytes   int // target VVR size in bytes
	vxrEntries int // entries per VXR
}

// NewWriter returns an empty writer.
func NewWriter() *Writer {
	return &Writer{
		LeapSecondLastUpdated: LeapSecondLastUpdated,
		attrByName:            map[string]*attribute{},
		varByName:             map[string]*Variable{},
		vvrBytes:              defaultVVRBytes,
		vxrEntries:            defaultVXREntries,
	}
}

type attribute struct {
	name     string
	scope    int32
	gEntries []Value
	zEntries map[int32]Value // by zVariable number
}

// Variable is a zVariable being defined; its methods return the variable so
// that calls chain.
type Variable struct {
	w        *Writer
	name     string
	typ      DataType
	dims     []int
	recVary  bool
	num      int32
	numElems int // CHAR/UCHAR string length; 0 = longest string given
	pad      *Value
	chunks   []any // appended slices, in order
	goCount  int   // total Go elements appended
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Err returns the first definition error, if any.
func (w *Writer) Err() error { return w.err }

func checkName(kind, name string) error {
	if name == "" || len(name) > nameLen || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("cdf: %s name %q: must be 1 to %d bytes without NUL", kind, name, nameLen)
	}
	return nil
}

func (w *Writer) attribute(name string, scope int32) (*attribute, error) {
	if err := checkName("attribute", name); err != nil {
		return nil, err
	}
	a := w.attrByName[name]
	if a == nil {
		a = &attribute{name: name, scope: scope, zEntries: map[int32]Value{}}
		w.attrByName[name] = a
		w.attrs = append(w.attrs, a)
	}
	if a.scope != scope {
		return nil, fmt.Errorf("cdf: attribute %q is used both as a global and a variable attribute", name)
	}
	return a, nil
}

// GlobalAttr adds entries to the global attribute name (created on first
// use). Each entry is a string (CDF_CHAR), a Go number or slice of numbers
// (type from the Go type; int is CDF_INT4), or a Value from As.
func (w *Writer) GlobalAttr(name string, entries ...any) {
	if w.err != nil {
		return
	}
	a, err := w.attribute(name, scopeGlobal)
	if err != nil {
		w.fail(err)
		return
	}
	for i, e := range entries {
		v, err := normalize(e)
		if err != nil {
			w.fail(fmt.Errorf("cdf: global attribute %q entry %d: %w", name, i, err))
			return
		}
		a.gEntries = append(a.gEntries, v)
	}
}

// Variable defines a zVariable of type t whose records have the shape dims
// (nil or empty for scalars, [3] for a 3-vector, [32 16] for a spectrogram;
// row-major). recVary false makes a non-record-varying variable holding at
// most one record (labels, constant axes).
func (w *Writer) Variable(name string, t DataType, dims []int, recVary bool) *Variable {
	v := &Variable{w: w, name: name, typ: t, dims: append([]int(nil), dims...), recVary: recVary, num: -1}
	if w.err != nil {
		return v
	}
	if err := checkName("variable", name); err != nil {
		w.fail(err)
		return v
	}
	if _, dup := w.varByName[name]; dup {
		w.fail(fmt.Errorf("cdf: variable %q defined twice", name))
		return v
	}
	if !t.Valid() {
		w.fail(fmt.Errorf("cdf: variable %q: unknown data type %d", name, int32(t)))
		return v
	}
	n := 1
	for _, d := range dims {
		if d < 1 || d > math.MaxInt32 {
			w.fail(fmt.Errorf("cdf: variable %q: dimension sizes must be positive, got %v", name, dims))
			return v
		}
		n *= d
		if n > math.MaxInt32 {
			w.fail(fmt.Errorf("cdf: variable %q: record of %v values is too large", name, dims))
			return v
		}
	}
	v.num = int32(len(w.vars))
	w.vars = append(w.vars, v)
	w.varByName[name] = v
	return v
}

// Name returns the variable name.
func (v *Variable) Name() string { return v.name }

func (v *Variable) fail(format string, args ...any) *Variable {
	v.w.fail(fmt.Errorf("cdf: variable %q: "+format, append([]any{v.name}, args...)...))
	return v
}

// defined reports whether the variable was defined without error and the
// writer has no error (so further calls should act).
func (v *Variable) defined() bool { return v.num >= 0 && v.w.err == nil }

// Attr sets the variable's entry of the variable attribute name. value is
// as for GlobalAttr; use As to type FILLVAL, VALIDMIN and VALIDMAX like the
// variable when the Go type alone does not say it (TT2000, EPOCH).
func (v *Variable) Attr(name string, value any) *Variable {
	if !v.defined() {
		return v
	}
	a, err := v.w.attribute(name, scopeVariable)
	if err != nil {
		v.w.fail(err)
		return v
	}
	if _, dup := a.zEntries[v.num]; dup {
		return v.fail("attribute %q set twice", name)
	}
	val, err := normalize(value)
	if err != nil {
		return v.fail("attribute %q: %w", name, err)
	}
	a.zEntries[v.num] = val
	return v
}

// Pad sets the pad value (the value of records never written), typed like
// the variable: one value of its Go type, e.g. float32(-1e31).
func (v *Variable) Pad(value any) *Variable {
	if !v.defined() {
		return v
	}
	data, err := toSlice(value)
	if err == nil {
		err = checkGoType(v.typ, data, true)
	}
	if err != nil {
		return v.fail("pad value: %w", err)
	}
	if !v.typ.isString() && goLen(data) != v.typ.goPer() {
		return v.fail("pad value must be a single value")
	}
	v.pad = &Value{Type: v.typ, Data: data}
	return v
}

// SetNumElems fixes the string length of a CHAR/UCHAR variable. Without it,
// the length is that of the longest string appended (at least 1).
func (v *Variable) SetNumElems(n int) *Variable {
	if !v.defined() {
		return v
	}
	if !v.typ.isString() || n < 1 || n > math.MaxInt32 {
		return v.fail("SetNumElems(%d): only CHAR/UCHAR variables have a positive string length", n)
	}
	v.numElems = n
	return v
}

// Append adds values in row-major order: a slice of the variable's Go type
// ([]float32 for REAL4, []int64 for TT2000, []string for CHAR...). Calls
// may split records anywhere; the total must be a whole number of records.
// The slice is retained until WriteTo.
func (v *Variable) Append(data any) *Variable {
	if !v.defined() {
		return v
	}
	if err := checkGoType(v.typ, data, false); err != nil {
		return v.fail("append: %w", err)
	}
	n := goLen(data)
	if n == 0 {
		return v
	}
	v.chunks = append(v.chunks, data)
	v.goCount += n
	return v
}

// varPlan is the layout of one variable in the file.
type varPlan struct {
	v          *Variable
	numElems   int   // NumElems field
	elemBytes  int   // bytes per Go element
	goPerRec   int   // Go elements per record
	recBytes   int64 // bytes per record
	nRec       int64
	recsPerVVR int64
	pad        []byte
	vdrOff     int64
	vxrOffs    []int64 // VXR offsets, in chain order
	dataSize   int64   // bytes of VXRs and VVRs
}

func (w *Writer) planVar(v *Variable) (*varPlan, error) {
	p := &varPlan{v: v, numElems: 1}
	valsPerRec := 1
	for _, d := range v.dims {
		valsPerRec *= d
	}
	if v.typ.isString() {
		p.numElems = v.numElems
		if p.numElems == 0 {
			p.numElems = 1
			for _, c := range v.chunks {
				for _, s := range c.([]string) {
					p.numElems = max(p.numElems, len(s))
				}
			}
		}
		for _, c := range v.chunks {
			for _, s := range c.([]string) {
				if len(s) > p.numElems {
					return nil, fmt.Errorf("cdf: variable %q: string %q longer than NumElems %d", v.name, s, p.numElems)
				}
			}
		}
		p.elemBytes = p.numElems
	} else {
		p.elemBytes = v.typ.Size() / v.typ.goPer()
	}
	p.goPerRec = valsPerRec * v.typ.goPer()
	p.recBytes = int64(p.goPerRec) * int64(p.elemBytes)
	if v.goCount%p.goPerRec != 0 {
		return nil, fmt.Errorf("cdf: variable %q: %d values are not a whole number of records of %d", v.name, v.goCount, p.goPerRec)
	}
	p.nRec = int64(v.goCount / p.goPerRec)
	if p.nRec > math.MaxInt32 {
		return nil, fmt.Errorf("cdf: variable %q: %d records exceed the CDF limit", v.name, p.nRec)
	}
	if !v.recVary && p.nRec > 1 {
		return nil, fmt.Errorf("cdf: variable %q is not record-varying but has %d records", v.name, p.nRec)
	}
	if v.pad != nil {
		if s, ok := v.pad.Data.(string); ok && len(s) > p.numElems {
			return nil, fmt.Errorf("cdf: variable %q: pad value longer than NumElems %d", v.name, p.numElems)
		}
		p.pad = make([]byte, v.typ.Size()*p.numElems)
		putValues(p.pad, v.pad.Data, 0, goLen(v.pad.Data), p.numElems)
	}
	p.recsPerVVR = max(1, int64(w.vvrBytes)/max(1, p.recBytes))
	nVVR := (p.nRec + p.recsPerVVR - 1) / p.recsPerVVR
	nVXR := (nVVR + int64(w.vxrEntries) - 1) / int64(w.vxrEntries)
	p.dataSize = nVXR*vxrBaseSize + nVVR*(vxrEntrySize+recHeaderSize) + p.nRec*p.recBytes
	return p, nil
}

func (p *varPlan) vdrSize() int64 {
	return zvdrBaseSize + 8*int64(len(p.v.dims)) + int64(len(p.pad))
}

// WriteTo writes the CDF file to out. The file is laid out first, then
// written sequentially, metadata then data.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	plans := make([]*varPlan, len(w.vars))
	for i, v := range w.vars {
		p, err := w.planVar(v)
		if err != nil {
			return 0, err
		}
		plans[i] = p
	}
	type encEntry struct {
		num   int32
		value []byte
		typ   DataType
		elems int32
	}
	type attrPlan struct {
		a        *attribute
		off      int64
		gEntries []encEntry
		zEntries []encEntry
		gOffs    []int64
		zOffs    []int64
	}

	// Layout: CDR, GDR, ADRs each followed by its AEDRs, zVDRs, then each
	// variable's VXRs and VVRs.
	off := int64(8 + cdrSize)
	gdrOff := off
	off += gdrSize
	aps := make([]attrPlan, len(w.attrs))
	for i, a := range w.attrs {
		ap := attrPlan{a: a, off: off}
		off += adrSize
		for n, v := range a.gEntries {
			b, elems := encodeValue(v)
			ap.gEntries = append(ap.gEntries, encEntry{int32(n), b, v.Type, elems})
			ap.gOffs = append(ap.gOffs, off)
			off += aedrHeadSize + int64(len(b))
		}
		for _, v := range w.vars { // entries in zVariable order
			val, ok := a.zEntries[v.num]
			if !ok {
				continue
			}
			b, elems := encodeValue(val)
			ap.zEntries = append(ap.zEntries, encEntry{v.num, b, val.Type, elems})
			ap.zOffs = append(ap.zOffs, off)
			off += aedrHeadSize + int64(len(b))
		}
		aps[i] = ap
	}
	for _, p := range plans {
		p.vdrOff = off
		off += p.vdrSize()
	}
	dataStart := off
	for _, p := range plans {
		nVXR := int64(0)
		if p.nRec > 0 {
			nVVR := (p.nRec + p.recsPerVVR - 1) / p.recsPerVVR
			nVXR = (nVVR + int64(w.vxrEntries) - 1) / int64(w.vxrEntries)
		}
		cur := off
		recsPerVXR := p.recsPerVVR * int64(w.vxrEntries)
		for i := int64(0); i < nVXR; i++ {
			p.vxrOffs = append(p.vxrOffs, cur)
			recs := min(recsPerVXR, p.nRec-i*recsPerVXR)
			vvrs := (recs + p.recsPerVVR - 1) / p.recsPerVVR
			cur += vxrBaseSize + vvrs*(vxrEntrySize+recHeaderSize) + recs*p.recBytes
		}
		off += p.dataSize
	}
	eof := off

	// Metadata section.
	meta := make(be, 0, 8192)
	meta = append(meta, 0xCD, 0xF3, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF) // magicV3, magicUncompressed
	meta = meta.header(cdrSize, rtCDR).i64(gdrOff).
		i32(3).i32(9).i32(encodingIBMPC).i32(cdrFlagRowMajor|cdrFlagSingleFile).
		i32(0).i32(0). // rfuA, rfuB
		i32(0).        // Increment
		i32(-1).i32(-1).
		text(copyright, copyrightLen)
	var zvdrHead, adrHead int64
	if len(plans) > 0 {
		zvdrHead = plans[0].vdrOff
	}
	if len(aps) > 0 {
		adrHead = aps[0].off
	}
	meta = meta.header(gdrSize, rtGDR).
		i64(0).i64(zvdrHead).i64(adrHead).i64(eof).
		i32(0).i32(int32(len(aps))).i32(-1).i32(0).i32(int32(len(plans))).
		i64(0). // UIRhead
		i32(0). // rfuC
		i32(w.LeapSecondLastUpdated).
		i32(-1) // rfuE
	for i, ap := range aps {
		next := int64(0)
		if i+1 < len(aps) {
			next = aps[i+1].off
		}
		headOf := func(offs []int64) int64 {
			if len(offs) == 0 {
				return 0
			}
			return offs[0]
		}
		maxOf := func(es []encEntry) int32 {
			if len(es) == 0 {
				return -1
			}
			return es[len(es)-1].num
		}
		meta = meta.header(adrSize, rtADR).i64(next).i64(headOf(ap.gOffs)).
			i32(ap.a.scope).i32(int32(i)).i32(int32(len(ap.gEntries))).i32(maxOf(ap.gEntries)).
			i32(0). // rfuA
			i64(headOf(ap.zOffs)).i32(int32(len(ap.zEntries))).i32(maxOf(ap.zEntries)).
			i32(-1). // rfuE
			text(ap.a.name, nameLen)
		entries := func(es []encEntry, offs []int64, rt int32) {
			for j, e := range es {
				next := int64(0)
				if j+1 < len(offs) {
					next = offs[j+1]
				}
				meta = meta.header(aedrHeadSize+int64(len(e.value)), rt).i64(next).
					i32(int32(i)).i32(int32(e.typ)).i32(e.num).i32(e.elems).
					i32(0).i32(0).i32(0).i32(-1).i32(-1) // NumStrings (0: one string), rfuB..E
				meta = append(meta, e.value...)
			}
		}
		entries(ap.gEntries, ap.gOffs, rtAGEDR)
		entries(ap.zEntries, ap.zOffs, rtAZEDR)
	}
	for i, p := range plans {
		next := int64(0)
		if i+1 < len(plans) {
			next = plans[i+1].vdrOff
		}
		var head, tail int64
		if len(p.vxrOffs) > 0 {
			head, tail = p.vxrOffs[0], p.vxrOffs[len(p.vxrOffs)-1]
		}
		flags := int32(0)
		if p.v.recVary {
			flags |= vdrFlagRecVary
		}
		if p.pad != nil {
			flags |= vdrFlagPad
		}
		meta = meta.header(p.vdrSize(), rtZVDR).i64(next).
			i32(int32(p.v.typ)).i32(int32(p.nRec-1)).i64(head).i64(tail).
			i32(flags).i32(0).      // SRecords: no sparse records
			i32(0).i32(-1).i32(-1). // rfuB, rfuC, rfuF
			i32(int32(p.numElems)).i32(p.v.num).
			i64(-1). // CPRorSPRoffset: none
			i32(int32(min(p.recsPerVVR, math.MaxInt32))).
			text(p.v.name, nameLen).
			i32(int32(len(p.v.dims)))
		for _, d := range p.v.dims {
			meta = meta.i32(int32(d))
		}
		for range p.v.dims {
			meta = meta.i32(-1) // DimVarys: every dimension varies
		}
		meta = append(meta, p.pad...)
	}
	if int64(len(meta)) != dataStart {
		return 0, errors.New("cdf: internal error: metadata layout mismatch")
	}

	cw := &countWriter{w: out}
	bw := bufio.NewWriterSize(cw, 1<<16)
	if _, err := bw.Write(meta); err != nil {
		return cw.n, fmt.Errorf("cdf: write metadata: %w", err)
	}
	scratch := make([]byte, 0, 1<<18)
	for _, p := range plans {
		var err error
		if scratch, err = w.writeData(bw, p, scratch); err != nil {
			return cw.n, fmt.Errorf("cdf: write variable %q: %w", p.v.name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("cdf: write: %w", err)
	}
	if cw.n != eof {
		return cw.n, fmt.Errorf("cdf: internal error: wrote %d bytes, planned %d", cw.n, eof)
	}
	return cw.n, nil
}

// writeData writes one variable's VXRs, each followed by the VVRs it
// indexes, encoding values through scratch.
func (w *Writer) writeData(out io.Writer, p *varPlan, scratch []byte) ([]byte, error) {
	src := chunkCursor{chunks: p.v.chunks}
	rec := int64(0)
	for i, vxrOff := range p.vxrOffs {
		next := int64(0)
		if i+1 < len(p.vxrOffs) {
			next = p.vxrOffs[i+1]
		}
		nEntries := min(int64(w.vxrEntries), (p.nRec-rec+p.recsPerVVR-1)/p.recsPerVVR)
		vxrSize := vxrBaseSize + nEntries*vxrEntrySize
		hdr := be(scratch[:0]).header(vxrSize, rtVXR).i64(next).i32(int32(nEntries)).i32(int32(nEntries))
		for e := int64(0); e < nEntries; e++ {
			hdr = hdr.i32(int32(rec + e*p.recsPerVVR))
		}
		for e := int64(0); e < nEntries; e++ {
			hdr = hdr.i32(int32(min(rec+(e+1)*p.recsPerVVR, p.nRec) - 1))
		}
		vvrOff := vxrOff + vxrSize
		for e := int64(0); e < nEntries; e++ {
			hdr = hdr.i64(vvrOff)
			recs := min(p.recsPerVVR, p.nRec-rec-e*p.recsPerVVR)
			vvrOff += recHeaderSize + recs*p.recBytes
		}
		if _, err := out.Write(hdr); err != nil {
			return scratch, err
		}
		for e := int64(0); e < nEntries; e++ {
			recs := min(p.recsPerVVR, p.nRec-rec)
			size := recs * p.recBytes
			if _, err := out.Write(be(scratch[:0]).header(recHeaderSize+size, rtVVR)); err != nil {
				return scratch, err
			}
			var err error
			if scratch, err = src.write(out, recs*int64(p.goPerRec), p.elemBytes, p.numElems, scratch); err != nil {
				return scratch, err
			}
			rec += recs
		}
	}
	return scratch, nil
}

// chunkCursor walks the appended slices of a variable.
type chunkCursor struct {
	chunks []any
	chunk  int // current chunk
	pos    int // Go element within it
}

// write encodes the next n Go elements to out in scratch-sized pieces.
func (c *chunkCursor) write(out io.Writer, n int64, elemBytes, numElems int, scratch []byte) ([]byte, error) {
	if cap(scratch) < elemBytes {
		scratch = make([]byte, 0, elemBytes)
	}
	perPiece := cap(scratch) / elemBytes
	for n > 0 {
		data := c.chunks[c.chunk]
		k := min(int64(goLen(data)-c.pos), n, int64(perPiece))
		buf := scratch[:int(k)*elemBytes]
		putValues(buf, data, c.pos, c.pos+int(k), numElems)
		if _, err := out.Write(buf); err != nil {
			return scratch, err
		}
		c.pos += int(k)
		n -= k
		if c.pos == goLen(data) {
			c.chunk++
			c.pos = 0
		}
	}
	return scratch, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Write writes the CDF file to path, replacing it; a partial file is
// removed on error.
func (w *Writer) Write(path string) (err error) {
	if w.err != nil {
		return w.err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cdf: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("cdf: close %s: %w", path, cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err := w.WriteTo(f); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	return nil
}
