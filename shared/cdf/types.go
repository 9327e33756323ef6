package cdf

import (
	"errors"
	"fmt"
	"math"
)

// DataType is a CDF data type code as stored in the file.
type DataType int32

// CDF data type codes.
const (
	Int1    DataType = 1
	Int2    DataType = 2
	Int4    DataType = 4
	Int8    DataType = 8
	Uint1   DataType = 11
	Uint2   DataType = 12
	Uint4   DataType = 14
	Real4   DataType = 21
	Real8   DataType = 22
	Epoch   DataType = 31
	Epoch16 DataType = 32
	TT2000  DataType = 33
	Byte    DataType = 41
	Float   DataType = 44
	Double  DataType = 45
	Char    DataType = 51
	Uchar   DataType = 52
)

// Well-known fill values (ISTP FILLVAL conventions).
const (
	// FillTT2000 is the TIME_TT2000 fill value.
	FillTT2000 int64 = math.MinInt64
	// FillReal is the REAL4/REAL8 fill value.
	FillReal = -1.0e31
)

// ErrUnsupported reports a valid CDF feature this package does not handle
// (compression, multi-file CDFs, VAX encodings, CDF 2.x).
var ErrUnsupported = errors.New("cdf: unsupported feature")

// ErrFormat reports a file that is not a well-formed CDF.
var ErrFormat = errors.New("cdf: malformed file")

var typeNames = map[DataType]string{
	Int1: "CDF_INT1", Int2: "CDF_INT2", Int4: "CDF_INT4", Int8: "CDF_INT8",
	Uint1: "CDF_UINT1", Uint2: "CDF_UINT2", Uint4: "CDF_UINT4",
	Real4: "CDF_REAL4", Real8: "CDF_REAL8", Epoch: "CDF_EPOCH", Epoch16: "CDF_EPOCH16",
	TT2000: "CDF_TIME_TT2000", Byte: "CDF_BYTE", Float: "CDF_FLOAT", Double: "CDF_DOUBLE",
	Char: "CDF_CHAR", Uchar: "CDF_UCHAR",
}

// String returns the CDF name of the type, e.g. "CDF_REAL4".
func (t DataType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("CDF_TYPE(%d)", int32(t))
}

// Valid reports whether t is a known CDF data type.
func (t DataType) Valid() bool { _, ok := typeNames[t]; return ok }

// Size is the number of bytes of one element of the type (0 if unknown).
func (t DataType) Size() int {
	switch t {
	case Int1, Uint1, Byte, Char, Uchar:
		return 1
	case Int2, Uint2:
		return 2
	case Int4, Uint4, Real4, Float:
		return 4
	case Int8, Real8, Epoch, TT2000, Double:
		return 8
	case Epoch16:
		return 16
	}
	return 0
}

// isString reports whether the type holds characters.
func (t DataType) isString() bool { return t == Char || t == Uchar }

// goPer is how many Go slice elements make one CDF element of type t
// (EPOCH16 is a pair of float64).
func (t DataType) goPer() int {
	if t == Epoch16 {
		return 2
	}
	return 1
}

// goTypeName names the Go slice type that holds data of type t.
func (t DataType) goTypeName() string {
	switch t {
	case Int1, Byte:
		return "[]int8"
	case Int2:
		return "[]int16"
	case Int4:
		return "[]int32"
	case Int8, TT2000:
		return "[]int64"
	case Uint1:
		return "[]uint8"
	case Uint2:
		return "[]uint16"
	case Uint4:
		return "[]uint32"
	case Real4, Float:
		return "[]float32"
	case Real8, Double, Epoch, Epoch16:
		return "[]float64"
	case Char, Uchar:
		return "[]string"
	}
	return "?"
}

// Value is an attribute entry or a pad value: a CDF data type and its data.
// Data is a slice of the Go type listed in the package documentation, or a
// string for CHAR/UCHAR (one string of NumElems characters).
type Value struct {
	Type DataType
	Data any
}

// As makes a Value of an explicit CDF type, for attributes that must be
// typed like their variable (FILLVAL, VALIDMIN, VALIDMAX of a TT2000
// variable, say). data is a scalar or slice of the Go type for t.
func As(t DataType, data any) Value { return Value{Type: t, Data: data} }

// String formats the value for people: strings as is, numbers separated by
// spaces.
func (v Value) String() string {
	switch d := v.Data.(type) {
	case string:
		return d
	case nil:
		return ""
	}
	s := fmt.Sprint(v.Data)
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}

