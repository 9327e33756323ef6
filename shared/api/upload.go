package api

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/store"
)

// upload accepts one file: POST or PUT /api/v1/upload?file=NAME with the raw
// bytes as the body and a Content-Length. An optional expected SHA-256 (hex
// in X-Checksum-SHA256, or an RFC 9530 Content-Digest: sha-256=:base64:) is
// verified before anything is stored. The file goes through the dropbox and
// the indexer like any other; the answer says what became of it.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("file")
	if name == "" || name != path.Base(name) || strings.HasPrefix(name, ".") {
		writeError(w, http.StatusBadRequest, "bad-name", "give the file name as ?file=NAME (a bare name, no folders)")
		return
	}
	if r.ContentLength < 0 {
		writeError(w, http.StatusLengthRequired, "length-required", "send the file with a Content-Length header")
		return
	}
	if r.ContentLength > s.b.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the file is %d bytes; uploads are limited to %d", r.ContentLength, s.b.MaxUpload))
		return
	}
	want, err := expectedSHA256(r.Header)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-checksum-header", err.Error())
		return
	}
	key := "upload/" + name
	meta := map[string]string{}
	if want != "" {
		meta[ingest.MetaSHA256] = want
	}
	body := http.MaxBytesReader(w, r.Body, r.ContentLength)
	info, err := s.b.Dropbox.Put(r.Context(), key, body, store.PutOptions{CreateOnly: true, SHA256: want, Metadata: meta})
	switch {
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, "upload-pending", name+" is already waiting in the dropbox; retry in a moment")
		return
	case errors.Is(err, store.ErrInvalid) && want != "":
		writeError(w, http.StatusBadRequest, "checksum-mismatch", "the received bytes do not match the SHA-256 you sent; nothing was stored")
		return
	case err != nil:
		s.internal(w, err)
		return
	}
	if info.Size != r.ContentLength {
		s.b.Dropbox.Delete(r.Context(), key)
		writeError(w, http.StatusBadRequest, "short-body", fmt.Sprintf("received %d of %d bytes; nothing was stored", info.Size, r.ContentLength))
		return
	}
	out, err := s.b.Ingest(r.Context(), key)
	if err != nil {
		// The file is safe in the dropbox; the watcher or the next sweep
		// will index it.
		s.b.Log.Error("upload: index failed", "key", key, "err", err)
		writeJSON(w, http.StatusAccepted, map[string]any{"result": "queued", "file_name": name,
			"message": "stored in the dropbox; indexing will be retried"})
		return
	}
	status := http.StatusOK
	switch out.Result {
	case ingest.ResultIndexed:
		status = http.StatusCreated
	case ingest.ResultQuarantined:
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, out)
}

// expectedSHA256 reads the checksum the client vouches for, as lower-case hex.
func expectedSHA256(h http.Header) (string, error) {
	if v := strings.TrimSpace(h.Get("X-Checksum-SHA256")); v != "" {
		b, err := hex.DecodeString(v)
		if err != nil || len(b) != 32 {
			return "", errors.New("X-Checksum-SHA256 must be 64 hex digits")
		}
		return strings.ToLower(v), nil
	}
	for _, part := range strings.Split(h.Get("Content-Digest"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(k, "sha-256") {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.Trim(v, ":"))
		if err != nil || len(b) != 32 {
			return "", errors.New("Content-Digest sha-256 must be :base64 of 32 bytes:")
		}
		return hex.EncodeToString(b), nil
	}
	return "", nil
}
