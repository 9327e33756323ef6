package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
)

// TableName is the users table; it also holds the token signing secret.
const TableName = "users"

// Spec declares the users table.
var Spec = store.TableSpec{Name: TableName, PK: "pk", SK: "sk"}

const (
	userSK    = "U"
	secretKey = "SECRET#token-hmac"
)

// User is a stored team member (the hash never leaves this package's API
// except through Authenticate).
type User struct {
	Name    string    `json:"username"`
	Roles   []Role    `json:"roles"`
	Created time.Time `json:"created"`
}

// Users is the user repository. Verified Basic credentials are cached for a
// short while, because pySPEDAS sends them with every request and a password
// check costs tens of milliseconds by design.
type Users struct {
	db    store.TableStore
	clock clock.Clock
	// Cost is the bcrypt work factor for new hashes (default DefaultCost;
	// tests lower it).
	Cost int
	// CacheFor is how long verified credentials are remembered (default 5 min).
	CacheFor time.Duration

	mu      sync.Mutex
	cache   map[[32]byte]cached
	cacheMK []byte // per-process key, so the cache map never holds passwords
}

type cached struct {
	p       Principal
	expires time.Time
}

// NewUsers returns the repository; call EnsureTable once at start-up.
func NewUsers(db store.TableStore, clk clock.Clock) *Users {
	mk := make([]byte, 32)
	rand.Read(mk)
	return &Users{db: db, clock: clk, Cost: DefaultCost, CacheFor: 5 * time.Minute,
		cache: map[[32]byte]cached{}, cacheMK: mk}
}

// EnsureTable creates the users table if needed.
func (u *Users) EnsureTable(ctx context.Context) error {
	if err := u.db.EnsureTable(ctx, Spec); err != nil {
		return fmt.Errorf("auth: ensure users table: %w", err)
	}
	return nil
}

// ValidName checks a user name: 1–64 characters of letters, digits and . _ - @.
func ValidName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("a user name has 1 to 64 characters")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-@", c)) {
			return fmt.Errorf("user name %q: only letters, digits and . _ - @ are allowed", name)
		}
	}
	return nil
}

// Add creates a user, or with replace set replaces an existing one's password
// and roles. Passwords have 8 to 72 characters (72: bcrypt's limit, kept so
// hashes can move to bcrypt without rejecting anyone's password).
func (u *Users) Add(ctx context.Context, name, password string, roles []Role, replace bool) (User, error) {
	if err := ValidName(name); err != nil {
		return User{}, err
	}
	if len(password) < 8 || len(password) > 72 {
		return User{}, errors.New("a password has 8 to 72 characters")
	}
	if len(roles) == 0 {
		return User{}, errors.New("give the user at least one role")
	}
	for _, r := range roles {
		if _, err := ParseRole(string(r)); err != nil {
			return User{}, err
		}
	}
	hash, err := hashPassword(password, u.Cost)
	if err != nil {
		return User{}, err
	}
	usr := User{Name: name, Roles: roles, Created: u.clock.Now().UTC()}
	rs := make([]string, len(roles))
	for i, r := range roles {
		rs[i] = string(r)
	}
	it := store.Item{"pk": "USER#" + name, "sk": userSK, "name": name, "roles": rs,
		"hash": string(hash), "created": usr.Created.Format(time.RFC3339)}
	cond := store.IfNotExists()
	if replace {
		cond = store.Cond{}
	}
	err = u.db.Put(ctx, TableName, it, cond)
	if errors.Is(err, store.ErrConditionFailed) {
		return User{}, fmt.Errorf("user %q exists (use --replace to change it): %w", name, store.ErrExists)
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: add user %s: %w", name, err)
	}
	u.forget()
	return usr, nil
}

// Remove deletes a user; removing a missing user is an error wrapping store.ErrNotFound.
func (u *Users) Remove(ctx context.Context, name string) error {
	err := u.db.Delete(ctx, TableName, store.Key{PK: "USER#" + name, SK: userSK}, store.IfExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("auth: remove user %s: %w", name, err)
	}
	u.forget()
	return nil
}

