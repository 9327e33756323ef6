package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
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
	limit := 1000
	if v := r.Form.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 10000 {
			badRequest(w, errors.New("limit is a number from 1 to 10000"))
			return
		}
	}
	query := searchQueryID(r.Form)
	after := ""
	if c := r.Form.Get("cursor"); c != "" {
		if after, err = decodeSearchCursor(c, query); err != nil {
			badRequest(w, err)
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
	page, next := pageAfter(recs, after, limit)
	answer := map[string]any{"files": nonNil(page)}
	if next != "" {
		answer["next_cursor"] = encodeSearchCursor(next, query)
	}
	writeJSON(w, http.StatusOK, answer)
}

// pageAfter orders recs by their order key and returns up to limit of those
// after the key after, and the last key returned when more follow. Paging by
// key rather than offset keeps pages stable while files arrive: a file added
// before the cursor's position is simply not in this scan, and none shifts.
func pageAfter(recs []catalog.Record, after string, limit int) ([]catalog.Record, string) {
	keys := make([]string, len(recs))
	for i, rec := range recs {
		keys[i] = rec.OrderKey()
	}
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	start := sort.Search(len(idx), func(i int) bool { return keys[idx[i]] > after })
	idx = idx[start:]
	next := ""
	if len(idx) > limit {
		idx = idx[:limit]
		next = keys[idx[limit-1]]
	}
	page := make([]catalog.Record, len(idx))
	for i, j := range idx {
		page[i] = recs[j]
	}
	return page, next
}

// searchCursor is the opaque next_cursor of GET /api/v1/files: the last
// order key returned and a digest of the query it belongs to, so a cursor
// of another query (or another API) is refused rather than misread.
type searchCursor struct {
	Version string `json:"v"`
	After   string `json:"a"`
	Query   string `json:"q"`
}

const searchCursorVersion = "files1"

// searchQueryID digests the query parameters that select files (all but
// cursor and limit, which may change between pages).
func searchQueryID(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "cursor" && k != "limit" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, form[k])
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

func encodeSearchCursor(after, query string) string {
	b, _ := json.Marshal(searchCursor{Version: searchCursorVersion, After: after, Query: query})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSearchCursor(s, query string) (string, error) {
	var c searchCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Version != searchCursorVersion || c.After == "" {
		return "", errors.New("cursor: not a cursor of this API; pass next_cursor of the previous answer unchanged")
	}
	if c.Query != query {
		return "", errors.New("cursor: it belongs to another search; repeat the same parameters (only limit may change)")
	}
	return c.After, nil
}

// changes is the change feed mirrors follow: every record at the time of
// its last visible change (indexed, released, unreleased). Team callers get
// every record. Public callers get released records, and a withdrawn file
// (unreleased after being released, so its name was public) as a tombstone
// of name, change and time only, so a mirror can delete it; the names of
// files that were never public never appear.
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
	limit := 0
	if v := q.Get("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			badRequest(w, errors.New("limit is a number from 1 to 1000"))
			return
		}
	}
	ch, err := s.b.Catalog.Changes(r.Context(), since, q.Get("cursor"), limit, s.b.Clock.Now())
	if err != nil {
		s.internal(w, err)
		return
	}
	team := s.teamView(r)
	files := make([]any, 0, len(ch.Records))
	for _, rec := range ch.Records {
		switch {
		case s.visible(team, rec):
			files = append(files, rec)
		case rec.Change == catalog.ChangeUnreleased && s.wasPublic(rec):
			files = append(files, tombstone{Name: rec.Name, Change: rec.Change, Changed: rec.Changed})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": files, "cursor": ch.Cursor, "more": ch.More})
}

// tombstone is what the public feed says of a withdrawn file.
type tombstone struct {
	Name    string    `json:"file_name"`
	Change  string    `json:"change"`
	Changed time.Time `json:"changed"`
}

// wasPublic reports whether an unreleased record is of a kind and level the
// public could have seen while it was released.
func (s *Server) wasPublic(rec catalog.Record) bool {
	rec.Released = true
	return s.visible(false, rec)
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
