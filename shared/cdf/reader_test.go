package cdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"
)

// builder lays out a CDF by hand, record by record, so the reader can be
// tested on structures our writer never produces.
type builder struct{ b []byte }

// add appends a record and returns its offset.
func (bl *builder) add(rt int32, body be) int64 {
	off := int64(len(bl.b))
	bl.b = append(be(bl.b).header(int64(recHeaderSize+len(body)), rt), body...)
	return off
}

// set patches the 8-byte big-endian field at the given record offset + field offset.
func (bl *builder) set(at, v int64) { binary.BigEndian.PutUint64(bl.b[at:], uint64(v)) }

func bigEndianDoubles(xs ...float64) be {
	var b be
	for _, x := range xs {
		b = binary.BigEndian.AppendUint64(b, mathFloat64bits(x))
	}
	return b
}

func bigEndianInts(xs ...int32) be {
	var b be
	for _, x := range xs {
		b = b.i32(x)
	}
	return b
}

func vdr(typ, maxRec int32, flags, sRecords int32, num int32, name string) be {
	return be(nil).i64(0).i32(typ).i32(maxRec).i64(0).i64(0).i32(flags).i32(sRecords).
		i32(0).i32(-1).i32(-1).i32(1).i32(num).i64(-1).i32(0).text(name, nameLen)
}

func vxr(firsts, lasts []int32, offs []int64, nEntries int) be {
	b := be(nil).i64(0).i32(int32(nEntries)).i32(int32(len(firsts)))
	for i := range nEntries {
		b = b.i32(pick(firsts, i, -1))
	}
	for i := range nEntries {
		b = b.i32(pick(lasts, i, -1))
	}
	for i := range nEntries {
		b = b.i64(int64(pick(offs, i, -1)))
	}
	return b
}

func pick[T int32 | int64](xs []T, i int, def T) T {
	if i < len(xs) {
		return xs[i]
	}
	return def
}

func aedr(attrNum int32, typ DataType, num, numElems int32, value []byte) be {
	return append(be(nil).i64(0).i32(attrNum).i32(int32(typ)).i32(num).i32(numElems).
		i32(0).i32(0).i32(0).i32(-1).i32(-1), value...)
}

// foreignFile builds a big-endian (network encoding) CDF with an rVariable
// (rDimSizes [2]), a zVariable indexed by a two-level VXR tree with a gap
// filled by its pad value (sparse records, pad mode), and a sparse zVariable in "previous" mode.
func foreignFile() []byte {
	bl := &builder{b: []byte{0xCD, 0xF3, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF}}
	cdr := bl.add(rtCDR, be(nil).i64(0).i32(3).i32(7).i32(1).i32(3).i32(0).i32(0).i32(2).i32(-1).i32(-1).text("other writer", copyrightLen))
	gdr := bl.add(rtGDR, be(nil).i64(0).i64(0).i64(0).i64(0).i32(1).i32(2).i32(0).i32(1).i32(2).i64(0).i32(0).i32(20150701).i32(-1).i32(2))
	bl.set(cdr+12, gdr)

	rv := bl.add(rtRVDR, vdr(int32(Real8), 1, vdrFlagRecVary, 0, 0, "rvar").i32(-1))
	pad := bigEndianInts(99)
	zv := bl.add(rtZVDR, append(vdr(int32(Int4), 6, vdrFlagRecVary|vdrFlagPad, 1, 0, "zvar").i32(0), pad...))
	zs := bl.add(rtZVDR, vdr(int32(Int2), 3, vdrFlagRecVary, 2, 1, "sparse_prev").i32(0))
	bl.set(gdr+12, rv)
	bl.set(gdr+20, zv)
	bl.set(zv+12, zs)

	title := bl.add(rtADR, be(nil).i64(0).i64(0).i32(scopeGlobal).i32(0).i32(1).i32(0).i32(0).i64(0).i32(0).i32(-1).i32(-1).text("Title", nameLen))
	g := bl.add(rtAGEDR, aedr(0, Char, 0, 10, []byte("big endian")))
	bl.set(title+20, g)
	units := bl.add(rtADR, be(nil).i64(0).i64(0).i32(scopeVariable).i32(1).i32(1).i32(0).i32(0).i64(0).i32(1).i32(0).i32(-1).text("UNITS", nameLen))
	bl.set(title+12, units)
	gr := bl.add(rtAGEDR, aedr(1, Char, 0, 2, []byte("nT")))
	z := bl.add(rtAZEDR, aedr(1, Real4, 0, 1, binary.BigEndian.AppendUint32(nil, mathFloat32bits(1.5))))
	bl.set(units+20, gr)
	bl.set(units+48, z)
	bl.set(gdr+28, title)

	// rvar: 2 records of 2 doubles.
	rvvr := bl.add(rtVVR, bigEndianDoubles(1, 2, 3, 4))
	rvxr := bl.add(rtVXR, vxr([]int32{0}, []int32{1}, []int64{rvvr}, 1))
	bl.set(rv+28, rvxr)
	bl.set(rv+36, rvxr)

	// zvar: records 0-1 through a child VXR, 4-6 directly; 2-3 missing.
	// The top VXR has a spare unused entry, as the CDF library leaves.
	v01 := bl.add(rtVVR, bigEndianInts(10, 11))
	child := bl.add(rtVXR, vxr([]int32{0}, []int32{1}, []int64{v01}, 1))
	v46 := bl.add(rtVVR, bigEndianInts(14, 15, 16, 0)) // one spare record slot
	top := bl.add(rtVXR, vxr([]int32{0, 4}, []int32{1, 6}, []int64{child, v46}, 3))
	bl.set(zv+28, top)
	bl.set(zv+36, top)

	// sparse_prev: records 0 and 3 stored; 1 and 2 repeat record 0.
	s0 := bl.add(rtVVR, be(nil).i32(7 << 16)[:2])
	s3 := bl.add(rtVVR, be(nil).i32(9 << 16)[:2])
	sx := bl.add(rtVXR, vxr([]int32{0, 3}, []int32{0, 3}, []int64{s0, s3}, 2))
	bl.set(zs+28, sx)
	bl.set(zs+36, sx)

	bl.set(gdr+36, int64(len(bl.b)))
	return bl.b
}

