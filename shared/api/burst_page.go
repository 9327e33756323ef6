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
	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

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
	// CanSubmit: the cycle takes submissions and the viewer may submit.
	CanSubmit bool
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
			d.CanSubmit = canSubmit(r) && c.Open(s.b.Clock.Now())
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
	s.render(w, "burst", burstView(d))
}

func burstView(d burstData) g.Node {
	return page(d.pageBase,
		h.H2(g.Text("SITL cycle")),
		cycleCards(d),
		g.Iff(d.CanSubmit, func() g.Node { return submitForm(d.Cycle) }),
		g.If(d.Available, g.Group{
			h.H2(g.Text("BDM buffer counts and burst synch")),
			h.Table(
				h.Tr(th("Spacecraft"), g.Map(d.States, func(st string) g.Node { return thNum(st + " buffers") }),
					thNum("Held on board"), thNum("Held MB"), thNum("Behind (Mbit)")),
				g.Map(d.Reports, func(r burst.BufferCounts) g.Node {
					return h.Tr(td(r.Observatory), g.Map(d.States, func(st string) g.Node { return tdNum(decimal(r.ByStatus[st])) }),
						tdNum(decimal(r.Held)), tdNum(fmt.Sprintf("%.0f", r.HeldMB)), tdNum(fmt.Sprintf("%.0f", r.BehindMegabits)))
				}),
			),
			muted(g.Text("As JSON: "), link("/api/v1/burst/reports", "/api/v1/burst/reports")),
			h.H2(g.Text("Burst memory metrics, last 30 days")),
			h.Div(h.Class("chart"), h.Img(h.Src("/team/burst/metrics.png"),
				h.Alt("burst memory metrics: held, overwritten, transmitted, new by category, new by status"), h.Width("864"))),
			muted(g.Text("As JSON: "), link("/api/v1/burst/metrics", "/api/v1/burst/metrics")),
		}),
		g.Iff(d.Cycle != nil, func() g.Node { return absSelections(d) }),
		segmentsTable(d),
	)
}

func cycleCards(d burstData) g.Node {
	c := d.Cycle
	if c == nil {
		return muted(g.Text("No SITL cycle yet: one starts when a day's burst metadata is in from every spacecraft."))
	}
	applied := c.Source
	if applied == "" {
		applied = "–"
	}
	return h.Div(h.Class("cards"),
		card(c.Status, g.Text("cycle "+c.ID)),
		card(d.WindowStart, g.Text("window start (UTC)")),
		card(d.WindowEnd, g.Text("window end (UTC)")),
		card(when(c.Window.Deadline), g.Text("deadline (UTC)")),
		card(decimal(c.Submissions), g.Text("submissions")),
		card(applied, g.Text("applied")),
		card(decimal(len(d.ABS))+" · "+decimal(d.ABSBuffers), g.Text("ABS segments · buffers")),
	)
}

func absSelections(d burstData) g.Node {
	var rows g.Node
	if len(d.ABS) == 0 {
		rows = muted(g.Text("ABS selected nothing in this window."))
	} else {
		rows = h.Table(
			h.Tr(th("Start (UTC)"), th("End (UTC)"), thNum("Buffers"), thNum("FOM")),
			g.Map(d.ABS, func(a absRow) g.Node {
				return h.Tr(td(a.Start), td(a.End), tdNum(decimal(a.Buffers)), tdNum(fmt.Sprintf("%.1f", a.FOM)))
			}),
		)
	}
	return g.Group{h.H2(g.Text("ABS selections of cycle " + d.Cycle.ID)), rows}
}

func segmentsTable(d burstData) g.Node {
	if !d.Available {
		return muted(g.Text("This server runs no burst data manager."))
	}
	heading := fmt.Sprintf("Segments (%d", d.Total)
	if d.Truncated {
		heading += fmt.Sprintf(", newest %d shown", len(d.Segments))
	}
	var rows g.Node
	if len(d.Segments) == 0 {
		rows = muted(g.Text("No segments yet."))
	} else {
		rows = h.Table(
			h.Tr(thNum("Id"), th("Start (UTC)"), th("End (UTC)"), thNum("Buffers"), thNum("FOM"), thNum("Cat"), th("Status"), th("Source"),
				g.Map(d.Spacecraft, func(sc string) g.Node { return thNum(sc + " held") }), th("Discussion")),
			g.Map(d.Segments, func(sg segmentRow) g.Node {
				return h.Tr(tdNum(decimal(sg.ID)), td(sg.Start), td(sg.End), tdNum(decimal(sg.Buffers)), tdNum(fmt.Sprintf("%.0f", sg.FOM)),
					tdNum(decimal(sg.Category)),
					h.Td(g.Text(sg.Status), g.If(sg.Playlist, g.Group{g.Text(" "), h.Span(h.Class("muted"), g.Text("(in playlist)"))})),
					td(sg.Source), g.Map(sg.Alloc, func(n int) g.Node { return tdNum(decimal(n)) }), td(sg.Discussion))
			}),
		)
	}
	return g.Group{
		h.H2(g.Text(heading + ")")),
		muted(g.Text("All of them, with filters: "), link("/mms/sdc/sitl/latis/dap/mms_burst_data_segment.csv", "mms_burst_data_segment.csv"),
			g.Text(" · events: "), link("/mms/sdc/sitl/latis/dap/mms_events_view.csv", "mms_events_view.csv")),
		rows,
	}
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
