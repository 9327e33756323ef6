// Package api builds the api function's handler from its environment
// (functions/api and `magpie invoke --aws api`): shared/api's HTTP handler on
// the AWS adapters, behind API Gateway's HTTP API (payload format 2.0).
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	httpapi "github.com/magpie-sdc/magpie/shared/api"
	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/lambdaenv"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/awsstore"
	"github.com/magpie-sdc/magpie/shared/telemetry"
	"github.com/magpie-sdc/magpie/shared/workflows/sfnflow"
)

// DefaultURLTTL is how long a download's presigned URL stays valid.
const DefaultURLTTL = 15 * time.Minute

// ErrIndexedByNotification is what an upload's Ingest answers on AWS: the
// dropbox's object-created notification hands the file to the indexer
// function, so the API stores it and answers 202 (queued).
var ErrIndexedByNotification = errors.New("indexed asynchronously: the dropbox notification hands the file to the indexer")

// Build wires the api function. Configuration:
//
//	DROPBOX_BUCKET   the dropbox bucket (uploads; quarantine reasons)
//	ARCHIVE_BUCKET   the archive bucket (downloads: redirects to presigned URLs)
//	TABLE_PREFIX     prefix of the DynamoDB table names (catalog, users, jobs, releases)
//	URL_TTL          optional lifetime of download URLs (Go duration, default 15m, at most 12h)
//	MISSION_PROFILE  optional path of a profile file bundled with the function
//	USER_POOL_ID, USER_POOL_CLIENT_ID
//	                 optional Cognito user pool and app client: bearer tokens
//	                 of the pool are accepted besides Magpie's own (region
//	                 from AWS_REGION, else the pool id's prefix)
//	REPROCESS_STATE_MACHINE_ARN, SITL_STATE_MACHINE_ARN
//	                 optional: the Step Functions state machines the campaign
//	                 and SITL routes steer (workflows.go); 503 without
//	LOG_LEVEL        debug, info (default), warn, error
//
// The configuration is checked here; the token secret (in the users
// table) is read on the first request that needs it.
func Build(ctx context.Context, getenv func(string) string, logw io.Writer) (lambdaenv.Handler, error) {
	var c config
	var err error
	if c.dropbox, err = lambdaenv.Need(getenv, "DROPBOX_BUCKET"); err != nil {
		return nil, err
	}
	if c.archive, err = lambdaenv.Need(getenv, "ARCHIVE_BUCKET"); err != nil {
		return nil, err
	}
	c.ttl = DefaultURLTTL
	if v := getenv("URL_TTL"); v != "" {
		if c.ttl, err = time.ParseDuration(v); err != nil || c.ttl <= 0 || c.ttl > 12*time.Hour {
			return nil, fmt.Errorf("URL_TTL %q: want a duration between 1s and 12h", v)
		}
	}
	level, err := telemetry.ParseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		return nil, err
	}
	if c.profile, err = mission.LoadOrDefault(getenv("MISSION_PROFILE")); err != nil {
		return nil, err
	}
	c.prefix = getenv("TABLE_PREFIX")
	if c.workflows, err = workflowsConfigFrom(getenv); err != nil {
		return nil, err
	}
	if c.cognito, err = cognitoVerifier(getenv); err != nil {
		return nil, err
	}
	c.log = telemetry.NewLogger(logw, level)
	c.started = time.Now()
	// Loading the SDK configuration makes no AWS call: the handler is made
	// here, and what needs AWS (the token secret) is read on first use.
	proxy, err := c.proxy(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, ev json.RawMessage) (any, error) {
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(ev, &req); err != nil {
			return nil, fmt.Errorf("api: event: %w", err)
		}
		if req.RequestContext.HTTP.Method == "" {
			return nil, errors.New("api: not an API Gateway HTTP API (payload 2.0) event: no requestContext.http.method")
		}
		return proxy.ProxyWithContext(ctx, req)
	}, nil
}

type config struct {
	dropbox, archive, prefix string
	ttl                      time.Duration
	profile                  *mission.Profile
	log                      *slog.Logger
	started                  time.Time
	cognito                  *auth.CognitoVerifier // nil: Magpie's tokens only
	workflows                workflowsConfig
}

// cognitoVerifier reads the user pool settings; both or neither are set.
func cognitoVerifier(getenv func(string) string) (*auth.CognitoVerifier, error) {
	pool, client := getenv("USER_POOL_ID"), getenv("USER_POOL_CLIENT_ID")
	if pool == "" && client == "" {
		return nil, nil
	}
	region := getenv("AWS_REGION")
	if region == "" {
		region, _, _ = strings.Cut(pool, "_")
	}
	v, err := auth.NewCognitoVerifier(region, pool, client, clock.Real{})
	if err != nil {
		return nil, fmt.Errorf("USER_POOL_ID/USER_POOL_CLIENT_ID: %w", err)
	}
	return v, nil
}

