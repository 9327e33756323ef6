package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

func badRequest(w http.ResponseWriter, err error) {
	writeError(w, http.StatusBadRequest, "bad-request", err.Error())
}

// searchFiles is GET /api/v1/files: any catalog field, a time range on the
// time tag, version rules, paged with an opaque cursor.
func (s *Server) searchFiles(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		badRequest(w, err)
		return
	}
	kind := r.Form.Get("kind")
	if kind == "" {
		kind = catalog.KindScience
	}
	f := catalog.Filter{Kind: kind, SC: formList(r, true, "sc_id"), Instrument: formList(r, true, "instrument_id"),
		Rate: formList(r, true, "data_rate_mode"), Level: formList(r, true, "data_level"),
		Descriptor: formList(r, true, "descriptor"), Product: formList(r, true, "product"), Ext: formList(r, true, "ext"),
		Names: formList(r, false, "file"), Version: r.Form.Get("version"), AllVersions: r.Form.Get("all_versions") == "true"}
	var err error
	if f.From, err = formDate(r, "start_date"); err == nil {
		f.To, err = formDate(r, "end_date")
	}
	if err != nil {
		badRequest(w, err)
		return
	}
	limit, offset := 1000, 0
	if v := r.Form.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 10000 {
			badRequest(w, errors.New("limit is a number from 1 to 10000"))
			return
		}
	}
	if c := r.Form.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err == nil {
			offset, err = strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		}
		if err != nil || offset < 0 {
			badRequest(w, errors.New("bad cursor"))
			return
		}
	}
	team := s.teamView(r)
	var recs []catalog.Record
	if s.restrict(&f, team) {
		if recs, err = s.b.Catalog.Query(r.Context(), f); err != nil {
			s.internal(w, err)
			return
		}
		recs = s.filterVisible(team, recs)
	}
	next := ""
	if offset > len(recs) {
		offset = len(recs)
	}
	recs = recs[offset:]
	if len(recs) > limit {
		recs = recs[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset+limit)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": nonNil(recs), "cursor": next})
}

// changes is the ingestion-time change feed; public callers get the
// released records of it.
func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			badRequest(w, fmt.Errorf("since: want RFC 3339 (2006-01-02T15:04:05Z): %w", err))
			return
		}
		since = t
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	ch, err := s.b.Catalog.Changes(r.Context(), since, q.Get("cursor"), limit, s.b.Clock.Now())
	if err != nil {
		s.internal(w, err)
		return
	}
	ch.Records = nonNil(s.filterVisible(s.teamView(r), ch.Records))
	writeJSON(w, http.StatusOK, ch)
}

func (s *Server) fileMeta(w http.ResponseWriter, r *http.Request) {
	if rec, ok := s.lookup(w, r); ok {
		writeJSON(w, http.StatusOK, rec)
	}
}

