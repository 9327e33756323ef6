package runtime

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/magpie-sdc/magpie/shared/ingest"
)

// WatchConfig tunes the dropbox watcher.
type WatchConfig struct {
	// Quiet is how long a file must go without change events before it is
	// indexed, so a file copied in slowly is not read half-written. Files
	// renamed into place (the atomic way) are indexed after the same pause.
	Quiet time.Duration
	// SweepEvery re-lists the whole dropbox periodically, the safety net for
	// events the operating system dropped (the "missed contact" of the file
	// system). Zero disables it.
	SweepEvery time.Duration
}

// Watch turns files landing anywhere under the dropbox folder into indexing,
// until ctx ends. It first sweeps what is already there.
func (l *Local) Watch(ctx context.Context, cfg WatchConfig) error {
	if cfg.Quiet <= 0 {
		cfg.Quiet = 300 * time.Millisecond
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	root := l.Dropbox.Root()
	if err := addTree(w, root); err != nil {
		return err
	}
	res, err := l.Sweep(ctx, nil)
	if err != nil {
		return err
	}
	if res.Seen > 0 {
		l.Log.Info("dropbox sweep", "seen", res.Seen, "indexed", res.Indexed, "duplicate", res.Duplicate, "quarantined", res.Quarantined, "failed", res.Failed)
	}

	// Touched paths wait in the debouncer until quiet; then a fixed pool of
	// workers indexes them. A delivery of thousands of files costs one map
	// entry each while it waits, never a goroutine each.
	d := newDebouncer(cfg.Quiet)
	due := make(chan string, 64)
	var wg sync.WaitGroup
	for range l.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range due {
				key, ok := dropboxKey(root, p)
				if !ok {
					continue
				}
				if _, err := os.Stat(p); err != nil {
					continue // moved away again, or already indexed
				}
				if _, err := l.Ingest(ctx, key); err != nil {
					l.Log.Error("ingest failed", "key", key, "err", err)
				}
			}
		}()
	}
	go d.run(ctx, due)
	defer wg.Wait()

	var sweep <-chan time.Time
	if cfg.SweepEvery > 0 {
		t := time.NewTicker(cfg.SweepEvery)
		defer t.Stop()
		sweep = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			// An overflow means lost events: sweep to catch up.
			l.Log.Warn("dropbox watcher", "err", err)
			if _, err := l.Sweep(ctx, nil); err != nil {
				l.Log.Error("dropbox sweep", "err", err)
			}
		case <-sweep:
			if _, err := l.Sweep(ctx, nil); err != nil {
				l.Log.Error("dropbox sweep", "err", err)
			}
		case ev := <-w.Events:
			if hidden(root, ev.Name) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					// A new folder: watch it and pick up files already in it.
					if err := addTree(w, ev.Name); err != nil {
						l.Log.Warn("watch new folder", "dir", ev.Name, "err", err)
					}
					filepath.WalkDir(ev.Name, func(p string, e fs.DirEntry, err error) error {
						if err == nil && !e.IsDir() {
							d.touch(p)
						}
						return nil
					})
					continue
				}
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) {
				d.touch(ev.Name)
			}
		}
	}
}

// hidden reports whether path is one of the store's internals, a temporary
// file (a name starting with '.') or under quarantine/.
func hidden(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return true
	}
	rel = filepath.ToSlash(rel)
	if strings.HasPrefix(rel, ingest.QuarantinePrefix) || rel+"/" == ingest.QuarantinePrefix {
		return true
	}
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

func dropboxKey(root, path string) (string, bool) {
	if hidden(root, path) {
		return "", false
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == "." {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(e.Name(), ".") || e.Name() == strings.TrimSuffix(ingest.QuarantinePrefix, "/") {
			return filepath.SkipDir
		}
		return w.Add(p)
	})
}

// debouncer releases a path once it has gone quiet: no touch for quiet.
type debouncer struct {
	quiet time.Duration

	mu  sync.Mutex
	due map[string]time.Time
}

func newDebouncer(quiet time.Duration) *debouncer {
	return &debouncer{quiet: quiet, due: map[string]time.Time{}}
}

func (d *debouncer) touch(path string) {
	d.mu.Lock()
	d.due[path] = time.Now().Add(d.quiet)
	d.mu.Unlock()
}

// run sends quiet paths to out, oldest deadline first, until ctx ends; then
// it closes out.
func (d *debouncer) run(ctx context.Context, out chan<- string) {
	defer close(out)
	t := time.NewTicker(max(d.quiet/4, 5*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, p := range d.take(now) {
				select {
				case out <- p:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

// take removes and returns the paths whose deadline has passed.
func (d *debouncer) take(now time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ready []string
	for p, at := range d.due {
		if !at.After(now) {
			ready = append(ready, p)
			delete(d.due, p)
		}
	}
	sort.Slice(ready, func(i, j int) bool { return ready[i] < ready[j] })
	return ready
}
