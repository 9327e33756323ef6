package cdf

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// putValues encodes data[from:to] (Go elements; strings count one each) into
// dst little-endian. dst must be exactly the encoded size. Strings are padded
// with spaces to numElems bytes. Plain loops over whole slices keep this free
// of per-value reflection: it is the writer's hot path.
func putValues(dst []byte, data any, from, to, numElems int) {
	le := binary.LittleEndian
	switch d := data.(type) {
	case []int8:
		for i, x := range d[from:to] {
			dst[i] = byte(x)
		}
	case []uint8:
		copy(dst, d[from:to])
	case []int16:
		for i, x := range d[from:to] {
			le.PutUint16(dst[2*i:], uint16(x))
		}
	case []uint16:
		for i, x := range d[from:to] {
			le.PutUint16(dst[2*i:], x)
		}
	case []int32:
		for i, x := range d[from:to] {
			le.PutUint32(dst[4*i:], uint32(x))
		}
	case []uint32:
		for i, x := range d[from:to] {
			le.PutUint32(dst[4*i:], x)
		}
	case []float32:
		for i, x := range d[from:to] {
			le.PutUint32(dst[4*i:], math.Float32bits(x))
		}
	case []int64:
		for i, x := range d[from:to] {
			le.PutUint64(dst[8*i:], uint64(x))
		}
	case []float64:
		for i, x := range d[from:to] {
			le.PutUint64(dst[8*i:], math.Float64bits(x))
		}
	case []string:
		for i, s := range d[from:to] {
			field := dst[i*numElems : (i+1)*numElems]
			n := copy(field, s)
			for j := n; j < len(field); j++ {
				field[j] = ' '
			}
		}
	case string:
		n := copy(dst, d)
		for j := n; j < len(dst); j++ {
			dst[j] = ' '
		}
	default:
		panic(fmt.Sprintf("cdf: putValues: unexpected %T", data)) // guarded by checkGoType
	}
}

// goLen is the number of Go elements in a data slice (strings: one each).
func goLen(data any) int {
	switch d := data.(type) {
	case []int8:
		return len(d)
	case []uint8:
		return len(d)
	case []int16:
		return len(d)
	case []uint16:
		return len(d)
	case []int32:
		return len(d)
	case []uint32:
		return len(d)
	case []float32:
		return len(d)
	case []int64:
		return len(d)
	case []float64:
		return len(d)
	case []string:
		return len(d)
	}
	return 0
}

// encodeValue encodes an attribute entry or pad value, returning the bytes
// and the NumElems field. Strings have NumElems = byte length (at least 1: an
// empty string is stored as one NUL, as the CDF library does).
func encodeValue(v Value) ([]byte, int32) {
	if s, ok := v.Data.(string); ok {
		if s == "" {
			return []byte{0}, 1
		}
		return []byte(s), int32(len(s))
	}
	n := goLen(v.Data)
	b := make([]byte, n*v.Type.Size()/v.Type.goPer())
	putValues(b, v.Data, 0, n, 0)
	return b, int32(n / v.Type.goPer())
}

// decodeValues decodes raw (n elements of type t, each numElems wide for
// strings) into the Go slice for t. For strings, single returns one string
// (attribute entries), otherwise []string with one string per value;
// trailing NULs are removed, and trailing spaces too when trimSpace is set
// (variable values, which writers pad with spaces).
func decodeValues(t DataType, raw []byte, order binary.ByteOrder, numElems int, single, trimSpace bool) (any, error) {
	size := t.Size()
	if size == 0 {
		return nil, fmt.Errorf("%w: unknown data type %d", ErrFormat, int32(t))
	}
	if t.isString() {
		if single {
			return strings.TrimRight(string(raw), "\x00"), nil
		}
		if numElems <= 0 {
			return nil, fmt.Errorf("%w: string NumElems %d", ErrFormat, numElems)
		}
		out := make([]string, len(raw)/numElems)
		cut := "\x00"
		if trimSpace {
			cut = "\x00 "
		}
		for i := range out {
			out[i] = strings.TrimRight(string(raw[i*numElems:(i+1)*numElems]), cut)
		}
		return out, nil
	}
	switch t {
	case Int1, Byte:
		out := make([]int8, len(raw))
		for i, b := range raw {
			out[i] = int8(b)
		}
		return out, nil
	case Uint1:
		out := make([]uint8, len(raw))
		copy(out, raw)
		return out, nil
	case Int2:
		out := make([]int16, len(raw)/2)
		for i := range out {
			out[i] = int16(order.Uint16(raw[2*i:]))
		}
		return out, nil
	case Uint2:
		out := make([]uint16, len(raw)/2)
		for i := range out {
			out[i] = order.Uint16(raw[2*i:])
		}
		return out, nil
	case Int4:
		out := make([]int32, len(raw)/4)
		for i := range out {
			out[i] = int32(order.Uint32(raw[4*i:]))
		}
		return out, nil
	case Uint4:
		out := make([]uint32, len(raw)/4)
		for i := range out {
			out[i] = order.Uint32(raw[4*i:])
		}
		return out, nil
	case Real4, Float:
		out := make([]float32, len(raw)/4)
		for i := range out {
			out[i] = math.Float32frombits(order.Uint32(raw[4*i:]))
		}
		return out, nil
	case Int8, TT2000:
		out := make([]int64, len(raw)/8)
		for i := range out {
			out[i] = int64(order.Uint64(raw[8*i:]))
		}
		return out, nil
	default: // Real8, Double, Epoch, Epoch16
		out := make([]float64, len(raw)/8)
		for i := range out {
			out[i] = math.Float64frombits(order.Uint64(raw[8*i:]))
		}
		return out, nil
	}
}
