// Package lambdaenv builds Magpie's Lambda handlers from their environment:
// the functions/* entry points and `magpie invoke --aws` call the same
// builders, so an operator reproduces a production failure with exactly the
// wiring the Lambda has.
package lambdaenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events/eventbridge"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
)

// Handler is one function's handler: an event in, a JSON-encodable
// response out.
type Handler func(ctx context.Context, event json.RawMessage) (any, error)

// Builder wires a function's handler from its environment (getenv), with
// logs going to logw; AWS endpoints and credentials come from the SDK's
// standard variables (AWS_ENDPOINT_URL, AWS_REGION, ...).
type Builder func(ctx context.Context, getenv func(string) string, logw io.Writer) (Handler, error)

// Functions returns the builders of the functions in functions/, by name.
func Functions() map[string]Builder {
	return map[string]Builder{
		"indexer": func(ctx context.Context, getenv func(string) string, logw io.Writer) (Handler, error) {
			h, err := Indexer(ctx, getenv, logw)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, ev json.RawMessage) (any, error) { return h.Handle(ctx, ev) }, nil
		},
		"reprocess": Reprocess,
		"sitl":      Sitl,
	}
}

// Names returns the function names, sorted.
func Names() []string {
	var names []string
	for n := range Functions() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Indexer wires the indexer from:
//
//	DROPBOX_BUCKET   the dropbox bucket (quarantine/ lives inside it)
//	ARCHIVE_BUCKET   the archive bucket
//	TABLE_PREFIX     prefix of the DynamoDB table names (e.g. "magpie-prod-")
//	EVENT_BUS        the EventBridge bus domain events go to
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	LOG_LEVEL        debug, info (default), warn, error
func Indexer(ctx context.Context, getenv func(string) string, logw io.Writer) (*ingest.Handler, error) {
	dropbox, err := need(getenv, "DROPBOX_BUCKET")
	if err != nil {
		return nil, err
	}
	archive, err := need(getenv, "ARCHIVE_BUCKET")
	if err != nil {
		return nil, err
	}
	bus, err := need(getenv, "EVENT_BUS")
	if err != nil {
		return nil, err
	}
	level, err := telemetry.ParseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		return nil, err
	}
	profile, err := mission.LoadOrDefault(getenv("MISSION_PROFILE"))
	if err != nil {
		return nil, err
	}
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), getenv("TABLE_PREFIX"))
	log := telemetry.NewLogger(logw, level)
	ix := &ingest.Indexer{
		Profile: profile,
		Dropbox: awsstore.NewObjectStore(s3c, dropbox),
		Archive: awsstore.NewObjectStore(s3c, archive),
		Catalog: catalog.New(tables),
		Events:  &eventbridge.Publisher{API: eb.NewFromConfig(cfg), Bus: bus, Source: "magpie." + profile.ID},
		Clock:   clock.Real{},
		Log:     log,
	}
	return &ingest.Handler{Indexer: ix, Bucket: dropbox}, nil
}

// need returns a required environment variable.
func need(getenv func(string) string, k string) (string, error) {
	if v := getenv(k); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("environment variable %s is not set", k)
}

// lazy makes a value on first use and keeps it once made: making it calls
// AWS (tables are checked), which a cold start must not need to report a
// configuration error, and a failure (throttling, a missing permission
// fixed since) is retried by the next invocation instead of poisoning the
// execution environment.
type lazy[T any] struct {
	mu   sync.Mutex
	make func(context.Context) (T, error)
	v    T
	made bool
}

func (l *lazy[T]) get(ctx context.Context) (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.made {
		v, err := l.make(ctx)
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
