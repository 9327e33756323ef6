package api

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/pipeline"
)

// Pages for people: server-rendered, no JavaScript, every one of them
// passing records through visible() like the JSON routes do. Each page is
// served twice, publicly and under /team/ behind a login.

// token is what a spacecraft, instrument or level path segment may be.
var token = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// visibleProducts lists the science products whose files the caller could
// see once released (the public: public levels only).
func (s *Server) visibleProducts(ctx context.Context, team bool) ([]catalog.ProductEntry, error) {
	ps, err := s.b.Catalog.Products(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ps, func(p catalog.ProductEntry) bool {
		return p.Kind != catalog.KindScience || !team && !s.b.Profile.IsPublicLevel(p.Level)
	}), nil
}

type crumb struct{ Name, Href string }

type tile struct{ Name, Href, Note string }

type dayRow struct {
	Day      string
	Files    int
	Bytes    int64
	Products []string
}

type browseData struct {
	pageBase
	Crumbs      []crumb
	Heading     string
	Tiles       []tile
	Days        []dayRow
	Files       []catalog.Record
	QL          []catalog.Record
	Depth       int
	AllVersions bool
	// MaxDays caps the day list; Truncated says it was cut.
	Truncated bool
}

const maxBrowseDays = 400

// browse walks mission → spacecraft → instrument → level → day.
func (s *Server) browse(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := browseData{pageBase: s.base(r, "Data browser", "browse")}
	team := d.Team
	segs := []string{}
	for _, k := range []string{"sc", "instrument", "level"} {
		v := r.PathValue(k)
		if v == "" {
			break
		}
		if !token.MatchString(v) {
			writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("%s %q is not a valid name", k, v))
			return
		}
		segs = append(segs, v)
	}
	var day time.Time
	if v := r.PathValue("day"); v != "" {
		var err error
		if day, err = time.Parse(time.DateOnly, v); err != nil {
			writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("day %q is not YYYY-MM-DD", v))
			return
		}
		segs = append(segs, v)
	}
	d.Depth = len(segs)
	href := d.Prefix + "/browse/"
	d.Crumbs = []crumb{{s.b.Profile.Name, href}}
	for i, sg := range segs {
		href += sg
		if i < 3 {
			href += "/"
		}
		d.Crumbs = append(d.Crumbs, crumb{sg, href})
	}
	products, err := s.visibleProducts(ctx, team)
	if err != nil {
		s.internal(w, err)
		return
	}
	outside := func(p catalog.ProductEntry) bool {
		return len(segs) > 0 && p.SC != segs[0] || len(segs) > 1 && p.Instrument != segs[1] || len(segs) > 2 && p.Level != segs[2]
	}
	products = slices.DeleteFunc(products, outside)
	switch d.Depth {
	case 0, 1, 2:
		d.Heading = []string{"Spacecraft", "Instruments of " + segs0(segs), "Data levels"}[d.Depth]
		d.Tiles = s.browseTiles(products, d.Depth, d.Crumbs[len(d.Crumbs)-1].Href)
	case 3:
		d.Heading = "Days with data"
		f := catalog.Filter{SC: segs[:1], Instrument: segs[1:2], Level: segs[2:3]}
		recs, err := s.visibleQuery(ctx, team, f)
		if err != nil {
			s.internal(w, err)
			return
		}
		d.Days, d.Truncated = groupDays(recs)
	case 4:
		d.Heading = "Files of " + segs[3]
		d.AllVersions = r.URL.Query().Get("all_versions") == "true"
		f := catalog.Filter{SC: segs[:1], Instrument: segs[1:2], Level: segs[2:3], From: day, To: day.Add(24*time.Hour - time.Second),
			AllVersions: d.AllVersions}
		if d.Files, err = s.visibleQuery(ctx, team, f); err != nil {
			s.internal(w, err)
			return
		}
		if d.QL, err = s.quickLooks(ctx, team, catalog.Filter{SC: segs[:1], Instrument: segs[1:2]}, day); err != nil {
			s.internal(w, err)
			return
		}
	}
	s.render(w, "browse", browseView(d))
}

