package ccsds

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestCRC16CheckValue(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("CRC16(123456789) = %04x, want 29b1", got)
	}
	if got := CRC16(nil); got != 0xFFFF {
		t.Fatalf("CRC16(empty) = %04x, want ffff", got)
	}
}

// samplePacket returns a valid packet with n samples of k values.
func samplePacket(seq uint16, n, k int) Packet {
	p := Packet{APID: 1100, SeqCount: seq, Time: CUC{Coarse: 1_823_904_036, Fine: 512 * uint16(seq%128)},
		Spacecraft: 3, Mode: 2, ValuesPerSample: uint8(k)}
	for i := range n * k {
		p.Samples = append(p.Samples, int32(i*7919)-int32(seq)*1000003)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
	}{
		{"vector", samplePacket(7, 128, 3)},
		{"moments", samplePacket(MaxSeqCount, 1, 5)},
		{"extremes", Packet{APID: MaxAPID, SeqCount: 0, Time: CUC{math.MaxUint32, math.MaxUint16}, Spacecraft: 255, Mode: 255,
			ValuesPerSample: 1, Samples: []int32{math.MinInt32, -1, 0, 1, math.MaxInt32}}},
		{"largest", samplePacket(1, MaxValues, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Append(nil, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != tc.p.Len() {
				t.Fatalf("encoded %d bytes, Len says %d", len(b), tc.p.Len())
			}
			got, n, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Fatalf("consumed %d of %d bytes", n, len(b))
			}
			if !equalPackets(got, tc.p) {
				t.Fatalf("round trip changed the packet:\n got %+v\nwant %+v", got.header(), tc.p.header())
			}
			if got.SampleCount() != len(tc.p.Samples)/int(tc.p.ValuesPerSample) {
				t.Fatalf("SampleCount = %d", got.SampleCount())
			}
		})
	}
}

type hdr struct {
	APID, SeqCount      uint16
	Time                CUC
	Spacecraft, Mode, K uint8
}

func (p Packet) header() hdr {
	return hdr{p.APID, p.SeqCount, p.Time, p.Spacecraft, p.Mode, p.ValuesPerSample}
}

func equalPackets(a, b Packet) bool {
	return a.header() == b.header() && slicesEqual(a.Samples, b.Samples)
}