func (s *Server) products(w http.ResponseWriter, r *http.Request) {
	ps, err := s.b.Catalog.Products(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	team := s.teamView(r)
	out := ps[:0]
	for _, p := range ps {
		if team || p.Kind == catalog.KindAncillary || p.Kind == catalog.KindScience && s.b.Profile.IsPublicLevel(p.Level) {
			out = append(out, p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": nonNil(out)})
}

// availability counts the visible files per UTC day of the time tag.
func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		badRequest(w, err)
		return
	}
	f := catalog.Filter{Kind: catalog.KindScience, SC: formList(r, true, "sc_id"), Instrument: formList(r, true, "instrument_id"),
		Rate: formList(r, true, "data_rate_mode"), Level: formList(r, true, "data_level"), Descriptor: formList(r, true, "descriptor")}
	var err error
	if f.From, err = formDate(r, "start_date"); err == nil {
		f.To, err = formDate(r, "end_date")
	}
	if err != nil {
		badRequest(w, err)
		return
	}
	days := map[string]int{}
	team := s.teamView(r)
	if s.restrict(&f, team) {
		recs, err := s.b.Catalog.Query(r.Context(), f)
		if err != nil {
			s.internal(w, err)
			return
		}
		for _, rec := range s.filterVisible(team, recs) {
			days[rec.Start.UTC().Format(time.DateOnly)]++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": days})
}

func (s *Server) releaseNotes(w http.ResponseWriter, r *http.Request) {
	notes, err := s.b.Release.Notes(r.Context(), r.PathValue("instrument"))
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": nonNil(notes)})
}

func (s *Server) approvals(w http.ResponseWriter, r *http.Request) {
	as, err := s.b.Release.Approvals(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"approvals": nonNil(as)})
}

// releaseRequest is the body of POST /api/v1/releases.
type releaseRequest struct {
	Action     string   `json:"action"` // release | unrelease
	Kind       string   `json:"kind"`
	SC         []string `json:"sc_id"`
	Instrument []string `json:"instrument_id"`
	Rate       []string `json:"data_rate_mode"`
	Level      []string `json:"data_level"`
	Descriptor []string `json:"descriptor"`
	Product    []string `json:"product"`
	StartDate  string   `json:"start_date"`
	EndDate    string   `json:"end_date"`
	Release    string   `json:"release"`
	Notes      string   `json:"notes"`
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body must be a JSON object of the documented fields: %w", err)
	}
	return nil
}

func (s *Server) releaseOp(w http.ResponseWriter, r *http.Request) {
	var req releaseRequest
	if err := decodeBody(r, &req); err != nil {
		badRequest(w, err)
		return
	}
	scope := release.Scope{Kind: req.Kind, SC: req.SC, Instrument: req.Instrument, Rate: req.Rate, Level: req.Level,
		Descriptor: req.Descriptor, Product: req.Product}
	var err error
	for _, d := range []struct {
		s string
		t *time.Time
	}{{req.StartDate, &scope.From}, {req.EndDate, &scope.To}} {
		if d.s != "" {
			if *d.t, err = parseDate(d.s); err != nil {
				badRequest(w, err)
				return
			}
		}
	}
	by := principal(r).Name
	var note release.Note
	switch req.Action {
	case "release":
		note, err = s.b.Release.Release(r.Context(), scope, req.Release, req.Notes, by)
	case "unrelease":
		note, err = s.b.Release.Unrelease(r.Context(), scope, req.Notes, by)
	default:
		badRequest(w, errors.New(`action is "release" or "unrelease"`))
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, note)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Instrument string `json:"instrument_id"`
		Level      string `json:"data_level"`
		Revoke     bool   `json:"revoke"`
	}
	if err := decodeBody(r, &req); err != nil {
		badRequest(w, err)
		return
	}
	var err error
	if req.Revoke {
		err = s.b.Release.Revoke(r.Context(), req.Instrument, req.Level)
	} else {
		err = s.b.Release.Approve(r.Context(), req.Instrument, req.Level, principal(r).Name)
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	s.approvals(w, r)
}

func (s *Server) autoRelease(w http.ResponseWriter, r *http.Request) {
	n, err := s.b.Release.AutoRelease(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"released": n})
}

// login exchanges a password (HTTP Basic, or form fields username and
// password) for a bearer token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.b.Issuer == nil || s.b.Passwords == nil {
		writeError(w, http.StatusNotImplemented, "no-login", "this server issues no tokens")
		return
	}
	p := principal(r)
	if p.Anonymous() {
		if err := r.ParseForm(); err != nil {
			badRequest(w, err)
			return
		}
		var err error
		p, err = s.b.Passwords.Authenticate(r.Context(), r.PostForm.Get("username"), r.PostForm.Get("password"))
		if errors.Is(err, auth.ErrBadCredentials) {
			challenge(w)
			writeError(w, http.StatusUnauthorized, "bad-credentials", "the user name or password is not valid")
			return
		}
		if err != nil {
			s.internal(w, err)
			return
		}
	}
	tok, exp, err := s.b.Issuer.Issue(p)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "token_type": "Bearer", "expires": exp.Format(time.RFC3339), "roles": p.Roles})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	writeJSON(w, http.StatusOK, map[string]any{"username": p.Name, "roles": nonNil(p.Roles), "anonymous": p.Anonymous(), "team": p.Can(auth.PermTeam)})
}

// parseDate accepts the web-service forms and RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := timeutil.ParseServiceDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return t, nil
}