func segs0(segs []string) string {
	if len(segs) == 0 {
		return ""
	}
	return segs[0]
}

// browseTiles groups products by the next level of the hierarchy.
func (s *Server) browseTiles(products []catalog.ProductEntry, depth int, base string) []tile {
	groups := map[string]map[string]bool{}
	for _, p := range products {
		key, note := p.SC, p.Instrument
		switch depth {
		case 1:
			key, note = p.Instrument, p.Level
		case 2:
			key, note = p.Level, p.Rate
			if p.Descriptor != "" {
				note += " " + p.Descriptor
			}
		}
		if groups[key] == nil {
			groups[key] = map[string]bool{}
		}
		groups[key][note] = true
	}
	var out []tile
	for k, notes := range groups {
		ns := make([]string, 0, len(notes))
		for n := range notes {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		out = append(out, tile{Name: k, Href: base + k + "/", Note: strings.Join(ns, ", ")})
	}
	if depth == 2 {
		order := s.levelOrder()
		sort.Slice(out, func(i, j int) bool { return order(out[i].Name) < order(out[j].Name) })
	} else {
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	}
	return out
}

// levelOrder ranks levels as the profile lists them (unknown ones last).
func (s *Server) levelOrder() func(string) int {
	return func(l string) int {
		for i, lv := range s.b.Profile.Levels {
			if lv.ID == l {
				return i
			}
		}
		return len(s.b.Profile.Levels)
	}
}

// visibleQuery runs a science query narrowed to what the caller may see.
func (s *Server) visibleQuery(ctx context.Context, team bool, f catalog.Filter) ([]catalog.Record, error) {
	f.Kind = catalog.KindScience
	if !s.restrict(&f, team) {
		return nil, nil
	}
	recs, err := s.b.Catalog.Query(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.filterVisible(team, recs), nil
}

// groupDays counts files per UTC day, newest day first, capped.
func groupDays(recs []catalog.Record) ([]dayRow, bool) {
	byDay := map[string]*dayRow{}
	for _, r := range recs {
		k := r.Start.UTC().Format(time.DateOnly)
		row := byDay[k]
		if row == nil {
			row = &dayRow{Day: k}
			byDay[k] = row
		}
		row.Files++
		row.Bytes += r.Size
		p := r.Rate
		if r.Descriptor != "" {
			p += " " + r.Descriptor
		}
		if r.Ext != "cdf" {
			p += " (" + r.Ext + ")"
		}
		if !slices.Contains(row.Products, p) {
			row.Products = append(row.Products, p)
		}
	}
	out := make([]dayRow, 0, len(byDay))
	for _, row := range byDay {
		sort.Strings(row.Products)
		out = append(out, *row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day > out[j].Day })
	if len(out) > maxBrowseDays {
		return out[:maxBrowseDays], true
	}
	return out, false
}

type recentData struct {
	pageBase
	Files []catalog.Record
}

// recentPage lists the most recently processed (ingested) files.
func (s *Server) recentPage(w http.ResponseWriter, r *http.Request) {
	d := recentData{pageBase: s.base(r, "Recently processed files", "recent")}
	var err error
	if d.Files, err = s.recentVisible(r.Context(), "", d.Team, 200); err != nil {
		s.internal(w, err)
		return
	}
	s.render(w, "recent", recentView(d))
}

type jobsData struct {
	pageBase
	Configured bool
	Status     string
	Statuses   []string
	Counts     map[string]int
	Jobs       []pipeline.Job
}

// jobsPage shows the processing jobs table (team only).
func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request) {
	d := jobsData{pageBase: s.base(r, "Processing jobs", "jobs"), Statuses: pipeline.Statuses, Configured: s.b.Jobs != nil}
	d.Refresh = 15
	d.Status = r.URL.Query().Get("status")
	if d.Status != "" && !slices.Contains(pipeline.Statuses, d.Status) {
		writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("status is one of %s", strings.Join(pipeline.Statuses, ", ")))
		return
	}
	if d.Configured {
		var err error
		if d.Counts, err = s.b.Jobs.Counts(r.Context()); err != nil {
			s.internal(w, err)
			return
		}
		if d.Jobs, err = s.b.Jobs.List(r.Context(), d.Status, 200); err != nil {
			s.internal(w, err)
			return
		}
		// List returns status by status; people read newest first.
		sort.SliceStable(d.Jobs, func(i, j int) bool { return d.Jobs[i].Created.After(d.Jobs[j].Created) })
	}
	s.render(w, "jobs", jobsView(d))
}

