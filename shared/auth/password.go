package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is the bcrypt work factor for new password hashes: about
// 60 ms a check here, paid once per login thanks to the verified-credential
// cache (pySPEDAS sends Basic credentials on every request).
const DefaultCost = 11

// ErrPasswordTooLong: bcrypt uses at most 72 bytes of a password; longer
// ones are refused rather than silently truncated.
var ErrPasswordTooLong = errors.New("password longer than 72 bytes")

func hashPassword(password string, cost int) (string, error) {
	if cost < bcrypt.MinCost {
		cost = DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return "", ErrPasswordTooLong
	}
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// checkPassword reports whether password matches the stored bcrypt hash.
func checkPassword(stored, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(stored), []byte(password)) == nil
}
