package cdf

import (
	"bytes"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the reader: it may refuse them, but it
// must never panic nor allocate without bound.
func FuzzRead(f *testing.F) {
	f.Add(validFile(f))
	f.Add(foreignFile())
	var mms bytes.Buffer
	w := NewWriter()
	mmsFile(w)
	if _, err := w.WriteTo(&mms); err != nil {
		f.Fatal(err)
	}
	f.Add(mms.Bytes())
	f.Add([]byte{0xCD, 0xF3, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, v := range file.Vars {
			vals, err := v.Values()
			if err == nil && goLen(vals) != v.NumRecords*valuesPerRecord(v) {
				t.Fatalf("%s: %d values for %d records", v.Name, goLen(vals), v.NumRecords)
			}
		}
	})
}

// valuesPerRecord is the number of Go elements per record of v.
func valuesPerRecord(v *Var) int {
	n := 1
	for _, d := range v.Dims {
		n *= d
	}
	if !v.Type.isString() {
		n *= v.NumElems * v.Type.goPer()
	}
	return n
}
