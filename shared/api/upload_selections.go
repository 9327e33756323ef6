package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
)

// submittedSelection reports whether an uploaded file name is a selection
// the SITL cycle takes: sitl_selections_YYYY-MM-DD-hh-mm-ss.csv from the
// SITL, gls_selections_mp-dl-unh_YYYY-MM-DD-hh-mm-ss.csv from the
// ground-loop system.
func submittedSelection(name string) (naming.Selection, bool) {
	sel, err := naming.ParseSelection(name)
	if err != nil || sel.Ext != "csv" {
		return naming.Selection{}, false
	}
	return sel, sel.Type == naming.SITLSelections || sel.Type == naming.GLSSelections
}

// mmsUploadSelections is the MMS upload of a SITL or GLS selections CSV:
// the rows are checked against the current SITL cycle first (nothing is
// stored when the file cannot be submitted: not CSV rows, no open cycle,
// validation errors; all 400 with the reason), then the file is archived
// like any upload, then submitted to the cycle. The answer is the MMS
// service's text; the X-Magpie-Cycle, -Submission and -Verdict headers
// tell what became of the submission (needs_approval: a super-SITL must
// approve it).
func (s *Server) mmsUploadSelections(w http.ResponseWriter, r *http.Request, sel naming.Selection) {
	ctx := r.Context()
	name := r.URL.Query().Get("file")
	svc := s.b.Workflows.SITL
	if r.ContentLength < 0 {
		writeError(w, http.StatusLengthRequired, "length-required", "send the file with a Content-Length header")
		return
	}
	if r.ContentLength > maxSelectionBytes || r.ContentLength > s.b.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, "too-large",
			fmt.Sprintf("the selections file is %d bytes; it may have at most %d", r.ContentLength, min(maxSelectionBytes, s.b.MaxUpload)))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, r.ContentLength))
	if err != nil || int64(len(body)) != r.ContentLength {
		writeError(w, http.StatusBadRequest, "short-body", fmt.Sprintf("received %d of %d bytes; nothing was stored", len(body), r.ContentLength))
		return
	}
	rows, err := sitl.ParseCSV(bytes.NewReader(body))
	if err == nil && len(rows) == 0 {
		err = errors.New("no selections in the file")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-selections", name+": "+err.Error()+"; nothing was stored")
		return
	}
	c, err := svc.Current(ctx)
	if errors.Is(err, sitlcycle.ErrNoCycle) {
		writeError(w, http.StatusBadRequest, "no-cycle", "no SITL cycle takes selections now; nothing was stored")
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	if !c.Open(s.b.Clock.Now()) {
		writeError(w, http.StatusBadRequest, "closed", fmt.Sprintf("SITL cycle %s is %s (deadline %s); nothing was stored",
			c.ID, c.Status, c.Window.Deadline.UTC().Format("2006-01-02 15:04:05")))
		return
	}
	if res := svc.Check(c, rows); res.Has(sitl.Error) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "rejected", "cycle_id": c.ID,
			"message": "the selections have errors; nothing was stored or submitted", "findings": res.Findings})
		return
	}
	// Archive first: the archive keeps what was submitted even if the
	// cycle closes in between.
	r2 := r.Clone(ctx)
	r2.Body = io.NopCloser(bytes.NewReader(body))
	rec := &statusRecorder{ResponseWriter: w, header: http.Header{}}
	s.upload(rec, r2)
	if rec.status != http.StatusCreated && rec.status != http.StatusOK && rec.status != http.StatusAccepted {
		s.mmsUploadAnswer(w, rec)
		return
	}
	sub, err := svc.Submit(ctx, c.ID, name, rows)
	if errors.Is(err, sitlcycle.ErrClosed) {
		writeError(w, http.StatusBadRequest, "closed", "archived, but not submitted: "+err.Error())
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	w.Header().Set("X-Magpie-Cycle", c.ID)
	w.Header().Set("X-Magpie-Submission", strconv.Itoa(sub.Seq))
	w.Header().Set("X-Magpie-Verdict", sub.Verdict)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("File successfully uploaded."))
}
