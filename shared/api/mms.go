package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// mmsRequest is a parsed MMS web-service query.
type mmsRequest struct {
	filters []catalog.Filter // one, or two for ancillary (definitive, predicted)
	empty   bool             // the answer is empty whatever the catalog holds
	noQuery bool             // no parameters at all: "the latest"
	hasName bool
}

// mmsKinds maps a service type to the catalog kind and selection type.
func mmsKind(typ string) (kind, product string, ok bool) {
	switch typ {
	case "science":
		return catalog.KindScience, "", true
	case "ancillary":
		return catalog.KindAncillary, "", true
	case "hk", "fom_validation":
		return "", "", true // types the MMS SDC knows that Magpie does not catalog
	}
	for _, t := range naming.SelectionTypes() {
		if string(t) == typ {
			return catalog.KindSelection, typ, true
		}
	}
	return "", "", false
}

// formList returns the comma-separated values of a parameter, from the query
// string and a form-encoded POST body alike.
func formList(r *http.Request, lower bool, names ...string) []string {
	var out []string
	for _, n := range names {
		for _, v := range r.Form[n] {
			for _, x := range strings.Split(v, ",") {
				x = strings.TrimSpace(x)
				if lower {
					x = strings.ToLower(x)
				}
				if x != "" {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

func formDate(r *http.Request, names ...string) (time.Time, error) {
	for _, n := range names {
		if v := strings.TrimSpace(r.Form.Get(n)); v != "" {
			t, err := timeutil.ParseServiceDate(v)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s: %w", n, err)
			}
			return t, nil
		}
	}
	return time.Time{}, nil
}

func (s *Server) parseMMS(r *http.Request, typ string, public bool) (mmsRequest, int, error) {
	if err := r.ParseForm(); err != nil {
		return mmsRequest{}, http.StatusBadRequest, fmt.Errorf("unreadable query or form: %w", err)
	}
	kind, selType, ok := mmsKind(typ)
	if !ok {
		return mmsRequest{}, http.StatusNotFound, fmt.Errorf("unknown type %q", typ)
	}
	q := mmsRequest{noQuery: len(r.Form) == 0}
	if kind == "" {
		q.empty = true
		return q, 0, nil
	}
	f := catalog.Filter{Kind: kind, SC: formList(r, true, "sc_id"), Instrument: formList(r, true, "instrument_id"),
		Rate: formList(r, true, "data_rate_mode"), Level: formList(r, true, "data_level"),
		Descriptor: formList(r, true, "descriptor"), Product: formList(r, true, "product"),
		Names: formList(r, false, "file", "files")}
	q.hasName = len(f.Names) > 0
	if v := strings.TrimSpace(r.Form.Get("version")); v != "" {
		f.Version = v
	}
	var err error
	from, to := []string{"start_date"}, []string{"end_date"}
	if kind == catalog.KindSelection {
		f.Product = []string{selType}
		from, to = []string{"start_time", "start_date"}, []string{"end_time", "end_date"}
	}
	if f.From, err = formDate(r, from...); err != nil {
		return q, http.StatusBadRequest, err
	}
	if f.To, err = formDate(r, to...); err != nil {
		return q, http.StatusBadRequest, err
	}
	if !s.restrict(&f, !public) {
		q.empty = true
		return q, 0, nil
	}
	if kind != catalog.KindAncillary {
		q.filters = []catalog.Filter{f}
		return q, 0, nil
	}
	// Predicted ancillary products ignore dates: query them apart.
	products := f.Product
	if len(products) == 0 {
		for _, a := range s.b.Profile.Ancillary {
			products = append(products, a.ID)
		}
	}
	var definitive, predicted []string
	for _, p := range products {
		if a := s.b.Profile.AncillaryProduct(p); a != nil && a.Predicted {
			predicted = append(predicted, p)
		} else {
			definitive = append(definitive, p)
		}
	}
	if len(definitive) > 0 {
		d := f
		d.Product = definitive
		q.filters = append(q.filters, d)
	}
	if len(predicted) > 0 {
		p := f
		p.Product, p.IgnoreDates = predicted, true
		q.filters = append(q.filters, p)
	}
	return q, 0, nil
}

// find runs a parsed query and applies the visibility rule again.
func (s *Server) find(r *http.Request, typ string, q mmsRequest, public bool) ([]catalog.Record, error) {
	if q.empty {
		return nil, nil
	}
	team := !public && s.teamView(r)
	if q.noQuery {
		kind, _, _ := mmsKind(typ)
		return s.recentVisible(r.Context(), kind, team, 100)
	}
	var out []catalog.Record
	for _, f := range q.filters {
		recs, err := s.b.Catalog.Query(r.Context(), f)
		if err != nil {
			return nil, err
		}
		if out == nil && len(recs) > 0 {
			out = recs // one filter, the common case: no copy
			continue
		}
		out = append(out, recs...)
	}
	return s.filterVisible(team, out), nil
}

// mmsService serves file_info, file_names, version_info, download and
// day_info under one prefix.
func (s *Server) mmsService(public bool, service string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		typ := r.PathValue("type")
		q, code, err := s.parseMMS(r, typ, public)
		if err != nil {
			writeError(w, code, http.StatusText(code), err.Error())
			return
		}
		if service == "download" && !q.hasName && q.noQuery {
			// pySPEDAS's login probe lands here: anything but 401 means "logged in".
			writeError(w, http.StatusBadRequest, "no-file", "name the file(s) with file=NAME[,NAME...] or give filters")
			return
		}
		if service == "day_info" && typ != "ancillary" {
			writeError(w, http.StatusNotFound, "not-found", "day_info serves the ancillary type only")
			return
		}
		recs, err := s.find(r, typ, q, public)
		if err != nil {
			s.internal(w, err)
			return
		}
		switch service {
		case "file_info":
			writeFileInfo(w, recs)
		case "file_names":
			writeFileNames(w, recs)
		case "version_info":
			writeVersionInfo(w, recs)
		case "day_info":
			writeDayInfo(w, recs)
		case "download":
			s.download(w, r, recs)
		}
	}
}

// fileInfo is one object of file_info; field order is the MMS SDC's.
type fileInfo struct {
	Name      string `json:"file_name"`
	Size      int64  `json:"file_size"`
	Timetag   string `json:"timetag,omitempty"`
	StartDate string `json:"start_date,omitempty"`
	EndDate   string `json:"end_date,omitempty"`
	Modified  string `json:"modified_date"`
}

func infoOf(r catalog.Record) fileInfo {
	fi := fileInfo{Name: r.Name, Size: r.Size, Modified: timeutil.FormatTimetag(r.Ingested)}
	if r.Kind == catalog.KindAncillary {
		fi.StartDate, fi.EndDate = timeutil.FormatTimetag(r.Start), timeutil.FormatTimetag(r.End)
	} else {
		fi.Timetag = timeutil.FormatTimetag(r.Start)
	}
	return fi
}

// writeFileInfo writes the compact one-line {"files":[...]} IDL parses
// naively. It appends by hand, field by field in fileInfo's order, the
// bytes json.Marshal would give (TestFileInfoEncoding holds it to that):
// this is the web services' hottest answer, and reflection was a seventh
// of its cost.
func writeFileInfo(w http.ResponseWriter, recs []catalog.Record) {
	buf := make([]byte, 0, 16+len(recs)*160)
	buf = append(buf, `{"files":[`...)
	for i, r := range recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendFileInfo(buf, r)
	}
	buf = append(buf, `]}`...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.Write(buf)
}

// appendFileInfo appends the JSON of infoOf(r).
func appendFileInfo(buf []byte, r catalog.Record) []byte {
	buf = append(buf, `{"file_name":`...)
	buf = appendJSONString(buf, r.Name)
	buf = append(buf, `,"file_size":`...)
	buf = strconv.AppendInt(buf, r.Size, 10)
	if r.Kind == catalog.KindAncillary {
		buf = append(buf, `,"start_date":"`...)
		buf = appendTimetag(buf, r.Start)
		buf = append(buf, `","end_date":"`...)
		buf = appendTimetag(buf, r.End)
	} else {
		buf = append(buf, `,"timetag":"`...)
		buf = appendTimetag(buf, r.Start)
	}
	buf = append(buf, `","modified_date":"`...)
	buf = appendTimetag(buf, r.Ingested)
	return append(buf, `"}`...)
}

// appendTimetag appends timeutil.FormatTimetag(t) digit by digit, which
// is several times cheaper than interpreting the layout.
func appendTimetag(buf []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(buf, timeutil.LayoutTimetag)
	}
	hour, minute, sec := t.Clock()
	two := func(buf []byte, n int) []byte { return append(buf, byte('0'+n/10), byte('0'+n%10)) }
	buf = two(two(buf, year/100), year%100)
	buf = two(append(buf, '-'), int(month))
	buf = two(append(buf, '-'), day)
	buf = two(append(buf, 'T'), hour)
	buf = two(append(buf, ':'), minute)
	return two(append(buf, ':'), sec)
}

// appendJSONString appends s as a JSON string the way encoding/json does:
// printable ASCII other than the characters it escapes goes as is, and
// anything else through json.Marshal itself.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// newestFirst orders records by time tag, then version, descending.
func newestFirst(recs []catalog.Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.After(b.Start)
		}
		va, ea := naming.ParseVersion(a.Version)
		vb, eb := naming.ParseVersion(b.Version)
		if ea == nil && eb == nil && va.Compare(vb) != 0 {
			return va.Compare(vb) > 0
		}
		return a.Name > b.Name
	})
}

