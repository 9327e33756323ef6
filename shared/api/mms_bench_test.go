package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/catalog/catalogtest"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// fileInfoBenchDays is the number of days per product of the benchmark's
// catalog: 4 spacecraft × 50 products × 1,000 days = 200,000 records, the
// B+tree depth of a large catalog at a fifth of the build time.
// MAGPIE_APILOAD_DATA names a catalog built by scripts/bench/apiload
// (1,000,000 records) to use instead.
const fileInfoBenchDays = 1000

// benchCatalog returns a catalog shaped as scripts/bench/apiload's: every
// product of 10 instruments × 5 levels, daily files, the L2 ones released.
func benchCatalog(b *testing.B) (*catalog.Catalog, *local.TableStore) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "catalog.db")
	if dir := os.Getenv("MAGPIE_APILOAD_DATA"); dir != "" {
		path = filepath.Join(dir, "catalog.db")
	}
	db, err := local.OpenTableStore(path, local.WithNoSync())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	cat := catalog.New(db)
	if err := cat.EnsureTable(ctx); err != nil {
		b.Fatal(err)
	}
	if os.Getenv("MAGPIE_APILOAD_DATA") != "" {
		return cat, db
	}
	if _, err := catalogtest.LoadMission(ctx, cat, time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), fileInfoBenchDays); err != nil {
		b.Fatal(err)
	}
	return cat, db
}

// uncounted hides the store's write counter (store.ChangeCounter), so the
// catalog cannot cache answers: every request reads the index.
type uncounted struct {
	store.TableStore
	store.QueryVisitor
}

// BenchmarkFileInfo serves the MMS file_info of one product-month (30
// released files) to a public caller through the whole handler, as
// scripts/bench/api-load.sh does over loopback. -benchmem's allocs/op is
// the per-request allocation count. "cached": the catalog answers repeated
// queries from its answer cache (as in a load test of one URL);
// "uncached": every request reads the by-product index.
func BenchmarkFileInfo(b *testing.B) {
	cat, db := benchCatalog(b)
	p, err := mission.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cat  *catalog.Catalog
	}{
		{"cached", cat},
		{"uncached", catalog.New(uncounted{db, db})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := New(Backend{Profile: p, Catalog: bc.cat, Clock: clock.Real{}})
			const url = "/mms/sdc/public/files/api/v1/file_info/science?sc_id=mms2&instrument_id=fgm&data_rate_mode=srvy&data_level=l2&start_date=2020-06-01&end_date=2020-06-30"
			check := httptest.NewRecorder()
			h.ServeHTTP(check, httptest.NewRequest(http.MethodGet, url, nil))
			if check.Code != http.StatusOK || strings.Count(check.Body.String(), `"file_name"`) != 30 {
				b.Fatalf("answer %d: %.300s", check.Code, check.Body.String())
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