func slicesEqual(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHeaderBits(t *testing.T) {
	b, err := Append(nil, Packet{APID: 0x44C, SeqCount: 0x1234, ValuesPerSample: 3, Samples: []int32{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	// version 000, type 0, secondary header 1, APID 0x44C
	if b[0] != 0x0C || b[1] != 0x4C {
		t.Errorf("first word %02x%02x, want 0c4c", b[0], b[1])
	}
	// sequence flags 11, count 0x1234
	if b[2] != 0xD2 || b[3] != 0x34 {
		t.Errorf("second word %02x%02x, want d234", b[2], b[3])
	}
	// data length: 12 header bytes + 12 sample bytes + 2 CRC − 1 = 25
	if b[4] != 0 || b[5] != 25 {
		t.Errorf("data length %02x%02x, want 0019", b[4], b[5])
	}
}

func TestValidate(t *testing.T) {
	good := samplePacket(1, 2, 3)
	tests := []struct {
		name   string
		modify func(*Packet)
	}{
		{"apid", func(p *Packet) { p.APID = MaxAPID + 1 }},
		{"seq", func(p *Packet) { p.SeqCount = MaxSeqCount + 1 }},
		{"k zero", func(p *Packet) { p.ValuesPerSample = 0 }},
		{"empty", func(p *Packet) { p.Samples = nil }},
		{"ragged", func(p *Packet) { p.Samples = p.Samples[:5] }},
		{"too long", func(p *Packet) { p.ValuesPerSample = 1; p.Samples = make([]int32, MaxValues+1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := good
			tc.modify(&p)
			if _, err := Append(nil, p); err == nil {
				t.Fatal("Append accepted an invalid packet")
			}
			if err := Encode(io.Discard, p); err == nil {
				t.Fatal("Encode accepted an invalid packet")
			}
		})
	}
}

func TestCRCDetectsEveryBitFlip(t *testing.T) {
	b, err := Append(nil, samplePacket(5, 16, 3))
	if err != nil {
		t.Fatal(err)
	}
	for bit := range 8 * len(b) {
		c := bytes.Clone(b)
		c[bit/8] ^= 1 << (bit % 8)
		_, _, err := Decode(c)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipping bit %d went undetected (err %v)", bit, err)
		}
	}
}

func TestDecodeErrorKinds(t *testing.T) {
	b, _ := Append(nil, samplePacket(5, 4, 3))
	tests := []struct {
		name string
		data func() []byte
		want error
	}{
		{"short header", func() []byte { return b[:10] }, ErrTruncated},
		{"short body", func() []byte { return b[:len(b)-1] }, ErrTruncated},
		{"version", func() []byte { c := bytes.Clone(b); c[0] |= 0x20; return c }, ErrHeader},
		{"length", func() []byte { c := bytes.Clone(b); c[5]++; return c }, ErrLength},
		{"crc", func() []byte { c := bytes.Clone(b); c[HeaderLen] ^= 0x80; return c }, ErrCRC},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode(tc.data())
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want %v and ErrCorrupt", err, tc.want)
			}
		})
	}
}

func TestCUC(t *testing.T) {
	// The MMS check value: 2015-06-12T17:20:05 UTC = TAI-1958 1812820840.
	at := time.Date(2015, 6, 12, 17, 20, 5, 250_000_000, time.UTC)
	c, err := NewCUC(at)
	if err != nil {
		t.Fatal(err)
	}
	if c.Coarse != 1812820840 || c.Fine != FineTicks/4 {
		t.Fatalf("NewCUC = %+v, want {1812820840 16384}", c)
	}
	back, err := c.UTC()
	if err != nil || !back.Equal(at) {
		t.Fatalf("UTC() = %v, %v; want %v", back, err, at)
	}
	if c.Seconds() != 1812820840.25 {
		t.Fatalf("Seconds = %v", c.Seconds())
	}
	tests := []struct {
		sec  int64
		frac float64
		want CUC
		ok   bool
	}{
		{10, 0.5, CUC{10, 32768}, true},
		{10, 1.25, CUC{11, 16384}, true},
		{10, -0.25, CUC{9, 49152}, true},
		{10, 0.9999999, CUC{11, 0}, true}, // rounds up into the next second
		{-1, 0, CUC{}, false},
		{math.MaxUint32, 1, CUC{}, false},
		{0, math.NaN(), CUC{}, false},
	}
	for _, tc := range tests {
		got, err := CUCFromTAI(tc.sec, tc.frac)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("CUCFromTAI(%d, %v) = %+v, %v; want %+v ok=%v", tc.sec, tc.frac, got, err, tc.want, tc.ok)
		}
	}
	if d := (CUC{11, 16384}).Sub(CUC{10, 49152}); d != 0.5 {
		t.Errorf("Sub = %v, want 0.5", d)
	}
}

// stream encodes packets and returns the bytes and each packet's offset.
func stream(t testing.TB, ps []Packet) ([]byte, []int) {
	t.Helper()
	var b []byte
	var offs []int
	for _, p := range ps {
		offs = append(offs, len(b))
		var err error
		if b, err = Append(b, p); err != nil {
			t.Fatal(err)
		}
	}
	return b, offs
}

// readAll drains a Reader, returning packets and corrupt errors.
func readAll(t *testing.T, r io.Reader) ([]Packet, []*CorruptError) {
	t.Helper()
	rd := NewReader(r)
	var ps []Packet
	var bad []*CorruptError
	for {
		p, err := rd.Next()
		if err == io.EOF {
			return ps, bad
		}
		var ce *CorruptError
		switch {
		case errors.As(err, &ce):
			bad = append(bad, ce)
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			ps = append(ps, p)
		}
		if len(ps)+len(bad) > 1_000_000 {
			t.Fatal("reader does not terminate")
		}
	}
}

func makePackets(n int) []Packet {
	ps := make([]Packet, n)
	for i := range ps {
		ps[i] = samplePacket(uint16(i), 1+i%40, 1+i%5)
	}
	return ps
}

