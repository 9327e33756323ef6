//go:build unix

package burst

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the test process used so far:
// on a machine shared with other work, wall time per op inflates with the
// load, CPU time much less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
