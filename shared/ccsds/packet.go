// Package ccsds encodes and decodes Magpie's L0 telemetry packets: CCSDS
// space packets (version 0, telemetry, with a secondary header) carrying a
// CUC time stamp, a small instrument header, big-endian 32-bit samples and a
// CRC-16/CCITT-FALSE trailer. docs/l0-format.md is the normative
// description; the layout, all big-endian, is:
//
//	offset size field
//	0      2    version (3 bits) = 0 | type (1) = 0 telemetry | secondary header flag (1) = 1 | APID (11)
//	2      2    sequence flags (2) = 0b11 unsegmented | sequence count (14)
//	4      2    packet data length = bytes after the primary header − 1
//	6      4    CUC coarse time: seconds since 1958-01-01 TAI
//	10     2    CUC fine time: 1/65536 s
//	12     1    spacecraft number (1-based)
//	13     1    mode id (instrument rate/mode)
//	14     1    values per sample K (>= 1)
//	15     1    payload format = 1 (signed 32-bit big-endian integers)
//	16     2    sample count N (>= 1)
//	18     4·N·K samples, sample-major: s0v0 s0v1 … s0vK-1 s1v0 …
//	end−2  2    CRC-16/CCITT-FALSE of every preceding byte of the packet
//
// An L0 file is a plain concatenation of packets. Reader yields them and
// reports damaged stretches as *CorruptError values so a caller can count
// them and carry on with the next good packet.
package ccsds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Layout constants.
const (
	PrimaryHeaderLen    = 6
	SecondaryHeaderLen  = 6
	InstrumentHeaderLen = 6
	// HeaderLen is the length of all three headers together.
	HeaderLen = PrimaryHeaderLen + SecondaryHeaderLen + InstrumentHeaderLen
	CRCLen    = 2
	// Overhead is the packet length without its samples.
	Overhead = HeaderLen + CRCLen
	// MaxPacketLen is the longest packet a 16-bit data length allows.
	MaxPacketLen = PrimaryHeaderLen + 1<<16
	// MaxValues is the most int32 values one packet holds.
	MaxValues = (MaxPacketLen - Overhead) / 4
	// MaxAPID is the largest 11-bit application process id.
	MaxAPID = 1<<11 - 1
	// MaxSeqCount is the largest 14-bit sequence count; counts wrap to 0.
	MaxSeqCount = 1<<14 - 1
	// FormatInt32 is the only payload format: signed 32-bit big-endian.
	FormatInt32 = 1
	// seqFlagsUnsegmented is the sequence-flags value of a standalone packet.
	seqFlagsUnsegmented = 0b11
)

// Packet is one decoded telemetry packet.
type Packet struct {
	APID     uint16 // application process id, 0..MaxAPID
	SeqCount uint16 // source sequence count, 0..MaxSeqCount
	Time     CUC    // time of the first sample
	// Spacecraft is the 1-based spacecraft number.
	Spacecraft uint8
	// Mode identifies the instrument rate/mode the samples were taken in.
	Mode uint8
	// ValuesPerSample is K: 3 for a vector, 5 for density+velocity+temperature.
	ValuesPerSample uint8
	// Samples holds N·K values, sample-major.
	Samples []int32
}

// SampleCount returns N, the number of K-value samples.
func (p Packet) SampleCount() int {
	if p.ValuesPerSample == 0 {
		return 0
	}
	return len(p.Samples) / int(p.ValuesPerSample)
}

// Len returns the encoded length of the packet in bytes.
func (p Packet) Len() int { return Overhead + 4*len(p.Samples) }

// Sample returns the K values of sample i (a sub-slice of Samples).
func (p Packet) Sample(i int) []int32 {
	k := int(p.ValuesPerSample)
	return p.Samples[i*k : (i+1)*k]
}

// Validate reports why p cannot be encoded, or nil.
func (p Packet) Validate() error {
	switch {
	case p.APID > MaxAPID:
		return fmt.Errorf("ccsds: APID %d exceeds %d", p.APID, MaxAPID)
	case p.SeqCount > MaxSeqCount:
		return fmt.Errorf("ccsds: sequence count %d exceeds %d", p.SeqCount, MaxSeqCount)
	case p.ValuesPerSample == 0:
		return errors.New("ccsds: values per sample is 0")
	case len(p.Samples) == 0:
		return errors.New("ccsds: packet has no samples")
	case len(p.Samples)%int(p.ValuesPerSample) != 0:
		return fmt.Errorf("ccsds: %d values is not a whole number of %d-value samples", len(p.Samples), p.ValuesPerSample)
	case len(p.Samples) > MaxValues:
		return fmt.Errorf("ccsds: %d values exceed the %d a packet holds", len(p.Samples), MaxValues)
	case len(p.Samples)/int(p.ValuesPerSample) > 0xFFFF:
		return fmt.Errorf("ccsds: %d samples exceed a 16-bit sample count", len(p.Samples)/int(p.ValuesPerSample))
	}
	return nil
}

