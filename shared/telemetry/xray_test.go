package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestTracingEnabled(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "indexer"}, true},
		{map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "indexer", TracingDisabledEnv: "off"}, false},
		{map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "indexer", TracingDisabledEnv: "on"}, true},
		{map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "indexer", "AWS_XRAY_SDK_DISABLED": "TRUE"}, false},
	} {
		if got := TracingEnabled(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("TracingEnabled(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestDaemonUDPAddr(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means an error
	}{
		{"", "127.0.0.1:2000"},
		{"169.254.79.129:2000", "169.254.79.129:2000"},
		{"tcp:127.0.0.1:2000 udp:127.0.0.2:2001", "127.0.0.2:2001"},
		{"udp:127.0.0.2:2001 tcp:127.0.0.1:2000", "127.0.0.2:2001"},
		{"tcp:127.0.0.1:2000 tcp:127.0.0.1:2001", ""},
		{"no port", ""},
		{"127.0.0.1:99999", ""},
	} {
		got, err := daemonUDPAddr(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("daemonUDPAddr(%q) = %v, want an error", tc.in, got)
		case tc.want != "" && (err != nil || got.String() != tc.want):
			t.Errorf("daemonUDPAddr(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		case err != nil && !strings.Contains(err.Error(), daemonAddressEnv):
			t.Errorf("daemonUDPAddr(%q): error %q does not name %s", tc.in, err, daemonAddressEnv)
		}
	}
}

// daemon is a UDP listener standing in for the X-Ray daemon.
type daemon struct {
	t    *testing.T
	conn net.PacketConn
}

func newDaemon(t *testing.T) *daemon {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &daemon{t: t, conn: conn}
}

func (d *daemon) addr() string { return d.conn.LocalAddr().String() }

// next returns the next document received, checking the protocol header.
func (d *daemon) next() map[string]any {
	d.t.Helper()
	d.conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound on a hang, not an assertion
	buf := make([]byte, 64<<10)
	n, _, err := d.conn.ReadFrom(buf)
	if err != nil {
		d.t.Fatalf("no document reached the daemon: %v", err)
	}
	head, doc, ok := strings.Cut(string(buf[:n]), "\n")
	if !ok || head != `{"format":"json","version":1}` {
		d.t.Fatalf("daemon got %q, want the protocol header line first", buf[:n])
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		d.t.Fatalf("document %q: %v", doc, err)
	}
	return m
}

// service is a DynamoDB endpoint answering every call with one status and
// body, recording the trace headers it receives.
type service struct {
	*httptest.Server
	mu      sync.Mutex
	headers []string
}

func newService(t *testing.T, status int, body string) *service {
	s := &service{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Get("X-Amzn-Trace-Id"))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-RequestId", "REQ123")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *service) traceHeaders() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.headers...)
}

// stepClock advances by step at every reading.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

const (
	traceRoot   = "1-5759e988-bd862e3fe1be46a994272793"
	traceParent = "53995c3f42cd8ad8"
	sampled     = "Root=" + traceRoot + ";Parent=" + traceParent + ";Sampled=1;Lineage=a87bd80c:0"
)

// tracedClient returns a DynamoDB client on endpoint instrumented by a
// tracer with env, sending to d, with 2 attempts per call and no back-off.
func tracedClient(t *testing.T, endpoint string, env map[string]string, clock func() time.Time, logs *bytes.Buffer) *dynamodb.Client {
	t.Helper()
	cfg := tracedConfig(t, env, clock, logs)
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// tracedConfig is the configuration of tracedClient.
func tracedConfig(t *testing.T, env map[string]string, clock func() time.Time, logs *bytes.Buffer) aws.Config {
	t.Helper()
	tr, err := newTracer(func(k string) string { return env[k] }, clock, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: "eu-west-3", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 2
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		}}
	tr.instrument(&cfg)
	return cfg
}

func lambdaContext(traceHeader string) context.Context {
	// aws-lambda-go passes the invocation's trace header under this plain string key.
	return context.WithValue(context.Background(), "x-amzn-trace-id", traceHeader) //nolint:staticcheck // the runtime's key
}

// TestSubsegmentPerCall: a traced call sends one subsegment describing it,
// with X-Ray's error/throttle/fault flags for its outcome, and passes the
// trace on to the service with the subsegment as parent.
func TestSubsegmentPerCall(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // a port nobody listens on

	for _, tc := range []struct {
		name                     string
		status                   int // 0: no service answers
		body                     string
		error, throttle, fault   bool
		retries, attempts        int
		exceptionType, exMessage string
	}{
		{name: "ok", status: 200, body: `{"TableNames":["catalog"]}`, attempts: 1},
		{name: "client error", status: 400, body: `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no such table"}`,
			error: true, attempts: 1, exceptionType: "ResourceNotFoundException", exMessage: "no such table"},
		{name: "throttled", status: 429, body: `{"__type":"ThrottlingException","message":"slow down"}`,
			error: true, throttle: true, retries: 1, attempts: 2, exceptionType: "ThrottlingException", exMessage: "slow down"},
		{name: "server fault", status: 500, body: `{"__type":"InternalServerError","message":"broken"}`,
			fault: true, retries: 1, attempts: 2, exceptionType: "InternalServerError", exMessage: "broken"},
		{name: "no answer", fault: true, retries: 1, exMessage: "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t)
			endpoint := closed.URL
			var svc *service
			if tc.status != 0 {
				svc = newService(t, tc.status, tc.body)
				endpoint = svc.URL
			}
			start := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
			clock := &stepClock{t: start, step: 1500 * time.Millisecond}
			var logs bytes.Buffer
			client := tracedClient(t, endpoint, map[string]string{daemonAddressEnv: d.addr()}, clock.now, &logs)

			_, err := client.ListTables(lambdaContext(sampled), &dynamodb.ListTablesInput{})
			if (err != nil) != (tc.status != 200) {
				t.Fatalf("call: %v", err)
			}
			doc := d.next()
			for k, want := range map[string]any{"name": "DynamoDB", "namespace": "aws", "type": "subsegment",
				"trace_id": traceRoot, "parent_id": traceParent,
				"start_time": float64(start.Add(1500*time.Millisecond).UnixMicro()) / 1e6,
				"end_time":   float64(start.Add(3000*time.Millisecond).UnixMicro()) / 1e6} {
				if doc[k] != want {
					t.Errorf("%s = %v, want %v", k, doc[k], want)
				}
			}
			id, _ := doc["id"].(string)
			if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Errorf("id %q: want 16 hex digits", id)
			}
			for k, want := range map[string]bool{"error": tc.error, "throttle": tc.throttle, "fault": tc.fault} {
				if got, _ := doc[k].(bool); got != want {
					t.Errorf("%s = %v, want %v", k, doc[k], want)
				}
			}
			awsInfo, _ := doc["aws"].(map[string]any)
			if awsInfo["operation"] != "ListTables" || awsInfo["region"] != "eu-west-3" || awsInfo["retries"] != float64(tc.retries) {
				t.Errorf("aws %v, want ListTables in eu-west-3 with %d retries", awsInfo, tc.retries)
			}
			httpInfo, _ := doc["http"].(map[string]any)
			resp, _ := httpInfo["response"].(map[string]any)
			if tc.status == 0 {
				if httpInfo != nil || awsInfo["request_id"] != nil {
					t.Errorf("http %v, request id %v without an answer", httpInfo, awsInfo["request_id"])
				}
			} else if resp["status"] != float64(tc.status) || resp["content_length"] != float64(len(tc.body)) || awsInfo["request_id"] != "REQ123" {
				t.Errorf("http %v, request id %v; want status %d, content_length %d, REQ123", httpInfo, awsInfo["request_id"], tc.status, len(tc.body))
			}
			causeInfo, _ := doc["cause"].(map[string]any)
			exceptions, _ := causeInfo["exceptions"].([]any)
			if tc.exMessage == "" {
				if causeInfo != nil {
					t.Errorf("cause %v of a successful call", causeInfo)
				}
			} else if len(exceptions) != 1 {
				t.Errorf("cause %v, want one exception", causeInfo)
			} else {
				ex := exceptions[0].(map[string]any)
				msg, _ := ex["message"].(string)
				remote, _ := ex["remote"].(bool)
				if !strings.Contains(msg, tc.exMessage) || tc.exceptionType != "" && ex["type"] != tc.exceptionType || remote != (tc.status != 0) {
					t.Errorf("exception %v, want %s: %s (remote %v)", ex, tc.exceptionType, tc.exMessage, tc.status != 0)
				}
			}
			if svc != nil {
				headers := svc.traceHeaders()
				want := fmt.Sprintf("Root=%s;Parent=%s;Sampled=1;Lineage=a87bd80c:0", traceRoot, id)
				if len(headers) != tc.attempts {
					t.Errorf("%d requests, want %d", len(headers), tc.attempts)
				}
				for _, h := range headers {
					if h != want {
						t.Errorf("trace header sent %q, want %q", h, want)
					}
				}
			}
			if logs.Len() != 0 {
				t.Errorf("tracing logged:\n%s", logs.String())
			}
		})
	}
}

