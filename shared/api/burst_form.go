package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"

	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
)

// The burst page's form lets the SITL on duty submit (or only check) a
// selections CSV from the browser, where the API wants a client.

// submitForm is the form, shown while the cycle takes submissions and to
// callers who may submit.
func submitForm(c *sitlcycle.Cycle) g.Node {
	return h.Form(h.Class("filters"), h.Method("post"), h.Action("/team/burst/submissions"), h.EncType("multipart/form-data"),
		h.Input(h.Type("hidden"), h.Name("cycle"), h.Value(c.ID)),
		h.Label(g.Text("Selections (CSV: start_time, stop_time, fom, sourceid, discussion) "),
			h.Input(h.Type("file"), h.Name("file"), h.Accept(".csv,.txt,text/csv"), h.Required())),
		h.Label(h.Input(h.Type("checkbox"), h.Name("check_only"), h.Value("1")), g.Text(" check only")),
		h.Button(h.Type("submit"), g.Text("Submit to cycle "+c.ID)),
	)
}

// sameOrigin reports whether a browser form post comes from this site:
// HTTP Basic credentials go with any request the browser makes, so a post
// from another site's page must not count as the SITL's. The browser's
// Sec-Fetch-Site says so directly and survives CloudFront, which gives the
// function the API's host rather than the one the browser saw; without it
// (older browsers) the Origin must name this host; a request with neither
// is no browser's form post (curl, a client library).
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

type submissionData struct {
	pageBase
	CycleID   string
	File      string
	Rows      int
	CheckOnly bool
	Verdict   string
	Seq       int
	Findings  []sitl.Finding
}

// burstFormSubmit takes the form: the selections are checked against the
// cycle and, unless only checked or rejected, submitted (handed to the
// waiting state machine at once); the answer is a page with the verdict
// and the findings.
func (s *Server) burstFormSubmit(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "forbidden", "a form post from another site is refused")
		return
	}
	svc := s.sitlService(w)
	if svc == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSelectionBytes+64<<10)
	if err := r.ParseMultipartForm(maxSelectionBytes); err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", "want a multipart form with the selections file: "+err.Error())
		return
	}
	c, err := svc.Get(r.Context(), r.FormValue("cycle"))
	if errors.Is(err, sitlcycle.ErrNoCycle) {
		writeError(w, http.StatusNotFound, "not-found", "no SITL cycle "+r.FormValue("cycle"))
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", "no selections file in the form: "+err.Error())
		return
	}
	defer f.Close()
	rows, err := sitl.ParseCSV(f)
	if err == nil && len(rows) == 0 {
		err = errors.New("no selections in the file")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	d := submissionData{pageBase: s.base(r, "SITL submission", "burst"), CycleID: c.ID, File: path.Base(hdr.Filename),
		Rows: len(rows), CheckOnly: r.FormValue("check_only") != ""}
	res := svc.Check(c, rows)
	d.Verdict, d.Findings = verdictOf(res), res.Findings
	status := http.StatusOK
	switch {
	case res.Has(sitl.Error):
		status = http.StatusUnprocessableEntity
	case !d.CheckOnly:
		sub, err := svc.Submit(r.Context(), c.ID, d.File, rows)
		if errors.Is(err, sitlcycle.ErrClosed) {
			writeError(w, http.StatusConflict, "closed", err.Error())
			return
		}
		if err != nil {
			s.internal(w, err)
			return
		}
		d.Verdict, d.Seq, status = sub.Verdict, sub.Seq, http.StatusAccepted
	}
	var buf = &statusWriter{ResponseWriter: w, status: status}
	s.render(buf, "submission", submissionView(d))
}

// statusWriter writes the page with a status other than 200.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if !sw.wrote {
		sw.wrote = true
		sw.ResponseWriter.WriteHeader(sw.status)
	}
	return sw.ResponseWriter.Write(b)
}

func submissionView(d submissionData) g.Node {
	what := "Submitted"
	if d.CheckOnly {
		what = "Checked (not submitted)"
	} else if d.Seq == 0 {
		what = "Not submitted"
	}
	var findings g.Node = muted(g.Text("No findings."))
	if len(d.Findings) > 0 {
		findings = h.Table(
			h.Tr(thNum("Row"), th("Severity"), th("Rule"), th("Message")),
			g.Map(d.Findings, func(f sitl.Finding) g.Node {
				return h.Tr(tdNum(decimal(f.Segment)), td(string(f.Severity)), td(f.Rule), td(f.Message))
			}),
		)
	}
	return page(d.pageBase,
		h.H2(g.Text(what+": "+d.File+" to cycle "+d.CycleID)),
		h.Div(h.Class("cards"),
			card(d.Verdict, g.Text("verdict")),
			card(decimal(d.Rows), g.Text("selections")),
			g.If(d.Seq > 0, card(fmt.Sprint(d.Seq), g.Text("submission"))),
		),
		h.H2(g.Text("Findings")),
		findings,
		h.P(link("/team/burst", "Back to the burst page")),
	)
}

// canSubmit reports whether the page's viewer may use the form.
func canSubmit(r *http.Request) bool { return principal(r).Can(auth.PermSubmit) }
