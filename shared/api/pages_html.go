package api

import (
	"fmt"
	"strings"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// The HTML of the pages in pages.go (data browser, availability, recent
// files, jobs, quarantine).

func browseView(d browseData) g.Node {
	var body g.Node
	switch {
	case d.Depth < 3:
		body = browseTiles(d)
	case d.Depth == 3:
		body = browseDays(d)
	default:
		body = browseFiles(d)
	}
	return page(d.pageBase,
		h.P(h.Class("crumbs"), g.Map(numbered(d.Crumbs), func(c indexed[crumb]) g.Node {
			return g.Group{g.If(c.i > 0, g.Text(" › ")), link(c.v.Href, c.v.Name)}
		})),
		h.H2(g.Text(d.Heading)),
		body,
	)
}

type indexed[T any] struct {
	i int
	v T
}

// numbered pairs each element with its index, for separators.
func numbered[T any](xs []T) []indexed[T] {
	out := make([]indexed[T], len(xs))
	for i, x := range xs {
		out[i] = indexed[T]{i, x}
	}
	return out
}

func browseTiles(d browseData) g.Node {
	if len(d.Tiles) == 0 {
		return muted(g.Text("No data here"), g.If(!d.Team, g.Text(" has been released yet")), g.Text("."))
	}
	return h.Div(h.Class("tiles"), g.Map(d.Tiles, func(t tile) g.Node {
		return h.A(h.Class("tile"), h.Href(t.Href), h.B(g.Text(t.Name)), h.Span(h.Class("muted"), g.Text(t.Note)))
	}))
}

func browseDays(d browseData) g.Node {
	if len(d.Days) == 0 {
		return muted(g.Text("No files"), g.If(!d.Team, g.Text(" released")), g.Text(" for this level."))
	}
	levelHref := d.Crumbs[3].Href
	return g.Group{
		h.Table(
			h.Tr(th("Day"), thNum("Files"), thNum("Size"), th("Products")),
			g.Map(d.Days, func(r dayRow) g.Node {
				return h.Tr(h.Td(link(levelHref+r.Day, r.Day)), tdNum(decimal(r.Files)), tdNum(humanBytes(r.Bytes)),
					td(strings.Join(r.Products, ", ")))
			}),
		),
		g.If(d.Truncated, muted(g.Text("Showing the newest days only; use the "), link(d.Prefix+"/availability", "availability chart"),
			g.Text(" or the JSON API for older ones."))),
	}
}

func browseFiles(d browseData) g.Node {
	var files g.Node
	if len(d.Files) == 0 {
		files = muted(g.Text("No files"), g.If(!d.Team, g.Text(" released")), g.Text(" on this day."))
	} else {
		files = h.Table(
			h.Tr(th("File"), th("Rate"), th("Descriptor"), th("Version"), thNum("Size"), th("Ingested (UTC)"),
				g.If(d.Team, th("Released")), h.Th()),
			g.Map(d.Files, func(r catalog.Record) g.Node {
				released := h.Span(h.Class("muted"), g.Text("no"))
				if r.Released {
					released = h.Span(h.Class("ok"), g.Text(r.ReleaseID))
				}
				return h.Tr(tdCode(r.Name), td(r.Rate), td(r.Descriptor), td("v"+r.Version), tdNum(humanBytes(r.Size)), td(when(r.Ingested)),
					g.If(d.Team, h.Td(released)), h.Td(link(d.fileHref(r.Name), "download")))
			}),
		)
	}
	versions := muted(g.Text("Showing the newest version of each file · "), link("?all_versions=true", "all versions"))
	if d.AllVersions {
		versions = muted(g.Text("Showing every version · "), link("?", "newest versions only"))
	}
	return g.Group{
		g.If(len(d.QL) > 0, g.Group{
			h.H2(g.Text("Quick-look plots")),
			h.Div(h.Class("ql"), g.Map(d.QL, func(r catalog.Record) g.Node {
				return h.Figure(h.A(h.Href(d.fileHref(r.Name)), h.Img(h.Src(d.fileHref(r.Name)), h.Alt(r.Name))),
					h.FigCaption(g.Text(r.Name)))
			})),
		}),
		h.H2(g.Text("Files")),
		files,
		versions,
	}
}

func availabilityView(d availabilityData) g.Node {
	options := func(values []string, chosen string) g.Node {
		return g.Group{h.Option(h.Value(""), g.Text("all")), g.Map(values, func(v string) g.Node {
			return h.Option(g.If(v == chosen, h.Selected()), g.Text(v))
		})}
	}
	var charts g.Node
	if len(d.Charts) == 0 {
		charts = muted(g.Text("No "), g.If(!d.Team, g.Text("public ")), g.Text("products match."))
	} else {
		charts = g.Map(d.Charts, func(c chart) g.Node {
			return g.Group{h.H2(g.Text(c.Title)), h.Div(h.Class("chart"), g.Raw(c.SVG))}
		})
	}
	return page(d.pageBase,
		h.Form(h.Class("filters"), h.Method("get"),
			h.Label(g.Text("Instrument"), h.Select(h.Name("instrument_id"), options(d.Instruments, d.Instrument))),
			h.Label(g.Text("Spacecraft"), h.Select(h.Name("sc_id"), options(d.SCs, d.SC))),
			h.Label(g.Text("From"), h.Input(h.Type("date"), h.Name("start_date"), h.Value(d.From))),
			h.Label(g.Text("To"), h.Input(h.Type("date"), h.Name("end_date"), h.Value(d.To))),
			h.Button(h.Type("submit"), g.Text("Show")),
		),
		legend(d.Legend, h.Span(h.I(h.Style("background: #eef0f4")), g.Text("no data"))),
		charts,
		muted(g.Text("JSON: "), link("/api/v1/availability", "/api/v1/availability"), g.Text(" (files per day of the matching products)")),
	)
}

func recentView(d recentData) g.Node {
	var files g.Node
	if len(d.Files) == 0 {
		files = muted(g.Text("Nothing "), g.If(!d.Team, g.Text("released ")), g.Text("in the last 31 days."))
	} else {
		files = h.Table(
			h.Tr(th("File"), th("Kind / level"), th("Version"), thNum("Size"), th("Ingested (UTC)"), h.Th()),
			g.Map(d.Files, func(r catalog.Record) g.Node {
				return h.Tr(tdCode(r.Name), td(levelOrKind(r)), td(r.Version), tdNum(humanBytes(r.Size)), td(when(r.Ingested)),
					h.Td(link(d.fileHref(r.Name), "download"),
						g.If(r.Level != "", g.Group{g.Text(" · "),
							link(d.Prefix+"/browse/"+r.SC+"/"+r.Instrument+"/"+r.Level+"/"+dayOf(r.Start), "day")})))
			}),
		)
	}
	return page(d.pageBase,
		h.H2(g.Text("Most recently processed files")),
		files,
		muted(g.Text("JSON: "), link("/api/v1/files/recent", "/api/v1/files/recent"), g.Text(" · change feed for mirrors: "),
			link("/api/v1/files/changes", "/api/v1/files/changes")),
	)
}

func jobsView(d jobsData) g.Node {
	if !d.Configured {
		return page(d.pageBase, muted(g.Text("This server runs no processing pipeline, so there are no jobs to show.")))
	}
	heading := "Jobs"
	if d.Status != "" {
		heading = d.Status + " jobs"
	}
	var jobs g.Node
	if len(d.Jobs) == 0 {
		jobs = muted(g.Text("No jobs"), g.If(d.Status != "", g.Text(" with status "+d.Status)), g.Text("."))
	} else {
		jobs = h.Table(
			h.Tr(th("Job"), th("Node"), th("S/C"), th("Time tag"), th("Status"), thNum("Attempts"), th("Created (UTC)"), thNum("Took"),
				th("Details")),
			g.Map(d.Jobs, jobRow),
		)
	}
	return page(d.pageBase,
		h.Div(h.Class("cards"),
			h.Div(h.Class("card"), h.A(h.Href("?"), h.B(g.Text("all")), g.Text("statuses"))),
			g.Map(d.Statuses, func(st string) g.Node {
				return h.Div(h.Class("card"), h.A(h.Href("?status="+st), h.B(h.Class("status-"+st), g.Text(decimal(d.Counts[st]))), g.Text(st)))
			}),
		),
		h.H2(g.Text(heading+", newest first")),
		jobs,
	)
}

func jobRow(j pipeline.Job) g.Node {
	took := ""
	if d := j.Duration(); d != 0 {
		took = d.String()
	}
	summary := fmt.Sprintf("%d in · %d out", len(j.Inputs), len(j.Outputs))
	return h.Tr(
		h.Td(h.Code(h.Title(j.ID), g.Text(short(j.ID)))), td(j.Node), td(j.SC), td(j.TimeTag()),
		h.Td(h.Class("status-"+j.Status), g.Text(j.Status)), tdNum(decimal(j.Attempts)), td(when(j.Created)), tdNum(took),
		h.Td(h.Details(
			h.Summary(g.Text(summary), g.If(j.Error != "", g.Group{g.Text(" · "), h.Span(h.Class("bad"), g.Text("error"))})),
			g.If(j.Error != "", h.P(h.Class("bad"), g.Text(j.Error), g.If(j.ExitCode != 0, g.Textf(" (exit %d)", j.ExitCode)))),
			g.If(j.StderrTail != "", h.Pre(g.Text(j.StderrTail))),
			g.If(len(j.Missing) > 0, h.P(g.Text("Missing: "), g.Map(j.Missing, func(m string) g.Node {
				return g.Group{h.Code(g.Text(m)), g.Text(" ")}
			}))),
			g.Map(j.Inputs, func(in pipeline.JobInput) g.Node { return h.Div(g.Text("in: "), h.Code(g.Text(in.FileName))) }),
			g.Map(j.Outputs, func(out string) g.Node { return h.Div(g.Text("out: "), h.Code(g.Text(out))) }),
			h.Div(h.Class("muted"), g.Text(j.Processor+" "+j.SoftwareVersion)),
		)),
	)
}

func quarantineView(d quarantineData) g.Node {
	var files g.Node
	if len(d.Quarantine) == 0 {
		files = muted(g.Text("No quarantined files."))
	} else {
		files = h.Table(
			h.Tr(th("File"), th("Reason"), th("Code"), thNum("Size"), th("When (UTC)")),
			g.Map(d.Quarantine, func(q ingest.QuarantineReason) g.Node {
				return h.Tr(h.Td(h.Code(g.Text(q.FileName)), h.Br(), h.Span(h.Class("muted"), g.Text(q.QuarantineKey))),
					td(q.Reason), tdCode(q.Code), tdNum(humanBytes(q.Size)), td(q.QuarantinedAt))
			}),
		)
	}
	return page(d.pageBase,
		h.H2(g.Text("Quarantined files")),
		files,
		muted(g.Text("JSON: "), link("/api/v1/quarantine", "/api/v1/quarantine")),
	)
}