// Append appends the encoded packet to dst.
func Append(dst []byte, p Packet) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return dst, err
	}
	start := len(dst)
	n := p.Len()
	dst = append(dst, make([]byte, n)...)
	b := dst[start:]
	binary.BigEndian.PutUint16(b[0:], 1<<11|p.APID) // version 0, type 0, sec. header 1
	binary.BigEndian.PutUint16(b[2:], seqFlagsUnsegmented<<14|p.SeqCount)
	binary.BigEndian.PutUint16(b[4:], uint16(n-PrimaryHeaderLen-1))
	binary.BigEndian.PutUint32(b[6:], p.Time.Coarse)
	binary.BigEndian.PutUint16(b[10:], p.Time.Fine)
	b[12] = p.Spacecraft
	b[13] = p.Mode
	b[14] = p.ValuesPerSample
	b[15] = FormatInt32
	binary.BigEndian.PutUint16(b[16:], uint16(len(p.Samples)/int(p.ValuesPerSample)))
	o := HeaderLen
	for _, v := range p.Samples {
		binary.BigEndian.PutUint32(b[o:], uint32(v))
		o += 4
	}
	binary.BigEndian.PutUint16(b[o:], CRC16(b[:o]))
	return dst, nil
}

// Encode writes the encoded packet to w.
func Encode(w io.Writer, p Packet) error {
	b, err := Append(make([]byte, 0, p.Len()), p)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("ccsds: write packet: %w", err)
	}
	return nil
}

// The kinds of damage Decode and Reader detect. Every one also matches
// ErrCorrupt with errors.Is.
var (
	ErrCorrupt = errors.New("corrupt packet")
	// ErrHeader: a header field has a value this format never writes.
	ErrHeader = errors.New("impossible header")
	// ErrLength: the data length disagrees with the sample count.
	ErrLength = errors.New("impossible length")
	// ErrCRC: the CRC trailer does not match the packet.
	ErrCRC = errors.New("CRC mismatch")
	// ErrTruncated: the data ends before the packet does.
	ErrTruncated = errors.New("truncated packet")
)

// CorruptError describes bytes that do not form a valid packet: from
// Offset, Length bytes were skipped; Err (ErrHeader, ErrLength, ErrCRC or
// ErrTruncated) says what was wrong at Offset.
type CorruptError struct {
	Offset int64
	Length int64
	Err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("ccsds: corrupt data at byte %d (%d bytes skipped): %v", e.Offset, e.Length, e.Err)
}

// Unwrap makes errors.Is match both ErrCorrupt and the specific kind.
func (e *CorruptError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// checkHeader validates the fixed fields of the header at the start of b
// (len(b) >= HeaderLen) and returns the total packet length.
func checkHeader(b []byte) (int, error) {
	w0 := binary.BigEndian.Uint16(b[0:])
	if w0>>11 != 1 { // version 0, type telemetry, secondary header present
		return 0, fmt.Errorf("%w: version/type/secondary-header bits %03b", ErrHeader, w0>>11)
	}
	if binary.BigEndian.Uint16(b[2:])>>14 != seqFlagsUnsegmented {
		return 0, fmt.Errorf("%w: sequence flags are not 'unsegmented'", ErrHeader)
	}
	if b[14] == 0 {
		return 0, fmt.Errorf("%w: zero values per sample", ErrHeader)
	}
	if b[15] != FormatInt32 {
		return 0, fmt.Errorf("%w: payload format %d", ErrHeader, b[15])
	}
	n := int(binary.BigEndian.Uint16(b[16:]))
	if n == 0 {
		return 0, fmt.Errorf("%w: zero samples", ErrHeader)
	}
	total := PrimaryHeaderLen + int(binary.BigEndian.Uint16(b[4:])) + 1
	if want := Overhead + 4*n*int(b[14]); total != want {
		return 0, fmt.Errorf("%w: data length says %d bytes, %d samples of %d values need %d", ErrLength, total, n, b[14], want)
	}
	return total, nil
}

// Decode decodes the packet at the start of b and returns it with its
// encoded length. Errors match ErrCorrupt and one of the specific kinds;
// Samples is freshly allocated.
func Decode(b []byte) (Packet, int, error) {
	if len(b) < HeaderLen {
		return Packet{}, 0, fmt.Errorf("%w: %w: %d bytes, a header needs %d", ErrCorrupt, ErrTruncated, len(b), HeaderLen)
	}
	total, err := checkHeader(b)
	if err != nil {
		return Packet{}, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if len(b) < total {
		return Packet{}, 0, fmt.Errorf("%w: %w: %d of %d bytes", ErrCorrupt, ErrTruncated, len(b), total)
	}
	return decodeChecked(b[:total])
}

// decodeChecked decodes b, one packet whose header checkHeader accepted.
func decodeChecked(b []byte) (Packet, int, error) {
	body := len(b) - CRCLen
	if got, want := CRC16(b[:body]), binary.BigEndian.Uint16(b[body:]); got != want {
		return Packet{}, 0, fmt.Errorf("%w: %w: computed %04x, trailer %04x", ErrCorrupt, ErrCRC, got, want)
	}
	p := Packet{
		APID:            binary.BigEndian.Uint16(b[0:]) & MaxAPID,
		SeqCount:        binary.BigEndian.Uint16(b[2:]) & MaxSeqCount,
		Time:            CUC{Coarse: binary.BigEndian.Uint32(b[6:]), Fine: binary.BigEndian.Uint16(b[10:])},
		Spacecraft:      b[12],
		Mode:            b[13],
		ValuesPerSample: b[14],
	}
	vals := b[HeaderLen:body]
	p.Samples = make([]int32, len(vals)/4)
	for i := range p.Samples {
		p.Samples[i] = int32(binary.BigEndian.Uint32(vals[4*i:]))
	}
	return p, len(b), nil
}
