package api

import (
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/latis"
	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

const (
	// defaultEventDays is the span shown when no dates are asked for.
	defaultEventDays = 7
	// maxEventDays caps the span of the events page.
	maxEventDays = 31
	// maxEventRows caps the table; the timeline draws every event.
	maxEventRows = 1000
)

// eventColors colour the timeline by event type.
var eventColors = map[string]string{
	latis.EventSROI: "#2ca02c", latis.EventScienceROI: "#146c2e", latis.EventSITLWindow: "#e377c2",
	latis.EventDSNContact: "#1f77b4", latis.EventOrbit: "#c7cdd8", latis.EventApogee: "#ff7f0e", latis.EventPerigee: "#8c564b",
}

func eventColor(e latis.Event) string {
	if e.Type == latis.EventDSNContact && e.Tag == "missed" {
		return "#d62728"
	}
	if c, ok := eventColors[e.Type]; ok {
		return c
	}
	return "#7f7f7f"
}

type eventRow struct {
	Start, End, Type, SC, Source, Description, Discussion, Tag string
	Orbit                                                      string
}

type eventsData struct {
	pageBase
	From, To  string
	Timeline  string // SVG markup, every interpolated string escaped
	Events    []eventRow
	Total     int
	Truncated bool
	Legend    []crumb // type, colour
	CSV       string
}

// eventsPage shows the mission events (the LaTiS events view) of a date
// range, by default the latest 7 days with events, as a timeline and a
// table. The public view holds what the public dataset holds.
func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := eventsData{pageBase: s.base(r, "Mission events", "events")}
	d.CSV = "/mms/sdc/public/service/latis/mms_events_view.csv"
	if d.Team {
		d.CSV = "/mms/sdc/sitl/latis/dap/mms_events_view.csv"
	}
	q := r.URL.Query()
	from, to, err := eventRange(q.Get("start_date"), q.Get("end_date"))
	if err != nil {
		badRequest(w, err)
		return
	}
	// Without an end date, the range ends on the day of the latest event.
	latest := to.IsZero()
	evs, err := s.missionEvents(ctx, d.Team, from, to)
	if err != nil {
		s.internal(w, err)
		return
	}
	if latest {
		to = latestEventDay(evs, s.b.Clock.Now())
		if from.IsZero() {
			from = to.AddDate(0, 0, -(defaultEventDays - 1))
		} else if from.After(to) {
			to = from
		}
		if to.Sub(from) >= maxEventDays*24*time.Hour {
			badRequest(w, fmt.Errorf("the events page spans at most %d days: give end_date too", maxEventDays))
			return
		}
	}
	end := to.Add(24 * time.Hour) // exclusive
	evs = slices.DeleteFunc(evs, func(e latis.Event) bool { return !e.Start.Before(end) || e.End.Before(from) })
	latis.SortEvents(evs)
	d.From, d.To, d.Total = from.Format(time.DateOnly), to.Format(time.DateOnly), len(evs)
	d.Timeline = eventsSVG(evs, from, end)
	types := map[string]string{}
	for _, e := range evs {
		types[e.Type] = eventColor(latis.Event{Type: e.Type})
		if e.Type == latis.EventDSNContact && e.Tag == "missed" {
			types["dsn_contact (missed)"] = eventColor(e)
		}
	}
	for _, t := range slices.Sorted(mapKeys(types)) {
		d.Legend = append(d.Legend, crumb{t, types[t]})
	}
	shown := evs
	if len(shown) > maxEventRows {
		shown, d.Truncated = shown[:maxEventRows], true
	}
	for _, e := range shown {
		row := eventRow{Start: latis.FormatTime(e.Start), End: latis.FormatTime(e.End), Type: e.Type, SC: e.SC, Source: e.Source,
			Description: e.Description, Discussion: e.Discussion, Tag: e.Tag}
		switch {
		case e.StartOrbit <= 0:
		case e.EndOrbit > e.StartOrbit:
			row.Orbit = fmt.Sprintf("%d–%d", e.StartOrbit, e.EndOrbit)
		default:
			row.Orbit = fmt.Sprint(e.StartOrbit)
		}
		d.Events = append(d.Events, row)
	}
	s.render(w, "events", eventsView(d))
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// eventRange reads start_date and end_date (UTC days; zero when absent).
func eventRange(a, b string) (from, to time.Time, err error) {
	if a != "" {
		if from, err = parseDate(a); err != nil {
			return from, to, fmt.Errorf("start_date: %w", err)
		}
		from = from.UTC().Truncate(24 * time.Hour)
	}
	if b != "" {
		if to, err = parseDate(b); err != nil {
			return from, to, fmt.Errorf("end_date: %w", err)
		}
		to = to.UTC().Truncate(24 * time.Hour)
		if from.IsZero() {
			from = to.AddDate(0, 0, -(defaultEventDays - 1))
		}
		if from.After(to) {
			return from, to, fmt.Errorf("start_date %s is after end_date %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		if to.Sub(from) >= maxEventDays*24*time.Hour {
			return from, to, fmt.Errorf("the events page spans at most %d days", maxEventDays)
		}
	}
	return from, to, nil
}

// latestEventDay is the UTC day of the latest event start (today when
// there is none).
func latestEventDay(evs []latis.Event, now time.Time) time.Time {
	var t time.Time
	for _, e := range evs {
		if e.Start.After(t) {
			t = e.Start
		}
	}
	if t.IsZero() {
		t = now
	}
	return t.UTC().Truncate(24 * time.Hour)
}

// eventsSVG draws one row per event type and spacecraft over [from, end):
// spans as bars, instants (apogee, perigee) as ticks, each with a tooltip.
func eventsSVG(evs []latis.Event, from, end time.Time) string {
	const labelW, plotW, rowH, top = 170, 840, 20, 34
	type key struct{ typ, sc string }
	var keys []key
	for _, e := range evs {
		if k := (key{e.Type, e.SC}); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	order := []string{latis.EventOrbit, latis.EventApogee, latis.EventPerigee, latis.EventSROI, latis.EventScienceROI,
		latis.EventSITLWindow, latis.EventDSNContact}
	rank := func(t string) int {
		if i := slices.Index(order, t); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := rank(a.typ) - rank(b.typ); c != 0 {
			return c
		}
		return strings.Compare(a.typ+a.sc, b.typ+b.sc)
	})
	span := end.Sub(from).Seconds()
	x := func(t time.Time) float64 {
		v := t.Sub(from).Seconds() / span
		return labelW + min(max(v, 0), 1)*plotW
	}
	width, height := labelW+plotW+10, top+len(keys)*rowH+6
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, sans-serif" font-size="11" role="img">`,
		width, height, width, height)
	for t := from; t.Before(end); t = t.AddDate(0, 0, 1) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="16" x2="%.1f" y2="%d" stroke="#dde2ea"/>`, x(t), x(t), height-4)
		fmt.Fprintf(&b, `<text x="%.1f" y="28" fill="#6b7485">%s</text>`, x(t)+2, t.Format("Jan 2"))
	}
	for j, k := range keys {
		y := top + j*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="#1d2430">%s %s</text>`, labelW-8, y+rowH-6,
			html.EscapeString(k.typ), html.EscapeString(k.sc))
		for _, e := range evs {
			if e.Type != k.typ || e.SC != k.sc {
				continue
			}
			tip := html.EscapeString(fmt.Sprintf("%s %s: %s to %s, %s", e.Type, e.SC, latis.FormatTime(e.Start), latis.FormatTime(e.End), e.Description))
			x0, x1 := x(e.Start), x(e.End)
			if !e.End.After(e.Start) {
				fmt.Fprintf(&b, `<rect class="ev" x="%.1f" y="%d" width="2" height="%d" fill="%s"><title>%s</title></rect>`,
					x0-1, y+2, rowH-4, eventColor(e), tip)
				continue
			}
			fmt.Fprintf(&b, `<rect class="ev" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" stroke="#fff" stroke-width="0.5"><title>%s</title></rect>`,
				x0, y+3, max(x1-x0, 1.5), rowH-6, eventColor(e), tip)
		}
	}
	b.WriteString(`</svg>`)
	return b.String() // every interpolated string above is escaped
}