func (c config) proxy(ctx context.Context) (*httpadapter.HandlerAdapterV2, error) {
	cfg, err := awsstore.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s3c := awsstore.NewS3Client(cfg)
	tables := awsstore.NewTableStore(awsstore.NewDynamoDBClient(cfg), c.prefix)
	clk := clock.Real{}
	users := auth.NewUsers(tables, clk)
	tokens := &lazyTokens{tokens: lambdaenv.Lazy[*auth.HMACTokens]{Make: func(ctx context.Context) (*auth.HMACTokens, error) {
		secret, err := users.Secret(ctx)
		if err != nil {
			return nil, err
		}
		return &auth.HMACTokens{Secret: secret, Clock: clk}, nil
	}}}
	rel := &release.Service{Catalog: catalog.New(tables), Tables: tables, Profile: c.profile, Clock: clk}
	dropbox := awsstore.NewObjectStore(s3c, c.dropbox)
	wf, err := c.workflows.backend(ctx, &sfnflow.Workflows{API: sfn.NewFromConfig(cfg)}, tables, c.profile, clk)
	if err != nil {
		return nil, err
	}
	h := httpapi.New(httpapi.Backend{Profile: c.profile, Catalog: catalog.New(tables), Dropbox: dropbox,
		Archive: awsstore.NewObjectStore(s3c, c.archive), Clock: clk, Log: c.log, Started: c.started,
		Ingest: func(context.Context, string) (ingest.Outcome, error) {
			return ingest.Outcome{}, ErrIndexedByNotification
		},
		Quarantined: func(ctx context.Context, limit int) ([]ingest.QuarantineReason, error) {
			return Quarantined(ctx, dropbox, limit, c.log)
		},
		Passwords: c.passwords(users), Tokens: c.verifier(tokens), Issuer: tokens, Release: rel, Jobs: pipeline.NewJobs(tables),
		Presign: Presigner(s3.NewPresignClient(s3c), c.archive, c.ttl), Workflows: wf})
	return httpadapter.NewV2(h), nil
}

// verifier accepts Magpie's own tokens and, when configured, the user
// pool's. Cognito goes first: it refuses Magpie's HS256 tokens from the
// header alone, while Magpie's verifier would read its secret from DynamoDB
// before refusing a Cognito token.
// passwords checks HTTP Basic credentials against the users table, then,
// with a user pool, against Cognito (InitiateAuth): the MMS clients log in
// with the account the team uses in the browser.
func (c config) passwords(users *auth.Users) auth.PasswordChecker {
	if c.cognito == nil {
		return users
	}
	return auth.PasswordCheckers{users, &auth.CognitoPasswords{Verifier: c.cognito}}
}

func (c config) verifier(own auth.TokenVerifier) auth.TokenVerifier {
	if c.cognito == nil {
		return own
	}
	return auth.Chain{c.cognito, own}
}

// lazyTokens issues and verifies tokens signed with the secret in the users
// table, read on first use: a cold start makes no AWS call, and requests
// without a token never need it.
type lazyTokens struct {
	tokens lambdaenv.Lazy[*auth.HMACTokens]
}

func (l *lazyTokens) Verify(ctx context.Context, token string) (auth.Principal, error) {
	t, err := l.tokens.Get(ctx)
	if err != nil {
		return auth.Principal{}, fmt.Errorf("token secret: %w", err)
	}
	return t.Verify(ctx, token)
}

// Issue has no context (shared/api's Issuer): the secret is read, if
// not yet, within the SDK's own retries and timeouts.
func (l *lazyTokens) Issue(p auth.Principal) (string, time.Time, error) {
	t, err := l.tokens.Get(context.Background())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token secret: %w", err)
	}
	return t.Issue(p)
}

// Presigner returns shared/api's Presign hook: a GET URL of the archive
// object valid for ttl, which makes the browser save it under the file's
// own name (the key holds folders).
func Presigner(c *s3.PresignClient, bucket string, ttl time.Duration) func(ctx context.Context, key, fileName string) (string, error) {
	return func(ctx context.Context, key, fileName string) (string, error) {
		disp := `attachment; filename="` + strings.NewReplacer(`"`, "", `\`, "", "\r", "", "\n", "").Replace(fileName) + `"`
		req, err := c.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			ResponseContentDisposition: aws.String(disp)}, s3.WithPresignExpires(ttl))
		if err != nil {
			return "", fmt.Errorf("presign s3://%s/%s: %w", bucket, key, err)
		}
		return req.URL, nil
	}
}

// Quarantined lists the quarantine reasons in the dropbox, newest first,
// at most limit (0: all). An unreadable reason is logged and skipped.
func Quarantined(ctx context.Context, dropbox store.ObjectStore, limit int, log *slog.Logger) ([]ingest.QuarantineReason, error) {
	var out []ingest.QuarantineReason
	err := store.ListAll(ctx, dropbox, ingest.QuarantinePrefix, func(o store.ObjectInfo) error {
		if !strings.HasSuffix(o.Key, ingest.ReasonSuffix) {
			return nil
		}
		rc, _, err := dropbox.Get(ctx, o.Key, nil)
		if err != nil {
			return err
		}
		defer rc.Close()
		var r ingest.QuarantineReason
		if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&r); err != nil {
			log.Warn("unreadable quarantine reason", "key", o.Key, "err", err)
			return nil
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QuarantinedAt > out[j].QuarantinedAt })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
