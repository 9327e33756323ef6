// Package lambdaenvtest checks a function's configuration the way each
// functions/<name>/main_test.go does: a base environment that must build,
// and variations that must fail with an error naming what is wrong.
package lambdaenvtest

import (
	"context"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/lambdaenv"
)

// Case is the base environment with Over applied; Want is "" when it must
// build, else a part of the error it must give.
type Case struct {
	Over map[string]string
	Want string
}

// Build is a function's cold-start builder, as its main package has it.
type Build func(ctx context.Context, getenv func(string) string) (lambdaenv.Handler, error)

// Check builds the function on base with each case's changes (an empty
// value unsets a variable) and checks the outcome. No case may reach AWS:
// builders only read and check their environment.
func Check(t *testing.T, build Build, base map[string]string, cases []Case) {
	t.Helper()
	for _, c := range cases {
		h, err := build(context.Background(), Env(base, c.Over))
		switch {
		case c.Want == "" && (err != nil || h == nil):
			t.Errorf("%v: %v", c.Over, err)
		case c.Want != "" && (err == nil || !strings.Contains(err.Error(), c.Want)):
			t.Errorf("%v: error %v, want one about %s", c.Over, err, c.Want)
		}
	}
}

// Env is a getenv reading over first, then base.
func Env(base, over map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return base[k]
	}
}
