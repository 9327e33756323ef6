package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/magpie-sdc/magpie/shared/api"
	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/runtime"
)

func serveCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	data := fs.String("data", defaultDataDir(), "data folder (dropbox/, archive/, magpie.db)")
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP listen address")
	profilePath := fs.String("profile", "", "mission profile file (YAML or JSON); default: the built-in MMS profile")
	sweep := fs.Duration("sweep-every", time.Minute, "re-list the dropbox this often to catch missed file events (0: never)")
	workers := fs.Int("workers", 8, "files indexed at once")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	p, err := loadProfile(*profilePath)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	clk := clock.Real{}
	sdc, err := runtime.Open(ctx, runtime.Config{DataDir: *data, Profile: p, Clock: clk, Log: log, Workers: *workers})
	if err != nil {
		if errors.Is(err, runtime.ErrDataDirBusy) {
			return fail(stderr, 2, "%v", err)
		}
		return fail(stderr, 1, "%v", err)
	}
	defer sdc.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, 2, "cannot listen on %s: %v", *addr, err)
	}
	users := auth.NewUsers(sdc.Tables, clk)
	if err := users.EnsureTable(ctx); err != nil {
		return fail(stderr, 1, "%v", err)
	}
	secret, err := users.Secret(ctx)
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	tokens := &auth.HMACTokens{Secret: secret, Clock: clk}
	rel := &release.Service{Catalog: sdc.Catalog, Tables: sdc.Tables, Profile: p, Clock: clk}
	if err := rel.EnsureTable(ctx); err != nil {
		return fail(stderr, 1, "%v", err)
	}
	handler := api.New(api.Backend{Profile: p, Catalog: sdc.Catalog, Dropbox: sdc.Dropbox, Archive: sdc.Archive, Clock: clk, Log: log,
		Ingest: sdc.Ingest, Quarantined: sdc.Quarantined, BusStats: sdc.Bus.Stats, Started: clk.Now(),
		Passwords: users, Tokens: tokens, Issuer: tokens, Release: rel})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	dropbox, _ := filepath.Abs(filepath.Join(*data, "dropbox"))
	fmt.Fprintf(stdout, "Magpie is serving the %s SDC at http://%s/\n", p.Name, ln.Addr())
	fmt.Fprintf(stdout, "  status page  http://%s/\n  health       http://%s/healthz\n  dropbox      %s (drop files here)\n", ln.Addr(), ln.Addr(), dropbox)
	fmt.Fprintln(stdout, "Stop with Ctrl-C.")

	watchErr := make(chan error, 1)
	go func() { watchErr <- sdc.Watch(ctx, runtime.WatchConfig{SweepEvery: *sweep}) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	code := 0
	select {
	case <-ctx.Done():
	case err := <-watchErr:
		if err != nil {
			code = fail(stderr, 1, "dropbox watcher stopped: %v", err)
		}
	case err := <-serveErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			code = fail(stderr, 1, "HTTP server stopped: %v", err)
		}
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	fmt.Fprintln(stdout, "Magpie stopped.")
	return code
}
