package telemetry

// This file is everything Magpie knows about X-Ray. It does not use the
// X-Ray SDK's recorder (package xray) or its awsv2 instrumentation: they
// import gRPC, whose golang.org/x/net/trace imports html/template, and a
// linked text/template (reflect.Value.MethodByName with computed names)
// switches off the linker's dead-method elimination, so every exported
// method of every AWS SDK client stays in every bootstrap (+6 to +20 MB).
// Instead a smithy middleware writes the subsegment documents itself and
// sends them to the X-Ray daemon over UDP, as the SDK would. Only the SDK's
// trace header parser (package header: strings and bytes) is used.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-xray-sdk-go/v2/header"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TracingDisabledEnv turns tracing off when set to "off", "false" or "0",
// even in Lambda.
const TracingDisabledEnv = "MAGPIE_TRACING"

// TracingEnabled reports whether AWS calls should be traced: only inside
// Lambda (where the runtime provides the trace header and the X-Ray daemon),
// unless disabled by MAGPIE_TRACING=off or AWS_XRAY_SDK_DISABLED=true.
// Elsewhere there is no segment to attach to and no daemon to send to.
func TracingEnabled(getenv func(string) string) bool {
	if getenv("AWS_LAMBDA_FUNCTION_NAME") == "" {
		return false
	}
	switch strings.ToLower(getenv(TracingDisabledEnv)) {
	case "off", "false", "0":
		return false
	}
	return !strings.EqualFold(getenv("AWS_XRAY_SDK_DISABLED"), "true")
}

// InstrumentAWS makes every client built from cfg record an X-Ray subsegment
// per AWS call, when TracingEnabled (from the process environment); it
// reports whether it did. Calls made with a context that carries no sampled
// Lambda trace header are not traced and log nothing.
func InstrumentAWS(cfg *aws.Config) bool {
	if !TracingEnabled(os.Getenv) {
		return false
	}
	t, err := newTracer(os.Getenv, time.Now, slog.Default())
	if err != nil {
		// A cold-start configuration problem, reported once; calls go on untraced.
		slog.Warn("AWS calls are not traced", "error", err)
		return false
	}
	t.instrument(cfg)
	return true
}

const (
	// lambdaTraceHeaderKey is the context key under which aws-lambda-go
	// passes the invocation's X-Amzn-Trace-Id (a plain string key).
	lambdaTraceHeaderKey = "x-amzn-trace-id"
	// lambdaTraceHeaderEnv holds the same header for code without the
	// invocation's context.
	lambdaTraceHeaderEnv = "_X_AMZN_TRACE_ID"
	daemonAddressEnv     = "AWS_XRAY_DAEMON_ADDRESS"
	defaultDaemonAddress = "127.0.0.1:2000"
	traceHeaderName      = "X-Amzn-Trace-Id"
	// daemonHeader precedes every document sent to the daemon.
	daemonHeader = `{"format":"json","version":1}` + "\n"
	// maxMessage bounds an error message in a document (the daemon takes
	// documents of up to 64 kB in one datagram).
	maxMessage = 1024
)

// tracer records AWS calls as X-Ray subsegments and sends them to the daemon.
type tracer struct {
	getenv func(string) string
	now    func() time.Time
	log    *slog.Logger
	daemon *net.UDPAddr

	mu   sync.Mutex
	conn *net.UDPConn // dialled on the first send
}

// newTracer returns a tracer sending to AWS_XRAY_DAEMON_ADDRESS (or the
// default daemon address).
func newTracer(getenv func(string) string, now func() time.Time, log *slog.Logger) (*tracer, error) {
	addr, err := daemonUDPAddr(getenv(daemonAddressEnv))
	if err != nil {
		return nil, err
	}
	return &tracer{getenv: getenv, now: now, log: log, daemon: addr}, nil
}

