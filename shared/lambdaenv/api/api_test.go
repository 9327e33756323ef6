package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

func TestBuildChecksItsConfiguration(t *testing.T) {
	env := map[string]string{"DROPBOX_BUCKET": "drop", "ARCHIVE_BUCKET": "arch", "AWS_REGION": "us-east-1"}
	for _, c := range []struct {
		over map[string]string
		want string // "" for success, else part of the error
	}{
		{nil, ""},
		{map[string]string{"URL_TTL": "1h"}, ""},
		{map[string]string{"DROPBOX_BUCKET": ""}, "DROPBOX_BUCKET"},
		{map[string]string{"ARCHIVE_BUCKET": ""}, "ARCHIVE_BUCKET"},
		{map[string]string{"URL_TTL": "13h"}, "URL_TTL"},
		{map[string]string{"URL_TTL": "-1m"}, "URL_TTL"},
		{map[string]string{"URL_TTL": "soon"}, "URL_TTL"},
		{map[string]string{"LOG_LEVEL": "loud"}, "loud"},
		{map[string]string{"MISSION_PROFILE": "/nonexistent/profile.yaml"}, "profile.yaml"},
		{map[string]string{"USER_POOL_ID": "us-east-1_Abc", "USER_POOL_CLIENT_ID": "client"}, ""},
		{map[string]string{"USER_POOL_ID": "us-east-1_Abc"}, "USER_POOL"},
		{map[string]string{"USER_POOL_CLIENT_ID": "client"}, "USER_POOL"},
		{map[string]string{"USER_POOL_ID": "eu-west-1_Abc", "USER_POOL_CLIENT_ID": "client"}, "USER_POOL"},
	} {
		get := func(k string) string {
			if v, ok := c.over[k]; ok {
				return v
			}
			return env[k]
		}
		h, err := Build(context.Background(), get, io.Discard)
		switch {
		case c.want == "" && (err != nil || h == nil):
			t.Errorf("%v: %v", c.over, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one about %s", c.over, err, c.want)
		}
	}
}

func TestHandlerRefusesOtherEvents(t *testing.T) {
	h, err := Build(context.Background(), func(k string) string {
		return map[string]string{"DROPBOX_BUCKET": "d", "ARCHIVE_BUCKET": "a", "AWS_REGION": "us-east-1"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{`{"Records":[{"eventSource":"aws:sqs"}]}`, `"text"`, `[1,2]`} {
		if _, err := h(context.Background(), json.RawMessage(ev)); err == nil {
			t.Errorf("%s accepted", ev)
		}
	}
}

func TestPresignerSignsAGetOfTheArchiveObject(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	presign := Presigner(s3.NewPresignClient(s3.NewFromConfig(cfg)), "magpie-archive", 10*time.Minute)
	raw, err := presign(context.Background(), "mms1/fgm/srvy/l2/2015/10/f.cdf", `we"ird.cdf`)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"X-Amz-Expires":                "600",
		"X-Amz-Algorithm":              "AWS4-HMAC-SHA256",
		"response-content-disposition": `attachment; filename="weird.cdf"`,
	} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q (%s)", k, q.Get(k), want, raw)
		}
	}
	if !strings.Contains(u.Host+u.Path, "magpie-archive") || !strings.HasSuffix(u.Path, "/mms1/fgm/srvy/l2/2015/10/f.cdf") ||
		q.Get("X-Amz-Signature") == "" || !strings.Contains(q.Get("X-Amz-Credential"), "AKIDTEST") {
		t.Errorf("url %s", raw)
	}
}

func TestQuarantinedNewestFirst(t *testing.T) {
	ctx := context.Background()
	drop, err := local.NewObjectStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) {
		if _, err := drop.Put(ctx, key, strings.NewReader(body), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, at := range []string{"2015-10-16T01:00:00Z", "2015-10-16T03:00:00Z", "2015-10-16T02:00:00Z"} {
		b, _ := json.Marshal(ingest.QuarantineReason{FileName: string(rune('a'+i)) + ".cdf", QuarantinedAt: at})
		put(ingest.QuarantinePrefix+string(rune('a'+i))+".cdf"+ingest.ReasonSuffix, string(b))
		put(ingest.QuarantinePrefix+string(rune('a'+i))+".cdf", "bytes") // the file itself is not a reason
	}
	put(ingest.QuarantinePrefix+"bad.cdf"+ingest.ReasonSuffix, "{not json")
	put("upload/x.cdf", "not quarantined")
	var logs bytes.Buffer
	got, err := Quarantined(ctx, drop, 2, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].FileName != "b.cdf" || got[1].FileName != "c.cdf" {
		t.Errorf("got %+v", got)
	}
	if !strings.Contains(logs.String(), "bad.cdf") {
		t.Errorf("the unreadable reason was not logged: %s", logs.String())
	}
	all, err := Quarantined(ctx, drop, 0, slog.New(slog.DiscardHandler))
	if err != nil || len(all) != 3 {
		t.Errorf("all: %d %v", len(all), err)
	}
}

// With a user pool configured, bearer tokens go to Cognito, then to
// Magpie's own verifier; without one, only Magpie's.
func TestTokenVerifierChain(t *testing.T) {
	own := &auth.HMACTokens{Secret: make([]byte, 32), Clock: clock.Real{}}
	if got := (config{}).verifier(own); got != auth.TokenVerifier(own) {
		t.Fatalf("without a pool: %T", got)
	}
	v, err := cognitoVerifier(func(k string) string {
		return map[string]string{"USER_POOL_ID": "eu-west-1_Abc", "USER_POOL_CLIENT_ID": "client"}[k]
	})
	if err != nil || v.Region != "eu-west-1" || v.Issuer() != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc" {
		t.Fatalf("region from the pool id: %+v %v", v, err)
	}
	chain, ok := (config{cognito: v}).verifier(own).(auth.Chain)
	if !ok || len(chain) != 2 || chain[0] != auth.TokenVerifier(v) || chain[1] != auth.TokenVerifier(own) {
		t.Fatalf("with a pool: %#v", chain)
	}
	// Magpie's tokens still pass through the chain, without any key fetch.
	tok, _, err := own.Issue(auth.Principal{Name: "ann", Roles: []auth.Role{auth.RoleOperator}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := chain.Verify(context.Background(), tok); err != nil || p.Name != "ann" {
		t.Fatalf("own token through the chain: %+v %v", p, err)
	}
}

// With a user pool, HTTP Basic is checked against the users table and then
// the pool; without, against the table alone.
func TestPasswordsCheckThePoolToo(t *testing.T) {
	users := auth.NewUsers(nil, clock.Real{})
	if got := (config{}).passwords(users); got != auth.PasswordChecker(users) {
		t.Errorf("without a pool: %T", got)
	}
	v, err := auth.NewCognitoVerifier("us-east-1", "us-east-1_Pool1", "client-1", clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	chain, ok := (config{cognito: v}).passwords(users).(auth.PasswordCheckers)
	if !ok || len(chain) != 2 || chain[0] != auth.PasswordChecker(users) {
		t.Fatalf("with a pool: %#v", chain)
	}
	if cp, ok := chain[1].(*auth.CognitoPasswords); !ok || cp.Verifier != v {
		t.Errorf("second checker %#v, want the pool's", chain[1])
	}
}
