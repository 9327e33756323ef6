package burst

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

var benchSC = []string{"mms1", "mms2", "mms3", "mms4"}

func benchBurst() mission.Burst {
	// Full memories: the whole 24,576 buffers holdable.
	return mission.Burst{BuffersPerSpacecraft: 24576, BufferSeconds: 10, BufferMegabytes: 4, QualityMax: 255}
}

// fullMemoryDB builds a table whose four memories are full of low-FOM
// 30-buffer segments and returns its file.
func fullMemoryDB(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "full.db")
	st, err := local.OpenTableStore(path, local.WithNoSync())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	bdm, err := Open(context.Background(), st, Config{Burst: benchBurst(), Spacecraft: benchSC, Clock: clock.NewFake(t0)})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var sels []Selection
	for k := 0; k < 24576/30; k++ {
		start := base + int64(k)*300
		sels = append(sels, Selection{TAIStart: start, TAIEnd: start + 290, FOM: float64(rng.IntN(100)), Source: SourceABS})
	}
	if _, err := bdm.Apply(context.Background(), sels); err != nil {
		b.Fatal(err)
	}
	return path
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	out.Close()
}

// BenchmarkApply500 applies a 500-segment submission (FOM 0–255, 1–60
// buffers) to full 4 × 24,576-buffer memories. "warm": the BDM has the
// memories cached (a long-running server); "cold": it reads them first (a
// fresh Lambda).
func BenchmarkApply500(b *testing.B) {
	tmpl := fullMemoryDB(b)
	rng := rand.New(rand.NewPCG(5, 6))
	var sels []Selection
	for k := 0; k < 500; k++ {
		start := base + 10_000_000 + int64(k)*1000
		sels = append(sels, Selection{TAIStart: start, TAIEnd: start + int64(rng.IntN(60))*10, FOM: float64(rng.IntN(256)), Source: SourceSITL})
	}
	for _, warm := range []bool{true, false} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			var cpu time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "db")
				copyFile(b, tmpl, path)
				st, err := local.OpenTableStore(path, local.WithNoSync())
				if err != nil {
					b.Fatal(err)
				}
				bdm, err := Open(ctx, st, Config{Burst: benchBurst(), Spacecraft: benchSC, Clock: clock.NewFake(t0.Add(time.Hour))})
				if err != nil {
					b.Fatal(err)
				}
				if warm {
					if err := bdm.load(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				before := processCPU()
				if _, err := bdm.Apply(ctx, sels); err != nil {
					b.Fatal(err)
				}
				cpu += processCPU() - before
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkMetrics30Days computes the 30-day panels from a year of
// segments (about 40 a day, each with hold, downlink or overwrite events).
func BenchmarkMetrics30Days(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	var segs []*Segment
	for day := 0; day < 365; day++ {
		for n := 0; n < 40; n++ {
			at := t0.Add(time.Duration(day)*24*time.Hour + time.Duration(n)*30*time.Minute)
			bufs := 1 + rng.IntN(60)
			s := &Segment{ID: int64(len(segs) + 1), FOM: float64(rng.IntN(256)), CreateTime: at, Obs: make([]Obs, 4)}
			must(nil, s.hold(at, []int{bufs, bufs, bufs, bufs}))
			for i := range 4 {
				s.Obs[i].Buffers, s.Obs[i].Remaining = bufs, bufs
			}
			must(nil, s.addToPlaylist(at))
			for i := range 4 {
				if rng.IntN(5) == 0 {
					must(nil, s.release(at.Add(30*time.Hour), i))
				} else {
					must(nil, s.transmitted(at.Add(10*time.Hour), i, bufs))
				}
			}
			segs = append(segs, s)
		}
	}
	end := t0.AddDate(1, 0, 0)
	prof, err := mission.Default()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ComputeMetrics(segs, prof.Burst, end, 30); err != nil {
			b.Fatal(err)
		}
	}
}
