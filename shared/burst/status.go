// Package burst is the burst data manager (BDM): burst segments, their life
// cycle, and the per-observatory accounting of the onboard burst buffers.
package burst

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Status is a set of segment status flags. The MMS SDC writes them joined
// with '+' in one field (e.g. "COMPLETE+FINISHED").
type Status uint32

// Status flags, in the order the reference lists them; String joins them in
// this order.
const (
	StatusNew Status = 1 << iota
	StatusModified
	StatusDeleted
	StatusHeld
	StatusComplete
	StatusIncomplete
	StatusFinished
	StatusAborted
	StatusDerelict
	StatusDemoted
	StatusRealloc
	StatusDeferred
	StatusTrimmed
	StatusSubsumed
	StatusObsolete
)

var statusNames = []string{
	"NEW", "MODIFIED", "DELETED", "HELD", "COMPLETE", "INCOMPLETE", "FINISHED",
	"ABORTED", "DERELICT", "DEMOTED", "REALLOC", "DEFERRED", "TRIMMED",
	"SUBSUMED", "OBSOLETE",
}

// ErrIllegalTransition is returned when an event does not apply to a
// segment in its current state.
var ErrIllegalTransition = errors.New("illegal segment transition")

// String joins the flags with '+'.
func (s Status) String() string {
	if s != 0 && s&(s-1) == 0 && bits.TrailingZeros32(uint32(s)) < len(statusNames) {
		return statusNames[bits.TrailingZeros32(uint32(s))] // one flag: no allocation
	}
	var parts []string
	for i, n := range statusNames {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "+")
}

// Has reports whether every flag of f is set.
func (s Status) Has(f Status) bool { return s&f == f }

// ParseStatus parses a '+'-joined status field.
func ParseStatus(text string) (Status, error) {
	var s Status
	if text == "" {
		return 0, nil
	}
	for _, p := range strings.Split(text, "+") {
		i := indexOf(statusNames, strings.ToUpper(strings.TrimSpace(p)))
		if i < 0 {
			return 0, fmt.Errorf("segment status %q: unknown flag %q", text, p)
		}
		s |= 1 << i
	}
	return s, nil
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// lifeCycle are the flags that say where a segment is in its life; the edit
// flags NEW and MODIFIED (the back-structure edit that created it) are kept
// alongside.
const lifeCycle = ^(StatusNew | StatusModified)

// removedFromStats are the statuses the metrics ignore.
const removedFromStats = StatusTrimmed | StatusSubsumed | StatusDeleted | StatusObsolete

// terminal reports whether no further event may change the segment.
func (s Status) terminal() bool {
	return s&(StatusFinished|StatusDerelict|StatusAborted|removedFromStats) != 0
}

// MarshalJSON writes the status as its '+'-joined names ("HELD+MODIFIED"),
// as the reference's reports and clients read it.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads the names, or the flag number segments stored as
// JSON documents before the names were written.
func (s *Status) UnmarshalJSON(b []byte) error {
	var n uint32
	if err := json.Unmarshal(b, &n); err == nil {
		*s = Status(n)
		return nil
	}
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return fmt.Errorf("segment status %s: want names or a number", b)
	}
	st, err := ParseStatus(text)
	if err != nil {
		return err
	}
	*s = st
	return nil
}
