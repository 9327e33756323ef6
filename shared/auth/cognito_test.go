package auth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
)

// jwksServer serves the public halves of keys as a JWKS and counts fetches.
type jwksServer struct {
	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey
	fetches int
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	var set []map[string]string
	for kid, k := range s.keys {
		set = append(set, map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
	}
	json.NewEncoder(w).Encode(map[string]any{"keys": set})
}

func (s *jwksServer) set(kid string, k *rsa.PrivateKey) {
	s.mu.Lock()
	s.keys[kid] = k
	s.mu.Unlock()
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func signRS256(t *testing.T, k *rsa.PrivateKey, hdr, claims map[string]any) string {
	t.Helper()
	in := seg(hdr) + "." + seg(claims)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestCognitoVerifier(t *testing.T) {
	key1, _ := rsa.GenerateKey(rand.Reader, 2048)
	key2, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	js := &jwksServer{keys: map[string]*rsa.PrivateKey{"k1": key1}}
	srv := httptest.NewTLSServer(js)
	defer srv.Close()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)
	v, err := NewCognitoVerifier("us-east-1", "us-east-1_Pool1", "client-1", clk)
	if err != nil {
		t.Fatal(err)
	}
	v.JWKSURL, v.HTTP = srv.URL, srv.Client()
	iss := "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1"
	access := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": iss, "token_use": "access", "client_id": "client-1", "username": "ann",
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "cognito:groups": []string{"sitl", "team", "operator"}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	rs := map[string]any{"alg": "RS256", "kid": "k1"}
	hmacTok, _, _ := (&HMACTokens{Secret: make([]byte, 32), Clock: clk}).Issue(Principal{Name: "ann", Roles: []Role{RoleOperator}})
	tests := []struct {
		name  string
		token string
		want  Principal // zero: rejected
	}{
		{"access token", signRS256(t, key1, rs, access(nil)), Principal{Name: "ann", Roles: []Role{RoleSITL, RoleOperator}, Via: "token"}},
		{"id token", signRS256(t, key1, rs, access(func(c map[string]any) {
			c["token_use"], c["aud"], c["cognito:username"], c["cognito:groups"] = "id", "client-1", "bob", []string{"scientist"}
			delete(c, "client_id")
			delete(c, "username")
		})), Principal{Name: "bob", Roles: []Role{RoleScientist}, Via: "token"}},
		{"expired within the leeway", signRS256(t, key1, rs, access(func(c map[string]any) { c["exp"] = now.Add(-30 * time.Second).Unix() })),
			Principal{Name: "ann", Roles: []Role{RoleSITL, RoleOperator}, Via: "token"}},
		{"expired", signRS256(t, key1, rs, access(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), Principal{}},
		{"no exp", signRS256(t, key1, rs, access(func(c map[string]any) { delete(c, "exp") })), Principal{}},
		{"not yet valid", signRS256(t, key1, rs, access(func(c map[string]any) { c["nbf"] = now.Add(10 * time.Minute).Unix() })), Principal{}},
		{"wrong issuer", signRS256(t, key1, rs, access(func(c map[string]any) { c["iss"] = iss + "x" })), Principal{}},
		{"wrong client", signRS256(t, key1, rs, access(func(c map[string]any) { c["client_id"] = "client-2" })), Principal{}},
		{"id token for another audience", signRS256(t, key1, rs, access(func(c map[string]any) {
			c["token_use"], c["aud"], c["cognito:username"] = "id", "client-2", "bob"
		})), Principal{}},
		{"unknown token_use", signRS256(t, key1, rs, access(func(c map[string]any) { c["token_use"] = "refresh" })), Principal{}},
		{"bad signature", signRS256(t, other, rs, access(nil)), Principal{}},
		{"alg none", seg(map[string]any{"alg": "none", "kid": "k1"}) + "." + seg(access(nil)) + ".", Principal{}},
		{"alg HS256", hmacTok, Principal{}},
		{"garbage", "a.b", Principal{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.token)
			if tc.want.Name == "" {
				if !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("accepted or wrong error: %+v %v", p, err)
				}
				return
			}
			if err != nil || p.Name != tc.want.Name || !slices.Equal(p.Roles, tc.want.Roles) || p.Via != tc.want.Via {
				t.Fatalf("got %+v %v, want %+v", p, err, tc.want)
			}
		})
	}
	if js.fetches != 1 {
		t.Fatalf("keys fetched %d times, want once and cached", js.fetches)
	}

	// Key rotation: a new kid refetches once the rate limit allows.
	js.set("k2", key2)
	rotated := signRS256(t, key2, map[string]any{"alg": "RS256", "kid": "k2"}, access(nil))
	if _, err := v.Verify(context.Background(), rotated); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown kid inside the refetch interval: %v", err)
	}
	clk.Advance(6 * time.Minute)
	now = clk.Now()
	rotated = signRS256(t, key2, map[string]any{"alg": "RS256", "kid": "k2"}, access(nil))
	if p, err := v.Verify(context.Background(), rotated); err != nil || p.Name != "ann" {
		t.Fatalf("rotated key: %+v %v", p, err)
	}
	// Unknown kids cannot make it fetch on every request.
	for range 5 {
		v.Verify(context.Background(), signRS256(t, key2, map[string]any{"alg": "RS256", "kid": "nope"}, access(nil)))
	}
	if js.fetches != 2 {
		t.Fatalf("keys fetched %d times, want 2", js.fetches)
	}
}

func TestCognitoKeysUnavailableIsNotBadCredentials(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	v, _ := NewCognitoVerifier("us-east-1", "us-east-1_Pool1", "c", clock.NewFake(time.Unix(0, 0)))
	v.JWKSURL = srv.URL
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok := signRS256(t, key, map[string]any{"alg": "RS256", "kid": "k"}, map[string]any{"exp": 1})
	_, err := v.Verify(context.Background(), tok)
	if err == nil || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("want a fetch error, got %v", err)
	}
	if _, err := (Chain{v}).Verify(context.Background(), tok); err == nil || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("chain hid the fetch error: %v", err)
	}
}

func TestNewCognitoVerifierChecksConfig(t *testing.T) {
	for _, c := range [][3]string{{"", "p", "c"}, {"us-east-1", "", "c"}, {"us-east-1", "us-east-1_x", ""}, {"us-east-1", "eu-west-1_x", "c"}} {
		if _, err := NewCognitoVerifier(c[0], c[1], c[2], clock.Real{}); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

// BenchmarkCognitoVerify is the cost of one bearer-token check with the
// keys cached (RSA-2048 signature, claims).
func BenchmarkCognitoVerify(b *testing.B) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	js := &jwksServer{keys: map[string]*rsa.PrivateKey{"k1": key}}
	srv := httptest.NewServer(js)
	defer srv.Close()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	v, _ := NewCognitoVerifier("us-east-1", "us-east-1_Pool1", "client-1", clock.NewFake(now))
	v.JWKSURL = srv.URL
	claims := map[string]any{"iss": v.Issuer(), "token_use": "access", "client_id": "client-1", "username": "ann",
		"exp": now.Add(time.Hour).Unix(), "cognito:groups": []string{"scientist"}}
	in := seg(map[string]any{"alg": "RS256", "kid": "k1"}) + "." + seg(claims)
	d := sha256.Sum256([]byte(in))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	tok := in + "." + base64.RawURLEncoding.EncodeToString(sig)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
