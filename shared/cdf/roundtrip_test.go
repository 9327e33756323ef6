package cdf

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// varCase is one variable written and read back.
type varCase struct {
	name    string
	typ     DataType
	dims    []int
	recVary bool
	data    any // appended values, row-major
	fill    any // FILLVAL attribute, typed like the variable
	records int // expected record count
}

func varCases() []varCase {
	return []varCase{
		{"int1", Int1, nil, true, []int8{-128, 0, 127}, int8(-128), 3},
		{"byte_vec", Byte, []int{2}, true, []int8{1, 2, 3, 4}, int8(-128), 2},
		{"int2_vec", Int2, []int{3}, true, []int16{-32768, 0, 32767, 1, 2, 3}, int16(-32768), 2},
		{"int4", Int4, nil, true, []int32{math.MinInt32, 0, math.MaxInt32}, int32(math.MinInt32), 3},
		{"int8", Int8, nil, true, []int64{math.MinInt64, 1, math.MaxInt64}, int64(math.MinInt64), 3},
		{"uint1", Uint1, nil, true, []uint8{0, 255}, uint8(255), 2},
		{"uint2", Uint2, []int{2}, true, []uint16{0, 65535}, uint16(65535), 1},
		{"uint4", Uint4, nil, true, []uint32{0, math.MaxUint32}, uint32(math.MaxUint32), 2},
		{"real4_vec", Real4, []int{3}, true, []float32{1.5, -2.25, float32(math.Inf(1)), -1e31, 0, 3.4e38}, float32(-1e31), 2},
		{"real8_2d", Real8, []int{2, 3}, true, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, -1e31, 2},
		{"float", Float, nil, true, []float32{0.1, 0.2}, float32(-1e31), 2},
		{"double", Double, nil, true, []float64{math.Pi, math.E}, -1e31, 2},
		{"epoch", Epoch, nil, true, []float64{63555148800000, 63555148800001}, -1e31, 2},
		{"epoch16", Epoch16, nil, true, []float64{63555148800, 123456789012, 63555148801, 0}, []float64{-1e31, -1e31}, 2},
		{"Epoch", TT2000, nil, true, []int64{536500867184000000, 536500868184000000, 536500869184000000}, FillTT2000, 3},
		{"label_b_gse", Char, []int{4}, false, []string{"Bx GSE", "By GSE", "Bz GSE", "Bt"}, " ", 1},
		{"char_scalar", Char, nil, true, []string{"a", "longer string", ""}, " ", 3},
		{"uchar", Uchar, []int{2}, true, []string{"x", "yz"}, " ", 1},
		{"spectra", Real4, []int{32, 16}, true, ramp32(3 * 32 * 16), float32(-1e31), 3},
		{"nrv_axis", Real4, []int{3}, false, []float32{10, 20, 30}, float32(-1e31), 1},
		{"empty", Int4, nil, true, []int32{}, int32(-1), 0},
		{"empty_nrv_2d", Real8, []int{2, 2}, false, []float64{}, -1e31, 0},
	}
}

func ramp32(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i) * 0.5
	}
	return out
}

// globalCases are global attributes with entries of every kind.
var globalCases = []struct {
	name    string
	entries []any
	want    []Value
}{
	{"Project", []any{"STP>Solar-Terrestrial Physics", "MMS"}, []Value{{Char, "STP>Solar-Terrestrial Physics"}, {Char, "MMS"}}},
	{"ints", []any{int8(-1), int16(-2), int32(-3), int64(-4), 7}, []Value{{Int1, []int8{-1}}, {Int2, []int16{-2}}, {Int4, []int32{-3}}, {Int8, []int64{-4}}, {Int4, []int32{7}}}},
	{"uints", []any{uint8(1), []uint16{2, 3}, uint32(4)}, []Value{{Uint1, []uint8{1}}, {Uint2, []uint16{2, 3}}, {Uint4, []uint32{4}}}},
	{"floats", []any{float32(1.5), []float64{2.5, -1e31}}, []Value{{Real4, []float32{1.5}}, {Real8, []float64{2.5, -1e31}}}},
	{"typed", []any{As(TT2000, int64(536500868184000000)), As(Epoch, 63555148800000.0), As(Byte, int8(3)), As(Float, float32(2)), As(Double, 3.0), As(Uchar, "u")},
		[]Value{{TT2000, []int64{536500868184000000}}, {Epoch, []float64{63555148800000}}, {Byte, []int8{3}}, {Float, []float32{2}}, {Double, []float64{3}}, {Uchar, "u"}}},
	{"empty_string", []any{""}, []Value{{Char, ""}}},
}

