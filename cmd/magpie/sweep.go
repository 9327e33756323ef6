package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/store"
)

// sweepCommand indexes everything waiting in a stopped SDC's dropbox once and
// exits: for catching up after downtime, cron-style operation, and
// measuring the indexer.
func sweepCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sweep", stderr)
	data := fs.String("data", defaultDataDir(), "data folder of a local SDC that is not running")
	profilePath := fs.String("profile", "", "mission profile file (YAML or JSON); default: the built-in MMS profile")
	workers := fs.Int("workers", 8, "files indexed at once")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	p, err := loadProfile(*profilePath)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sdc, code := openLocal(ctx, runtime.Config{DataDir: *data, Profile: p, Workers: *workers}, stderr, "a running server sweeps by itself")
	if sdc == nil {
		return code
	}
	defer sdc.Close()

	var waiting int64
	store.ListAll(ctx, sdc.Dropbox, "", func(o store.ObjectInfo) error {
		waiting++
		return nil
	})
	bar := newBar(stderr, waiting, "indexing")
	start := time.Now()
	res, err := sdc.Sweep(ctx, func(out ingest.Outcome, err error) {
		bar.Add(1)
		if err == nil && out.Result == ingest.ResultQuarantined {
			bar.Clear()
			fmt.Fprintf(stderr, "quarantined  %s: %s (%s)\n", out.Name, out.Reason, out.Code)
		}
	})
	bar.Finish()
	if err != nil {
		return fail(stderr, 1, "sweep: %v", err)
	}
	sdc.Bus.Drain()
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "%d files in %.2f s (%.0f files/s): %d indexed, %d already archived, %d quarantined, %d failed\n",
		res.Seen, secs, float64(res.Seen)/max(secs, 1e-9), res.Indexed, res.Duplicate, res.Quarantined, res.Failed)
	if res.Failed > 0 {
		return 1
	}
	if res.Quarantined > 0 {
		return 2
	}
	return 0
}