func TestReaderClean(t *testing.T) {
	ps := makePackets(300)
	b, _ := stream(t, ps)
	// A reader that returns one byte at a time exercises every refill path.
	for _, src := range []io.Reader{bytes.NewReader(b), &oneByteReader{b: b}} {
		got, bad := readAll(t, src)
		if len(bad) != 0 {
			t.Fatalf("clean stream reported %d corrupt stretches: %v", len(bad), bad[0])
		}
		if len(got) != len(ps) {
			t.Fatalf("read %d packets, want %d", len(got), len(ps))
		}
		for i := range ps {
			if !equalPackets(got[i], ps[i]) {
				t.Fatalf("packet %d differs", i)
			}
		}
	}
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

func TestReaderResync(t *testing.T) {
	ps := makePackets(20)
	b, offs := stream(t, ps)
	tests := []struct {
		name    string
		damage  func([]byte) []byte
		lost    []int // indexes of packets that must be missing
		kind    error
		badFrom int // expected offset of the single corrupt stretch
	}{
		{"bit flip in payload", func(b []byte) []byte { b[offs[7]+HeaderLen+1] ^= 4; return b }, []int{7}, ErrCRC, offs[7]},
		{"bit flip in APID word", func(b []byte) []byte { b[offs[3]] ^= 0x80; return b }, []int{3}, ErrHeader, offs[3]},
		{"length field", func(b []byte) []byte { b[offs[11]+5] ^= 0x10; return b }, []int{11}, ErrLength, offs[11]},
		{"garbage between packets", func(b []byte) []byte {
			return append(append(bytes.Clone(b[:offs[5]]), []byte("\x00\xffgarbage\x08\x4c")...), b[offs[5]:]...)
		}, nil, ErrHeader, offs[5]},
		{"bytes dropped mid-packet", func(b []byte) []byte {
			return append(bytes.Clone(b[:offs[9]+HeaderLen+8]), b[offs[9]+HeaderLen+12:]...)
		}, []int{9}, ErrCRC, offs[9]},
		{"truncated tail", func(b []byte) []byte { return b[:len(b)-3] }, []int{19}, ErrTruncated, offs[19]},
		{"first packet", func(b []byte) []byte { b[len(b)/1000+20] ^= 1; return b }, []int{0}, ErrCRC, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := readAll(t, bytes.NewReader(tc.damage(bytes.Clone(b))))
			if len(bad) != 1 {
				t.Fatalf("got %d corrupt stretches, want 1: %v", len(bad), bad)
			}
			if !errors.Is(bad[0], tc.kind) || !errors.Is(bad[0], ErrCorrupt) {
				t.Errorf("error %v, want kind %v", bad[0], tc.kind)
			}
			if bad[0].Offset != int64(tc.badFrom) {
				t.Errorf("corrupt stretch at %d, want %d", bad[0].Offset, tc.badFrom)
			}
			var want []Packet
			for i, p := range ps {
				if !contains(tc.lost, i) {
					want = append(want, p)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("read %d good packets, want %d", len(got), len(want))
			}
			for i := range want {
				if !equalPackets(got[i], want[i]) {
					t.Fatalf("good packet %d differs (seq %d vs %d)", i, got[i].SeqCount, want[i].SeqCount)
				}
			}
		})
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestReaderEmptyAndGarbage(t *testing.T) {
	if got, bad := readAll(t, bytes.NewReader(nil)); len(got)+len(bad) != 0 {
		t.Fatal("empty stream yielded something")
	}
	junk := make([]byte, 5000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	got, bad := readAll(t, bytes.NewReader(junk))
	if len(got) != 0 || len(bad) != 1 || bad[0].Length != int64(len(junk)) {
		t.Fatalf("random junk: %d packets, %d stretches %v", len(got), len(bad), bad)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("disk on fire")
	}
	r.n--
	p[0] = 0x08
	return 1, nil
}

func TestReaderSourceError(t *testing.T) {
	_, err := NewReader(&failingReader{n: 3}).Next()
	if err == nil || errors.Is(err, ErrCorrupt) || err == io.EOF {
		t.Fatalf("source error surfaced as %v", err)
	}
}

// crcBitwise is the textbook bit-at-a-time CRC-16/CCITT-FALSE.
func crcBitwise(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c ^= uint16(x) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
	}
	return c
}

func TestCRC16MatchesBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 100 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if got, want := CRC16(b), crcBitwise(b); got != want {
			t.Fatalf("len %d: CRC16 %04x, bitwise %04x", n, got, want)
		}
	}
}
