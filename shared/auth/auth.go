// Package auth is who may do what: team members (users with roles) stored
// with bcrypt-hashed passwords on the table-store port, HTTP Basic
// credentials (the MMS clients' way) and bearer tokens. Locally, tokens are
// HMAC-signed JWTs this package issues; on AWS the user pool's tokens are
// verified too (CognitoVerifier, chained with Chain).
package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Role is a team member's role.
type Role string

// The roles, in increasing power.
const (
	RoleScientist Role = "scientist"  // read all data, team and public
	RoleSITL      Role = "sitl"       // + submit burst selections, upload
	RoleSuperSITL Role = "super-sitl" // + approve selections
	RoleOperator  Role = "operator"   // + reprocess, release, administer
)

// Roles lists every role.
func Roles() []Role { return []Role{RoleScientist, RoleSITL, RoleSuperSITL, RoleOperator} }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Roles(), r) {
		return "", fmt.Errorf("unknown role %q (want one of scientist, sitl, super-sitl, operator)", s)
	}
	return r, nil
}

// Permission is one thing a caller may be allowed to do.
type Permission string

// Permissions. PermPublic is granted to everyone, anonymous callers too.
const (
	PermPublic  Permission = "public"  // released data, public pages
	PermTeam    Permission = "team"    // every file, team pages
	PermSubmit  Permission = "submit"  // SITL selections, uploads
	PermApprove Permission = "approve" // approve SITL selections
	PermOperate Permission = "operate" // release, reprocess, quarantine, users
)

var grants = map[Role][]Permission{
	RoleScientist: {PermTeam},
	RoleSITL:      {PermTeam, PermSubmit},
	RoleSuperSITL: {PermTeam, PermSubmit, PermApprove},
	RoleOperator:  {PermTeam, PermSubmit, PermApprove, PermOperate},
}

// Principal is an authenticated caller. The zero value is the anonymous
// public caller.
type Principal struct {
	Name  string `json:"username"`
	Roles []Role `json:"roles"`
	// Via says how the caller authenticated: "basic", "token" or "" (anonymous).
	Via string `json:"via,omitempty"`
}

// Anonymous reports whether p is the public, unauthenticated caller.
func (p Principal) Anonymous() bool { return p.Name == "" }

// Can reports whether p holds perm.
func (p Principal) Can(perm Permission) bool {
	if perm == PermPublic {
		return true
	}
	for _, r := range p.Roles {
		if slices.Contains(grants[r], perm) {
			return true
		}
	}
	return false
}

// Errors.
var (
	// ErrBadCredentials: unknown user, wrong password, bad or expired token.
	// Callers answer 401 and never say which of these it was.
	ErrBadCredentials = errors.New("auth: bad credentials")
)
