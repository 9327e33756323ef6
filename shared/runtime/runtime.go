// Package runtime hosts the SDC on one machine, the embedded default: a data
// folder holds the dropbox and archive buckets as folders and the tables in a
// bbolt file; an in-process bus carries events between the same handlers that
// run as Lambdas on AWS; a watcher turns files landing in the dropbox into
// object-created events.
package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// Config configures a local SDC.
type Config struct {
	DataDir string
	Profile *mission.Profile
	Clock   clock.Clock
	Log     *slog.Logger
	// Workers is how many dropbox files are indexed at once (default 8).
	Workers int
	// NoSync skips fsync in the table store: for tests and benchmarks only.
	NoSync bool
}

// Local is a running local SDC.
type Local struct {
	Profile *mission.Profile
	Clock   clock.Clock
	Log     *slog.Logger
	DataDir string
	Dropbox *local.ObjectStore
	Archive *local.ObjectStore
	Tables  *local.TableStore
	Catalog *catalog.Catalog
	Bus     *events.Bus
	Indexer *ingest.Indexer

	workers int

	// inflight holds the dropbox keys being indexed, so the watcher, a sweep
	// and an upload never index the same file at the same time.
	mu       sync.Mutex
	inflight map[string]bool
}

// ErrDataDirBusy means another process (usually `magpie serve`) has the data
// folder's table store open.
var ErrDataDirBusy = errors.New("the data folder is in use by another magpie process (is `magpie serve` running on it?)")

// Open opens (creating if needed) the SDC in cfg.DataDir.
func Open(ctx context.Context, cfg Config) (*Local, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("runtime: no data folder given")
	}
	if cfg.Profile == nil {
		p, err := mission.Default()
		if err != nil {
			return nil, err
		}
		cfg.Profile = p
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("runtime: create data folder: %w", err)
	}
	drop, err := local.NewObjectStore(filepath.Join(cfg.DataDir, "dropbox"))
	if err != nil {
		return nil, fmt.Errorf("runtime: dropbox: %w", err)
	}
	arch, err := local.NewObjectStore(filepath.Join(cfg.DataDir, "archive"))
	if err != nil {
		return nil, fmt.Errorf("runtime: archive: %w", err)
	}
	opts := []local.Option{local.WithLockTimeout(time.Second)}
	if cfg.NoSync {
		opts = append(opts, local.WithNoSync())
	}
	tables, err := local.OpenTableStore(filepath.Join(cfg.DataDir, "magpie.db"), opts...)
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return nil, fmt.Errorf("%w: %s", ErrDataDirBusy, cfg.DataDir)
		}
		return nil, fmt.Errorf("runtime: tables: %w", err)
	}
	cat := catalog.New(tables)
	if err := cat.EnsureTable(ctx); err != nil {
		tables.Close()
		return nil, err
	}
	// A data folder from before the change feed: its records join the feed
	// once (afterwards this is one read).
	added, err := cat.BackfillChangeFeed(ctx, nil)
	if err != nil {
		tables.Close()
		return nil, fmt.Errorf("runtime: %w", err)
	}
	if added > 0 {
		cfg.Log.Info("change feed backfilled", "records", added)
	}
	bus := events.NewBus(cfg.Log, 4)
	l := &Local{
		Profile: cfg.Profile, Clock: cfg.Clock, Log: cfg.Log, DataDir: cfg.DataDir,
		Dropbox: drop, Archive: arch, Tables: tables, Catalog: cat, Bus: bus,
		workers: cfg.Workers, inflight: map[string]bool{},
	}
	l.Indexer = &ingest.Indexer{Profile: cfg.Profile, Dropbox: drop, Archive: arch, Catalog: cat,
		Events: bus, Clock: cfg.Clock, Log: cfg.Log}
	if err := l.startProcessing(ctx); err != nil {
		bus.Close()
		tables.Close()
		return nil, err
	}
	return l, nil
}

// Close drains pending events and closes the stores.
func (l *Local) Close() error {
	l.Bus.Close()
	return l.Tables.Close()
}

// Ingest indexes one dropbox key. When the key is already being indexed by
// another goroutine it returns at once with ResultSkipped.
func (l *Local) Ingest(ctx context.Context, key string) (ingest.Outcome, error) {
	l.mu.Lock()
	if l.inflight[key] {
		l.mu.Unlock()
		return ingest.Outcome{Key: key, Result: ingest.ResultSkipped, Reason: "already being indexed"}, nil
	}
	l.inflight[key] = true
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.inflight, key)
		l.mu.Unlock()
	}()
	return l.Indexer.Index(ctx, key)
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Seen        int `json:"seen"`
	Indexed     int `json:"indexed"`
	Duplicate   int `json:"duplicate"`
	Quarantined int `json:"quarantined"`
	Failed      int `json:"failed"`
}

// Sweep indexes every file waiting in the dropbox, Workers at a time. It is
// how the SDC catches up at start-up and recovers files whose event was
// missed; progress, when set, is called after each file.
func (l *Local) Sweep(ctx context.Context, progress func(ingest.Outcome, error)) (SweepResult, error) {
	var keys []string
	err := store.ListAll(ctx, l.Dropbox, "", func(o store.ObjectInfo) error {
		if !strings.HasPrefix(o.Key, ingest.QuarantinePrefix) {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("runtime: list dropbox: %w", err)
	}
	return l.IngestKeys(ctx, keys, progress), nil
}

// IngestKeys indexes the given dropbox keys, Workers at a time.
func (l *Local) IngestKeys(ctx context.Context, keys []string, progress func(ingest.Outcome, error)) SweepResult {
	var res SweepResult
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range l.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range work {
				out, err := l.Ingest(ctx, key)
				mu.Lock()
				res.Seen++
				switch {
				case err != nil:
					res.Failed++
					l.Log.Error("ingest failed", "key", key, "err", err)
				case out.Result == ingest.ResultIndexed:
					res.Indexed++
				case out.Result == ingest.ResultDuplicate:
					res.Duplicate++
				case out.Result == ingest.ResultQuarantined:
					res.Quarantined++
				}
				if progress != nil {
					progress(out, err)
				}
				mu.Unlock()
			}
		}()
	}
	for _, k := range keys {
		select {
		case work <- k:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return res
}

// Quarantined lists the quarantine reasons, newest first, at most limit.
func (l *Local) Quarantined(ctx context.Context, limit int) ([]ingest.QuarantineReason, error) {
	var out []ingest.QuarantineReason
	err := store.ListAll(ctx, l.Dropbox, ingest.QuarantinePrefix, func(o store.ObjectInfo) error {
		if !strings.HasSuffix(o.Key, ingest.ReasonSuffix) {
			return nil
		}
		rc, _, err := l.Dropbox.Get(ctx, o.Key, nil)
		if err != nil {
			return err
		}
		defer rc.Close()
		var r ingest.QuarantineReason
		if err := json.NewDecoder(rc).Decode(&r); err != nil {
			l.Log.Warn("unreadable quarantine reason", "key", o.Key, "err", err)
			return nil
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("runtime: list quarantine: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QuarantinedAt > out[j].QuarantinedAt })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