type quarantineData struct {
	pageBase
	Quarantine []ingest.QuarantineReason
}

func (s *Server) quarantinePage(w http.ResponseWriter, r *http.Request) {
	d := quarantineData{pageBase: s.base(r, "Quarantine", "quarantine")}
	var err error
	if d.Quarantine, err = s.b.Quarantined(r.Context(), 500); err != nil {
		s.internal(w, err)
		return
	}
	s.render(w, "quarantine", quarantineView(d))
}

// levelColors colour the coverage chart by data level.
var levelColors = map[string]string{
	"l0": "#8c6bb1", "l1a": "#6baed6", "l1b": "#3182bd", "ql": "#f39c12", "sitl": "#e377c2", "l2": "#2ca02c", "l3": "#146c2e",
}

func levelColor(l string) string {
	if c, ok := levelColors[l]; ok {
		return c
	}
	return "#7f7f7f"
}

type chart struct {
	Title string
	// SVG is markup whose every interpolated string is already escaped.
	SVG string
}

type availabilityData struct {
	pageBase
	Instrument, SC, From, To string
	Instruments, SCs         []string
	Charts                   []chart
	Legend                   []crumb // level, colour
}

const maxChartDays = 92

// availabilityPage draws one coverage chart (days × products, coloured by
// level) per instrument and spacecraft.
func (s *Server) availabilityPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := availabilityData{pageBase: s.base(r, "Data availability", "availability")}
	q := r.URL.Query()
	d.Instrument, d.SC = q.Get("instrument_id"), q.Get("sc_id")
	for _, v := range []string{d.Instrument, d.SC} {
		if v != "" && !token.MatchString(v) {
			writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("%q is not a valid name", v))
			return
		}
	}
	products, err := s.visibleProducts(ctx, d.Team)
	if err != nil {
		s.internal(w, err)
		return
	}
	from, to, err := s.chartRange(ctx, d.Team, q.Get("start_date"), q.Get("end_date"))
	if err != nil {
		badRequest(w, err)
		return
	}
	d.From, d.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	insts, scs := map[string]bool{}, map[string]bool{}
	pairs := map[[2]string][]catalog.ProductEntry{}
	levels := map[string]bool{}
	for _, p := range products {
		insts[p.Instrument], scs[p.SC] = true, true
		if d.Instrument != "" && p.Instrument != d.Instrument || d.SC != "" && p.SC != d.SC {
			continue
		}
		k := [2]string{p.Instrument, p.SC}
		pairs[k] = append(pairs[k], p)
		levels[p.Level] = true
	}
	d.Instruments, d.SCs = sortedKeys(insts), sortedKeys(scs)
	order := s.levelOrder()
	keys := make([][2]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		ps := pairs[k]
		sort.Slice(ps, func(i, j int) bool {
			if a, b := order(ps[i].Level), order(ps[j].Level); a != b {
				return a < b
			}
			return ps[i].Rate+ps[i].Descriptor < ps[j].Rate+ps[j].Descriptor
		})
		rows := make([]coverageRow, 0, len(ps))
		for _, p := range ps {
			f := catalog.Filter{SC: []string{p.SC}, Instrument: []string{p.Instrument}, Rate: []string{p.Rate}, Level: []string{p.Level},
				Descriptor: []string{p.Descriptor}, From: from, To: to.Add(24*time.Hour - time.Second)}
			recs, err := s.visibleQuery(ctx, d.Team, f)
			if err != nil {
				s.internal(w, err)
				return
			}
			row := coverageRow{Label: strings.TrimSpace(p.Rate + " " + p.Level + " " + p.Descriptor), Level: p.Level, Days: map[string]int{}}
			for _, rec := range recs {
				row.Days[rec.Start.UTC().Format(time.DateOnly)]++
			}
			rows = append(rows, row)
		}
		link := func(level, day string) string {
			return d.Prefix + "/browse/" + k[1] + "/" + k[0] + "/" + level + "/" + day
		}
		d.Charts = append(d.Charts, chart{Title: k[0] + " · " + k[1], SVG: coverageSVG(rows, from, to, link)})
	}
	ls := sortedKeys(levels)
	sort.SliceStable(ls, func(i, j int) bool { return order(ls[i]) < order(ls[j]) })
	for _, l := range ls {
		d.Legend = append(d.Legend, crumb{l, levelColor(l)})
	}
	s.render(w, "availability", availabilityView(d))
}

