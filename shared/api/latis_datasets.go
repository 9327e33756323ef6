package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/latis"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// The LaTiS datasets mms{1..4}_burst_metadata.csv and mms_events_view.csv
// are derived on request from what the archive holds: the burst metadata
// files (TAITIME,CDQ per spacecraft and day), the definitive ephemeris and
// the SITL cycles.

// ephemerisProduct is the ancillary product the orbit events come from.
const ephemerisProduct = "defeph"

// cdqFiles reads the archived burst metadata of every spacecraft whose
// file day may hold buffers in [from, to] (zero: unbounded) and calls fn
// per buffer with the spacecraft index.
func (s *Server) cdqFiles(ctx context.Context, from, to time.Time, fn func(sc int, tai int64, q int)) error {
	p := s.b.Profile.Simulation.BurstMetadata
	f := catalog.Filter{SC: s.b.Profile.Spacecraft, Instrument: []string{p.Instrument}, Rate: []string{p.Rate},
		Level: []string{p.Level}, Descriptor: []string{p.Descriptor}, Ext: []string{"csv"}}
	if !from.IsZero() {
		f.From = from.Truncate(24 * time.Hour)
	}
	if !to.IsZero() {
		f.To = to
	}
	recs, err := s.b.Catalog.Query(ctx, f)
	if err != nil {
		return fmt.Errorf("burst metadata: catalog: %w", err)
	}
	for _, r := range recs {
		i := slices.Index(s.b.Profile.Spacecraft, r.SC)
		if i < 0 {
			continue
		}
		rd, _, err := s.b.Archive.Get(ctx, r.ArchiveKey, nil)
		if err != nil {
			return fmt.Errorf("burst metadata: read %s: %w", r.Name, err)
		}
		err = sitlcycle.ReadCDQ(rd, func(tai int64, q int) { fn(i, tai, q) })
		rd.Close()
		if err != nil {
			return fmt.Errorf("burst metadata: %s: %w", r.Name, err)
		}
	}
	return nil
}

// taiBound converts a TAI filter bound to UTC, widened by a day so that a
// file's day is never cut (zero when absent or out of range).
func taiBound(v float64, has bool, days int) time.Time {
	if !has {
		return time.Time{}
	}
	t, err := timeutil.TAIToUTC(int64(v))
	if err != nil {
		return time.Time{}
	}
	return t.AddDate(0, 0, days)
}

// latisMetadata serves mms<N>_burst_metadata.csv of spacecraft sc: every
// buffer that spacecraft reported, its CDQ, the MDQ (the mean of the
// spacecraft that reported the buffer, rounded, as ABS uses it) and the
// segment covering it.
func (s *Server) latisMetadata(sc string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		q := r.URL.RawQuery
		if err := latis.MetadataTable.Check(q); err != nil {
			writeError(w, http.StatusBadRequest, "bad-query", err.Error())
			return
		}
		idx := slices.Index(s.b.Profile.Spacecraft, sc)
		lo, hi, hasLo, hasHi := latis.MetadataTable.Bounds(q, "TAITIMESTAMP")
		type acc struct{ cdq, sum, n int }
		byTAI := map[int64]*acc{}
		err := s.cdqFiles(ctx, taiBound(lo, hasLo, -1), taiBound(hi, hasHi, 1), func(i int, tai int64, v int) {
			a := byTAI[tai]
			if a == nil {
				a = &acc{cdq: -1}
				byTAI[tai] = a
			}
			a.sum += v
			a.n++
			if i == idx {
				a.cdq = v
			}
		})
		if err != nil {
			s.internal(w, err)
			return
		}
		var rows []latis.MetadataRow
		for tai, a := range byTAI {
			if a.cdq >= 0 {
				rows = append(rows, latis.MetadataRow{TAI: tai, CDQ: a.cdq, MDQ: (a.sum + a.n/2) / a.n})
			}
		}
		slices.SortFunc(rows, func(x, y latis.MetadataRow) int { return int(x.TAI - y.TAI) })
		if err := s.markSegments(ctx, rows, idx); err != nil {
			s.internal(w, err)
			return
		}
		var buf bytes.Buffer
		if err := latis.MetadataCSV(&buf, rows, q); err != nil {
			writeError(w, http.StatusBadRequest, "bad-query", err.Error())
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Write(buf.Bytes())
	}
}

