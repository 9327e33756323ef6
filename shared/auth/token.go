package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
)

// TokenVerifier turns a bearer token into a principal. The local SDC uses
// HMACTokens; on AWS a verifier of Cognito ID/access tokens implements the
// same interface (see cognito.go).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// HMACTokens issues and verifies compact JWTs signed with HS256.
type HMACTokens struct {
	Secret []byte
	Clock  clock.Clock
	// Issuer is the iss claim written and required (default "magpie").
	Issuer string
	// TTL is the lifetime of issued tokens (default 12 h).
	TTL time.Duration
}

type claims struct {
	Iss   string   `json:"iss"`
	Sub   string   `json:"sub"`
	Roles []string `json:"roles"`
	Iat   int64    `json:"iat"`
	Exp   int64    `json:"exp"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (t *HMACTokens) issuer() string {
	if t.Issuer == "" {
		return "magpie"
	}
	return t.Issuer
}

// Issue signs a token for p; it returns the token and its expiry.
func (t *HMACTokens) Issue(p Principal) (string, time.Time, error) {
	if len(t.Secret) < 32 {
		return "", time.Time{}, errors.New("auth: token secret too short")
	}
	ttl := t.TTL
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	now := t.Clock.Now().UTC()
	c := claims{Iss: t.issuer(), Sub: p.Name, Iat: now.Unix(), Exp: now.Add(ttl).Unix()}
	for _, r := range p.Roles {
		c.Roles = append(c.Roles, string(r))
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: encode claims: %w", err)
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(body)
	return signing + "." + t.sign(signing), time.Unix(c.Exp, 0).UTC(), nil
}

func (t *HMACTokens) sign(s string) string {
	m := hmac.New(sha256.New, t.Secret)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks the signature, the algorithm, the issuer and the expiry.
// Every failure is ErrBadCredentials.
func (t *HMACTokens) Verify(_ context.Context, token string) (Principal, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(t.Secret) < 32 {
		return Principal{}, ErrBadCredentials
	}
	// The header must be exactly ours: no "alg":"none", no algorithm switch.
	if parts[0] != jwtHeader {
		return Principal{}, ErrBadCredentials
	}
	want := t.sign(parts[0] + "." + parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return Principal{}, ErrBadCredentials
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Principal{}, ErrBadCredentials
	}
	var c claims
	if json.Unmarshal(body, &c) != nil || c.Sub == "" || c.Iss != t.issuer() {
		return Principal{}, ErrBadCredentials
	}
	if !t.Clock.Now().Before(time.Unix(c.Exp, 0)) {
		return Principal{}, ErrBadCredentials
	}
	p := Principal{Name: c.Sub, Via: "token"}
	for _, r := range c.Roles {
		if role, err := ParseRole(r); err == nil {
			p.Roles = append(p.Roles, role)
		}
	}
	return p, nil
}