// chartRange reads the date range of the chart; by default the 30 days up
// to the latest time tag among recently ingested visible files.
func (s *Server) chartRange(ctx context.Context, team bool, a, b string) (time.Time, time.Time, error) {
	var from, to time.Time
	var err error
	if b != "" {
		if to, err = parseDate(b); err != nil {
			return from, to, fmt.Errorf("end_date: %w", err)
		}
	} else {
		recs, err := s.recentVisible(ctx, catalog.KindScience, team, 500)
		if err != nil {
			return from, to, err
		}
		for _, r := range recs {
			if r.Start.After(to) {
				to = r.Start
			}
		}
		if to.IsZero() {
			to = s.b.Clock.Now()
		}
	}
	to = to.UTC().Truncate(24 * time.Hour)
	from = to.AddDate(0, 0, -29)
	if a != "" {
		if from, err = parseDate(a); err != nil {
			return from, to, fmt.Errorf("start_date: %w", err)
		}
		from = from.UTC().Truncate(24 * time.Hour)
	}
	if from.After(to) {
		return from, to, fmt.Errorf("start_date %s is after end_date %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if to.Sub(from) >= maxChartDays*24*time.Hour {
		return from, to, fmt.Errorf("a chart spans at most %d days", maxChartDays)
	}
	return from, to, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type coverageRow struct {
	Label, Level string
	Days         map[string]int
}

// coverageSVG draws a grid of days (columns) × products (rows); a present
// day is a cell in its level's colour linking to that day in the browser.
func coverageSVG(rows []coverageRow, from, to time.Time, link func(level, day string) string) string {
	const labelW, cellW, cellH, top = 170, 16, 18, 34
	var days []time.Time
	for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
		days = append(days, t)
	}
	width, height := labelW+len(days)*cellW+10, top+len(rows)*cellH+6
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, sans-serif" font-size="11" role="img">`,
		width, height, width, height)
	for i, t := range days {
		x := labelW + i*cellW
		if i == 0 || t.Day() == 1 {
			fmt.Fprintf(&b, `<text x="%d" y="12" fill="#1d2430" font-weight="600">%s</text>`, x, t.Format("Jan 2006"))
		}
		if t.Day() == 1 || t.Day()%5 == 0 || i == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="28" fill="#6b7485" text-anchor="middle">%d</text>`, x+cellW/2, t.Day())
		}
	}
	for j, row := range rows {
		y := top + j*cellH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="#1d2430">%s</text>`, labelW-8, y+cellH-5, html.EscapeString(row.Label))
		for i, t := range days {
			x := labelW + i*cellW
			day := t.Format(time.DateOnly)
			n := row.Days[day]
			if n == 0 {
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#eef0f4"><title>%s %s: no data</title></rect>`,
					x+1, y+1, cellW-2, cellH-2, html.EscapeString(row.Label), day)
				continue
			}
			fmt.Fprintf(&b, `<a href="%s"><rect class="have" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s: %d file(s)</title></rect></a>`,
				html.EscapeString(link(row.Level, day)), x+1, y+1, cellW-2, cellH-2, levelColor(row.Level), html.EscapeString(row.Label), day, n)
		}
	}
	b.WriteString(`</svg>`)
	return b.String() // every interpolated string above is escaped
}
