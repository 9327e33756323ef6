package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/catalog"
)

type principalKey struct{}

// principal returns the caller the guard authenticated (anonymous if none).
func principal(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalKey{}).(auth.Principal)
	return p
}

// teamView reports whether the caller sees team data on a route that serves
// both audiences. Routes under the MMS public prefix force the public view.
func (s *Server) teamView(r *http.Request) bool { return principal(r).Can(auth.PermTeam) }

// guard authenticates the caller and checks the route's permission:
// credentials that are present but wrong are always 401 (so pySPEDAS's login
// probe can tell a bad password); a missing login on a protected route is 401
// with a Basic challenge; a login without the permission is 403.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if errors.Is(err, auth.ErrBadCredentials) {
			challenge(w)
			writeError(w, http.StatusUnauthorized, "bad-credentials", "the user name, password or token is not valid")
			return
		}
		if err != nil {
			s.internal(w, err)
			return
		}
		if !p.Can(rt.Perm) {
			if p.Anonymous() {
				challenge(w)
				writeError(w, http.StatusUnauthorized, "login-required", "this needs a team login (HTTP Basic or a bearer token)")
				return
			}
			writeError(w, http.StatusForbidden, "forbidden", p.Name+" may not do this (needs permission "+string(rt.Perm)+")")
			return
		}
		rt.h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Magpie SDC", charset="UTF-8"`)
}

// authenticate reads HTTP Basic or Bearer credentials; none is the
// anonymous principal.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return auth.Principal{}, nil
	}
	scheme, rest, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "basic":
		name, pw, ok := r.BasicAuth()
		if !ok || s.b.Passwords == nil {
			return auth.Principal{}, auth.ErrBadCredentials
		}
		return s.b.Passwords.Authenticate(r.Context(), name, pw)
	case "bearer":
		if s.b.Tokens == nil {
			return auth.Principal{}, auth.ErrBadCredentials
		}
		return s.b.Tokens.Verify(r.Context(), strings.TrimSpace(rest))
	}
	return auth.Principal{}, auth.ErrBadCredentials
}

// visible is the one rule of what a caller may read; every route that hands
// out records or bytes passes them through it, whatever the query said.
// The public sees released files only, and of those only science files of
// public levels and ancillary files; selection files never.
func (s *Server) visible(team bool, r catalog.Record) bool {
	if team {
		return true
	}
	if !r.Released {
		return false
	}
	switch r.Kind {
	case catalog.KindScience:
		return s.b.Profile.IsPublicLevel(r.Level)
	case catalog.KindAncillary:
		return true
	}
	return false
}

// restrict narrows a filter to what a public caller may see; false means the
// answer is empty whatever the catalog holds.
func (s *Server) restrict(f *catalog.Filter, team bool) bool {
	if team {
		return true
	}
	f.ReleasedOnly = true
	switch f.Kind {
	case "", catalog.KindScience:
		levels := s.b.Profile.Release.PublicLevels
		if len(f.Level) > 0 {
			levels = slices.DeleteFunc(slices.Clone(f.Level), func(l string) bool { return !s.b.Profile.IsPublicLevel(l) })
		}
		if len(levels) == 0 {
			return false
		}
		f.Level = levels
		return true
	case catalog.KindAncillary:
		return true
	}
	return false
}

func (s *Server) filterVisible(team bool, recs []catalog.Record) []catalog.Record {
	if team {
		return recs
	}
	return slices.DeleteFunc(recs, func(r catalog.Record) bool { return !s.visible(false, r) })
}

// recentVisible lists recently ingested records of a kind ("" any) the caller may see.
func (s *Server) recentVisible(ctx context.Context, kind string, team bool, n int) ([]catalog.Record, error) {
	recs, err := s.b.Catalog.Recent(ctx, 2000, 31, s.b.Clock.Now())
	if err != nil {
		return nil, err
	}
	out := recs[:0]
	for _, r := range recs {
		if (kind == "" || r.Kind == kind) && s.visible(team, r) {
			out = append(out, r)
			if len(out) == n {
				break
			}
		}
	}
	return out, nil
}
