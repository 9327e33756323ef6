package ccsds

import (
	"errors"
	"fmt"
	"io"
)

// readChunk is how much the Reader asks its source for at a time.
const readChunk = 64 << 10

// Reader yields the packets of a stream of concatenated packets.
//
// Next returns each valid packet; where the bytes do not form a valid
// packet (impossible header, impossible length, CRC mismatch, truncated
// tail) it returns one *CorruptError covering the whole damaged stretch and
// resynchronises on the next offset where a valid packet (plausible header
// and matching CRC) starts, so the caller can count the error and call Next
// again. Next returns io.EOF at the end of the stream; other errors come
// from the source and are final.
type Reader struct {
	src    io.Reader
	buf    []byte
	pos    int   // next unread byte in buf
	off    int64 // stream offset of buf[pos]
	eof    bool  // src is exhausted
	srcErr error // final error from src
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, buf: make([]byte, 0, 2*readChunk)}
}

// Offset returns the stream offset of the next byte Next will examine.
func (r *Reader) Offset() int64 { return r.off }

// avail returns the number of buffered unread bytes.
func (r *Reader) avail() int { return len(r.buf) - r.pos }

// fill tries to buffer at least n unread bytes; fewer are buffered only at
// the end of the stream or after a source error.
func (r *Reader) fill(n int) {
	for r.avail() < n && !r.eof {
		if r.pos > 0 && cap(r.buf)-len(r.buf) < readChunk {
			// Slide the unread bytes to the front before growing.
			m := copy(r.buf, r.buf[r.pos:])
			r.buf = r.buf[:m]
			r.pos = 0
		}
		if cap(r.buf)-len(r.buf) < readChunk {
			nb := make([]byte, len(r.buf), 2*cap(r.buf)+readChunk)
			copy(nb, r.buf)
			r.buf = nb
		}
		k, err := r.src.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+k]
		if err != nil {
			r.eof = true
			if !errors.Is(err, io.EOF) {
				r.srcErr = fmt.Errorf("ccsds: read: %w", err)
			}
		}
	}
}

func (r *Reader) advance(n int) {
	r.pos += n
	r.off += int64(n)
}

// tryPacket decodes the packet at the current position without consuming
// it. It returns the packet, its length, or the reason it is not valid.
func (r *Reader) tryPacket() (Packet, int, error) {
	r.fill(HeaderLen)
	if r.avail() < HeaderLen {
		return Packet{}, 0, ErrTruncated
	}
	total, err := checkHeader(r.buf[r.pos:])
	if err != nil {
		return Packet{}, 0, err
	}
	r.fill(total)
	if r.avail() < total {
		return Packet{}, 0, ErrTruncated
	}
	p, n, err := decodeChecked(r.buf[r.pos : r.pos+total])
	if err != nil {
		return Packet{}, 0, ErrCRC
	}
	return p, n, nil
}

// Next returns the next packet, a *CorruptError, io.EOF, or a source error.
func (r *Reader) Next() (Packet, error) {
	r.fill(1)
	if r.avail() == 0 {
		if r.srcErr != nil {
			return Packet{}, r.srcErr
		}
		return Packet{}, io.EOF
	}
	p, n, err := r.tryPacket()
	if err == nil {
		r.advance(n)
		return p, nil
	}
	if r.srcErr != nil {
		// The source failed mid-packet: that is not corruption.
		return Packet{}, r.srcErr
	}
	// Damaged: skip byte by byte to the next valid packet or the end.
	start := r.off
	for {
		r.advance(1)
		r.fill(1)
		if r.avail() == 0 {
			break
		}
		if _, _, e := r.tryPacket(); e == nil {
			break
		}
		if r.srcErr != nil {
			return Packet{}, r.srcErr
		}
	}
	return Packet{}, &CorruptError{Offset: start, Length: r.off - start, Err: err}
}