// writeFileNames writes one comma-separated line, newest first; an empty
// body when nothing matches.
func writeFileNames(w http.ResponseWriter, recs []catalog.Record) {
	newestFirst(recs)
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = r.Name
	}
	body := strings.Join(names, ",")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Write([]byte(body))
}

type versionInfo struct {
	SC         string `json:"sc_id,omitempty"`
	Instrument string `json:"instrument_id,omitempty"`
	Rate       string `json:"data_rate_mode,omitempty"`
	Level      string `json:"data_level,omitempty"`
	Descriptor string `json:"descriptor,omitempty"`
	Product    string `json:"product,omitempty"`
	Version    string `json:"version"`
}

// writeVersionInfo answers the highest version per product type.
func writeVersionInfo(w http.ResponseWriter, recs []catalog.Record) {
	best := map[string]int{}
	var order []string
	for i, r := range recs {
		k := r.ProductKey()
		j, ok := best[k]
		if !ok {
			best[k] = i
			order = append(order, k)
			continue
		}
		if higherVersion(r, recs[j]) {
			best[k] = i
		}
	}
	sort.Strings(order)
	out := make([]versionInfo, 0, len(order))
	for _, k := range order {
		r := recs[best[k]]
		out = append(out, versionInfo{SC: r.SC, Instrument: r.Instrument, Rate: r.Rate, Level: r.Level,
			Descriptor: r.Descriptor, Product: r.Product, Version: r.Version})
	}
	b, _ := json.Marshal(map[string]any{"versions": out})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func higherVersion(a, b catalog.Record) bool {
	va, ea := naming.ParseVersion(a.Version)
	vb, eb := naming.ParseVersion(b.Version)
	if ea == nil && eb == nil {
		return va.Compare(vb) > 0
	}
	return len(a.Version) > len(b.Version) || len(a.Version) == len(b.Version) && a.Version > b.Version
}

// writeDayInfo answers a JSON array of objects with file_name (and the dates).
func writeDayInfo(w http.ResponseWriter, recs []catalog.Record) {
	out := make([]fileInfo, len(recs))
	for i, r := range recs {
		out[i] = infoOf(r)
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// mmsUpload is the MMS upload service: the bytes go through the dropbox and
// the indexer; the answer is the SDC's plain text.
func (s *Server) mmsUpload(w http.ResponseWriter, r *http.Request) {
	if sel, ok := submittedSelection(r.URL.Query().Get("file")); ok && s.b.Workflows.SITL != nil {
		s.mmsUploadSelections(w, r, sel) // upload_selections.go
		return
	}
	rec := &statusRecorder{ResponseWriter: w, header: http.Header{}}
	s.upload(rec, r)
	s.mmsUploadAnswer(w, rec)
}

// mmsUploadAnswer turns the JSON upload answer into the MMS service's.
func (s *Server) mmsUploadAnswer(w http.ResponseWriter, rec *statusRecorder) {
	switch {
	case rec.status == http.StatusCreated || rec.status == http.StatusOK || rec.status == http.StatusAccepted:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("File successfully uploaded."))
	case rec.status == http.StatusUnprocessableEntity || rec.status == http.StatusConflict:
		// The MMS service knows 400 for a file it will not take.
		copyHeader(w.Header(), rec.header)
		w.WriteHeader(http.StatusBadRequest)
		w.Write(rec.body.Bytes())
	default:
		copyHeader(w.Header(), rec.header)
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
	}
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = slices.Clone(v)
	}
}

// statusRecorder captures a handler's small JSON answer.
type statusRecorder struct {
	http.ResponseWriter
	header http.Header
	status int
	body   bytes.Buffer
}

func (s *statusRecorder) Header() http.Header { return s.header }
func (s *statusRecorder) WriteHeader(c int)   { s.status = c }
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.body.Write(b)
}

// latisProperties answers the team LaTiS login probe with non-empty text.
func (s *Server) latisProperties(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "version = magpie-latis-1\nmission = %s\n", s.b.Profile.ID)
}