// Len is the number of CDF elements in the value (characters for strings).
func (v Value) Len() int {
	switch d := v.Data.(type) {
	case string:
		return len(d)
	case []int8:
		return len(d)
	case []int16:
		return len(d)
	case []int32:
		return len(d)
	case []int64:
		return len(d)
	case []uint8:
		return len(d)
	case []uint16:
		return len(d)
	case []uint32:
		return len(d)
	case []float32:
		return len(d)
	case []float64:
		return len(d) / v.Type.goPer()
	}
	return 0
}

// Float64 returns the first element of a numeric value as a float64.
func (v Value) Float64() (float64, bool) {
	switch d := v.Data.(type) {
	case []int8:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []int16:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []int32:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []int64:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []uint8:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []uint16:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []uint32:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []float32:
		if len(d) > 0 {
			return float64(d[0]), true
		}
	case []float64:
		if len(d) > 0 {
			return d[0], true
		}
	}
	return 0, false
}

// normalize turns a Go value given to the writer into a Value with a slice
// (or string) of the Go type matching its CDF type, inferring the CDF type
// from the Go type when v is not already a Value.
func normalize(v any) (Value, error) {
	if val, ok := v.(Value); ok {
		if !val.Type.Valid() {
			return Value{}, fmt.Errorf("unknown data type %d", int32(val.Type))
		}
		data, err := toSlice(val.Data)
		if err != nil {
			return Value{}, err
		}
		if err := checkGoType(val.Type, data, true); err != nil {
			return Value{}, err
		}
		return Value{Type: val.Type, Data: data}, nil
	}
	data, err := toSlice(v)
	if err != nil {
		return Value{}, err
	}
	var t DataType
	switch data.(type) {
	case string:
		t = Char
	case []int8:
		t = Int1
	case []int16:
		t = Int2
	case []int32:
		t = Int4
	case []int64:
		t = Int8
	case []uint8:
		t = Uint1
	case []uint16:
		t = Uint2
	case []uint32:
		t = Uint4
	case []float32:
		t = Real4
	case []float64:
		t = Real8
	}
	return Value{Type: t, Data: data}, nil
}

// toSlice turns scalars into one-element slices and int into int32.
func toSlice(v any) (any, error) {
	switch d := v.(type) {
	case string, []int8, []int16, []int32, []int64, []uint8, []uint16, []uint32, []float32, []float64:
		return d, nil
	case int8:
		return []int8{d}, nil
	case int16:
		return []int16{d}, nil
	case int32:
		return []int32{d}, nil
	case int64:
		return []int64{d}, nil
	case uint8:
		return []uint8{d}, nil
	case uint16:
		return []uint16{d}, nil
	case uint32:
		return []uint32{d}, nil
	case float32:
		return []float32{d}, nil
	case float64:
		return []float64{d}, nil
	case int:
		if d < math.MinInt32 || d > math.MaxInt32 {
			return nil, fmt.Errorf("int %d does not fit CDF_INT4; pass an int64", d)
		}
		return []int32{int32(d)}, nil
	case []int:
		out := make([]int32, len(d))
		for i, x := range d {
			if x < math.MinInt32 || x > math.MaxInt32 {
				return nil, fmt.Errorf("int %d does not fit CDF_INT4; pass []int64", x)
			}
			out[i] = int32(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported Go type %T for a CDF value", v)
}

// checkGoType checks that data (a slice, or a string when single is true)
// has the Go type that holds CDF type t.
func checkGoType(t DataType, data any, single bool) error {
	ok := false
	switch data.(type) {
	case string:
		ok = single && t.isString()
	case []string:
		ok = !single && t.isString()
	case []int8:
		ok = t == Int1 || t == Byte
	case []int16:
		ok = t == Int2
	case []int32:
		ok = t == Int4
	case []int64:
		ok = t == Int8 || t == TT2000
	case []uint8:
		ok = t == Uint1
	case []uint16:
		ok = t == Uint2
	case []uint32:
		ok = t == Uint4
	case []float32:
		ok = t == Real4 || t == Float
	case []float64:
		ok = t == Real8 || t == Double || t == Epoch || t == Epoch16
	}
	if !ok {
		want := t.goTypeName()
		if single && t.isString() {
			want = "string"
		}
		return fmt.Errorf("%s needs %s, got %T", t, want, data)
	}
	if d, isF := data.([]float64); isF && t == Epoch16 && len(d)%2 != 0 {
		return fmt.Errorf("CDF_EPOCH16 needs pairs of float64, got %d values", len(d))
	}
	return nil
}
