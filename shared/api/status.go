package api

import (
	"context"
	"net/http"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

type statusData struct {
	pageBase
	Products   int
	Recent     []catalog.Record
	Quarantine []ingest.QuarantineReason
	Bus        *events.BusStats
	// QL are the quick-look plots of the latest day that has any.
	QLDay string
	QL    []catalog.Record
}

// statusPage is the first page for people: what arrived, what was rejected.
func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := statusData{pageBase: s.base(r, "Status", "status")}
	d.Refresh = 10
	products, err := s.b.Catalog.Products(ctx)
	if err != nil {
		s.internal(w, err)
		return
	}
	d.Products = len(products)
	// The public sees released files only; quarantine names are team business.
	team := d.Team
	if d.Recent, err = s.recentVisible(ctx, "", team, 50); err != nil {
		s.internal(w, err)
		return
	}
	if team {
		if d.Quarantine, err = s.b.Quarantined(ctx, 50); err != nil {
			s.internal(w, err)
			return
		}
	}
	if d.QLDay, d.QL, err = s.latestQuickLooks(ctx, team); err != nil {
		s.internal(w, err)
		return
	}
	if s.b.BusStats != nil {
		st := s.b.BusStats()
		d.Bus = &st
	}
	s.render(w, "status", statusView(d))
}

// latestQuickLooks finds the latest day (by time tag) among recently
// ingested quick-look plots and returns every visible plot of that day.
func (s *Server) latestQuickLooks(ctx context.Context, team bool) (string, []catalog.Record, error) {
	recs, err := s.recentVisible(ctx, catalog.KindScience, team, 2000)
	if err != nil {
		return "", nil, err
	}
	var latest time.Time
	for _, r := range recs {
		if isQuickLook(r) && r.Start.After(latest) {
			latest = r.Start
		}
	}
	if latest.IsZero() {
		return "", nil, nil
	}
	day := latest.UTC().Truncate(24 * time.Hour)
	plots, err := s.quickLooks(ctx, team, catalog.Filter{}, day)
	return day.Format(time.DateOnly), plots, err
}

// quickLooks lists the visible QL plots of one day, narrowed by f's
// spacecraft and instrument.
func (s *Server) quickLooks(ctx context.Context, team bool, f catalog.Filter, day time.Time) ([]catalog.Record, error) {
	f.Kind, f.Level, f.Ext = catalog.KindScience, []string{"ql"}, []string{"png"}
	f.From, f.To = day, day.Add(24*time.Hour-time.Second)
	if !s.restrict(&f, team) {
		return nil, nil
	}
	recs, err := s.b.Catalog.Query(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.filterVisible(team, recs), nil
}

func isQuickLook(r catalog.Record) bool {
	return r.Kind == catalog.KindScience && r.Level == "ql" && r.Ext == "png"
}

func statusView(d statusData) g.Node {
	return page(d.pageBase,
		h.Div(h.Class("cards"),
			card(decimal(d.Products), g.Text("products")),
			card(decimal(len(d.Recent)), g.Text("recent files")),
			g.If(d.Team, h.Div(h.Class("card"), h.A(h.Href("/team/quarantine"),
				h.B(g.If(len(d.Quarantine) > 0, h.Class("bad")), g.Text(decimal(len(d.Quarantine)))), g.Text("in quarantine")))),
			g.Iff(d.Bus != nil, func() g.Node {
				return card(decimal(d.Bus.Delivered), g.Text("events handled"),
					g.If(d.Bus.Failed > 0, g.Group{g.Text(" · "), h.Span(h.Class("bad"), g.Text(decimal(d.Bus.Failed)+" failed"))}))
			}),
		),
		h.H2(g.Text("Quick-look plots"), g.If(d.QLDay != "", g.Text(" · "+d.QLDay))),
		qlThumbs(d),
		h.H2(g.Text("Recently ingested")),
		recentIngested(d),
		g.If(d.Team, g.Group{h.H2(g.Text("Quarantine")), quarantineBrief(d.Quarantine)}),
		muted(g.Text("JSON: "), link("/api/v1/files/recent", "recent files"), g.Text(" · "), link("/api/v1/quarantine", "quarantine"),
			g.Text(" · "), link("/healthz", "health"), g.Text(" · "), link("/api/v1/openapi.json", "OpenAPI")),
	)
}

// qlThumbs shows the latest day's quick-look plots, each linking its day.
func qlThumbs(d statusData) g.Node {
	if len(d.QL) == 0 {
		if d.Team {
			return muted(g.Text("No quick-look plots yet."))
		}
		return muted(g.Text("Quick-look plots are team-only: "), link("/team/", "sign in"), g.Text(" to see them."))
	}
	return h.Div(h.Class("ql thumbs"), g.Map(d.QL, func(r catalog.Record) g.Node {
		caption := r.SC + " " + r.Instrument + " " + r.Rate
		if r.Descriptor != "" {
			caption += " " + r.Descriptor
		}
		return h.Figure(
			h.A(h.Href(d.fileHref(r.Name)), h.Img(h.Src(d.fileHref(r.Name)), h.Alt(r.Name), h.Loading("lazy"))),
			h.FigCaption(g.Text(caption+" · "), link(d.Prefix+"/browse/"+r.SC+"/"+r.Instrument+"/ql/"+dayOf(r.Start), "day")),
		)
	}))
}

func recentIngested(d statusData) g.Node {
	if len(d.Recent) == 0 {
		return muted(g.Text("Nothing ingested yet. Drop files into the dropbox folder, or upload with "),
			h.Code(g.Text("magpie ingest --server URL FILE…")), g.Text("."))
	}
	return h.Table(
		h.Tr(th("File"), th("Level"), thNum("Size"), th("Ingested (UTC)")),
		g.Map(d.Recent, func(r catalog.Record) g.Node {
			return h.Tr(tdCode(r.Name), td(levelOrKind(r)), tdNum(humanBytes(r.Size)), td(when(r.Ingested)))
		}),
	)
}

func quarantineBrief(q []ingest.QuarantineReason) g.Node {
	if len(q) == 0 {
		return muted(g.Text("No quarantined files."))
	}
	return h.Table(
		h.Tr(th("File"), th("Reason"), th("Code"), th("When (UTC)")),
		g.Map(q, func(r ingest.QuarantineReason) g.Node {
			return h.Tr(tdCode(r.FileName), td(r.Reason), tdCode(r.Code), td(r.QuarantinedAt))
		}),
	)
}

// levelOrKind is a science file's level, or an ancillary file's kind.
func levelOrKind(r catalog.Record) string {
	if r.Level != "" {
		return r.Level
	}
	return r.Kind
}
