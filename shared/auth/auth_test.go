package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

func newUsers(t *testing.T) (*Users, *clock.Fake) {
	t.Helper()
	db, err := local.OpenTableStore(filepath.Join(t.TempDir(), "t.db"), local.WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	u := NewUsers(db, clk)
	u.Cost = 4
	if err := u.EnsureTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	return u, clk
}

func TestUsersAddAuthenticateRemove(t *testing.T) {
	ctx := context.Background()
	u, _ := newUsers(t)
	if _, err := u.Add(ctx, "ada", "correct horse", []Role{RoleSITL}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Add(ctx, "ada", "another pass", []Role{RoleSITL}, false); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate add: %v", err)
	}
	for _, bad := range []struct{ name, pw string }{{"", "12345678"}, {"a b", "12345678"}, {"bob", "short"}, {"bob", strings.Repeat("x", 73)}} {
		if _, err := u.Add(ctx, bad.name, bad.pw, []Role{RoleScientist}, false); err == nil {
			t.Errorf("add %q/%q accepted", bad.name, bad.pw)
		}
	}
	if _, err := u.Add(ctx, "bob", "12345678", []Role{"admin"}, false); err == nil {
		t.Error("unknown role accepted")
	}
	p, err := u.Authenticate(ctx, "ada", "correct horse")
	if err != nil || p.Name != "ada" || !p.Can(PermSubmit) || p.Can(PermApprove) || p.Can(PermOperate) {
		t.Fatalf("authenticate: %+v %v", p, err)
	}
	for _, c := range []struct{ name, pw string }{{"ada", "wrong horse"}, {"nobody", "correct horse"}, {"bad name!", "x"}} {
		if _, err := u.Authenticate(ctx, c.name, c.pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%s/%s: %v", c.name, c.pw, err)
		}
	}
	// Replacing the password invalidates the cached old one.
	if _, err := u.Add(ctx, "ada", "new password", []Role{RoleOperator}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Authenticate(ctx, "ada", "correct horse"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password still works: %v", err)
	}
	if p, err := u.Authenticate(ctx, "ada", "new password"); err != nil || !p.Can(PermOperate) {
		t.Errorf("new password: %+v %v", p, err)
	}
	list, err := u.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "ada" || list[0].Roles[0] != RoleOperator {
		t.Errorf("list: %+v %v", list, err)
	}
	if err := u.Remove(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if err := u.Remove(ctx, "ada"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	if _, err := u.Authenticate(ctx, "ada", "new password"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("removed user authenticates: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	want := map[Role][]Permission{
		RoleScientist: {PermPublic, PermTeam},
		RoleSITL:      {PermPublic, PermTeam, PermSubmit},
		RoleSuperSITL: {PermPublic, PermTeam, PermSubmit, PermApprove},
		RoleOperator:  {PermPublic, PermTeam, PermSubmit, PermApprove, PermOperate},
	}
	all := []Permission{PermPublic, PermTeam, PermSubmit, PermApprove, PermOperate}
	for role, perms := range want {
		p := Principal{Name: "x", Roles: []Role{role}}
		for _, perm := range all {
			has := false
			for _, w := range perms {
				has = has || w == perm
			}
			if p.Can(perm) != has {
				t.Errorf("%s can %s: %v, want %v", role, perm, p.Can(perm), has)
			}
		}
	}
	if anon := (Principal{}); !anon.Anonymous() || anon.Can(PermTeam) || !anon.Can(PermPublic) {
		t.Error("anonymous permissions wrong")
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	u, clk := newUsers(t)
	secret, err := u.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := u.Secret(ctx)
	if string(again) != string(secret) {
		t.Fatal("secret not stable")
	}
	tok := &HMACTokens{Secret: secret, Clock: clk, TTL: time.Hour}
	s, exp, err := tok.Issue(Principal{Name: "ada", Roles: []Role{RoleSuperSITL}})
	if err != nil || !exp.Equal(clk.Now().Add(time.Hour)) {
		t.Fatal(err, exp)
	}
	p, err := tok.Verify(ctx, s)
	if err != nil || p.Name != "ada" || !p.Can(PermApprove) || p.Via != "token" {
		t.Fatalf("verify: %+v %v", p, err)
	}
	parts := strings.Split(s, ".")
	other := &HMACTokens{Secret: []byte(strings.Repeat("k", 32)), Clock: clk}
	forged, _, _ := other.Issue(Principal{Name: "ada", Roles: []Role{RoleOperator}})
	for name, bad := range map[string]string{
		"garbage":       "abc",
		"alg none":      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
		"other secret":  forged,
		"tampered body": parts[0] + "." + parts[1] + "x." + parts[2],
	} {
		if _, err := tok.Verify(ctx, bad); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%s: %v", name, err)
		}
	}
	clk.Advance(time.Hour)
	if _, err := tok.Verify(ctx, s); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("expired token accepted: %v", err)
	}
	if _, err := (Chain{other, tok}).Verify(ctx, forged); err != nil {
		t.Errorf("chain: %v", err)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("secret password", 4)
	if err != nil {
		t.Fatal(err)
	}
	if !checkPassword(h, "secret password") || checkPassword(h, "secret passwore") {
		t.Error("check wrong")
	}
	if _, err := hashPassword(strings.Repeat("p", 73), 4); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("73-byte password: %v", err)
	}
	for _, bad := range []string{"", "x$1$a$b", "$2a$04$short", "pbkdf2-sha256$1000$!!$AA"} {
		if checkPassword(bad, "x") {
			t.Errorf("%q matched", bad)
		}
	}
}
