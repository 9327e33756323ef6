package ccsds

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must never panic, must
// terminate, must account for every byte exactly once, and every packet it
// yields must re-encode to the bytes it was read from.
func FuzzReader(f *testing.F) {
	good, _ := Append(nil, samplePacket(1, 3, 3))
	two, _ := Append(bytes.Clone(good), samplePacket(2, 1, 5))
	f.Add(good)
	f.Add(two)
	f.Add(two[:len(two)-1])
	f.Add([]byte{0x08, 0x4c, 0xc0, 0x00, 0x00, 0x19})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		var covered int64
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatal("reader does not terminate")
			}
			start := rd.Offset()
			if start != covered {
				t.Fatalf("offset %d, accounted %d", start, covered)
			}
			p, err := rd.Next()
			if err == io.EOF {
				break
			}
			var ce *CorruptError
			if errors.As(err, &ce) {
				if ce.Offset != start || ce.Length <= 0 {
					t.Fatalf("bad stretch %+v at %d", ce, start)
				}
				covered += ce.Length
				continue
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			b, err := Append(nil, p)
			if err != nil {
				t.Fatalf("yielded packet does not re-encode: %v", err)
			}
			if !bytes.Equal(b, data[start:start+int64(len(b))]) {
				t.Fatal("yielded packet differs from its bytes")
			}
			covered += int64(len(b))
		}
		if covered != int64(len(data)) {
			t.Fatalf("accounted for %d of %d bytes", covered, len(data))
		}
	})
}
