package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
)

// fakeIdP answers InitiateAuth as Cognito does, signing ID tokens with key.
type fakeIdP struct {
	t     *testing.T
	key   *rsa.PrivateKey
	clk   clock.Clock
	calls atomic.Int64
}

func (f *fakeIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	fail := func(status int, typ string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": typ})
	}
	if r.Header.Get("X-Amz-Target") != "AWSCognitoIdentityProviderService.InitiateAuth" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fail(400, "UnknownOperationException")
		return
	}
	var in struct {
		AuthFlow, ClientId string
		AuthParameters     map[string]string
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.AuthFlow != "USER_PASSWORD_AUTH" || in.ClientId != "client-1" {
		fail(400, "InvalidParameterException")
		return
	}
	switch user, pw := in.AuthParameters["USERNAME"], in.AuthParameters["PASSWORD"]; {
	case user == "broken":
		fail(500, "InternalErrorException")
	case user == "newbie":
		json.NewEncoder(w).Encode(map[string]any{"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s"})
	case user == "ann" && pw == "correct horse":
		now := f.clk.Now()
		tok := signRS256(f.t, f.key, map[string]any{"alg": "RS256", "kid": "k1"}, map[string]any{
			"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1", "token_use": "id", "aud": "client-1",
			"cognito:username": "ann", "cognito:groups": []string{"sitl"}, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
		json.NewEncoder(w).Encode(map[string]any{"AuthenticationResult": map[string]any{"IdToken": tok, "AccessToken": "a", "ExpiresIn": 3600}})
	default:
		fail(400, "NotAuthorizedException")
	}
}

func TestCognitoPasswords(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	clk := clock.NewFake(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	js := httptest.NewServer(&jwksServer{keys: map[string]*rsa.PrivateKey{"k1": key}})
	defer js.Close()
	idp := &fakeIdP{t: t, key: key, clk: clk}
	srv := httptest.NewServer(idp)
	defer srv.Close()
	v, err := NewCognitoVerifier("us-east-1", "us-east-1_Pool1", "client-1", clk)
	if err != nil {
		t.Fatal(err)
	}
	v.JWKSURL = js.URL
	c := &CognitoPasswords{Verifier: v, Endpoint: srv.URL}
	ctx := context.Background()

	p, err := c.Authenticate(ctx, "ann", "correct horse")
	if err != nil || p.Name != "ann" || !slices.Equal(p.Roles, []Role{RoleSITL}) || p.Via != "basic" {
		t.Fatalf("ann: %+v %v", p, err)
	}
	for _, cr := range [][2]string{{"ann", "wrong"}, {"nobody", "x"}, {"newbie", "temporary"}, {"", "x"}, {"ann", ""}} {
		if _, err := c.Authenticate(ctx, cr[0], cr[1]); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%q: %v, want ErrBadCredentials", cr, err)
		}
	}
	if _, err := c.Authenticate(ctx, "broken", "x"); err == nil || errors.Is(err, ErrBadCredentials) {
		t.Errorf("Cognito failing: %v, want an error that is not bad credentials (a 500, not a 401)", err)
	}
	// Remembered for a while, then asked again.
	calls := idp.calls.Load()
	if _, err := c.Authenticate(ctx, "ann", "correct horse"); err != nil || idp.calls.Load() != calls {
		t.Errorf("cached check: %v, %d calls more", err, idp.calls.Load()-calls)
	}
	clk.Advance(6 * time.Minute)
	if _, err := c.Authenticate(ctx, "ann", "correct horse"); err != nil || idp.calls.Load() != calls+1 {
		t.Errorf("after the cache time: %v, %d calls more", err, idp.calls.Load()-calls)
	}

	// Behind the users table: a table user, then the pool.
	chain := PasswordCheckers{failing{ErrBadCredentials}, c}
	if p, err := chain.Authenticate(ctx, "ann", "correct horse"); err != nil || p.Name != "ann" {
		t.Errorf("chain: %+v %v", p, err)
	}
	if _, err := (PasswordCheckers{failing{errors.New("table down")}, c}).Authenticate(ctx, "ann", "correct horse"); err == nil ||
		errors.Is(err, ErrBadCredentials) {
		t.Errorf("a failing first checker: %v, want its error", err)
	}
}

// failing is a PasswordChecker that always answers err.
type failing struct{ err error }

func (f failing) Authenticate(context.Context, string, string) (Principal, error) {
	return Principal{}, f.err
}
