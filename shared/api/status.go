package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageFuncs = template.FuncMap{
	"bytes": humanBytes,
	"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
}

var statusTemplate = template.Must(template.New("status.html").Funcs(pageFuncs).ParseFS(templateFS, "templates/status.html"))

type statusData struct {
	Mission, MissionName, Now string
	Products                  int
	Recent                    []catalog.Record
	Quarantine                []ingest.QuarantineReason
	Bus                       *events.BusStats
	Team                      bool
}

// statusPage is the first page for people: what arrived, what was rejected.
func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.b.Clock.Now()
	d := statusData{Mission: s.b.Profile.ID, MissionName: s.b.Profile.Name, Now: now.Format("2006-01-02 15:04:05")}
	products, err := s.b.Catalog.Products(ctx)
	if err != nil {
		s.internal(w, err)
		return
	}
	d.Products = len(products)
	// The public sees released files only; quarantine names are team business.
	team := s.teamView(r)
	d.Team = team
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
	if s.b.BusStats != nil {
		st := s.b.BusStats()
		d.Bus = &st
	}
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, d); err != nil {
		s.internal(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
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
