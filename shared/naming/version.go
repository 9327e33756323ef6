package naming

import (
	"cmp"
	"fmt"
	"strings"
)

// MaxVersionComponent is the largest accepted X, Y or Z. Five digits keep
// the sortable form fixed-width; real MMS versions stay far below (v5.113.0).
const MaxVersionComponent = 99999

// Version is an MMS file version X.Y.Z: X the interface (format) number, Y
// the quality (calibration) number, Z the revision (reprocessing) number.
// Components compare numerically.
type Version struct {
	X, Y, Z int
}

// ParseVersion parses "X.Y.Z": three decimal numbers 0..99999, no sign, no
// leading zeros (so the text round-trips), no 'v' prefix.
func ParseVersion(s string) (Version, error) {
	v, reason := parseVersion(s)
	if reason != "" {
		return Version{}, fmt.Errorf("version %q: %s: %w", s, reason, ErrInvalidName)
	}
	return v, nil
}

// parseVersion returns the version or why s is not one.
func parseVersion(s string) (Version, string) {
	var c [3]int
	rest := s
	for i := range c {
		part := rest
		if i < 2 {
			dot := strings.IndexByte(rest, '.')
			if dot < 0 {
				return Version{}, "want X.Y.Z"
			}
			part, rest = rest[:dot], rest[dot+1:]
		}
		n, reason := versionComponent(part)
		if reason != "" {
			return Version{}, reason
		}
		c[i] = n
	}
	return Version{c[0], c[1], c[2]}, ""
}

// versionComponent parses one canonical decimal component.
func versionComponent(s string) (int, string) {
	switch {
	case s == "":
		return 0, "empty version component"
	case len(s) > 5:
		return 0, fmt.Sprintf("version component %.12q exceeds %d", s, MaxVersionComponent)
	case len(s) > 1 && s[0] == '0':
		return 0, fmt.Sprintf("version component %q has a leading zero", s)
	}
	n, ok := atoiFixed(s)
	if !ok {
		return 0, fmt.Sprintf("version component %q is not a decimal number", s)
	}
	return n, ""
}

// String returns "X.Y.Z".
func (v Version) String() string { return string(v.appendTo(nil)) }

func (v Version) appendTo(b []byte) []byte {
	b = appendPad(b, v.X, 1)
	b = append(b, '.')
	b = appendPad(b, v.Y, 1)
	b = append(b, '.')
	return appendPad(b, v.Z, 1)
}

// Compare returns -1, 0 or +1 as v is lower than, equal to or higher than o,
// comparing X, then Y, then Z numerically (4.18.0 > 4.9.0).
func (v Version) Compare(o Version) int {
	if c := cmp.Compare(v.X, o.X); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Y, o.Y); c != 0 {
		return c
	}
	return cmp.Compare(v.Z, o.Z)
}

// Valid reports whether every component is within 0..MaxVersionComponent.
func (v Version) Valid() bool {
	ok := func(n int) bool { return n >= 0 && n <= MaxVersionComponent }
	return ok(v.X) && ok(v.Y) && ok(v.Z)
}

// Sortable returns the fixed-width form "XXXXX.YYYYY.ZZZZZ", zero-padded
// (4.18.0 → "00004.00018.00000"), whose byte order equals version order;
// table sort keys use it.
func (v Version) Sortable() string {
	b := make([]byte, 0, 17)
	b = appendPad(b, v.X, 5)
	b = append(b, '.')
	b = appendPad(b, v.Y, 5)
	b = append(b, '.')
	return string(appendPad(b, v.Z, 5))
}

// ParseSortableVersion parses the Sortable form back.
func ParseSortableVersion(s string) (Version, error) {
	if len(s) != 17 || s[5] != '.' || s[11] != '.' {
		return Version{}, fmt.Errorf("sortable version %q: want XXXXX.YYYYY.ZZZZZ: %w", s, ErrInvalidName)
	}
	x, ok1 := atoiFixed(s[0:5])
	y, ok2 := atoiFixed(s[6:11])
	z, ok3 := atoiFixed(s[12:17])
	if !ok1 || !ok2 || !ok3 {
		return Version{}, fmt.Errorf("sortable version %q: components must be 5 digits: %w", s, ErrInvalidName)
	}
	return Version{x, y, z}, nil
}
