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
	queue    [][]*Segment
	byID     map[int64]*Segment // pending segments
}

func newMemory(nobs, holdable int) *memory {
	return &memory{holdable: holdable, held: make([]int, nobs), queue: make([][]*Segment, nobs), byID: map[int64]*Segment{}}
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
	for i, o := range s.Obs {
		if o.Alloc > 0 {
			m.held[i] += o.Alloc
			q := m.queue[i]
			at, _ := slices.BinarySearchFunc(q, s, evictsBefore)
			m.queue[i] = slices.Insert(q, at, s)
		}
	}
	return nil
}

// untrack removes s from observatory i's queue (its Alloc there is about
// to become 0) and lowers the held count by freed.
func (m *memory) untrack(s *Segment, i, freed int) {
	m.held[i] -= freed
	q := m.queue[i]
	if at, ok := slices.BinarySearchFunc(q, s, evictsBefore); ok {
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
		delete(m.byID, s.ID)
	}
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
		for free < n && k < len(m.queue[i]) && m.queue[i][k].FOM < s.FOM {
			free += m.queue[i][k].Obs[i].Alloc
			k++
		}
		if free < n {
			continue // not held here; the other observatories are unaffected
		}
		victims := slices.Clone(m.queue[i][:k])
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
