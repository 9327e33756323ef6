package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/store"
)

// maxListed bounds the jobs and segments one answer lists.
const maxListed = 1000

// limitParam reads the limit parameter: 1..maxListed, default def.
func limitParam(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxListed {
		return 0, fmt.Errorf("limit is a number from 1 to %d", maxListed)
	}
	return n, nil
}

// jobs lists processing jobs, newest first, with the count per status.
func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	if s.b.Jobs == nil {
		unavailable(w, "the jobs table")
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" && !slices.Contains(pipeline.Statuses, status) {
		writeError(w, http.StatusBadRequest, "bad-request", "status is one of "+strings.Join(pipeline.Statuses, ", "))
		return
	}
	limit, err := limitParam(r, 200)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	counts, err := s.b.Jobs.Counts(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	// List is newest first within a status: the newest limit of all are
	// among the newest limit of each.
	statuses := pipeline.Statuses
	if status != "" {
		statuses = []string{status}
	}
	var js []pipeline.Job
	for _, st := range statuses {
		some, err := s.b.Jobs.List(r.Context(), st, limit)
		if err != nil {
			s.internal(w, err)
			return
		}
		js = append(js, some...)
	}
	sort.SliceStable(js, func(i, j int) bool { return js[i].Created.After(js[j].Created) })
	js = js[:min(len(js), limit)]
	writeJSON(w, http.StatusOK, map[string]any{"counts": counts, "jobs": nonNil(js)})
}

// job is one processing job: inputs, outputs, timings, error.
func (s *Server) job(w http.ResponseWriter, r *http.Request) {
	if s.b.Jobs == nil {
		unavailable(w, "the jobs table")
		return
	}
	j, err := s.b.Jobs.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not-found", "no job "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// burstSegments lists the BDM's burst segments, newest first, optionally
// of one status.
func (s *Server) burstSegments(w http.ResponseWriter, r *http.Request) {
	if s.b.Workflows.Segments == nil {
		unavailable(w, "the burst data manager")
		return
	}
	// status=HELD lists the segments with that flag (HELD+MODIFIED too).
	status, err := burst.ParseStatus(r.URL.Query().Get("status"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	limit, err := limitParam(r, maxListed)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	segs, err := s.b.Workflows.Segments(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	out := make([]*burst.Segment, 0, min(len(segs), limit))
	for _, sg := range segs {
		if sg.Status.Has(status) {
			out = append(out, sg)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	writeJSON(w, http.StatusOK, map[string]any{"segments": out})
}

// campaignList lists the reprocessing campaigns, newest first: running
// ones from their executions, finished ones with their summaries.
func (s *Server) campaignList(w http.ResponseWriter, r *http.Request) {
	wf := s.b.Workflows
	if wf.ListCampaigns == nil && wf.Campaigns == nil {
		unavailable(w, "reprocessing")
		return
	}
	cs, err := s.campaigns(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": nonNil(cs)})
}
