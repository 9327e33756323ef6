package auth

// Cognito on AWS — the plan (not built here: no network to fetch keys from).
//
// A CognitoVerifier will implement TokenVerifier for the deployed SDC:
//   - keys: the user pool's JWKS (https://cognito-idp.<region>.amazonaws.com/
//     <pool id>/.well-known/jwks.json) fetched at cold start and cached by
//     "kid"; an unknown kid triggers one refetch (key rotation), rate-limited;
//   - checks: alg RS256 only, signature by the kid's RSA key, iss equal to the
//     pool URL, exp in the future (clock injected), token_use "access" with
//     client_id equal to the app client (or "id" with aud equal to it);
//   - roles: the "cognito:groups" claim, each group named after a Role
//     (scientist, sitl, super-sitl, operator); unknown groups are ignored;
//   - name: "username" (access token) or "cognito:username" (id token).
// HTTP Basic on AWS (the MMS clients cannot do OAuth) is verified by
// Cognito's InitiateAuth (USER_PASSWORD_AUTH) behind the same Authenticator
// interface the local Users implement, with the same short cache.
//
// Chain lets the API accept tokens of several issuers during a migration.

import "context"

// Chain tries each verifier in turn and returns the first success.
type Chain []TokenVerifier

// Verify implements TokenVerifier.
func (c Chain) Verify(ctx context.Context, token string) (Principal, error) {
	for _, v := range c {
		p, err := v.Verify(ctx, token)
		if err == nil {
			return p, nil
		}
		if err != ErrBadCredentials {
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