// TestUntracedCalls: a call with no trace header, or an unsampled one,
// sends nothing and no trace header; the environment's header is the
// fallback. Each case ends with a traced call: the daemon's first document
// must be that one (UDP on loopback keeps the order).
func TestUntracedCalls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		env    string // _X_AMZN_TRACE_ID
		traced bool
	}{
		{name: "no header", ctx: context.Background()},
		{name: "not sampled", ctx: lambdaContext("Root=" + traceRoot + ";Parent=" + traceParent + ";Sampled=0")},
		{name: "no parent", ctx: lambdaContext("Root=" + traceRoot + ";Sampled=1")},
		{name: "garbage", ctx: lambdaContext("not a trace header")},
		{name: "environment", ctx: context.Background(), env: sampled, traced: true},
		{name: "context wins", ctx: lambdaContext("Root=" + traceRoot + ";Parent=" + traceParent + ";Sampled=0"), env: sampled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t)
			svc := newService(t, 200, `{"TableNames":[]}`)
			var logs bytes.Buffer
			env := map[string]string{daemonAddressEnv: d.addr(), lambdaTraceHeaderEnv: tc.env}
			client := tracedClient(t, svc.URL, env, time.Now, &logs)
			if _, err := client.ListTables(tc.ctx, &dynamodb.ListTablesInput{}); err != nil {
				t.Fatalf("call: %v", err)
			}
			const marker = "1-00000000-000000000000000000000001"
			if _, err := client.ListTables(lambdaContext("Root="+marker+";Parent="+traceParent+";Sampled=1"), &dynamodb.ListTablesInput{}); err != nil {
				t.Fatalf("traced call: %v", err)
			}
			first := d.next()
			if tc.traced {
				if first["trace_id"] != traceRoot {
					t.Errorf("first document %v, want the call's subsegment in trace %s", first, traceRoot)
				}
				if second := d.next(); second["trace_id"] != marker {
					t.Errorf("second document %v, want the marker's", second)
				}
			} else if first["trace_id"] != marker {
				t.Errorf("the untraced call sent %v", first)
			}
			if h := svc.traceHeaders()[0]; tc.traced != (h != "") {
				t.Errorf("trace header sent %q", h)
			}
			if logs.Len() != 0 {
				t.Errorf("tracing logged:\n%s", logs.String())
			}
		})
	}
}

