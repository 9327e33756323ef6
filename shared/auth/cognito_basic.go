package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// CognitoPasswords checks HTTP Basic credentials against the Cognito user
// pool (PasswordChecker), so the MMS clients log in with the same account
// as the browser: InitiateAuth with USER_PASSWORD_AUTH for the app client
// (a public client: the call needs no AWS credentials), then the pool's ID
// token is verified like any bearer token, which gives the name and roles.
// Successful checks are remembered for a short while (keyed by an HMAC of
// name and password, never the password), because MMS clients send the
// credentials with every request and Cognito limits InitiateAuth calls.
type CognitoPasswords struct {
	Verifier *CognitoVerifier
	// Endpoint overrides the pool's service endpoint (tests).
	Endpoint string
	HTTP     *http.Client
	// CacheFor is how long a successful check is remembered (default 5 min).
	CacheFor time.Duration

	mu    sync.Mutex
	mk    []byte
	cache map[[32]byte]cached
}

// Authenticate implements PasswordChecker: ErrBadCredentials when Cognito
// refuses the name and password (or the user must first change it), an
// error for anything else.
func (c *CognitoPasswords) Authenticate(ctx context.Context, name, password string) (Principal, error) {
	v := c.Verifier
	if name == "" || password == "" {
		return Principal{}, ErrBadCredentials
	}
	key := c.key(name, password)
	now := v.Clock.Now()
	c.mu.Lock()
	hit, ok := c.cache[key]
	c.mu.Unlock()
	if ok && now.Before(hit.expires) {
		return hit.p, nil
	}
	token, err := c.initiateAuth(ctx, name, password)
	if err != nil {
		return Principal{}, err
	}
	p, err := v.Verify(ctx, token)
	if err != nil {
		return Principal{}, fmt.Errorf("auth: cognito: the pool's ID token: %w", err)
	}
	p.Via = "basic"
	ttl := c.CacheFor
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	c.mu.Lock()
	if c.cache == nil || len(c.cache) > 10000 {
		c.cache = map[[32]byte]cached{}
	}
	c.cache[key] = cached{p: p, expires: now.Add(ttl)}
	c.mu.Unlock()
	return p, nil
}

func (c *CognitoPasswords) key(name, password string) [32]byte {
	c.mu.Lock()
	if c.mk == nil {
		c.mk = make([]byte, 32)
		rand.Read(c.mk)
	}
	mk := c.mk
	c.mu.Unlock()
	m := hmac.New(sha256.New, mk)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

// initiateAuth calls the Cognito Identity Provider's InitiateAuth (JSON 1.1
// protocol) and returns the ID token.
func (c *CognitoPasswords) initiateAuth(ctx context.Context, name, password string) (string, error) {
	v := c.Verifier
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "https://cognito-idp." + v.Region + ".amazonaws.com/"
	}
	body, err := json.Marshal(map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": v.ClientID,
		"AuthParameters": map[string]string{"USERNAME": name, "PASSWORD": password}})
	if err != nil {
		return "", fmt.Errorf("auth: cognito: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("auth: cognito: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("auth: cognito: initiate auth: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("auth: cognito: initiate auth: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.Unmarshal(b, &e)
		switch e.Type {
		case "NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException", "PasswordResetRequiredException":
			return "", ErrBadCredentials
		}
		return "", fmt.Errorf("auth: cognito: initiate auth: %s %s: %s", resp.Status, e.Type, e.Message)
	}
	var out struct {
		ChallengeName        string `json:"ChallengeName"`
		AuthenticationResult struct {
			IDToken string `json:"IdToken"`
		} `json:"AuthenticationResult"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return "", fmt.Errorf("auth: cognito: initiate auth answer: %w", err)
	}
	if out.ChallengeName != "" || out.AuthenticationResult.IDToken == "" {
		// e.g. NEW_PASSWORD_REQUIRED: the user must sign in on the
		// hosted page first; Basic cannot answer a challenge.
		return "", ErrBadCredentials
	}
	return out.AuthenticationResult.IDToken, nil
}

// PasswordCheckers tries each checker in turn and returns the first
// success: the users table, then the user pool on AWS.
type PasswordCheckers []PasswordChecker

// Authenticate implements PasswordChecker.
func (cs PasswordCheckers) Authenticate(ctx context.Context, name, password string) (Principal, error) {
	for _, c := range cs {
		p, err := c.Authenticate(ctx, name, password)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, ErrBadCredentials) {
			return Principal{}, err
		}
	}
	return Principal{}, ErrBadCredentials
}
