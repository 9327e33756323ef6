package awsstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Catalog-like writes through the DynamoDB adapter against the emulator at
// MAGPIE_TEST_DYNAMODB_ENDPOINT (DynamoDB Local), to compare BatchPut with
// create-only single puts. Reports items/s.
//
//	scripts/emulators/start.sh && set -a && . .tools/emulators.env && set +a
//	go test ./shared/store/awsstore -run '^$' -bench Catalog -benchtime 2000x

var catalogSpec = store.TableSpec{Name: "catalog", PK: "pk", SK: "sk", Indexes: []store.IndexSpec{
	{Name: "byName", PK: "name"},
	{Name: "byIngest", PK: "ingest_day", SK: "ingested"},
}}

func catalogItem(i int) store.Item {
	sc, day := i%4+1, i/10000
	name := fmt.Sprintf("mms%d_fgm_brst_l2_201509%02d%06d_v4.18.%d.cdf", sc, day%28+1, i%1000000, i%7)
	return store.Item{
		"pk":         fmt.Sprintf("P#mms%d#fgm#brst#l2", sc),
		"sk":         fmt.Sprintf("T#2015-09-%02dT%06d#V#004.018.%03d", day%28+1, i, i%7),
		"name":       name,
		"ingest_day": "2026-05-01",
		"ingested":   fmt.Sprintf("2026-05-01T12:00:00.%09dZ", i),
		"sha256":     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"size":       int64(1<<20 + i),
		"class":      "STANDARD",
		"released":   false,
		"version":    int64(1),
	}
}

func benchStore(b *testing.B) *TableStore {
	client := emulatorDynamoDB(b)
	s := NewTableStore(client, newTablePrefix(b, client))
	if err := s.EnsureTable(context.Background(), catalogSpec); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkCatalogBatchPut(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i += 100 {
		items := make([]store.Item, 0, 100)
		for j := i; j < min(i+100, b.N); j++ {
			items = append(items, catalogItem(j))
		}
		if err := s.BatchPut(ctx, "catalog", items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkCatalogConditionalPut(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Put(ctx, "catalog", catalogItem(i), store.IfNotExists()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkCatalogConditionalPutParallel: several writers, as concurrent
// indexer Lambdas would be.
func BenchmarkCatalogConditionalPutParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if err := s.Put(ctx, "catalog", catalogItem(int(i)), store.IfNotExists()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