func TestReadForeignLayout(t *testing.T) {
	data := foreignFile()
	f, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Encoding != 1 || f.LeapSecondLastUpdated != 20150701 || f.Release != 7 {
		t.Errorf("header: encoding %d leap %d release %d", f.Encoding, f.LeapSecondLastUpdated, f.Release)
	}
	if g, ok := f.GlobalAttr("Title"); !ok || !reflect.DeepEqual(g.Entries, []Value{{Char, "big endian"}}) {
		t.Errorf("Title = %#v", g)
	}
	tests := []struct {
		name  string
		z     bool
		dims  []int
		want  any
		units any
	}{
		{"rvar", false, []int{2}, []float64{1, 2, 3, 4}, "nT"},
		{"zvar", true, nil, []int32{10, 11, 99, 99, 14, 15, 16}, []float32{1.5}},
		{"sparse_prev", true, nil, []int16{7, 7, 7, 9}, nil},
	}
	for _, tt := range tests {
		v := f.Var(tt.name)
		if v == nil {
			t.Errorf("%s missing", tt.name)
			continue
		}
		if v.Z != tt.z || !reflect.DeepEqual(v.Dims, tt.dims) {
			t.Errorf("%s: z=%v dims=%v", tt.name, v.Z, v.Dims)
		}
		got, err := v.Values()
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v (err %v), want %v", tt.name, got, err, tt.want)
		}
		u, ok := v.Attr("UNITS")
		if tt.units == nil && ok || tt.units != nil && !reflect.DeepEqual(u.Data, tt.units) {
			t.Errorf("%s: UNITS %#v, want %#v", tt.name, u, tt.units)
		}
	}
}

func validFile(t testing.TB) []byte {
	w := NewWriter()
	w.vvrBytes, w.vxrEntries = 24, 2
	buildAll(w, 0)
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(data []byte) error {
	f, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, v := range f.Vars {
		if _, err := v.Values(); err != nil {
			return err
		}
	}
	return nil
}

func TestReadRejects(t *testing.T) {
	valid := validFile(t)
	patched := func(at int, b ...byte) []byte {
		out := bytes.Clone(valid)
		copy(out[at:], b)
		return out
	}
	foreign := foreignFile()
	cyclic := bytes.Clone(foreign)
	// Point the zVDR chain's second VDR back at the first.
	zv := int64(binary.BigEndian.Uint64(foreign[320+20:])) // GDR zVDRhead
	zs := int64(binary.BigEndian.Uint64(foreign[zv+12:]))
	binary.BigEndian.PutUint64(cyclic[zs+12:], uint64(zv))

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"not a CDF", []byte("hello, world, this is text"), ErrFormat},
		{"compressed file", patched(4, 0xCC, 0xCC, 0x00, 0x01), ErrUnsupported},
		{"CDF 2.6", patched(0, 0xCD, 0xF2, 0x60, 0x02), ErrUnsupported},
		{"unknown second magic", patched(4, 1, 2, 3, 4), ErrFormat},
		{"VAX encoding", patched(8+12+8+8+3, 3), ErrUnsupported},
		{"multi-file", patched(8+12+8+12+3, 1), ErrUnsupported},
		{"version 2 in CDR", patched(8+12+8+3, 2), ErrUnsupported},
		{"GDR offset beyond file", patched(8+12, 0x7f), ErrFormat},
		{"CDR record type", patched(8+11, 9), ErrFormat},
		{"VDR cycle", cyclic, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readAll(tt.data)
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadTruncated(t *testing.T) {
	valid := validFile(t)
	for n := 0; n < len(valid); n++ {
		if err := readAll(valid[:n]); err == nil {
			t.Fatalf("file cut to %d of %d bytes read without error", n, len(valid))
		}
	}
	if err := readAll(valid); err != nil {
		t.Fatalf("whole file: %v", err)
	}
}

func TestCompressedVariable(t *testing.T) {
	w := NewWriter()
	w.Variable("v", Int4, nil, true).Append([]int32{1, 2})
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	f, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Set the zVDR's compression flag in place.
	vdrOff := int64(binary.BigEndian.Uint64(data[320+20:])) // GDR zVDRhead
	data[vdrOff+44+3] |= vdrFlagCompressed
	f, err = Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Vars[0].Values(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("compressed variable: %v, want ErrUnsupported", err)
	}
}

func mathFloat64bits(x float64) uint64 { return math.Float64bits(x) }
func mathFloat32bits(x float32) uint32 { return math.Float32bits(x) }
