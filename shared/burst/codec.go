package burst

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Segments are stored as a compact binary attribute ("seg") rather than
// JSON: every Apply writes hundreds of segments and a cold start reads every
// pending one, and JSON was most of that time. Tables written before the
// codec hold JSON in "doc"; decode still reads them.
//
//	seg     = version(1) varint(id) varint(start) varint(end) fom(8, IEEE bits)
//	          str(source) str(parameter set) str(discussion)
//	          time(create) time(finish) uvarint(status) flags(1)
//	          uvarint(eval cycles) varint(parent)
//	          uvarint(n) { uvarint(buffers) uvarint(alloc) uvarint(remaining) }
//	          uvarint(n) { time(at) str(kind) uvarint(obs) varint(count) str(status) }
//	time    = 0 (zero time) | 1 varint(unix seconds) uvarint(nanoseconds)
//	str     = uvarint(len) bytes
const segCodecVersion = 1

const (
	flagPending    = 1
	flagInPlaylist = 2
)

var errShort = errors.New("truncated")

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// encodeSegment returns the stored form of s.
func encodeSegment(s *Segment) []byte {
	b := make([]byte, 0, 96+len(s.Discussion)+24*len(s.History))
	b = append(b, segCodecVersion)
	b = binary.AppendVarint(b, s.ID)
	b = binary.AppendVarint(b, s.TAIStart)
	b = binary.AppendVarint(b, s.TAIEnd)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.FOM))
	b = appendStr(b, s.Source)
	b = appendStr(b, s.ParameterSetID)
	b = appendStr(b, s.Discussion)
	b = appendTime(b, s.CreateTime)
	b = appendTime(b, s.FinishTime)
	b = binary.AppendUvarint(b, uint64(s.Status))
	var flags byte
	if s.Pending {
		flags |= flagPending
	}
	if s.InPlaylist {
		flags |= flagInPlaylist
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(s.EvalCycles))
	b = binary.AppendVarint(b, s.Parent)
	b = binary.AppendUvarint(b, uint64(len(s.Obs)))
	for _, o := range s.Obs {
		b = binary.AppendUvarint(b, uint64(o.Buffers))
		b = binary.AppendUvarint(b, uint64(o.Alloc))
		b = binary.AppendUvarint(b, uint64(o.Remaining))
	}
	b = binary.AppendUvarint(b, uint64(len(s.History)))
	for _, e := range s.History {
		b = appendTime(b, e.At)
		b = appendStr(b, e.Kind)
		b = binary.AppendUvarint(b, uint64(e.Obs))
		b = binary.AppendVarint(b, int64(e.Count))
		b = appendStr(b, e.Status)
	}
	return b
}

// segReader decodes the binary form; the first error sticks.
type segReader struct {
	b   []byte
	err error
}

func (r *segReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *segReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *segReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errShort
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// count reads a length that must fit in what is left (each element takes
// at least min bytes), so corrupt input cannot make us allocate much.
func (r *segReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.err = errShort
		return 0
	}
	return int(n)
}

// knownStrings are interned so decoding the hot fields does not allocate.
var knownStrings = map[string]string{
	SourceABS: SourceABS, SourceSITL: SourceSITL, SourceGLS: SourceGLS, SourceBackEdit: SourceBackEdit,
	EventStatus: EventStatus, EventHeld: EventHeld, EventTransmitted: EventTransmitted,
	EventOverwritten: EventOverwritten, EventFreed: EventFreed, "": "",
}

func (r *segReader) str() string {
	b := r.bytes(r.count(1))
	if s, ok := knownStrings[string(b)]; ok {
		return s
	}
	return string(b)
}

func (r *segReader) time() time.Time {
	tag := r.bytes(1)
	if tag == nil || tag[0] == 0 {
		return time.Time{}
	}
	if tag[0] != 1 {
		r.err = fmt.Errorf("time tag %d", tag[0])
		return time.Time{}
	}
	sec := r.varint()
	nsec := r.uvarint()
	if nsec >= 1e9 {
		r.err = fmt.Errorf("time nanoseconds %d", nsec)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// decodeSegmentBytes parses the binary form.
func decodeSegmentBytes(b []byte) (*Segment, error) {
	if len(b) == 0 || b[0] != segCodecVersion {
		return nil, fmt.Errorf("unknown segment encoding")
	}
	r := segReader{b: b[1:]}
	s := &Segment{ID: r.varint(), TAIStart: r.varint(), TAIEnd: r.varint()}
	if fb := r.bytes(8); fb != nil {
		s.FOM = math.Float64frombits(binary.LittleEndian.Uint64(fb))
	}
	s.Source, s.ParameterSetID, s.Discussion = r.str(), r.str(), r.str()
	s.CreateTime, s.FinishTime = r.time(), r.time()
	s.Status = Status(r.uvarint())
	if f := r.bytes(1); f != nil {
		s.Pending, s.InPlaylist = f[0]&flagPending != 0, f[0]&flagInPlaylist != 0
	}
	s.EvalCycles = int(r.uvarint())
	s.Parent = r.varint()
	s.Obs = make([]Obs, r.count(3))
	for i := range s.Obs {
		s.Obs[i] = Obs{Buffers: int(r.uvarint()), Alloc: int(r.uvarint()), Remaining: int(r.uvarint())}
	}
	if n := r.count(5); n > 0 {
		s.History = make([]Event, n)
		for i := range s.History {
			s.History[i] = Event{At: r.time(), Kind: r.str(), Obs: int(r.uvarint()), Count: int(r.varint()), Status: r.str()}
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// decodeSegment reads a segment item in either stored form.
func decodeSegment(it map[string]any) (*Segment, error) {
	if b, ok := it["seg"].([]byte); ok {
		s, err := decodeSegmentBytes(b)
		if err != nil {
			return nil, fmt.Errorf("burst: decode segment %v: %w", it["sk"], err)
		}
		return s, nil
	}
	doc, _ := it["doc"].(string)
	var s Segment
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return nil, fmt.Errorf("burst: decode segment %v: %w", it["sk"], err)
	}
	return &s, nil
}
