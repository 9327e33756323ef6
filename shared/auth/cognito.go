package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
)

// CognitoVerifier verifies the access and ID tokens of a Cognito user pool
// (the deployed SDC's bearer tokens). Keys come from the pool's JWKS,
// fetched over HTTPS on first use and cached by key id; a token signed with
// an unknown key id makes it fetch again (key rotation), at most once per
// RefetchAfter. Only RS256 is accepted.
//
// Roles are the token's cognito:groups named after a Role (scientist, sitl,
// super-sitl, operator); other groups are ignored. The name is the
// username (access token) or cognito:username (ID token).
//
// HTTP Basic on AWS (the MMS clients cannot do OAuth) is checked against
// the same pool by CognitoPasswords (InitiateAuth), behind the users table.
type CognitoVerifier struct {
	Region     string // e.g. us-east-1
	UserPoolID string // e.g. us-east-1_AbCdEf123
	ClientID   string // the app client the tokens must be issued to
	Clock      clock.Clock
	// HTTP fetches the JWKS (default: a client with a 10 s timeout).
	HTTP *http.Client
	// JWKSURL overrides the pool's key URL (tests).
	JWKSURL string
	// Leeway tolerates clock skew on exp and nbf (default 1 minute).
	Leeway time.Duration
	// RefetchAfter spaces key fetches (default 5 minutes).
	RefetchAfter time.Duration

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time // last fetch attempt, successful or not
	fetchErr  error     // the last attempt's error, while keys is nil
}

// NewCognitoVerifier checks the configuration and returns a verifier.
func NewCognitoVerifier(region, poolID, clientID string, clk clock.Clock) (*CognitoVerifier, error) {
	if region == "" || poolID == "" || clientID == "" {
		return nil, errors.New("auth: cognito: region, user pool id and client id are required")
	}
	if !strings.HasPrefix(poolID, region+"_") {
		return nil, fmt.Errorf("auth: cognito: user pool id %q is not of region %s", poolID, region)
	}
	return &CognitoVerifier{Region: region, UserPoolID: poolID, ClientID: clientID, Clock: clk}, nil
}

// Issuer is the iss claim of the pool's tokens.
func (v *CognitoVerifier) Issuer() string {
	return "https://cognito-idp." + v.Region + ".amazonaws.com/" + v.UserPoolID
}

func (v *CognitoVerifier) jwksURL() string {
	if v.JWKSURL != "" {
		return v.JWKSURL
	}
	return v.Issuer() + "/.well-known/jwks.json"
}

type cognitoClaims struct {
	Iss      string          `json:"iss"`
	Exp      *int64          `json:"exp"`
	Nbf      int64           `json:"nbf"`
	TokenUse string          `json:"token_use"`
	ClientID string          `json:"client_id"`
	Aud      json.RawMessage `json:"aud"`
	Username string          `json:"username"`
	CogUser  string          `json:"cognito:username"`
	Groups   []string        `json:"cognito:groups"`
}

// Verify implements TokenVerifier. A token that is not a valid token of
// the pool and client is ErrBadCredentials; failing to fetch the keys is
// another error (the caller answers 500, not 401).
func (v *CognitoVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Principal{}, ErrBadCredentials
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil || hdr.Alg != "RS256" || hdr.Kid == "" {
		return Principal{}, ErrBadCredentials
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Principal{}, ErrBadCredentials
	}
	key, err := v.key(ctx, hdr.Kid)
	if err != nil {
		return Principal{}, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) != nil {
		return Principal{}, ErrBadCredentials
	}
	var c cognitoClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return Principal{}, ErrBadCredentials
	}
	if err := v.check(c); err != nil {
		return Principal{}, ErrBadCredentials
	}
	name := c.Username
	if c.TokenUse == "id" {
		name = c.CogUser
	}
	if name == "" {
		return Principal{}, ErrBadCredentials
	}
	p := Principal{Name: name, Via: "token"}
	for _, g := range c.Groups {
		if r, err := ParseRole(g); err == nil && Role(g) == r {
			p.Roles = append(p.Roles, r)
		}
	}
	return p, nil
}

// check applies the claim rules; the error says which failed (for tests;
// callers see only ErrBadCredentials).
func (v *CognitoVerifier) check(c cognitoClaims) error {
	now := v.Clock.Now()
	leeway := v.Leeway
	if leeway <= 0 {
		leeway = time.Minute
	}
	switch {
	case c.Iss != v.Issuer():
		return fmt.Errorf("issuer %q", c.Iss)
	case c.Exp == nil || now.After(time.Unix(*c.Exp, 0).Add(leeway)):
		return errors.New("expired")
	case c.Nbf != 0 && now.Add(leeway).Before(time.Unix(c.Nbf, 0)):
		return errors.New("not yet valid")
	}
	switch c.TokenUse {
	case "access":
		if c.ClientID != v.ClientID {
			return fmt.Errorf("client %q", c.ClientID)
		}
	case "id":
		if !audienceHas(c.Aud, v.ClientID) {
			return errors.New("audience")
		}
	default:
		return fmt.Errorf("token_use %q", c.TokenUse)
	}
	return nil
}

// audienceHas reads aud as a string or a list of strings.
func audienceHas(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// key returns the public key of kid, fetching the JWKS on first use and
// again for an unknown kid when the last fetch is older than RefetchAfter.
// Fetches are serialised: concurrent requests of a cold start wait for one.
func (v *CognitoVerifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	every := v.RefetchAfter
	if every <= 0 {
		every = 5 * time.Minute
	}
	now := v.Clock.Now()
	if !v.fetchedAt.IsZero() && now.Sub(v.fetchedAt) < every {
		if v.keys == nil && v.fetchErr != nil {
			return nil, v.fetchErr
		}
		return nil, ErrBadCredentials
	}
	v.fetchedAt = now
	keys, err := v.fetch(ctx)
	if err != nil {
		if v.keys == nil {
			v.fetchErr = err
			return nil, err
		}
		// Keep the keys we have; the unknown kid is not one of them.
		return nil, ErrBadCredentials
	}
	v.keys, v.fetchErr = keys, nil
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, ErrBadCredentials
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// fetch reads the JWKS and keeps its RSA signing keys of at least 2048 bits.
func (v *CognitoVerifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	client := v.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	url := v.jwksURL()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: cognito keys %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: cognito keys %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: cognito keys %s: %s", url, resp.Status)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("auth: cognito keys %s: %w", url, err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Alg != "" && k.Alg != "RS256") || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("auth: cognito keys %s: no RS256 signing keys", url)
	}
	return keys, nil
}

// Chain tries each verifier in turn and returns the first success: the API
// on AWS accepts Magpie's own tokens and the user pool's.
type Chain []TokenVerifier

// Verify implements TokenVerifier.
func (c Chain) Verify(ctx context.Context, token string) (Principal, error) {
	for _, v := range c {
		p, err := v.Verify(ctx, token)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, ErrBadCredentials) {
			return Principal{}, err
		}
	}
	return Principal{}, ErrBadCredentials
}

// PasswordChecker checks user name and password (Users locally, Cognito's
// InitiateAuth on AWS).
type PasswordChecker interface {
	Authenticate(ctx context.Context, name, password string) (Principal, error)
}
