// Command apiload builds a catalog of 1,000,000 records (4 spacecraft × 50
// products × 5,000 days, the L2 ones released) plus one 1 GiB archived
// file, and serves the Magpie API on it, for load tools to measure over
// loopback (see scripts/bench/api-load.sh and docs/benchmarks.md).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/magpie-sdc/magpie/shared/api"
	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/catalog/catalogtest"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// BigName is the 1 GiB file served for the download benchmark.
const BigName = "mms1_fgm_brst_l2_20200601000000_v1.0.0.cdf"

func main() {
	dir := flag.String("data", filepath.Join(os.TempDir(), "magpie-apiload"), "folder of the catalog and archive (built on first run)")
	days := flag.Int("days", 5000, "days per product (4 × 50 × days records)")
	big := flag.Int64("big", 1<<30, "size of the download benchmark's file in bytes")
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	pprofAddr := flag.String("pprof", "", "also serve net/http/pprof on this address (e.g. 127.0.0.1:6060)")
	flag.Parse()
	if *pprofAddr != "" {
		go func() { log.Println(http.ListenAndServe(*pprofAddr, nil)) }()
	}
	if err := run(*dir, *days, *big, *addr); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, days int, big int64, addr string) error {
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	db, err := local.OpenTableStore(filepath.Join(dir, "catalog.db"), local.WithNoSync())
	if err != nil {
		return err
	}
	defer db.Close()
	archive, err := local.NewObjectStore(filepath.Join(dir, "archive"))
	if err != nil {
		return err
	}
	cat := catalog.New(db)
	if err := cat.EnsureTable(ctx); err != nil {
		return err
	}
	if _, err := cat.Get(ctx, BigName); errors.Is(err, store.ErrNotFound) {
		t := time.Now()
		n, err := build(ctx, cat, archive, days, big)
		if err != nil {
			return err
		}
		log.Printf("built %d records and a %d-byte file in %s", n, big, time.Since(t).Round(time.Second))
	} else if err != nil {
		return err
	}
	p, err := mission.Default()
	if err != nil {
		return err
	}
	h := api.New(api.Backend{Profile: p, Catalog: cat, Archive: archive, Clock: clock.Real{},
		Quarantined: func(context.Context, int) ([]ingest.QuarantineReason, error) { return nil, nil }})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Printf("serving on http://%s/ (pid %d)", ln.Addr(), os.Getpid())
	return (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// build writes the records in batches and archives the big file.
func build(ctx context.Context, cat *catalog.Catalog, archive store.ObjectStore, days int, big int64) (int, error) {
	n, err := catalogtest.LoadMission(ctx, cat, time.Date(2015, 3, 13, 0, 0, 0, 0, time.UTC), days)
	if err != nil {
		return n, err
	}
	// The big file: a repeating pattern, hashed on the way in.
	h := sha256.New()
	body := io.TeeReader(io.LimitReader(pattern{}, big), h)
	if _, err := archive.Put(ctx, BigName, body, store.PutOptions{}); err != nil {
		return n, fmt.Errorf("archive the big file: %w", err)
	}
	r := catalog.Record{Name: BigName, Kind: catalog.KindScience, SC: "mms1", Instrument: "fgm", Rate: "brst", Level: "l2", Ext: "cdf",
		Start: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC), TimeDigits: 14, Version: "1.0.0", Size: big, SHA256: hex.EncodeToString(h.Sum(nil)),
		Ingested: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ArchiveKey: BigName, Status: catalog.StatusArchived, StorageClass: store.ClassStandard, Released: true, ReleaseID: "R1"}
	if _, err := cat.Add(ctx, r); err != nil {
		return n, err
	}
	return n + 1, nil
}

// pattern is an endless stream of bytes that do not compress to nothing.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return len(p), nil
}
