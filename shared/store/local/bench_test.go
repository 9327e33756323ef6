package local

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// catalogItem looks like a catalog entry: three index entries (byFile,
// byIngest, and the table itself) and a dozen attributes.
func catalogItem(part, seq int) store.Item {
	start := int64(499348869184000000) + int64(seq)*60_000_000_000
	return store.Item{
		"pk":       fmt.Sprintf("P#mms%d#fgm#srvy#l2#p%04d", part%4+1, part),
		"sk":       fmt.Sprintf("T#%012d#V#004.018.%03d", seq, part%1000),
		"file":     fmt.Sprintf("mms%d_fgm_srvy_l2_p%04d_%08d_v4.18.0.cdf", part%4+1, part, seq),
		"day":      fmt.Sprintf("2015-09-%02d", seq%28+1),
		"ingested": fmt.Sprintf("T%012d#%04d", seq, part),
		"start":    start,
		"stop":     start + 59_999_999_999,
		"size":     int64(1<<20 + seq),
		"sha256":   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"class":    store.ClassStandard,
		"released": seq%2 == 0,
		"version":  int64(1),
	}
}

// BenchmarkConditionalPut measures create-only puts of catalog-like items
// from 8 concurrent writers (GOMAXPROCS × parallelism).
func BenchmarkConditionalPut(b *testing.B) {
	for _, durable := range []bool{true, false} {
		name := "durable"
		var opts []Option
		if !durable {
			name, opts = "nosync", []Option{WithNoSync()}
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s := openTestTableStore(b, filepath.Join(b.TempDir(), "bench.db"), opts...)
			if err := s.EnsureTable(ctx, catalogSpec); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0))) // 8 writers
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1))
					if err := s.Put(ctx, "catalog", catalogItem(i%500, i), store.IfNotExists()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
		})
	}
}

// BenchmarkQuery measures a 30-item range query of one partition in a table
// of 1,000,000 items (1,000 partitions × 1,000), built once per run.
func BenchmarkQuery(b *testing.B) {
	const parts, perPart = 1000, 1000
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "query.db")
	build := time.Now()
	s, err := OpenTableStore(path, WithNoSync())
	if err != nil {
		b.Fatal(err)
	}
	if err := s.EnsureTable(ctx, catalogSpec); err != nil {
		b.Fatal(err)
	}
	batch := make([]store.Item, 0, 10000)
	for p := range parts {
		for i := range perPart {
			batch = append(batch, catalogItem(p, i))
		}
		if len(batch) == cap(batch) {
			if err := s.BatchPut(ctx, "catalog", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d items in %v", parts*perPart, time.Since(build).Round(time.Millisecond))
	s = openTestTableStore(b, path)

	run := func(b *testing.B, query func(r *rand.Rand) store.Query) {
		r := rand.New(rand.NewPCG(1, 2))
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for b.Loop() {
			q := query(r)
			t0 := time.Now()
			page, err := s.Query(ctx, "catalog", q)
			lat = append(lat, time.Since(t0))
			if err != nil || len(page.Items) != 30 {
				b.Fatalf("query %+v: %d items, %v", q, len(page.Items), err)
			}
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	}
	b.Run("range30", func(b *testing.B) {
		run(b, func(r *rand.Rand) store.Query {
			p, i := r.IntN(parts), r.IntN(perPart-30)
			return store.Query{
				PK:     catalogItem(p, 0).String("pk"),
				SKFrom: catalogItem(p, i).String("sk"),
				SKTo:   catalogItem(p, i+29).String("sk"),
			}
		})
	})
	b.Run("range30-desc-limit", func(b *testing.B) {
		run(b, func(r *rand.Rand) store.Query {
			p, i := r.IntN(parts), r.IntN(perPart-30)+30
			return store.Query{PK: catalogItem(p, 0).String("pk"), SKTo: catalogItem(p, i).String("sk"), Descending: true, Limit: 30}
		})
	})
	b.Run("index30", func(b *testing.B) {
		run(b, func(r *rand.Rand) store.Query {
			p, i := r.IntN(parts), r.IntN(perPart-30)
			return store.Query{Index: "byIngest", PK: catalogItem(p, i).String("day"), SKFrom: catalogItem(p, i).String("ingested"), Limit: 30}
		})
	})
}
