package processors

import (
	"os"
	"sync/atomic"
	"testing"
)

// simUsed records whether a test asked for the simulated day.
var simUsed atomic.Bool

// TestMain removes the simulated day after the tests, unless it lives in
// MAGPIE_SIM_DIR (kept on purpose for repeated benchmark runs).
func TestMain(m *testing.M) {
	code := m.Run()
	if simUsed.Load() && os.Getenv("MAGPIE_SIM_DIR") == "" {
		if dir, err := simulated(); err == nil && dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}
