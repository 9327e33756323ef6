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
	"runtime/debug"
	"syscall"
	"time"

	"github.com/magpie-sdc/magpie/shared/api"
	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/auth"
	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/release"
	"github.com/magpie-sdc/magpie/shared/runtime"
)

// serveGCPercent is the server's GC target unless GOGC is set.
const serveGCPercent = 400

func serveCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	data := fs.String("data", defaultDataDir(), "data folder (dropbox/, archive/, magpie.db)")
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP listen address")
	profilePath := fs.String("profile", "", "mission profile file (YAML or JSON); default: the built-in MMS profile")
	sweep := fs.Duration("sweep-every", time.Minute, "re-list the dropbox this often to catch missed file events (0: never)")
	workers := fs.Int("workers", 8, "files indexed at once")
	sitlDeadline := fs.Duration("sitl-deadline", runtime.DefaultSITLDeadline, "how long the SITL may submit after a SITL cycle starts (then ABS applies)")
	contacts := fs.Bool("contacts", true, "simulate the profile's ground-station contacts (simulation.contacts): each downlinks the burst playlist in FOM order")
	nightlyAt := fs.String("nightly-at", "02:00", "UTC time of day of the nightly sweep (re-plan NOTRUN, retry FAILED jobs); \"off\" disables it")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	// The server's heap is small (~12 MB) and its answers allocate: a
	// higher GC target trades ~16 MB of memory for a quarter less CPU per
	// request (docs/benchmarks.md). GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	nightly, err := parseTimeOfDay(*nightlyAt)
	if err != nil {
		return fail(stderr, 2, "serve: --nightly-at: %v", err)
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
	// The state machines (reprocessing, SITL cycle) run on one interpreter
	// whose executions live in the SDC's tables: those a previous run left
	// RUNNING resume here.
	wf, err := sdc.StartWorkflows(ctx, runtime.WorkflowsConfig{})
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	defer wf.Close()

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
		Passwords: users, Tokens: tokens, Issuer: tokens, Release: rel, Jobs: pipeline.NewJobs(sdc.Tables),
		Workflows: api.Workflows{
			StartCampaign: func(ctx context.Context, req campaign.Request) (string, *campaign.Plan, error) {
				r, err := wf.StartCampaign(ctx, req)
				return r.ExecutionID, r.Plan, err
			},
			DescribeCampaign: func(ctx context.Context, id string) (asl.Execution, error) {
				return wf.Describe(ctx, wf.CampaignExecutionID(id))
			},
			ListCampaigns: wf.ListCampaigns,
			Campaigns:     campaign.NewStore(sdc.Tables),
			SITL:          wf.SITL,
			Segments:      func(ctx context.Context) ([]*burst.Segment, error) { return wf.BDM.Segments(ctx) },
			Contacts:      wf.Contacts.List,
		}})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	dropbox, _ := filepath.Abs(filepath.Join(*data, "dropbox"))
	fmt.Fprintf(stdout, "Magpie is serving the %s SDC at http://%s/\n", p.Name, ln.Addr())
	fmt.Fprintf(stdout, "  status page  http://%s/\n  health       http://%s/healthz\n  dropbox      %s (drop files here)\n", ln.Addr(), ln.Addr(), dropbox)
	fmt.Fprintf(stdout, "  workflows    magpie reprocess / POST /api/v1/reprocess; SITL cycles start when a day's burst metadata is in (deadline %s)\n", *sitlDeadline)
	fmt.Fprintln(stdout, "Stop with Ctrl-C.")

	watchErr := make(chan error, 1)
	// The schedules listen for burst metadata before the watcher's start-up
	// sweep indexes what waits in the dropbox; the periodic dropbox sweep
	// runs with them, on the clock.
	schedErr := make(chan error, 1)
	subscribed := make(chan struct{})
	go func() {
		schedErr <- sdc.RunSchedules(ctx, runtime.ScheduleConfig{NightlyAt: nightly, SweepEvery: *sweep, Workflows: wf,
			SITLDeadline: *sitlDeadline, Contacts: *contacts, Subscribed: func() { close(subscribed) }})
	}()
	select {
	case <-subscribed:
	case err := <-schedErr:
		return fail(stderr, 1, "schedules: %v", err) // a bad configuration
	}
	go func() { watchErr <- sdc.Watch(ctx, runtime.WatchConfig{}) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	code := 0
	select {
	case <-ctx.Done():
	case err := <-watchErr:
		if err != nil {
			code = fail(stderr, 1, "dropbox watcher stopped: %v", err)
		}
	case err := <-schedErr:
		if err != nil {
			code = fail(stderr, 1, "schedules stopped: %v", err)
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

// parseTimeOfDay reads hh:mm (UTC) as an offset from midnight; "off" is -1.
func parseTimeOfDay(s string) (time.Duration, error) {
	if s == "off" {
		return -1, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q: want hh:mm (UTC) or off", s)
	}
	d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	if d == 0 {
		d = time.Nanosecond // midnight: 0 means the default in ScheduleConfig
	}
	return d, nil
}
