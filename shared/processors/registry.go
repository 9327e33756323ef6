// Package processors holds the built-in Go processors of the simulated MMS
// instruments, behind the pipeline's processor contract: FGM L0 → L1A
// (decommutation) → L1B (calibration with an ingested calibration file) →
// L2 (despun with the definitive attitude, rotated to GSE), a fast-latency
// SITL product and quick looks (CDF and PNG); FPI ion moments likewise: L0 →
// L1A → L1B (calibrated with an ingested FPI calibration file) → L2 (bulk
// velocity in GSE), SITL and quick looks. Formats: docs/l0-format.md.
package processors

import (
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/pipeline"
)

// SoftwareVersion of the built-in processors; bump it when their output
// changes so that the pipeline treats old results as from other code.
const SoftwareVersion = "1.0.0"

// Registry returns the built-in processors for a mission profile (they read
// the profile's telemetry description: APIDs, modes, sample periods).
func Registry(p *mission.Profile) pipeline.Registry {
	b := func(id string, format int, run pipeline.BuiltinFunc) pipeline.Processor {
		return pipeline.Builtin{Meta: pipeline.Info{ID: id, FormatVersion: format, SoftwareVersion: SoftwareVersion}, Run: run}
	}
	return pipeline.Registry{
		"fgm-l1a":  b("fgm-l1a", 1, fgmL1A(p)),
		"fgm-l1b":  b("fgm-l1b", 1, fgmL1B),
		"fgm-l2":   b("fgm-l2", 4, fgmL2),
		"fgm-sitl": b("fgm-sitl", 1, fgmSITL(p)),
		"fgm-ql":   b("fgm-ql", 1, fgmQL),
		"fpi-l1a":  b("fpi-l1a", 1, fpiL1A(p)),
		"fpi-l1b":  b("fpi-l1b", 1, fpiL1B),
		"fpi-l2":   b("fpi-l2", 3, fpiL2),
		"fpi-sitl": b("fpi-sitl", 1, fpiSITL(p)),
		"fpi-ql":   b("fpi-ql", 1, fpiQL),
	}
}