func buildAll(w *Writer, chunk int) {
	for _, g := range globalCases {
		w.GlobalAttr(g.name, g.entries...)
	}
	for _, c := range varCases() {
		v := w.Variable(c.name, c.typ, c.dims, c.recVary).
			Attr("FILLVAL", As(c.typ, c.fill)).
			Attr("CATDESC", "variable "+c.name).
			Pad(c.fill)
		appendChunked(v, c.data, chunk)
	}
}

// appendChunked appends data in pieces of chunk Go elements (0: at once),
// splitting records to exercise the writer's cursor.
func appendChunked(v *Variable, data any, chunk int) {
	rv := reflect.ValueOf(data)
	if chunk <= 0 || rv.Len() == 0 {
		v.Append(data)
		return
	}
	for i := 0; i < rv.Len(); i += chunk {
		v.Append(rv.Slice(i, min(i+chunk, rv.Len())).Interface())
	}
}

func writeRead(t *testing.T, w *Writer) *File {
	t.Helper()
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d", n, buf.Len())
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return f
}

func TestRoundTrip(t *testing.T) {
	for _, layout := range []struct {
		name                 string
		vvrBytes, vxrEntries int
		chunk                int
	}{
		{"default", defaultVVRBytes, defaultVXREntries, 0},
		// Tiny VVRs and VXRs: many VVRs per variable, linked VXR lists,
		// appends that split records.
		{"chained", 24, 2, 5},
	} {
		t.Run(layout.name, func(t *testing.T) {
			w := NewWriter()
			w.vvrBytes, w.vxrEntries = layout.vvrBytes, layout.vxrEntries
			buildAll(w, layout.chunk)
			f := writeRead(t, w)
			checkFile(t, f)
			if layout.name == "chained" {
				segs, err := f.Var("spectra").segments()
				if err != nil || len(segs) != 3 {
					t.Errorf("spectra: %d VVR segments (err %v), want 3 (one 2 KiB record each)", len(segs), err)
				}
				segs, err = f.Var("char_scalar").segments()
				if err != nil || len(segs) != 3 {
					t.Errorf("char_scalar: %d VVR segments (err %v), want 3 (13-byte records in 24-byte VVRs)", len(segs), err)
				}
				if n := vxrChainLen(t, f.Var("spectra")); n != 2 {
					t.Errorf("spectra: %d VXRs, want 2 (3 VVRs, 2 entries per VXR)", n)
				}
			}
		})
	}
}