// TestPresignIsNotTraced: presigning runs the client's middleware but calls
// nothing, so it sends no subsegment, and the URL signs no trace header.
func TestPresignIsNotTraced(t *testing.T) {
	d := newDaemon(t)
	svc := newService(t, 200, `{"TableNames":[]}`)
	var logs bytes.Buffer
	cfg := tracedConfig(t, map[string]string{daemonAddressEnv: d.addr()}, time.Now, &logs)
	presign := s3.NewPresignClient(s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(svc.URL), true
	}))
	req, err := presign.PresignGetObject(lambdaContext(sampled), &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("f.cdf")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(req.URL), "trace") {
		t.Errorf("presigned URL %s signs the trace header", req.URL)
	}
	const marker = "1-00000000-000000000000000000000002"
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(svc.URL) })
	if _, err := client.ListTables(lambdaContext("Root="+marker+";Parent="+traceParent+";Sampled=1"), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	if doc := d.next(); doc["trace_id"] != marker {
		t.Errorf("presigning sent %v", doc)
	}
	if logs.Len() != 0 {
		t.Errorf("tracing logged:\n%s", logs.String())
	}
}

// TestInstrumentAWS: the process environment decides; in Lambda, calls
// are traced to AWS_XRAY_DAEMON_ADDRESS; MAGPIE_TRACING=off and a bad
// daemon address leave the config alone.
func TestInstrumentAWS(t *testing.T) {
	d := newDaemon(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"outside Lambda", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": ""}, false},
		{"off", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "indexer", TracingDisabledEnv: "off"}, false},
		{"bad daemon address", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "indexer", daemonAddressEnv: "udp:nowhere"}, false},
		{"in Lambda", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "indexer", daemonAddressEnv: d.addr()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(TracingDisabledEnv, "")
			t.Setenv("AWS_XRAY_SDK_DISABLED", "")
			t.Setenv(lambdaTraceHeaderEnv, "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var logs bytes.Buffer
			prev := slog.Default()
			slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
			defer slog.SetDefault(prev)

			cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
			if got := InstrumentAWS(&cfg); got != tc.want || (len(cfg.APIOptions) != 0) != tc.want {
				t.Fatalf("InstrumentAWS = %v with %d API options, want %v", got, len(cfg.APIOptions), tc.want)
			}
			if tc.env[daemonAddressEnv] == "udp:nowhere" && !strings.Contains(logs.String(), daemonAddressEnv) {
				t.Errorf("a bad daemon address is not reported: %q", logs.String())
			}
			if !tc.want {
				return
			}
			svc := newService(t, 200, `{"TableNames":[]}`)
			client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(svc.URL) })
			if _, err := client.ListTables(lambdaContext(sampled), &dynamodb.ListTablesInput{}); err != nil {
				t.Fatal(err)
			}
			if doc := d.next(); doc["trace_id"] != traceRoot || doc["parent_id"] != traceParent {
				t.Errorf("subsegment %v", doc)
			}
		})
	}
}

// TestNoDaemon: with nothing listening at the daemon address, calls still
// succeed and nothing is logged above debug level.
func TestNoDaemon(t *testing.T) {
	gone := newDaemon(t)
	addr := gone.addr()
	gone.conn.Close()
	svc := newService(t, 200, `{"TableNames":[]}`)
	var logs bytes.Buffer
	client := tracedClient(t, svc.URL, map[string]string{daemonAddressEnv: addr}, time.Now, &logs)
	for i := range 3 { // a connected UDP socket reports the refusal on a later write
		if _, err := client.ListTables(lambdaContext(sampled), &dynamodb.ListTablesInput{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("logged above debug:\n%s", logs.String())
	}
}
