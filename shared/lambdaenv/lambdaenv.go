// Package lambdaenv is what every Lambda of functions/* shares: the handler
// and builder types, configuration helpers, the init-error report and Start.
// Each function's builder lives in its own sub-package (lambdaenv/indexer,
// lambdaenv/reprocess, ...), so a bootstrap links only what its function
// uses; lambdaenv/registry names them all for `magpie invoke --aws` and the
// tests. The functions/* entry points and `magpie invoke --aws` call the
// same builders, so an operator reproduces a production failure with
// exactly the wiring the Lambda has.
package lambdaenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Handler is one function's handler: an event in, a JSON-encodable
// response out.
type Handler func(ctx context.Context, event json.RawMessage) (any, error)

// Builder wires a function's handler from its environment (getenv), with
// logs going to logw; AWS endpoints and credentials come from the SDK's
// standard variables (AWS_ENDPOINT_URL, AWS_REGION, ...).
type Builder func(ctx context.Context, getenv func(string) string, logw io.Writer) (Handler, error)

// Need returns a required environment variable.
func Need(getenv func(string) string, k string) (string, error) {
	if v := getenv(k); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("environment variable %s is not set", k)
}

// Lazy makes a value on first use and keeps it once made: making it calls
// AWS (tables are checked), which a cold start must not need to report a
// configuration error, and a failure (throttling, a missing permission
// fixed since) is retried by the next invocation instead of poisoning the
// execution environment.
type Lazy[T any] struct {
	mu   sync.Mutex
	Make func(context.Context) (T, error)
	v    T
	made bool
}

// Get returns the value, making it first if need be.
func (l *Lazy[T]) Get(ctx context.Context) (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.made {
		v, err := l.Make(ctx)
		if err != nil {
			return v, err
		}
		l.v, l.made = v, true
	}
	return l.v, nil
}

// InitErrorType is the errorType of a function that cannot configure itself.
const InitErrorType = "Runtime.ConfigError"

// ReportInitError tells the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) that
// initialisation failed, so the platform logs the reason with the failed
// invocation; the caller then exits non-zero. Outside Lambda it does nothing.
func ReportInitError(getenv func(string) string, initErr error) error {
	api := getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"errorMessage": initErr.Error(), "errorType": InitErrorType})
	req, err := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("report init error: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", InitErrorType)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("report init error: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("report init error: runtime API answered %s", resp.Status)
	}
	return nil
}
