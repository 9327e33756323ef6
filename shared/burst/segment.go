package burst

import (
	"fmt"
	"time"
)

// Source names where a selection came from.
const (
	SourceABS      = "ABS"
	SourceSITL     = "SITL"
	SourceGLS      = "GLS"
	SourceBackEdit = "BACKSTRUCTURE"
)

// Obs is one observatory's share of a segment.
type Obs struct {
	// Buffers is how many buffers of the segment this observatory recorded
	// (0 when it has no data for the segment).
	Buffers int `json:"buffers"`
	// Alloc is how many of them are held on board now: set when the segment
	// is held, lowered as buffers are transmitted, zeroed when released.
	Alloc int `json:"alloc"`
	// Remaining is how many have not reached the ground (a released
	// segment keeps its untransmitted count here).
	Remaining int `json:"remaining"`
}

// Event is one entry of a segment's history: a status change, or buffers
// moving on one observatory (held, transmitted or overwritten).
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Obs    int       `json:"obs,omitempty"` // index into the spacecraft list
	Count  int       `json:"count,omitempty"`
	Status string    `json:"status,omitempty"`
}

// History event kinds.
const (
	EventStatus      = "status"
	EventHeld        = "held"
	EventTransmitted = "transmitted"
	EventOverwritten = "overwritten"
	EventFreed       = "freed" // released without loss statistics (subsumed, deleted)
)

// Segment is one burst segment. Times are TAI-1958 seconds on buffer
// boundaries; TAIEnd is the start of the last buffer (data end = TAIEnd +
// buffer length), as in the MMS LaTiS dataset.
type Segment struct {
	ID             int64     `json:"id"`
	TAIStart       int64     `json:"tai_start"`
	TAIEnd         int64     `json:"tai_end"`
	FOM            float64   `json:"fom"`
	Source         string    `json:"source"`
	ParameterSetID string    `json:"parameter_set_id,omitempty"`
	Discussion     string    `json:"discussion,omitempty"`
	CreateTime     time.Time `json:"create_time"`
	FinishTime     time.Time `json:"finish_time,omitzero"`
	Status         Status    `json:"status"`
	Pending        bool      `json:"pending"`
	InPlaylist     bool      `json:"in_playlist"`
	EvalCycles     int       `json:"eval_cycles"`
	// Parent is the segment this one is the untouched remainder of, when
	// a new selection TRIMMED that one (0 otherwise).
	Parent  int64   `json:"parent,omitempty"`
	Obs     []Obs   `json:"obs"`
	History []Event `json:"history,omitempty"`
}

// Buffers is the length of the segment in buffers.
func (s *Segment) Buffers(bufferSeconds int) int {
	return int((s.TAIEnd-s.TAIStart)/int64(bufferSeconds)) + 1
}

// HeldTotal is the buffers held on board over all observatories.
func (s *Segment) HeldTotal() int {
	n := 0
	for _, o := range s.Obs {
		n += o.Alloc
	}
	return n
}

func (s *Segment) illegal(event string) error {
	return fmt.Errorf("segment %d (%s): %s: %w", s.ID, s.Status, event, ErrIllegalTransition)
}

func (s *Segment) setStatus(at time.Time, st Status) {
	s.Status = s.Status&^lifeCycle | st
	s.History = append(s.History, Event{At: at, Kind: EventStatus, Status: s.Status.String()})
	if st.terminal() {
		s.Pending, s.InPlaylist = false, false
		s.FinishTime = at
	}
}

// hold records the allocation decided for a newly entered segment: alloc[i]
// buffers on observatory i. A segment held nowhere is DERELICT at once.
func (s *Segment) hold(at time.Time, alloc []int) error {
	if s.Status&lifeCycle != 0 {
		return s.illegal("hold")
	}
	any := false
	for i, n := range alloc {
		s.Obs[i].Alloc = n
		if n > 0 {
			any = true
			s.History = append(s.History, Event{At: at, Kind: EventHeld, Obs: i, Count: n})
		}
	}
	if !any {
		s.setStatus(at, StatusDerelict)
		return nil
	}
	s.Pending = true
	s.setStatus(at, StatusHeld)
	return nil
}