func checkFile(t *testing.T, f *File) {
	t.Helper()
	if f.Version != 3 || f.Release != 9 || f.Encoding != 6 || !f.RowMajor || f.LeapSecondLastUpdated != 20170101 {
		t.Errorf("header: version %d.%d encoding %d rowMajor %v leap %d", f.Version, f.Release, f.Encoding, f.RowMajor, f.LeapSecondLastUpdated)
	}
	if len(f.Globals) != len(globalCases) {
		t.Errorf("%d global attributes, want %d", len(f.Globals), len(globalCases))
	}
	for _, g := range globalCases {
		got, ok := f.GlobalAttr(g.name)
		if !ok {
			t.Errorf("global %q missing", g.name)
			continue
		}
		if !reflect.DeepEqual(got.Entries, g.want) {
			t.Errorf("global %q = %#v, want %#v", g.name, got.Entries, g.want)
		}
	}
	cases := varCases()
	if len(f.Vars) != len(cases) {
		t.Fatalf("%d variables, want %d", len(f.Vars), len(cases))
	}
	for i, c := range cases {
		v := f.Vars[i]
		if v.Name != c.name || v.Type != c.typ || v.RecVary != c.recVary || v.NumRecords != c.records || !v.Z ||
			len(v.Dims) != len(c.dims) || (len(c.dims) > 0 && !reflect.DeepEqual(v.Dims, c.dims)) {
			t.Errorf("var %d = %v, want %s %s %v recVary=%v %d records", i, v, c.name, c.typ, c.dims, c.recVary, c.records)
			continue
		}
		got, err := v.Values()
		if err != nil {
			t.Errorf("%s: Values: %v", c.name, err)
			continue
		}
		if goLen(c.data) == 0 {
			if reflect.TypeOf(got) != reflect.TypeOf(c.data) || goLen(got) != 0 {
				t.Errorf("%s: got %#v, want empty %T", c.name, got, c.data)
			}
		} else if !reflect.DeepEqual(got, c.data) {
			t.Errorf("%s: values %v, want %v", c.name, got, c.data)
		}
		wantFill, _ := normalize(As(c.typ, c.fill))
		if fill, ok := v.Attr("FILLVAL"); !ok || !reflect.DeepEqual(fill, wantFill) {
			t.Errorf("%s: FILLVAL %#v, want %#v", c.name, fill, wantFill)
		}
		if cat, ok := v.Attr("CATDESC"); !ok || cat.Data != "variable "+c.name {
			t.Errorf("%s: CATDESC %#v", c.name, cat)
		}
		if v.Pad == nil {
			t.Errorf("%s: no pad value", c.name)
		} else if !c.typ.isString() && !reflect.DeepEqual(*v.Pad, wantFill) {
			t.Errorf("%s: pad %#v, want %#v", c.name, *v.Pad, wantFill)
		}
	}
}

func TestTypedAccessors(t *testing.T) {
	w := NewWriter()
	buildAll(w, 0)
	f := writeRead(t, w)
	get := func(name string) *Var { return f.Var(name) }
	check := func(name string, got any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		for _, c := range varCases() {
			if c.name == name && !reflect.DeepEqual(got, c.data) {
				t.Errorf("%s: %v, want %v", name, got, c.data)
			}
		}
	}
	i8, err := get("int1").Int8s()
	check("int1", i8, err)
	i16, err := get("int2_vec").Int16s()
	check("int2_vec", i16, err)
	i32, err := get("int4").Int32s()
	check("int4", i32, err)
	i64, err := get("Epoch").Int64s()
	check("Epoch", i64, err)
	u8, err := get("uint1").Uint8s()
	check("uint1", u8, err)
	u16, err := get("uint2").Uint16s()
	check("uint2", u16, err)
	u32, err := get("uint4").Uint32s()
	check("uint4", u32, err)
	f32, err := get("real4_vec").Float32s()
	check("real4_vec", f32, err)
	f64, err := get("real8_2d").Float64s()
	check("real8_2d", f64, err)
	s, err := get("label_b_gse").Strings()
	check("label_b_gse", s, err)
	if _, err := get("Epoch").Float32s(); err == nil {
		t.Error("Float32s on a TT2000 variable: no error")
	}
	if f.Var("nope") != nil {
		t.Error("Var(nope) found something")
	}
}

