// Package naming parses and formats the file names of an MMS-style science
// data center: science products, ancillary (flight dynamics) products and
// burst selection files. It checks syntax only; whether a spacecraft,
// instrument, level or extension is allowed is the mission profile's job.
//
// Every successful parse round-trips exactly: Parse(n).String() == n, so a
// name the SDC formats is byte-identical to the one it received.
package naming

import (
	"errors"
	"fmt"
	"strings"
)

// MaxNameLength is the longest accepted file name, the usual file-system
// limit for one path component.
const MaxNameLength = 255

// MaxExtLength bounds file extensions, which are short in practice.
const MaxExtLength = 16

// Kind says which naming scheme a name follows.
type Kind int

// The name kinds.
const (
	KindScience Kind = iota + 1
	KindAncillary
	KindSelection
)

// String returns "science", "ancillary" or "selection".
func (k Kind) String() string {
	switch k {
	case KindScience:
		return "science"
	case KindAncillary:
		return "ancillary"
	case KindSelection:
		return "selection"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Name is any parsed file name.
type Name interface {
	Kind() Kind
	// String returns the file name exactly as parsed.
	String() string
	// ArchiveKey returns the object key of the file in the archive.
	ArchiveKey() string
}

// ErrInvalidName is matched (errors.Is) by every parse error of this package.
var ErrInvalidName = errors.New("invalid file name")

// NameError describes why a name was rejected; Reason is short and meant
// for people (e.g. the quarantine reason).
type NameError struct {
	Name   string
	Kind   Kind // the scheme the name was checked against
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("invalid %s file name %q: %s", e.Kind, e.Name, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidName) true.
func (e *NameError) Unwrap() error { return ErrInvalidName }

func nameErr(kind Kind, name, format string, args ...any) error {
	return &NameError{Name: name, Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// Parse detects the kind of name and parses it: selection files by their
// type prefix, ancillary names by their 4-field shape ending in .Vnn, and
// everything else as a science name (whose error then says what is wrong).
func Parse(name string) (Name, error) {
	var (
		n   Name
		err error
	)
	switch _, isSelection := selectionTypeOf(name); {
	case isSelection:
		n, err = ParseSelection(name)
	case looksAncillary(name):
		n, err = ParseAncillary(name)
	default:
		n, err = ParseScience(name)
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

// looksAncillary reports a name of three underscores ending in .V<digits>
// (either case, so a lower-cased ancillary name gets the ancillary error).
func looksAncillary(name string) bool {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || dot+2 > len(name) || (name[dot+1] != 'V' && name[dot+1] != 'v') {
		return false
	}
	for i := dot + 2; i < len(name); i++ {
		if !isDigit(name[i]) {
			return false
		}
	}
	return strings.Count(name[:dot], "_") == 3
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || isDigit(c) }

func isUpperAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || isDigit(c) }

// checkToken reports why s is not [a-z0-9]+, or "" if it is.
func checkToken(field, s string) string {
	if s == "" {
		return "empty " + field + " field"
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) {
			return fmt.Sprintf("%s %q may only contain a-z and 0-9", field, s)
		}
	}
	return ""
}

// checkHyphenated reports why s is not [a-z0-9]+(-[a-z0-9]+)*, or "".
func checkHyphenated(field, s string) string {
	if s == "" {
		return "empty " + field + " field"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			if i == 0 || i == len(s)-1 || s[i-1] == '-' {
				return fmt.Sprintf("%s %q has a leading, trailing or doubled '-'", field, s)
			}
			continue
		}
		if !isLowerAlnum(c) {
			return fmt.Sprintf("%s %q may only contain a-z, 0-9 and inner '-'", field, s)
		}
	}
	return ""
}

// checkExt reports why ext is not a lower-case alphanumeric extension.
func checkExt(ext string) string {
	if ext == "" {
		return "missing extension"
	}
	if len(ext) > MaxExtLength {
		return fmt.Sprintf("extension longer than %d characters", MaxExtLength)
	}
	for i := 0; i < len(ext); i++ {
		if !isLowerAlnum(ext[i]) {
			return fmt.Sprintf("extension %q may only contain a-z and 0-9", ext)
		}
	}
	return ""
}

// atoiFixed parses exactly len(s) ASCII digits (len(s) <= 9).
func atoiFixed(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// appendPad appends v (>= 0) in decimal, zero-padded to width digits.
func appendPad(b []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
		if v <= 0 && width <= 0 || i == 0 {
			break
		}
	}
	return append(b, buf[i:]...)
}