// release gives back the buffers observatory i holds for s because a
// segment of higher FOM needs them: DEMOTED while another observatory
// still holds some, then DERELICT (or INCOMPLETE+FINISHED if part of it
// already reached the ground).
func (s *Segment) release(at time.Time, i int) error {
	if !s.Pending || i < 0 || i >= len(s.Obs) || s.Obs[i].Alloc == 0 {
		return s.illegal(fmt.Sprintf("release on observatory %d", i+1))
	}
	s.History = append(s.History, Event{At: at, Kind: EventOverwritten, Obs: i, Count: s.Obs[i].Alloc})
	s.Obs[i].Alloc = 0
	s.settle(at, StatusDemoted)
	return nil
}

// settle sets the status once observatories changed: finished when no
// observatory holds anything, else the given pending status.
func (s *Segment) settle(at time.Time, pending Status) {
	if s.HeldTotal() > 0 {
		if s.Status&lifeCycle != pending {
			s.setStatus(at, pending)
		}
		return
	}
	lost, sent := 0, 0
	for _, o := range s.Obs {
		lost += o.Remaining
		sent += o.Buffers - o.Remaining
	}
	switch {
	case lost == 0:
		s.setStatus(at, StatusComplete|StatusFinished)
	case sent > 0:
		s.setStatus(at, StatusIncomplete|StatusFinished)
	default:
		s.setStatus(at, StatusDerelict)
	}
}

// addToPlaylist marks a pending segment as part of a downlink playlist.
func (s *Segment) addToPlaylist(at time.Time) error {
	if !s.Pending || s.InPlaylist {
		return s.illegal("add to playlist")
	}
	s.InPlaylist = true
	s.History = append(s.History, Event{At: at, Kind: EventStatus, Status: s.Status.String() + " INPLAYLIST"})
	return nil
}

// transmitted records n buffers of observatory i received on the ground.
func (s *Segment) transmitted(at time.Time, i, n int) error {
	if !s.Pending || !s.InPlaylist || i < 0 || i >= len(s.Obs) || n <= 0 || n > s.Obs[i].Alloc {
		return s.illegal(fmt.Sprintf("downlink of %d buffers from observatory %d", n, i+1))
	}
	s.Obs[i].Alloc -= n
	s.Obs[i].Remaining -= n
	s.History = append(s.History, Event{At: at, Kind: EventTransmitted, Obs: i, Count: n})
	cur := s.Status & lifeCycle
	s.settle(at, cur)
	return nil
}

// contactEnded marks a segment whose downlink started but is not finished
// as INCOMPLETE; it stays pending and in the playlist.
func (s *Segment) contactEnded(at time.Time) {
	if !s.Pending || !s.InPlaylist {
		return
	}
	for _, o := range s.Obs {
		if o.Remaining < o.Buffers && s.Status&lifeCycle != StatusIncomplete {
			s.setStatus(at, StatusIncomplete)
			return
		}
	}
}

// remove ends a pending or entered segment for a reason that takes it out
// of the statistics (SUBSUMED, DELETED, OBSOLETE, TRIMMED) or ABORTED; its
// buffers are freed without counting as overwritten.
func (s *Segment) remove(at time.Time, why Status) error {
	if s.Status.terminal() || why&^(removedFromStats|StatusAborted) != 0 || why == 0 {
		return s.illegal("remove as " + why.String())
	}
	for i := range s.Obs {
		if s.Obs[i].Alloc > 0 {
			s.History = append(s.History, Event{At: at, Kind: EventFreed, Obs: i, Count: s.Obs[i].Alloc})
			s.Obs[i].Alloc = 0
		}
	}
	s.setStatus(at, why)
	return nil
}