func TestCharNumElems(t *testing.T) {
	w := NewWriter()
	w.Variable("fixed", Char, nil, true).SetNumElems(8).Append([]string{"ab", "abcdefgh"})
	w.Variable("auto", Char, []int{2}, false).Append([]string{"x", "xyz"})
	f := writeRead(t, w)
	if n := f.Var("fixed").NumElems; n != 8 {
		t.Errorf("fixed NumElems = %d, want 8", n)
	}
	if n := f.Var("auto").NumElems; n != 3 {
		t.Errorf("auto NumElems = %d, want 3 (longest string)", n)
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.cdf")
	w := NewWriter()
	buildAll(w, 0)
	if err := w.Write(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkFile(t, f)
}

func TestWriterErrors(t *testing.T) {
	long := strings.Repeat("x", 257)
	tests := []struct {
		name  string
		build func(w *Writer)
	}{
		{"empty variable name", func(w *Writer) { w.Variable("", Int4, nil, true) }},
		{"long attribute name", func(w *Writer) { w.GlobalAttr(long, "x") }},
		{"NUL in variable name", func(w *Writer) { w.Variable("a\x00b", Int4, nil, true) }},
		{"duplicate variable", func(w *Writer) { w.Variable("a", Int4, nil, true); w.Variable("a", Int2, nil, true) }},
		{"unknown type", func(w *Writer) { w.Variable("a", DataType(99), nil, true) }},
		{"zero dimension", func(w *Writer) { w.Variable("a", Int4, []int{3, 0}, true) }},
		{"append wrong Go type", func(w *Writer) { w.Variable("a", Real4, nil, true).Append([]float64{1}) }},
		{"append to TT2000 as float", func(w *Writer) { w.Variable("a", TT2000, nil, true).Append([]float64{1}) }},
		{"partial record", func(w *Writer) { w.Variable("a", Real4, []int{3}, true).Append([]float32{1, 2, 3, 4}) }},
		{"two records in NRV", func(w *Writer) { w.Variable("a", Real4, []int{2}, false).Append([]float32{1, 2, 3, 4}) }},
		{"string longer than NumElems", func(w *Writer) { w.Variable("a", Char, nil, true).SetNumElems(2).Append([]string{"abc"}) }},
		{"NumElems on numbers", func(w *Writer) { w.Variable("a", Int4, nil, true).SetNumElems(2) }},
		{"attribute scope conflict", func(w *Writer) { w.GlobalAttr("X", "g"); w.Variable("a", Int4, nil, true).Attr("X", "v") }},
		{"variable attribute twice", func(w *Writer) { w.Variable("a", Int4, nil, true).Attr("X", "v").Attr("X", "w") }},
		{"unsupported attribute Go type", func(w *Writer) { w.GlobalAttr("X", struct{}{}) }},
		{"int too large", func(w *Writer) { w.GlobalAttr("X", 1<<40) }},
		{"As with wrong Go type", func(w *Writer) { w.GlobalAttr("X", As(TT2000, 1.5)) }},
		{"odd EPOCH16", func(w *Writer) { w.GlobalAttr("X", As(Epoch16, []float64{1, 2, 3})) }},
		{"pad wrong type", func(w *Writer) { w.Variable("a", Int4, nil, true).Pad(int16(1)) }},
		{"pad not single", func(w *Writer) { w.Variable("a", Int4, nil, true).Pad([]int32{1, 2}) }},
		{"pad longer than NumElems", func(w *Writer) { w.Variable("a", Char, nil, true).SetNumElems(1).Pad("ab") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter()
			tt.build(w)
			// Later valid calls must not clear the first error.
			w.Variable("ok", Int4, nil, true).Append([]int32{1})
			if _, err := w.WriteTo(&bytes.Buffer{}); err == nil {
				t.Fatal("WriteTo: no error")
			}
			if err := w.Write(filepath.Join(t.TempDir(), "x.cdf")); err == nil {
				t.Fatal("Write: no error")
			}
		})
	}
}

func TestEmptyFile(t *testing.T) {
	f := writeRead(t, NewWriter())
	if len(f.Vars) != 0 || len(f.Globals) != 0 {
		t.Errorf("empty writer read back %d vars, %d globals", len(f.Vars), len(f.Globals))
	}
}

// vxrChainLen counts the VXRs linked from the variable's VDR.
func vxrChainLen(t *testing.T, v *Var) int {
	t.Helper()
	n := 0
	for off := v.vxrHead; off != 0; n++ {
		rec, err := v.f.readRecord(off, rtVXR)
		if err != nil {
			t.Fatal(err)
		}
		c := cursor{b: rec.body}
		off = c.i64()
	}
	return n
}