// markSegments sets the id of the segment covering each buffer (rows in
// time order): segments removed from the statistics (deleted, trimmed,
// subsumed, obsolete) cover nothing; where segments overlap, the newest
// (highest id) wins.
func (s *Server) markSegments(ctx context.Context, rows []latis.MetadataRow, obs int) error {
	if s.b.Workflows.Segments == nil || len(rows) == 0 {
		return nil
	}
	segs, err := s.b.Workflows.Segments(ctx)
	if err != nil {
		return fmt.Errorf("burst metadata: segments: %w", err)
	}
	const gone = burst.StatusDeleted | burst.StatusTrimmed | burst.StatusSubsumed | burst.StatusObsolete
	for _, sg := range segs {
		if sg.Status&gone != 0 || obs >= 0 && obs < len(sg.Obs) && sg.Obs[obs].Buffers == 0 {
			continue
		}
		// TAIEnd is the start of the segment's last buffer.
		k, _ := slices.BinarySearchFunc(rows, sg.TAIStart, func(r latis.MetadataRow, t int64) int { return int(r.TAI - t) })
		for ; k < len(rows) && rows[k].TAI <= sg.TAIEnd; k++ {
			if sg.ID > rows[k].SegmentID {
				rows[k].SegmentID = sg.ID
			}
		}
	}
	return nil
}

