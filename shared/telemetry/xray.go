package telemetry

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/v2/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/v2/strategy/ctxmissing"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
	"github.com/aws/aws-xray-sdk-go/v2/xraylog"
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
// reports whether it did. Calls made with a context that carries no segment
// (no Lambda trace header) are not traced and log nothing.
func InstrumentAWS(cfg *aws.Config) bool {
	if !TracingEnabled(os.Getenv) {
		return false
	}
	instrumentAWS(cfg)
	return true
}

func instrumentAWS(cfg *aws.Config) {
	configureXRay()
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
}

// configureXRay sets the X-Ray SDK's process-wide settings once: a missing
// segment is ignored silently (the SDK's default logs an error for every AWS
// call made outside a traced request), and the SDK's own warnings and
// errors go to the default slog logger instead of stdout.
var configureXRay = sync.OnceFunc(func() {
	if err := xray.Configure(xray.Config{ContextMissingStrategy: ctxmissing.NewDefaultIgnoreErrorStrategy()}); err != nil {
		slog.Warn("x-ray configuration failed; tracing may log context errors", "error", err)
	}
	xray.SetLogger(xrayLogger{})
})

// xrayLogger forwards the X-Ray SDK's warnings and errors to slog.
type xrayLogger struct{}

func (xrayLogger) Log(level xraylog.LogLevel, msg fmt.Stringer) {
	switch level {
	case xraylog.LogLevelWarn:
		slog.Warn("x-ray: " + msg.String())
	case xraylog.LogLevelError:
		slog.Error("x-ray: " + msg.String())
	}
}
