package awsstore

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"magpie-staging-catalog", true},
		{"a_b.c-D9", true},
		{"abc", true},
		{"ab", false},
		{strings.Repeat("x", 255), true},
		{strings.Repeat("x", 256), false},
		{"with space", false},
		{"slash/name", false},
		{"ümlaut", false},
		{"", false},
	} {
		if got := validName(c.name); got != c.ok {
			t.Errorf("validName(%q) = %v, want %v", c.name, got, c.ok)
		}
	}
}
