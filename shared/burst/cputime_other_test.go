//go:build !unix

package burst

import "time"

// processCPU is not measured outside unix.
func processCPU() time.Duration { return 0 }