// daemonUDPAddr reads the daemon address in either of the forms X-Ray
// defines: "host:port", or "tcp:host:port udp:host:port" (any order).
func daemonUDPAddr(s string) (*net.UDPAddr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = defaultDaemonAddress
	}
	if fields := strings.Fields(s); len(fields) > 1 {
		s = ""
		for _, f := range fields {
			if v, ok := strings.CutPrefix(f, "udp:"); ok {
				s = v
			}
		}
		if s == "" {
			return nil, fmt.Errorf("%s=%q: no udp: address", daemonAddressEnv, strings.Join(fields, " "))
		}
	}
	addr, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", daemonAddressEnv, s, err)
	}
	return addr, nil
}

// instrument adds the tracing middleware to every client built from cfg.
func (t *tracer) instrument(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		// After the operation's own initialize middleware, which puts the
		// service and operation names in the context; before serialization
		// and the retry loop, so the subsegment spans every attempt.
		if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("MagpieXRaySubsegment", t.record), middleware.After); err != nil {
			return fmt.Errorf("add x-ray middleware: %w", err)
		}
		// Before the SDK's recursion detection, which would otherwise set
		// the header from _X_AMZN_TRACE_ID with the function's segment as parent.
		if err := stack.Build.Add(middleware.BuildMiddlewareFunc("MagpieXRayTraceHeader", propagate), middleware.Before); err != nil {
			return fmt.Errorf("add x-ray middleware: %w", err)
		}
		return nil
	})
}

// traceHeaderKey carries the X-Amzn-Trace-Id to send with a traced call.
type traceHeaderKey struct{}

// record is the initialize-step middleware: it times the call and sends its
// subsegment when the call belongs to a sampled trace.
func (t *tracer) record(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	parent := t.traceHeader(ctx)
	if parent == nil {
		return next.HandleInitialize(ctx, in)
	}
	seg := subsegment{
		Name:      awsmiddleware.GetServiceID(ctx),
		ID:        newID(),
		TraceID:   parent.TraceID,
		ParentID:  parent.ParentID,
		Type:      "subsegment",
		Namespace: "aws",
		AWS: awsInfo{
			Operation: awsmiddleware.GetOperationName(ctx),
			Region:    awsmiddleware.GetRegion(ctx),
		},
	}
	downstream := header.Header{TraceID: parent.TraceID, ParentID: seg.ID, SamplingDecision: header.Sampled,
		AdditionalData: parent.AdditionalData} // Lineage: Lambda's recursive-loop detection
	start := t.now()
	out, metadata, err := next.HandleInitialize(context.WithValue(ctx, traceHeaderKey{}, downstream.String()), in)
	seg.StartTime, seg.EndTime = epochSeconds(start), epochSeconds(t.now())
	if sent := seg.describe(metadata, err); !sent {
		// No response and no error: a presigned URL was made, nothing was called.
		return out, metadata, err
	}
	t.send(&seg)
	return out, metadata, err
}

// traceHeader returns the sampled trace the call belongs to, from the
// invocation's context or else _X_AMZN_TRACE_ID, or nil.
func (t *tracer) traceHeader(ctx context.Context) *header.Header {
	s, _ := ctx.Value(lambdaTraceHeaderKey).(string)
	if s == "" {
		s = t.getenv(lambdaTraceHeaderEnv)
	}
	if s == "" {
		return nil
	}
	h := header.FromString(s)
	if h.TraceID == "" || h.ParentID == "" || h.SamplingDecision != header.Sampled {
		return nil
	}
	return h
}

// propagate is the build-step middleware passing the trace on to the AWS
// service, with the call's subsegment as parent.
func propagate(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
	middleware.BuildOutput, middleware.Metadata, error,
) {
	if v, ok := ctx.Value(traceHeaderKey{}).(string); ok {
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			req.Header.Set(traceHeaderName, v)
		}
	}
	return next.HandleBuild(ctx, in)
}

