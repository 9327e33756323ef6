package processors

import (
	"path/filepath"
	"testing"

	"github.com/magpie-sdc/magpie/shared/pipeline"
)

// BenchmarkSurveyDayL0ToL2 runs one spacecraft-day of survey FGM
// (1,382,400 vectors) through L1A, L1B and L2, files in and out, as the
// pipeline's jobs do. Peak memory: run it alone under /usr/bin/time -v
// (see docs/benchmarks.md).
func BenchmarkSurveyDayL0ToL2(b *testing.B) {
	sim := simDir(b)
	l0 := filepath.Join(sim, "mms1_fgm_srvy_l0_20151016_v1.0.0.dat")
	att := filepath.Join(sim, "MMS1_DEFATT_2015289_2015290.V00")
	eph := filepath.Join(sim, "MMS1_DEFEPH_2015289_2015290.V00")
	cal := writeNominalCal(b)
	b.ResetTimer()
	for b.Loop() {
		l1a := runDirect(b, "fgm-l1a", pipeline.PartitionDaily, simDay, 8, "mms1_fgm_srvy_l1a", map[string]string{"l0": l0})
		l1b := runDirect(b, "fgm-l1b", pipeline.PartitionDaily, simDay, 8, "mms1_fgm_srvy_l1b", map[string]string{"l1a": l1a, "cal": cal})
		runDirect(b, "fgm-l2", pipeline.PartitionDaily, simDay, 8, "mms1_fgm_srvy_l2", map[string]string{"l1b": l1b, "att": att, "eph": eph})
	}
	b.ReportMetric(1382400*float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
}
