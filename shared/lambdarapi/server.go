// Package lambdarapi is a small Lambda Runtime API server on loopback: it
// hands events to a function's bootstrap process the way the Lambda service
// does (GET invocation/next, POST response or error, POST init/error), so a
// built bootstrap can be tested as it will run on provided.al2023.
package lambdarapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const prefix = "/2018-06-01/runtime"

// FunctionError is the error document a runtime posts.
type FunctionError struct {
	Message string   `json:"errorMessage"`
	Type    string   `json:"errorType"`
	Trace   []string `json:"stackTrace,omitempty"`
}

// Result is what the runtime answered to one invocation: a response, or an
// error with its type header.
type Result struct {
	RequestID string
	Response  json.RawMessage
	Error     *FunctionError
	// ErrorHeader is the Lambda-Runtime-Function-Error-Type header.
	ErrorHeader string
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan Result
}

// Server serves the Runtime API to one bootstrap process.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	next chan *invocation

	mu      sync.Mutex
	pending map[string]*invocation
	seq     int
	initErr chan FunctionError

	// firstNext is closed by the runtime's first invocation/next request:
	// the end of its initialisation.
	firstNext     chan struct{}
	firstNextOnce sync.Once
}

// Start listens on a free loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdarapi: listen: %w", err)
	}
	s := &Server{ln: ln, next: make(chan *invocation), pending: map[string]*invocation{}, initErr: make(chan FunctionError, 1),
		firstNext: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/invocation/next", s.handleNext)
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/response", s.handleResponse)
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/error", s.handleError)
	mux.HandleFunc("POST "+prefix+"/init/error", s.handleInitError)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server; a bootstrap waiting for work gets an error.
func (s *Server) Close() error { return s.srv.Close() }

// InitError delivers the error a runtime reported from its initialisation.
func (s *Server) InitError() <-chan FunctionError { return s.initErr }

// Ready is closed when the runtime first asks for an invocation, i.e. once
// it has initialised: the time from process start to Ready is the
// function's init time.
func (s *Server) Ready() <-chan struct{} { return s.firstNext }

// Invoke hands payload to the runtime's next request and waits for its
// answer, until ctx ends (e.g. because the process exited).
func (s *Server) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (Result, error) {
	s.mu.Lock()
	s.seq++
	inv := &invocation{id: fmt.Sprintf("req-%04d-8f1c", s.seq), payload: payload,
		deadline: time.Now().Add(timeout), done: make(chan Result, 1)}
	s.pending[inv.id] = inv
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, inv.id)
		s.mu.Unlock()
	}()
	select {
	case s.next <- inv:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("lambdarapi: the runtime never asked for invocation %s: %w", inv.id, context.Cause(ctx))
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("lambdarapi: no answer to invocation %s: %w", inv.id, context.Cause(ctx))
	}
}

func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	s.firstNextOnce.Do(func() { close(s.firstNext) })
	select {
	case inv := <-s.next:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:magpie-test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// answer completes the invocation named in the path.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, fill func(*Result, []byte) error) {
	id := r.PathValue("id")
	s.mu.Lock()
	inv := s.pending[id]
	s.mu.Unlock()
	if inv == nil {
		http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil || len(body) > 6<<20 {
		http.Error(w, `{"errorMessage":"bad or oversized body","errorType":"RequestEntityTooLarge"}`, http.StatusRequestEntityTooLarge)
		return
	}
	res := Result{RequestID: id}
	if err := fill(&res, body); err != nil {
		http.Error(w, `{"errorMessage":"`+err.Error()+`","errorType":"InvalidRequest"}`, http.StatusBadRequest)
		return
	}
	select {
	case inv.done <- res:
		w.WriteHeader(http.StatusAccepted)
	default:
		http.Error(w, `{"errorMessage":"invocation already answered","errorType":"InvalidStateTransition"}`, http.StatusForbidden)
	}
}

func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, func(res *Result, body []byte) error {
		res.Response = body
		return nil
	})
}

func (s *Server) handleError(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, func(res *Result, body []byte) error {
		var fe FunctionError
		if err := json.Unmarshal(body, &fe); err != nil {
			return errors.New("error body is not JSON")
		}
		res.Error = &fe
		res.ErrorHeader = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		return nil
	})
}

func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	var fe FunctionError
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &fe); err != nil {
		http.Error(w, `{"errorMessage":"error body is not JSON","errorType":"InvalidRequest"}`, http.StatusBadRequest)
		return
	}
	select {
	case s.initErr <- fe:
	default: // one init error is all a runtime may report
	}
	w.WriteHeader(http.StatusAccepted)
}