func eventsView(d eventsData) g.Node {
	var events g.Node
	if len(d.Events) == 0 {
		events = muted(g.Text("No events in these days."))
	} else {
		events = g.Group{
			legend(d.Legend),
			h.Div(h.Class("chart"), g.Raw(d.Timeline)),
			h.H2(g.Text("Events"), g.If(d.Truncated, g.Textf(" (first %d shown)", len(d.Events)))),
			h.Table(
				h.Tr(th("Start (UTC)"), th("End (UTC)"), th("Type"), th("Spacecraft"), th("Source"), th("Description"), th("Orbit"), th("Tag")),
				g.Map(d.Events, func(e eventRow) g.Node {
					return h.Tr(td(e.Start), td(e.End), td(e.Type), td(e.SC), td(e.Source),
						h.Td(g.Text(e.Description), g.If(e.Discussion != "", g.Group{g.Text(" "), h.Span(h.Class("muted"), g.Text("("+e.Discussion+")"))})),
						td(e.Orbit), td(e.Tag))
				}),
			),
		}
	}
	return page(d.pageBase,
		h.Form(h.Class("filters"), h.Method("get"), h.Action(d.Prefix+"/events"),
			h.Label(g.Text("From (UTC day)"), h.Input(h.Type("date"), h.Name("start_date"), h.Value(d.From))),
			h.Label(g.Text("To (UTC day)"), h.Input(h.Type("date"), h.Name("end_date"), h.Value(d.To))),
			h.Button(h.Type("submit"), g.Text("Show")),
		),
		h.H2(g.Textf("Timeline %s to %s · %d events", d.From, d.To, d.Total)),
		events,
		muted(g.Text("All events, with filters: "), link(d.CSV, "mms_events_view.csv")),
	)
}