// latisEvents serves mms_events_view.csv: the regions of interest (per
// spacecraft, SROI, and of the constellation, science_roi) from the burst
// metadata coverage, the SITL windows from the SITL cycles, and the
// orbits, apogees and perigees from the definitive ephemeris of the first
// spacecraft that has one (the public sees released ephemeris only).
func (s *Server) latisEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.RawQuery
	if err := latis.EventsTable.Check(q); err != nil {
		writeError(w, http.StatusBadRequest, "bad-query", err.Error())
		return
	}
	// Regions of interest are read only around the asked interval: a lower
	// bound on either time column bounds the ends, an upper bound the starts.
	var from, to time.Time
	for _, col := range []string{"start_time_utc", "end_time_utc"} {
		lo, hi, hasLo, hasHi := latis.EventsTable.Bounds(q, col)
		if hasLo && (from.IsZero() || time.Unix(int64(lo), 0).After(from)) {
			from = time.Unix(int64(lo), 0).UTC()
		}
		if hasHi && (to.IsZero() || time.Unix(int64(hi), 0).Before(to)) {
			to = time.Unix(int64(hi), 0).UTC()
		}
	}
	// The public prefix shows the public view even to a signed-in member.
	team := strings.HasPrefix(r.URL.Path, "/mms/sdc/sitl/")
	evs, err := s.missionEvents(ctx, team, from, to)
	if err != nil {
		s.internal(w, err)
		return
	}
	var buf bytes.Buffer
	if err := latis.EventsCSV(&buf, evs, q); err != nil {
		writeError(w, http.StatusBadRequest, "bad-query", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Write(buf.Bytes())
}

// missionEvents collects the events of the events view: orbits from the
// definitive ephemeris (released only unless team), regions of interest
// from the burst metadata of the files around [from, to] (zero:
// unbounded; events outside may remain, callers filter), SITL windows and
// ground-station contacts.
func (s *Server) missionEvents(ctx context.Context, team bool, from, to time.Time) ([]latis.Event, error) {
	evs, err := s.orbitEvents(ctx, team)
	if err != nil {
		return nil, err
	}
	orbits := slices.Clone(evs)
	orbitOf := func(t time.Time) int { return latis.OrbitAt(orbits, t) }
	if !from.IsZero() {
		from = from.AddDate(0, 0, -1)
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	sc := s.b.Profile.Spacecraft
	per := make([][]int64, len(sc))
	var all []int64
	if err := s.cdqFiles(ctx, from, to, func(i int, tai int64, _ int) {
		per[i] = append(per[i], tai)
		all = append(all, tai)
	}); err != nil {
		return nil, err
	}
	bufSec := int64(s.b.Profile.Burst.BufferSeconds)
	region := func(typ, who string, span [2]int64) {
		start, err1 := timeutil.TAIToUTC(span[0])
		end, err2 := timeutil.TAIToUTC(span[1])
		if err1 != nil || err2 != nil {
			return
		}
		n := (span[1] - span[0]) / max(bufSec, 1)
		evs = append(evs, latis.Event{Start: start, End: end, Type: typ, SC: who, Source: "burst metadata",
			Description: fmt.Sprintf("region of interest, %d buffers", n), StartOrbit: orbitOf(start), EndOrbit: orbitOf(end),
			ID: latis.EventID(typ, who, start)})
	}
	for i, tais := range per {
		for _, span := range latis.Regions(tais, bufSec) {
			region(latis.EventSROI, sc[i], span)
		}
	}
	for _, span := range latis.Regions(all, bufSec) {
		region(latis.EventScienceROI, s.b.Profile.ID, span)
	}
	windows, err := s.sitlWindows(ctx, orbitOf)
	if err != nil {
		return nil, err
	}
	evs = append(evs, windows...)
	contacts, err := s.contactEvents(ctx, orbitOf)
	if err != nil {
		return nil, err
	}
	return append(evs, contacts...), nil
}

// orbitEvents reads the definitive ephemeris (newest version of each day)
// of the first spacecraft that has any and finds its orbits. Files that
// hold no ephemeris rows are skipped: orbit events are a by-product, and
// one odd file must not take the view down.
func (s *Server) orbitEvents(ctx context.Context, team bool) ([]latis.Event, error) {
	for _, sc := range s.b.Profile.Spacecraft {
		recs, err := s.b.Catalog.Query(ctx, catalog.Filter{Kind: catalog.KindAncillary, SC: []string{sc},
			Product: []string{ephemerisProduct}, ReleasedOnly: !team})
		if err != nil {
			return nil, fmt.Errorf("events: ephemeris catalog: %w", err)
		}
		var samples []latis.Position
		for _, r := range recs {
			rd, _, err := s.b.Archive.Get(ctx, r.ArchiveKey, nil)
			if err != nil {
				return nil, fmt.Errorf("events: read %s: %w", r.Name, err)
			}
			ps, err := latis.ReadEphemeris(rd)
			rd.Close()
			if err != nil {
				s.b.Log.Warn("events: ephemeris skipped", "file", r.Name, "err", err)
				continue
			}
			samples = append(samples, ps...)
		}
		if len(samples) > 0 {
			return latis.Orbits(sc, "DEFEPH", samples), nil
		}
	}
	return nil, nil
}

// contactEvents lists the ground-station contacts: held ones with the
// buffers each observatory sent, missed ones flagged MISSED.
func (s *Server) contactEvents(ctx context.Context, orbitOf func(time.Time) int) ([]latis.Event, error) {
	if s.b.Workflows.Contacts == nil {
		return nil, nil
	}
	cs, err := s.b.Workflows.Contacts(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: contacts: %w", err)
	}
	out := make([]latis.Event, 0, len(cs))
	for _, c := range cs {
		desc, tag := "MISSED contact: nothing downlinked", "missed"
		if !c.Missed {
			parts := make([]string, 0, len(s.b.Profile.Spacecraft))
			total := 0
			for _, sc := range s.b.Profile.Spacecraft {
				parts = append(parts, fmt.Sprintf("%s %d", sc, c.Sent[sc]))
				total += c.Sent[sc]
			}
			desc, tag = fmt.Sprintf("contact: %d buffers downlinked (%s)", total, strings.Join(parts, ", ")), "held"
		}
		out = append(out, latis.Event{Start: c.Start, End: c.End, Type: latis.EventDSNContact, SC: s.b.Profile.ID,
			Source: "ground station", Description: desc, StartOrbit: orbitOf(c.Start), EndOrbit: orbitOf(c.End), Tag: tag,
			ID: latis.EventID(latis.EventDSNContact, s.b.Profile.ID, c.Start)})
	}
	return out, nil
}

// sitlWindows lists the SITL cycles' windows.
func (s *Server) sitlWindows(ctx context.Context, orbitOf func(time.Time) int) ([]latis.Event, error) {
	if s.b.Workflows.SITL == nil {
		return nil, nil
	}
	cs, err := s.b.Workflows.SITL.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	var out []latis.Event
	for _, c := range cs {
		start, err1 := timeutil.TAIToUTC(c.Window.StartTAI)
		end, err2 := timeutil.TAIToUTC(c.Window.EndTAI)
		if err1 != nil || err2 != nil {
			continue
		}
		desc := fmt.Sprintf("SITL window %s, %d ABS segments, deadline %s", c.ID, len(c.ABS), latis.FormatTime(c.Window.Deadline))
		disc := ""
		if c.Source != "" {
			disc = fmt.Sprintf("applied %s selections (%d segments)", c.Source, len(c.Segments))
		}
		out = append(out, latis.Event{Start: start, End: end, Type: latis.EventSITLWindow, SC: s.b.Profile.ID, Source: "SITL",
			Description: desc, Discussion: disc, StartOrbit: orbitOf(start), EndOrbit: orbitOf(end), Tag: c.Status,
			ID: latis.EventSITLWindow + "-" + c.ID})
	}
	return out, nil
}
