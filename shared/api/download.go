package api

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/store"
)

// download answers the bytes of one record, or a zip of several, or 404.
func (s *Server) download(w http.ResponseWriter, r *http.Request, recs []catalog.Record) {
	switch {
	case len(recs) == 0:
		writeError(w, http.StatusNotFound, "not-found", "no file matches")
	case len(recs) == 1:
		s.serveFile(w, r, recs[0])
	default:
		s.serveZip(w, r, recs)
	}
}

// downloadByName is GET /api/v1/files/{name}/download.
func (s *Server) downloadByName(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.lookup(w, r)
	if ok {
		s.serveFile(w, r, rec)
	}
}

// lookup reads the record of the {name} path value; an invisible file is
// "not found", exactly like a missing one, so existence does not leak.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (catalog.Record, bool) {
	name := r.PathValue("name")
	rec, err := s.b.Catalog.Get(r.Context(), name)
	if err == nil && !s.visible(s.teamView(r), rec) {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not-found", "no file named "+name)
		return rec, false
	}
	if err != nil {
		s.internal(w, err)
		return rec, false
	}
	return rec, true
}

// serveFile streams one archived file with Content-Length, honouring
// If-Modified-Since (304) and a single byte range (206/416). With Presign
// set it redirects to a short-lived URL instead.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rec catalog.Record) {
	modified := rec.Ingested.UTC().Truncate(time.Second)
	h := w.Header()
	h.Set("Last-Modified", modified.Format(http.TimeFormat))
	if rec.SHA256 != "" {
		h.Set("ETag", `"`+rec.SHA256+`"`)
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !modified.After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if s.b.Presign != nil {
		u, err := s.b.Presign(r.Context(), rec.ArchiveKey, rec.Name)
		if err != nil {
			s.internal(w, fmt.Errorf("presign %s: %w", rec.Name, err))
			return
		}
		http.Redirect(w, r, u, http.StatusTemporaryRedirect)
		return
	}
	size := rec.Size
	var rng *store.Range
	status := http.StatusOK
	if spec := r.Header.Get("Range"); spec != "" {
		start, end, ok := parseRange(spec, size)
		switch {
		case !ok:
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			writeError(w, http.StatusRequestedRangeNotSatisfiable, "bad-range", "the range is outside the file")
			return
		case start >= 0:
			rng = &store.Range{Start: start, End: end}
			status = http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, size))
			size = end - start + 1
		}
	}
	body, _, err := s.b.Archive.Get(r.Context(), rec.ArchiveKey, rng)
	if err != nil {
		s.internal(w, fmt.Errorf("open %s: %w", rec.Name, err))
		return
	}
	defer body.Close()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+rec.Name+`"`)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, body); err != nil {
		s.b.Log.Warn("download interrupted", "file", rec.Name, "err", err)
	}
}

// parseRange reads one "bytes=a-b", "bytes=a-" or "bytes=-n" range. Several
// ranges are answered with the whole file (start -1), as RFC 9110 allows.
func parseRange(spec string, size int64) (start, end int64, ok bool) {
	v, found := strings.CutPrefix(spec, "bytes=")
	if !found || strings.Contains(v, ",") {
		return -1, -1, true
	}
	a, b, found := strings.Cut(strings.TrimSpace(v), "-")
	if !found {
		return -1, -1, true
	}
	if a == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end = size - 1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		end = min(e, size-1)
	}
	return start, end, true
}

// serveZip streams several files as one zip (stored, not compressed: CDF
// files are mostly compressed already and throughput matters more), within
// the caps; beyond them the answer is a JSON error naming the caps.
func (s *Server) serveZip(w http.ResponseWriter, r *http.Request, recs []catalog.Record) {
	var total int64
	for _, rec := range recs {
		total += rec.Size
	}
	if len(recs) > s.b.MaxZipFiles || total > s.b.MaxZipBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "too-many-files",
			fmt.Sprintf("the query matches %d files (%d bytes); one download holds at most %d files and %d bytes — narrow the query or download the files one by one",
				len(recs), total, s.b.MaxZipFiles, s.b.MaxZipBytes))
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="mms_files.zip"`)
	zw := zip.NewWriter(w)
	for _, rec := range recs {
		if err := s.zipOne(r, zw, rec); err != nil {
			// Headers are gone: the best signal left is a truncated zip.
			s.b.Log.Error("zip download failed", "file", rec.Name, "err", err)
			return
		}
	}
	if err := zw.Close(); err != nil {
		s.b.Log.Warn("zip download interrupted", "err", err)
	}
}

func (s *Server) zipOne(r *http.Request, zw *zip.Writer, rec catalog.Record) error {
	body, _, err := s.b.Archive.Get(r.Context(), rec.ArchiveKey, nil)
	if err != nil {
		return err
	}
	defer body.Close()
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: rec.Name, Method: zip.Store, Modified: rec.Ingested.UTC()})
	if err != nil {
		return err
	}
	_, err = io.Copy(fw, body)
	return err
}
