package latis

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EventsTable is mms_events_view.csv: mission events (regions of
// interest, SITL windows, orbits, apogees, perigees) sorted by start.
var EventsTable = Table{
	Columns: []string{"start_time_utc", "end_time_utc", "event_type", "sc_id", "source", "description",
		"discussion", "start_orbit", "end_orbit", "tag", "id"},
	Numeric: map[string]bool{"start_orbit": true, "end_orbit": true},
	Times:   map[string]bool{"start_time_utc": true, "end_time_utc": true},
	Start:   "start_time_utc",
	End:     "end_time_utc",
}

// Event types of the events view.
const (
	EventSROI       = "SROI"        // one spacecraft's science region of interest
	EventScienceROI = "science_roi" // the constellation's region of interest
	EventSITLWindow = "sitl_window"
	EventOrbit      = "orbit"
	EventApogee     = "apogee"
	EventPerigee    = "perigee"
	EventDSNContact = "dsn_contact"
)

// Event is one row of the events view. Instants (apogee, perigee) have
// End equal to Start; orbit numbers are 0 when unknown (empty cells).
type Event struct {
	Start, End           time.Time
	Type, SC, Source     string
	Description          string
	Discussion           string
	StartOrbit, EndOrbit int
	Tag                  string
	ID                   string
}

// SortEvents orders events by start, then end, type, spacecraft and id,
// so the view is deterministic.
func SortEvents(evs []Event) {
	slices.SortStableFunc(evs, func(a, b Event) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := a.End.Compare(b.End); c != 0 {
			return c
		}
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		if c := strings.Compare(a.SC, b.SC); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// EventsCSV sorts evs and writes the dataset filtered and projected by
// query.
func EventsCSV(w io.Writer, evs []Event, query string) error {
	evs = slices.Clone(evs)
	SortEvents(evs)
	orbit := func(n int) string {
		if n <= 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	rows := make([][]string, len(evs))
	for i, e := range evs {
		rows[i] = []string{FormatTime(e.Start), FormatTime(e.End), e.Type, e.SC, e.Source, e.Description,
			e.Discussion, orbit(e.StartOrbit), orbit(e.EndOrbit), e.Tag, e.ID}
	}
	return EventsTable.Write(w, rows, query)
}
