package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/latis"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
)

// Workflows is what the workflow routes need from the SDC (the local
// runtime's workflows host; Step Functions on AWS). A nil field makes its
// routes answer 503.
type Workflows struct {
	// StartCampaign starts a reprocessing campaign and returns its
	// execution id and its plan with the estimate.
	StartCampaign func(ctx context.Context, req campaign.Request) (executionID string, plan *campaign.Plan, err error)
	// DescribeCampaign returns a campaign's execution by name or ARN.
	DescribeCampaign func(ctx context.Context, id string) (asl.Execution, error)
	// ListCampaigns returns the executions of the reprocessing state
	// machine (running ones and dry runs have no stored summary).
	ListCampaigns func(ctx context.Context) ([]asl.Execution, error)
	// Campaigns is the campaigns table: a summary per finished campaign.
	Campaigns *campaign.Store
	// SITL is the SITL cycle service.
	SITL *sitlcycle.Service
	// Segments lists the burst segments of the BDM (the LaTiS dataset).
	Segments func(ctx context.Context) ([]*burst.Segment, error)
	// Contacts lists the ground-station contacts (the events dataset's
	// dsn_contact rows), held and missed.
	Contacts func(ctx context.Context) ([]burst.Contact, error)
}

// maxSelectionBytes bounds a submission body: a few thousand rows.
const maxSelectionBytes = 4 << 20

func unavailable(w http.ResponseWriter, what string) {
	writeError(w, http.StatusServiceUnavailable, "unavailable", what+" is not available on this SDC")
}