// subsegment is an X-Ray subsegment document sent on its own (hence type,
// trace_id and parent_id) for one AWS call.
type subsegment struct {
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	TraceID   string    `json:"trace_id"`
	ParentID  string    `json:"parent_id"`
	Type      string    `json:"type"`
	Namespace string    `json:"namespace"`
	StartTime float64   `json:"start_time"`
	EndTime   float64   `json:"end_time"`
	Error     bool      `json:"error,omitempty"`    // 4xx
	Throttle  bool      `json:"throttle,omitempty"` // 429
	Fault     bool      `json:"fault,omitempty"`    // 5xx, or no response
	Cause     *cause    `json:"cause,omitempty"`
	HTTP      *httpInfo `json:"http,omitempty"`
	AWS       awsInfo   `json:"aws"`
}

type awsInfo struct {
	Operation string `json:"operation"`
	Region    string `json:"region,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Retries   int    `json:"retries"`
}

type httpInfo struct {
	Response httpResponse `json:"response"`
}

type httpResponse struct {
	Status        int    `json:"status"`
	ContentLength *int64 `json:"content_length,omitempty"`
}

type cause struct {
	Exceptions []exception `json:"exceptions"`
}

type exception struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
	Remote  bool   `json:"remote,omitempty"` // raised by the service
}

// describe fills in the outcome of the call from the SDK's result metadata
// (last response, request id, attempts) and its error. It reports whether a
// request was sent.
func (s *subsegment) describe(metadata middleware.Metadata, err error) (sent bool) {
	if id, ok := awsmiddleware.GetRequestIDMetadata(metadata); ok {
		s.AWS.RequestID = id
	}
	if attempts, ok := retry.GetAttemptResults(metadata); ok && len(attempts.Results) > 1 {
		s.AWS.Retries = len(attempts.Results) - 1
	}
	resp, _ := awsmiddleware.GetRawResponse(metadata).(*smithyhttp.Response)
	var respErr *smithyhttp.ResponseError
	if resp == nil && errors.As(err, &respErr) {
		resp = respErr.Response
	}
	status := 0
	if resp != nil && resp.Response != nil && resp.StatusCode != 0 { // 0: the transport failed
		status = resp.StatusCode
		s.HTTP = &httpInfo{Response: httpResponse{Status: status}}
		if n := resp.ContentLength; n >= 0 {
			s.HTTP.Response.ContentLength = &n
		}
	}
	switch {
	case status == 429:
		s.Error, s.Throttle = true, true
	case status >= 400 && status < 500:
		s.Error = true
	case status >= 500:
		s.Fault = true
	case err != nil: // no answer at all: network failure, cancellation
		s.Fault = true
	}
	if err == nil {
		return status != 0
	}
	ex := exception{ID: newID(), Message: err.Error(), Type: fmt.Sprintf("%T", err), Remote: status != 0}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		ex.Type, ex.Message = apiErr.ErrorCode(), apiErr.ErrorMessage()
	}
	if len(ex.Message) > maxMessage {
		ex.Message = ex.Message[:maxMessage]
	}
	s.Cause = &cause{Exceptions: []exception{ex}}
	return true
}

// send writes the document to the daemon. A lost subsegment must never
// fail or delay the call: UDP, and failures are logged at debug level only.
func (t *tracer) send(s *subsegment) {
	doc, err := json.Marshal(s)
	if err != nil {
		t.log.Debug("x-ray subsegment not encoded", "error", err)
		return
	}
	conn, err := t.dial()
	if err != nil {
		t.log.Debug("x-ray daemon unreachable", "error", err)
		return
	}
	if _, err := conn.Write(append([]byte(daemonHeader), doc...)); err != nil {
		t.log.Debug("x-ray subsegment not sent", "error", err)
	}
}

func (t *tracer) dial() (*net.UDPConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn == nil {
		conn, err := net.DialUDP("udp", nil, t.daemon)
		if err != nil {
			return nil, fmt.Errorf("dial x-ray daemon %s: %w", t.daemon, err)
		}
		t.conn = conn
	}
	return t.conn, nil
}

// newID returns a random 64-bit id in 16 hex digits, as X-Ray wants for
// segment and exception ids (unique within a trace, not secret).
func newID() string {
	var b [8]byte
	v := rand.Uint64()
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}

// epochSeconds is t in seconds since the epoch, with microseconds.
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMicro()) / 1e6
}
