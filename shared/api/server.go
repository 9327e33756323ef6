// Package api is Magpie's HTTP surface: one http.Handler that serves the
// local SDC (`magpie serve`) and, behind API Gateway and CloudFront, the
// deployed one. It speaks the MMS SDC web services the scientists' clients
// call (mms.go), Magpie's own JSON API (v1.go) and pages for people. Every
// route is declared once in the route table (routes.go) with the permission
// it needs; the table drives the mux, the OpenAPI document and the
// authorization tests. Every error is a status code with a JSON body; no
// handler ever answers with a stack trace.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Backend is what the API needs from the SDC it fronts.
type Backend struct {
	Profile *mission.Profile
	Catalog *catalog.Catalog
	Dropbox store.ObjectStore
	// Archive holds the files downloads read (by the record's ArchiveKey).
	Archive store.ObjectStore
	Clock   clock.Clock
	Log     *slog.Logger
	// Ingest indexes one dropbox key (the local runtime serialises it per key).
	Ingest func(ctx context.Context, key string) (ingest.Outcome, error)
	// Quarantined lists quarantine reasons, newest first.
	Quarantined func(ctx context.Context, limit int) ([]ingest.QuarantineReason, error)
	// BusStats reports event delivery counters (local runtime only).
	BusStats func() events.BusStats
	// MaxUpload caps an upload's size in bytes (default 4 GiB).
	MaxUpload int64
	Started   time.Time

	// Passwords checks HTTP Basic credentials (auth.Users locally).
	// Nil: nobody can log in, every caller is public.
	Passwords auth.PasswordChecker
	// Tokens verifies bearer tokens (auth.HMACTokens locally, Cognito on AWS).
	Tokens auth.TokenVerifier
	// Issuer, when set, lets POST /api/v1/login exchange a password for a token.
	Issuer interface {
		Issue(auth.Principal) (string, time.Time, error)
	}
	// Release runs release operations and serves release notes.
	Release *release.Service
	// Presign, when set (on AWS), makes single-file downloads answer with a
	// redirect to a short-lived URL of the archive object instead of
	// proxying the bytes.
	Presign func(ctx context.Context, key, fileName string) (string, error)
	// MaxZipFiles and MaxZipBytes cap a multi-file download (default 500
	// files, 1 GiB, as the MMS SDC does).
	MaxZipFiles int
	MaxZipBytes int64
	// Jobs, when set, feeds the team's job status page.
	Jobs *pipeline.Jobs
	// Workflows serves reprocessing campaigns, the SITL cycle and the burst
	// segment dataset (workflows.go).
	Workflows Workflows
}

// Server routes requests to the handlers.
type Server struct {
	b      Backend
	mux    *http.ServeMux
	routes []route
}

// New builds the handler.
func New(b Backend) *Server {
	if b.MaxUpload <= 0 {
		b.MaxUpload = 4 << 30
	}
	if b.MaxZipFiles <= 0 {
		b.MaxZipFiles = 500
	}
	if b.MaxZipBytes <= 0 {
		b.MaxZipBytes = 1 << 30
	}
	if b.Log == nil {
		b.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, mux: http.NewServeMux()}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.guard(rt))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not-found", fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP implements http.Handler, turning any panic into a 500 with a
// JSON body (the panic is logged, never sent to the client).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.b.Log.Error("handler panic", "path", r.URL.Path, "panic", p)
			writeError(w, http.StatusInternalServerError, "internal", "internal error; the request was logged")
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// apiError is the JSON body of every error response.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	status := http.StatusOK
	body := map[string]any{"status": "ok", "mission": s.b.Profile.ID, "time": s.b.Clock.Now().Format(time.RFC3339)}
	if !s.b.Started.IsZero() {
		body["uptime_seconds"] = int64(s.b.Clock.Now().Sub(s.b.Started).Seconds())
	}
	// A health check that does not touch the catalog would report a broken
	// store as healthy.
	if _, err := s.b.Catalog.Products(r.Context()); err != nil {
		status = http.StatusServiceUnavailable
		body["status"], body["catalog"] = "degraded", err.Error()
	}
	writeJSON(w, status, body)
}

func (s *Server) recent(w http.ResponseWriter, r *http.Request) {
	recs, err := s.recentVisible(r.Context(), "", s.teamView(r), 100)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": nonNil(recs)})
}

func (s *Server) quarantine(w http.ResponseWriter, r *http.Request) {
	qs, err := s.b.Quarantined(r.Context(), 500)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"quarantine": nonNil(qs)})
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) internal(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, store.ErrInvalid), errors.Is(err, release.ErrNotReleasable):
		code = http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		code = http.StatusNotFound
	default:
		s.b.Log.Error("request failed", "err", err)
	}
	writeError(w, code, http.StatusText(code), err.Error())
}
