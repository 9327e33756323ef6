package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/burstplot"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

var burstTemplate = pageTemplate("burst.html")

// metricsDays is the span of the burst-memory metrics, as the mission plots them.
const metricsDays = 30

// maxPageSegments caps the segment table of the burst page (newest first);
// the LaTiS dataset has them all.
const maxPageSegments = 200

type absRow struct {
	Start, End string
	Buffers    int
	FOM        float64
}

type segmentRow struct {
	ID                int64
	Start, End        string
	Buffers, Category int
	FOM               float64
	Status, Source    string
	Pending, Playlist bool
	Alloc             []int
	Discussion        string
}

type burstData struct {
	pageBase
	Available   bool
	Cycle       *sitlcycle.Cycle
	WindowStart string
	WindowEnd   string
	ABS         []absRow
	ABSBuffers  int
	Spacecraft  []string
	Segments    []segmentRow
	Total       int
	Truncated   bool
	Reports     []burst.BufferCounts
	States      []string // statuses in the buffer-counts report, sorted
}

func utcOfTAI(tai int64) string {
	t, err := timeutil.TAIToUTC(tai)
	if err != nil {
		return strconv.FormatInt(tai, 10) + " TAI"
	}
	return t.Format(time.DateTime)
}

// burstPage shows the current SITL cycle with its ABS, the segments, the
// metrics plot and the buffer-counts and burst-synch reports (team only).
func (s *Server) burstPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := burstData{pageBase: s.base(r, "Burst data", "burst"), Spacecraft: s.b.Profile.Spacecraft}
	d.Refresh = 30
	bs := s.b.Profile.Burst.BufferSeconds
	if svc := s.b.Workflows.SITL; svc != nil {
		c, err := svc.Current(ctx)
		switch {
		case errors.Is(err, sitlcycle.ErrNoCycle):
		case err != nil:
			s.internal(w, err)
			return
		default:
			d.Cycle = c
			d.WindowStart, d.WindowEnd = utcOfTAI(c.Window.StartTAI), utcOfTAI(c.Window.EndTAI)
			for _, sp := range c.ABS {
				n := int((sp.TAIEnd-sp.TAIStart)/int64(max(bs, 1))) + 1
				d.ABS = append(d.ABS, absRow{Start: utcOfTAI(sp.TAIStart), End: utcOfTAI(sp.TAIEnd + int64(bs)), Buffers: n, FOM: sp.FOM})
				d.ABSBuffers += n
			}
		}
	}
	if s.b.Workflows.Segments != nil {
		d.Available = true
		segs, err := s.b.Workflows.Segments(ctx)
		if err != nil {
			s.internal(w, err)
			return
		}
		d.Total = len(segs)
		sorted := slices.Clone(segs)
		slices.SortFunc(sorted, func(a, b *burst.Segment) int { return int(b.ID - a.ID) })
		if len(sorted) > maxPageSegments {
			sorted, d.Truncated = sorted[:maxPageSegments], true
		}
		for _, sg := range sorted {
			row := segmentRow{ID: sg.ID, Start: utcOfTAI(sg.TAIStart), End: utcOfTAI(sg.TAIEnd + int64(bs)),
				Buffers: sg.Buffers(max(bs, 1)), FOM: sg.FOM, Category: s.b.Profile.Burst.FOMCategory(sg.FOM),
				Status: sg.Status.String(), Source: sg.Source, Pending: sg.Pending, Playlist: sg.InPlaylist, Discussion: sg.Discussion}
			for i := range d.Spacecraft {
				v := 0
				if i < len(sg.Obs) {
					v = sg.Obs[i].Alloc
				}
				row.Alloc = append(row.Alloc, v)
			}
			d.Segments = append(d.Segments, row)
		}
		d.Reports = burst.Reports(segs, s.b.Profile.Burst, s.b.Profile.Spacecraft)
		for _, rep := range d.Reports {
			for st := range rep.ByStatus {
				if !slices.Contains(d.States, st) {
					d.States = append(d.States, st)
				}
			}
		}
		slices.Sort(d.States)
	}
	s.render(w, burstTemplate, d)
}

// metrics computes the burst-memory metrics of the days (?days=, 1–366,
// default 30) ending today; it writes the error response and returns false
// when it cannot.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) (burst.Metrics, bool) {
	if s.b.Workflows.Segments == nil {
		unavailable(w, "the burst data manager")
		return burst.Metrics{}, false
	}
	days := metricsDays
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			writeError(w, http.StatusBadRequest, "bad-request", "days is a whole number from 1 to 366")
			return burst.Metrics{}, false
		}
		days = n
	}
	m, err := s.computeMetrics(r.Context(), days)
	if err != nil {
		s.internal(w, err)
		return burst.Metrics{}, false
	}
	return m, true
}

func (s *Server) computeMetrics(ctx context.Context, days int) (burst.Metrics, error) {
	segs, err := s.b.Workflows.Segments(ctx)
	if err != nil {
		return burst.Metrics{}, fmt.Errorf("burst metrics: %w", err)
	}
	return burst.ComputeMetrics(segs, s.b.Profile.Burst, s.b.Clock.Now(), days)
}

// burstMetricsPNG draws the five metrics panels.
func (s *Server) burstMetricsPNG(w http.ResponseWriter, r *http.Request) {
	m, ok := s.metrics(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := burstplot.PNG(&buf, m); err != nil {
		s.internal(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// burstMetricsJSON serves the same panels as JSON (category keys are the
// FOM category numbers).
func (s *Server) burstMetricsJSON(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.metrics(w, r); ok {
		writeJSON(w, http.StatusOK, m)
	}
}

// burstReports serves the buffer-counts and burst-synch reports.
func (s *Server) burstReports(w http.ResponseWriter, r *http.Request) {
	if s.b.Workflows.Segments == nil {
		unavailable(w, "the burst data manager")
		return
	}
	segs, err := s.b.Workflows.Segments(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"buffer_megabytes": s.b.Profile.Burst.BufferMegabytes,
		"reports": burst.Reports(segs, s.b.Profile.Burst, s.b.Profile.Spacecraft)})
}