// List returns every user, sorted by name.
func (u *Users) List(ctx context.Context) ([]User, error) {
	var out []User
	cursor := ""
	for {
		page, err := u.db.Scan(ctx, TableName, cursor, 500)
		if err != nil {
			return nil, fmt.Errorf("auth: list users: %w", err)
		}
		for _, it := range page.Items {
			if it.String("sk") == userSK {
				usr, _ := userOf(it)
				out = append(out, usr)
			}
		}
		if page.Cursor == "" {
			break
		}
		cursor = page.Cursor
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func userOf(it store.Item) (User, string) {
	usr := User{Name: it.String("name")}
	if rs, ok := it["roles"].([]string); ok {
		for _, r := range rs {
			usr.Roles = append(usr.Roles, Role(r))
		}
	}
	if rs, ok := it["roles"].([]any); ok {
		for _, r := range rs {
			if s, ok := r.(string); ok {
				usr.Roles = append(usr.Roles, Role(s))
			}
		}
	}
	usr.Created, _ = time.Parse(time.RFC3339, it.String("created"))
	return usr, it.String("hash")
}

// Authenticate checks a user name and password. Any failure that is the
// caller's (unknown user, wrong password) is ErrBadCredentials.
func (u *Users) Authenticate(ctx context.Context, name, password string) (Principal, error) {
	ck := u.cacheKey(name, password)
	now := u.clock.Now()
	u.mu.Lock()
	c, ok := u.cache[ck]
	u.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.p, nil
	}
	if ValidName(name) != nil {
		return Principal{}, ErrBadCredentials
	}
	it, err := u.db.Get(ctx, TableName, store.Key{PK: "USER#" + name, SK: userSK})
	if errors.Is(err, store.ErrNotFound) {
		// Spend the time a real check would, so timing does not tell
		// which user names exist.
		checkPassword(dummyHash, password)
		return Principal{}, ErrBadCredentials
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: read user %s: %w", name, err)
	}
	usr, hash := userOf(it)
	if !checkPassword(hash, password) {
		return Principal{}, ErrBadCredentials
	}
	p := Principal{Name: usr.Name, Roles: usr.Roles, Via: "basic"}
	u.mu.Lock()
	if len(u.cache) > 10000 {
		clear(u.cache)
	}
	u.cache[ck] = cached{p: p, expires: now.Add(u.CacheFor)}
	u.mu.Unlock()
	return p, nil
}

// dummyHash has the default work factor, so a check against it costs what
// a real one does. (Its salt is fixed; it never matches a real password.)
var dummyHash = "$2a$11$0V8J.YP9quI4JS71naU73e9Z.ei/p.VHJoC.kdMMEPP1Gp.Vjm4RG"

func (u *Users) cacheKey(name, password string) [32]byte {
	m := hmac.New(sha256.New, u.cacheMK)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

// forget drops cached credentials after any change to the users.
func (u *Users) forget() {
	u.mu.Lock()
	clear(u.cache)
	u.mu.Unlock()
}

// Secret returns the token signing secret, creating it on first use. It is
// stored in the users table so every process of one SDC shares it.
func (u *Users) Secret(ctx context.Context) ([]byte, error) {
	key := store.Key{PK: secretKey, SK: "S"}
	it, err := u.db.Get(ctx, TableName, key)
	if err == nil {
		if b, ok := it["secret"].([]byte); ok && len(b) >= 32 {
			return b, nil
		}
		return nil, errors.New("auth: stored token secret is malformed")
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("auth: read token secret: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("auth: generate token secret: %w", err)
	}
	err = u.db.Put(ctx, TableName, store.Item{"pk": secretKey, "sk": "S", "secret": b}, store.IfNotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return u.Secret(ctx) // another process won the race; use its secret
	}
	if err != nil {
		return nil, fmt.Errorf("auth: store token secret: %w", err)
	}
	return b, nil
}
