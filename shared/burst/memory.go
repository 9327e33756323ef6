package burst

import (
	"fmt"
	"slices"
	"time"
)

// memory is the in-memory picture of the onboard burst memories: buffers
// held per observatory and, per observatory, the segments holding buffers
// there in eviction order (lowest FOM first, oldest first on equal FOM).
// It decides allocations; the BDM persists what it decided.
type memory struct {
	holdable int
	held     []int
	queue    [][]qent
	byID     map[int64]*Segment // pending segments
	// byStart lists pending segments by start time for overlap lookups.
	// Segments that stopped pending are dropped lazily (stale counts
	// them), so a release costs no slice shift.
	byStart []*Segment
	stale   int
	maxSpan int64 // the longest TAIEnd-TAIStart ever tracked
}

func newMemory(nobs, holdable int) *memory {
	return &memory{holdable: holdable, held: make([]int, nobs), queue: make([][]qent, nobs), byID: map[int64]*Segment{}}
}

// qent is a segment's place in an eviction queue. It holds no pointer, so
// inserting into a queue of thousands is a plain memmove (with pointers,
// the GC write barriers made queue upkeep a fifth of an Apply).
type qent struct {
	fom     float64
	created int64 // UnixNano
	id      int64
}

func qentOf(s *Segment) qent { return qent{fom: s.FOM, created: s.CreateTime.UnixNano(), id: s.ID} }

// queueOrder orders queue entries by eviction priority (as evictsBefore).
func queueOrder(a, b qent) int {
	switch {
	case a.fom < b.fom:
		return -1
	case a.fom > b.fom:
		return 1
	case a.created != b.created:
		return cmpInt(a.created, b.created)
	}
	return cmpInt(a.id, b.id)
}

// evictsBefore orders segments by eviction priority.
func evictsBefore(a, b *Segment) int {
	switch {
	case a.FOM < b.FOM:
		return -1
	case a.FOM > b.FOM:
		return 1
	}
	if c := a.CreateTime.Compare(b.CreateTime); c != 0 {
		return c
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// track adds a pending segment (loaded or newly held) to the queues.
func (m *memory) track(s *Segment) error {
	if len(s.Obs) != len(m.held) {
		return fmt.Errorf("segment %d has %d observatories, memory has %d", s.ID, len(s.Obs), len(m.held))
	}
	if !s.Pending {
		return nil
	}
	m.byID[s.ID] = s
	at, _ := slices.BinarySearchFunc(m.byStart, s, startsBefore)
	m.byStart = slices.Insert(m.byStart, at, s)
	m.maxSpan = max(m.maxSpan, s.TAIEnd-s.TAIStart)
	for i, o := range s.Obs {
		if o.Alloc > 0 {
			m.held[i] += o.Alloc
			q, e := m.queue[i], qentOf(s)
			at, _ := slices.BinarySearchFunc(q, e, queueOrder)
			m.queue[i] = slices.Insert(q, at, e)
		}
	}
	return nil
}

// untrack removes s from observatory i's queue (its Alloc there is about
// to become 0) and lowers the held count by freed.
func (m *memory) untrack(s *Segment, i, freed int) {
	m.held[i] -= freed
	q := m.queue[i]
	at, ok := slices.BinarySearchFunc(q, qentOf(s), queueOrder)
	switch {
	case !ok:
	case at == 0:
		// Releases take the head of the queue: re-slice, no shift.
		m.queue[i] = q[1:]
	default:
		m.queue[i] = slices.Delete(q, at, at+1)
	}
}

// refresh re-files s after an event changed its holdings: prev are the
// per-observatory Alloc values before the event.
func (m *memory) refresh(s *Segment, prev []int) {
	for i, o := range s.Obs {
		if prev[i] > 0 && o.Alloc == 0 {
			m.untrack(s, i, prev[i])
		} else {
			m.held[i] -= prev[i] - o.Alloc
		}
	}
	if !s.Pending {
		if _, ok := m.byID[s.ID]; ok {
			delete(m.byID, s.ID)
			m.stale++
			if m.stale > len(m.byStart)/2 {
				m.byStart = slices.DeleteFunc(m.byStart, func(s *Segment) bool { return !s.Pending })
				m.stale = 0
			}
		}
	}
}

// startsBefore orders segments by start time, then id.
func startsBefore(a, b *Segment) int {
	switch {
	case a.TAIStart != b.TAIStart:
		return cmpInt(a.TAIStart, b.TAIStart)
	default:
		return cmpInt(a.ID, b.ID)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// overlapping returns the pending segments sharing a buffer with the
// interval start–end (buffer start times, inclusive), by start time.
func (m *memory) overlapping(start, end int64) []*Segment {
	from, _ := slices.BinarySearchFunc(m.byStart, start-m.maxSpan, func(s *Segment, t int64) int { return cmpInt(s.TAIStart, t) })
	var out []*Segment
	for _, s := range m.byStart[from:] {
		if s.TAIStart > end {
			break
		}
		if s.Pending && s.TAIEnd >= start {
			out = append(out, s)
		}
	}
	return out
}

func allocs(s *Segment) []int {
	out := make([]int, len(s.Obs))
	for i, o := range s.Obs {
		out[i] = o.Alloc
	}
	return out
}

// place holds a newly entered segment on every observatory that has its
// data and room for it, releasing lower-FOM segments where needed. It
// returns the segments it released buffers of.
func (m *memory) place(s *Segment, at time.Time) ([]*Segment, error) {
	alloc := make([]int, len(m.held))
	var released []*Segment
	for i, o := range s.Obs {
		n := o.Buffers
		if n <= 0 {
			continue
		}
		free := m.holdable - m.held[i]
		k := 0
		// Only strictly lower FOM may make room, and only as many
		// segments as the new one needs.
		for free < n && k < len(m.queue[i]) && m.queue[i][k].fom < s.FOM {
			free += m.byID[m.queue[i][k].id].Obs[i].Alloc
			k++
		}
		if free < n {
			continue // not held here; the other observatories are unaffected
		}
		victims := make([]*Segment, k)
		for j, e := range m.queue[i][:k] {
			victims[j] = m.byID[e.id]
		}
		for _, v := range victims {
			prev := allocs(v)
			if err := v.release(at, i); err != nil {
				return nil, err
			}
			m.refresh(v, prev)
			released = append(released, v)
		}
		alloc[i] = n
	}
	if err := s.hold(at, alloc); err != nil {
		return nil, err
	}
	return released, m.track(s)
}
