package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-xray-sdk-go/v2/strategy/sampling"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
)

func TestLoggerRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelInfo).With("fn", "indexer")
	ctx := WithRequestID(context.Background(), "req-42")
	log.InfoContext(ctx, "indexed", "file", "mms1_fgm.cdf")
	log.Info("no context")
	log.DebugContext(ctx, "hidden below info")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first[RequestIDKey] != "req-42" || first["fn"] != "indexer" || first["file"] != "mms1_fgm.cdf" || first["msg"] != "indexed" {
		t.Errorf("first record %v", first)
	}
	if _, ok := second[RequestIDKey]; ok {
		t.Errorf("record without a request context has a request id: %v", second)
	}
	if RequestID(context.Background()) != "" {
		t.Error("request id from an empty context")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "DEBUG": slog.LevelDebug, "warn": slog.LevelWarn, " error ": slog.LevelError} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) succeeded")
	}
}

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
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "")
	var cfg aws.Config
	if InstrumentAWS(&cfg) || len(cfg.APIOptions) != 0 {
		t.Error("InstrumentAWS instrumented outside Lambda")
	}
}

// TestInstrumentAWS: in Lambda, an AWS call made with the invocation's
// context sends a subsegment to the X-Ray daemon and passes the trace
// header on; a call without a trace context works and logs nothing.
func TestInstrumentAWS(t *testing.T) {
	daemon, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	var (
		mu      sync.Mutex
		headers []string
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Get("X-Amzn-Trace-Id"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Write([]byte(`{"TableNames":[]}`))
	}))
	defer api.Close()

	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)

	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	instrumentAWS(&cfg)
	always, err := sampling.NewLocalizedStrategyFromJSONBytes([]byte(`{"version":2,"default":{"fixed_target":1,"rate":1.0}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := xray.Configure(xray.Config{DaemonAddr: daemon.LocalAddr().String(), SamplingStrategy: always}); err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(api.URL) })

	if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("untraced call: %v", err)
	}
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	// The Lambda runtime passes the trace header under this string key.
	lambdaCtx := context.WithValue(context.Background(), xray.LambdaTraceHeaderKey, "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=1")
	if _, err := client.ListTables(lambdaCtx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("traced call: %v", err)
	}

	daemon.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound, not an assertion
	buf := make([]byte, 64<<10)
	n, _, err := daemon.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no subsegment reached the daemon: %v", err)
	}
	_, doc, ok := strings.Cut(string(buf[:n]), "\n") // after the {"format":...} header line
	if !ok {
		t.Fatalf("daemon got %q", buf[:n])
	}
	var seg struct {
		Name    string
		TraceID string `json:"trace_id"`
		AWS     map[string]any
	}
	if err := json.Unmarshal([]byte(doc), &seg); err != nil {
		t.Fatalf("subsegment %q: %v", doc, err)
	}
	if seg.Name != "DynamoDB" || seg.AWS["operation"] != "ListTables" || seg.TraceID != root {
		t.Errorf("subsegment %s", doc)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(headers) != 2 || headers[0] != "" || !strings.Contains(headers[1], "Root="+root) {
		t.Errorf("trace headers sent: %q", headers)
	}
	if logs.Len() != 0 {
		t.Errorf("tracing logged:\n%s", logs.String())
	}
}
