package api

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageFuncs = template.FuncMap{
	"bytes": humanBytes,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"day":   func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	"short": func(s string) string { return s[:min(len(s), 12)] },
	// safeCSS marks the chart's fixed level colours as CSS values.
	"safeCSS": func(s string) template.CSS { return template.CSS(s) },
}

// pageTemplate parses one page with the shared layout (head, nav bar, foot).
func pageTemplate(file string) *template.Template {
	return template.Must(template.New(file).Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html", "templates/"+file))
}

var statusTemplate = pageTemplate("status.html")

// pageBase is what the layout of every page needs.
type pageBase struct {
	Title, Mission, MissionName, Now string
	// Active names the nav bar entry of the page.
	Active string
	// Team pages live under /team/ (Prefix), where the browser sends the
	// credentials it signed in with; DL is where file bytes are linked.
	Team         bool
	Prefix, Here string
	DL           string
	Refresh      int
}

func (s *Server) base(r *http.Request, title, active string) pageBase {
	b := pageBase{Title: title, Mission: s.b.Profile.ID, MissionName: s.b.Profile.Name, Active: active,
		Now: s.b.Clock.Now().UTC().Format("2006-01-02 15:04:05"), DL: "/api/v1/files/"}
	// The query is left off: it would echo whatever the caller asked for.
	b.Here = strings.TrimPrefix(r.URL.Path, "/team")
	if s.teamView(r) {
		b.Team, b.Prefix, b.DL = true, "/team", "/team/files/"
	}
	return b
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.internal(w, fmt.Errorf("render %s: %w", t.Name(), err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

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
	s.render(w, statusTemplate, d)
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

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
