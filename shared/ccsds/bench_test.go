package ccsds

import (
	"bytes"
	"io"
	"testing"
)

// benchStream is an fgm-survey-like file: 1000 packets of 128 3-vectors.
func benchStream(b *testing.B) []byte {
	ps := make([]Packet, 1000)
	for i := range ps {
		ps[i] = samplePacket(uint16(i), 128, 3)
	}
	data, _ := stream(b, ps)
	return data
}

func BenchmarkReader(b *testing.B) {
	data := benchStream(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd := NewReader(bytes.NewReader(data))
		for {
			if _, err := rd.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	p := samplePacket(1, 128, 3)
	buf := make([]byte, 0, p.Len())
	b.SetBytes(int64(p.Len()))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = Append(buf[:0], p); err != nil {
			b.Fatal(err)
		}
	}
}