// reprocess starts a campaign: the body is a campaign.Request.
func (s *Server) reprocess(w http.ResponseWriter, r *http.Request) {
	if s.b.Workflows.StartCampaign == nil {
		unavailable(w, "reprocessing")
		return
	}
	var req campaign.Request
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", "the body must be a campaign request: "+err.Error())
		return
	}
	if req.Reason == "" {
		req.Reason = "requested by " + principal(r).Name
	}
	id, plan, err := s.b.Workflows.StartCampaign(r.Context(), req)
	if errors.Is(err, asl.ErrInvalidInput) {
		writeError(w, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	body := map[string]any{"execution_id": id, "dry_run": req.DryRun}
	if plan != nil {
		body["campaign_id"], body["jobs"], body["items"], body["by_reason"], body["estimate"] =
			plan.CampaignID, plan.Jobs, plan.Items, plan.ByReason, plan.Estimate
	}
	writeJSON(w, http.StatusAccepted, body)
}

// reprocessStatus describes a campaign's execution and, once it finished,
// its summary.
func (s *Server) reprocessStatus(w http.ResponseWriter, r *http.Request) {
	if s.b.Workflows.DescribeCampaign == nil {
		unavailable(w, "reprocessing")
		return
	}
	ex, err := s.b.Workflows.DescribeCampaign(r.Context(), r.PathValue("id"))
	if errors.Is(err, asl.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not-found", "no campaign "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	body := map[string]any{"execution_id": ex.ID, "name": ex.Name, "status": ex.Status, "started": ex.StartTime}
	if !ex.StopTime.IsZero() {
		body["stopped"] = ex.StopTime
	}
	if ex.Error != "" {
		body["error"], body["cause"] = ex.Error, ex.Cause
	}
	out := ex.Output
	if len(out) == 0 && ex.Error == "CampaignFailed" {
		out = json.RawMessage(ex.Cause) // the summary of a failed campaign
	}
	if len(out) > 0 && json.Valid(out) {
		body["result"] = out
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) sitlService(w http.ResponseWriter) *sitlcycle.Service {
	if s.b.Workflows.SITL == nil {
		unavailable(w, "the SITL cycle")
	}
	return s.b.Workflows.SITL
}

func (s *Server) sitlCycles(w http.ResponseWriter, r *http.Request) {
	svc := s.sitlService(w)
	if svc == nil {
		return
	}
	cs, err := svc.List(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	for _, c := range cs {
		forClients(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"cycles": nonNil(cs)})
}

// cycle finds the cycle named by the {id} path value ("current": the
// newest); it writes the error response and returns nil when there is none.
func (s *Server) cycle(w http.ResponseWriter, r *http.Request, svc *sitlcycle.Service) *sitlcycle.Cycle {
	id := r.PathValue("id")
	var c *sitlcycle.Cycle
	var err error
	if id == "" || id == "current" {
		c, err = svc.Current(r.Context())
	} else {
		c, err = svc.Get(r.Context(), id)
	}
	if errors.Is(err, sitlcycle.ErrNoCycle) {
		writeError(w, http.StatusNotFound, "not-found", err.Error())
		return nil
	}
	if err != nil {
		s.internal(w, err)
		return nil
	}
	return c
}

func (s *Server) sitlCurrent(w http.ResponseWriter, r *http.Request) {
	svc := s.sitlService(w)
	if svc == nil {
		return
	}
	if c := s.cycle(w, r, svc); c != nil {
		writeJSON(w, http.StatusOK, forClients(c))
	}
}

// forClients blanks what the cycle keeps for the state machine only: the
// task token of the wait (the API answers it on the caller's behalf; no
// client needs it, and it would let anyone holding it steer the execution).
func forClients(c *sitlcycle.Cycle) *sitlcycle.Cycle {
	c.Token = ""
	return c
}

// selectionRow is one row of a JSON submission, as the CSV columns.
type selectionRow struct {
	Start      string  `json:"start_time"` // UTC YYYY-MM-DD hh:mm:ss
	Stop       string  `json:"stop_time"`
	FOM        float64 `json:"fom"`
	SourceID   string  `json:"sourceid"`
	Discussion string  `json:"discussion"`
}

// readSelections reads a submission body: text/csv (the selections file,
// its name in ?file=) or JSON {"name": ..., "rows": [...]}. Both go through
// the CSV parser, so times are read the same way.
func readSelections(r *http.Request, w http.ResponseWriter) (string, []sitl.Row, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSelectionBytes))
	if err != nil {
		return "", nil, fmt.Errorf("read body: %w", err)
	}
	name := r.URL.Query().Get("file")
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "text/csv" && mt != "text/plain" {
		var in struct {
			Name string         `json:"name"`
			Rows []selectionRow `json:"rows"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return "", nil, fmt.Errorf("want JSON {\"name\", \"rows\": [{start_time, stop_time, fom, sourceid, discussion}]} or a text/csv body: %w", err)
		}
		if in.Name != "" {
			name = in.Name
		}
		var b strings.Builder
		for _, row := range in.Rows {
			fmt.Fprintf(&b, "%s, %s, %s, %s, %s\n", row.Start, row.Stop, strconv.FormatFloat(row.FOM, 'f', -1, 64),
				strings.ReplaceAll(row.SourceID, ",", " "), strings.NewReplacer("\n", " ", "\r", " ").Replace(row.Discussion))
		}
		body = []byte(b.String())
	}
	rows, err := sitl.ParseCSV(bytes.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	if len(rows) == 0 {
		return "", nil, errors.New("no selections in the body")
	}
	if name == "" {
		name = "api"
	}
	return name, rows, nil
}

// cycleSelections reads what the selection routes share: the SITL
// service, the cycle named in the path and the selections in the body. It
// writes the error response and reports false when one is missing.
func (s *Server) cycleSelections(w http.ResponseWriter, r *http.Request) (*sitlcycle.Service, *sitlcycle.Cycle, string, []sitl.Row, bool) {
	svc := s.sitlService(w)
	if svc == nil {
		return nil, nil, "", nil, false
	}
	c := s.cycle(w, r, svc)
	if c == nil {
		return nil, nil, "", nil, false
	}
	name, rows, err := readSelections(r, w)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", err.Error())
		return nil, nil, "", nil, false
	}
	return svc, c, name, rows, true
}

// sitlValidate checks selections against the cycle without submitting.
func (s *Server) sitlValidate(w http.ResponseWriter, r *http.Request) {
	svc, c, _, rows, ok := s.cycleSelections(w, r)
	if !ok {
		return
	}
	res := svc.Check(c, rows)
	writeJSON(w, http.StatusOK, map[string]any{"cycle_id": c.ID, "rows": len(rows), "verdict": verdictOf(res),
		"findings": nonNil(res.Findings)})
}

func verdictOf(r sitl.Result) string {
	switch {
	case r.Has(sitl.Error):
		return sitlcycle.VerdictRejected
	case r.Has(sitl.Approval):
		return sitlcycle.VerdictNeedsApproval
	}
	return sitlcycle.VerdictAccepted
}

// sitlSubmit validates selections and, without errors, records them for the
// cycle (handed to the waiting state machine at once). Selections with
// errors are refused with 422 and the findings, as `magpie sitl submit`.
func (s *Server) sitlSubmit(w http.ResponseWriter, r *http.Request) {
	svc, c, name, rows, ok := s.cycleSelections(w, r)
	if !ok {
		return
	}
	if res := svc.Check(c, rows); res.Has(sitl.Error) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "rejected", "cycle_id": c.ID,
			"message": "the selections have errors; nothing was submitted", "findings": res.Findings})
		return
	}
	sub, err := svc.Submit(r.Context(), c.ID, name, rows)
	if errors.Is(err, sitlcycle.ErrClosed) {
		writeError(w, http.StatusConflict, "closed", err.Error())
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"cycle_id": c.ID, "submission": sub.Seq, "verdict": sub.Verdict,
		"findings": nonNil(sub.Findings)})
}

// sitlApprove records a super-SITL's decision: {"approved": true|false}.
func (s *Server) sitlApprove(w http.ResponseWriter, r *http.Request) {
	svc := s.sitlService(w)
	if svc == nil {
		return
	}
	c := s.cycle(w, r, svc)
	if c == nil {
		return
	}
	var in struct {
		Approved *bool `json:"approved"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil || in.Approved == nil {
		writeError(w, http.StatusBadRequest, "bad-request", `the body must be {"approved": true} or {"approved": false}`)
		return
	}
	c, err := svc.Approve(r.Context(), c.ID, principal(r).Name, *in.Approved)
	if errors.Is(err, sitlcycle.ErrClosed) {
		writeError(w, http.StatusConflict, "closed", err.Error())
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cycle_id": c.ID, "submission": c.Approval.Submission,
		"approved": c.Approval.Approved, "by": c.Approval.By})
}

// latisSegments serves the LaTiS dataset mms_burst_data_segment.csv:
// filters and projection from the query string.
func (s *Server) latisSegments(w http.ResponseWriter, r *http.Request) {
	if s.b.Workflows.Segments == nil {
		unavailable(w, "the burst segment dataset")
		return
	}
	segs, err := s.b.Workflows.Segments(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	var buf bytes.Buffer
	if err := latis.SegmentsCSV(&buf, segs, r.URL.RawQuery); err != nil {
		writeError(w, http.StatusBadRequest, "bad-query", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Write(buf.Bytes())
}
