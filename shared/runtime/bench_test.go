package runtime

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkIngestSmallFiles measures end-to-end ingest (validate, archive
// create-only with fsync, catalog, announce, remove) of 10,000 small CDF
// files waiting in the dropbox, with durable table writes.
func BenchmarkIngestSmallFiles(b *testing.B) {
	for _, workers := range []int{8, 32} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { benchIngest(b, workers) })
	}
}

func benchIngest(b *testing.B, workers int) {
	const n = 10000
	body := make([]byte, 2048)
	rand.Read(body)
	copy(body, cdf[:8])
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		l, err := Open(context.Background(), Config{DataDir: dir, Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		drop := filepath.Join(dir, "dropbox")
		for i := range n {
			day := time.Date(2015, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/4)
			name := fmt.Sprintf("mms%d_fgm_srvy_l2_%s_v4.18.0.cdf", i%4+1, day.Format("20060102"))
			if err := os.WriteFile(filepath.Join(drop, name), body, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		res, err := l.Sweep(context.Background(), nil)
		l.Bus.Drain()
		elapsed := time.Since(start)
		if err != nil || res.Indexed != n {
			b.Fatalf("sweep %+v %v", res, err)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "files/s")
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
}
