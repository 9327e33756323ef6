package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// Pages for people are built as gomponents nodes rather than with
// html/template: the template executor looks methods up by name through
// reflection, which stops the linker from dropping unused methods anywhere
// in the binary (several MB of AWS SDK clients in the api Lambda).
// g.Text and attribute values are HTML-escaped; g.Raw is used only for the
// fixed style sheet and the SVG charts, whose builders escape every string
// they interpolate.

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

// fileHref links the bytes of one file (or a quick-look plot's image).
func (b pageBase) fileHref(name string) string {
	return b.DL + url.PathEscape(name) + "/download"
}

// render writes a page into a buffer first, so a failure is a clean 500
// rather than half a page.
func (s *Server) render(w http.ResponseWriter, name string, page g.Node) {
	var buf bytes.Buffer
	if err := page.Render(&buf); err != nil {
		s.internal(w, fmt.Errorf("render %s page: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// page wraps a page's content in the shared layout: head with the style
// sheet, the header with the nav bar, main.
func page(b pageBase, content ...g.Node) g.Node {
	return h.Doctype(h.HTML(h.Lang("en"),
		h.Head(
			h.Meta(h.Charset("utf-8")),
			g.If(b.Refresh > 0, h.Meta(g.Attr("http-equiv", "refresh"), h.Content(strconv.Itoa(b.Refresh)))),
			h.TitleEl(g.Text(b.Title+" · Magpie · "+b.Mission)),
			h.StyleEl(g.Raw(pageCSS)),
		),
		h.Body(
			h.Header(
				h.H1(g.Text("Magpie · "+b.MissionName)),
				h.P(g.Text(b.Title+" · "+b.Now+" UTC · "),
					g.If(b.Team, g.Text("team view")),
					g.If(!b.Team, g.Group{g.Text("public view (released data only) · "), h.A(h.Href("/team"+b.Here), g.Text("team sign-in"))}),
				),
				h.Nav(
					navLink(b, b.Prefix+"/", "status", "Status"),
					navLink(b, b.Prefix+"/browse/", "browse", "Data browser"),
					navLink(b, b.Prefix+"/availability", "availability", "Availability"),
					navLink(b, b.Prefix+"/recent", "recent", "Recent files"),
					navLink(b, b.Prefix+"/events", "events", "Events"),
					g.If(b.Team, g.Group{
						navLink(b, "/team/jobs", "jobs", "Jobs"),
						navLink(b, "/team/quarantine", "quarantine", "Quarantine"),
						navLink(b, "/team/burst", "burst", "Burst"),
						navLink(b, "/team/campaigns", "campaigns", "Campaigns"),
					}),
					h.Span(h.Class("sep")),
					g.If(b.Team, h.A(h.Href(b.Here), g.Text("public view"))),
				),
			),
			h.Main(content...),
		),
	))
}

func navLink(b pageBase, href, active, label string) g.Node {
	return h.A(h.Href(href), g.If(b.Active == active, h.Class("on")), g.Text(label))
}

// Small building blocks the pages share.

func muted(children ...g.Node) g.Node { return h.P(h.Class("muted"), g.Group(children)) }

// card is a big value over a small label.
func card(value string, label ...g.Node) g.Node {
	return h.Div(h.Class("card"), h.B(g.Text(value)), g.Group(label))
}

func th(label string) g.Node    { return h.Th(g.Text(label)) }
func thNum(label string) g.Node { return h.Th(h.Class("num"), g.Text(label)) }
func td(text string) g.Node     { return h.Td(g.Text(text)) }
func tdNum(text string) g.Node  { return h.Td(h.Class("num"), g.Text(text)) }
func tdCode(text string) g.Node { return h.Td(h.Code(g.Text(text))) }

// link is an anchor with a text label.
func link(href, label string) g.Node { return h.A(h.Href(href), g.Text(label)) }

// legend lists colour swatches with their names (Href holds the colour).
func legend(items []crumb, extra ...g.Node) g.Node {
	return h.P(h.Class("legend"), g.Map(items, func(c crumb) g.Node {
		return h.Span(h.I(h.Style("background: "+c.Href)), g.Text(c.Name))
	}), g.Group(extra))
}

func decimal[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// when formats a time for the tables ("" for none).
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// short cuts a long id for a table cell (the full id goes in its title).
func short(s string) string { return s[:min(len(s), 12)] }

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

const pageCSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { background: #1f2a44; color: #fff; padding: 14px 24px 0; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 2px 0 0; color: #c8d0e0; }
header a { color: #fff; }
nav { display: flex; gap: 2px; margin-top: 10px; flex-wrap: wrap; }
nav a { color: #c8d0e0; text-decoration: none; padding: 6px 12px; border-radius: 6px 6px 0 0; }
nav a:hover { color: #fff; background: #2c3a5c; }
nav a.on { color: #1d2430; background: #f6f7f9; font-weight: 600; }
nav .sep { flex: 1; }
main { padding: 16px 24px; max-width: 1200px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: 10px 16px; min-width: 140px; }
.card b { display: block; font-size: 22px; }
.card a { text-decoration: none; color: inherit; }
h2 { font-size: 16px; margin: 22px 0 8px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #dde2ea; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eef0f4; font-variant-numeric: tabular-nums; vertical-align: top; }
th { background: #eef1f6; font-weight: 600; }
td.num, th.num { text-align: right; }
.bad { color: #a11d1d; }
.ok { color: #1c7a3a; }
.muted { color: #6b7485; }
code { font-size: 13px; }
a { color: #1f4fa8; }
.crumbs { margin: 0 0 12px; }
.crumbs a, .crumbs span { margin-right: 4px; }
.tiles { display: flex; gap: 10px; flex-wrap: wrap; }
.tile { background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: 10px 14px; min-width: 120px; text-decoration: none; color: inherit; }
.tile b { display: block; font-size: 16px; color: #1f4fa8; }
.ql { display: flex; gap: 12px; flex-wrap: wrap; }
.ql figure { margin: 0; background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: 6px; }
.ql img { display: block; max-width: 100%; }
.ql.thumbs img { width: 280px; }
.ql figcaption { font-size: 12px; color: #6b7485; margin-top: 4px; }
form.filters { display: flex; gap: 10px; align-items: end; flex-wrap: wrap; background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: 10px 14px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: #6b7485; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
.chart { background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: 8px; overflow-x: auto; margin-bottom: 12px; }
.status-FAILED { color: #a11d1d; font-weight: 600; }
.status-SUCCEEDED { color: #1c7a3a; }
.status-RUNNING { color: #1f4fa8; font-weight: 600; }
.status-NOTRUN { color: #6b7485; }
`
