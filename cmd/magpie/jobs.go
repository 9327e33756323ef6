package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/runtime"
	"github.com/magpie-sdc/magpie/shared/store"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

const jobsUsage = `usage:
  magpie jobs [--data DIR] [--status S] [--limit N]   list processing jobs, newest first
  magpie jobs [--data DIR] --show ID                   one job: inputs, outputs, error (ID may be a unique prefix)
  magpie jobs retry-failed [--data DIR] [--profile F]  run every FAILED job again
Statuses: NOTRUN, PENDING, RUNNING, SUCCEEDED, FAILED. The SDC server must not be
running on the data folder (it holds the database lock).`

// jobsCommand lists and shows processing jobs, and retries failed ones.
func jobsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "retry-failed" {
		return retryFailedCommand(args[1:], stdout, stderr)
	}
	fs := newFlags("jobs", stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, jobsUsage) }
	data := fs.String("data", defaultDataDir(), "data folder of a local SDC that is not running")
	status := fs.String("status", "", "only jobs with this status")
	show := fs.String("show", "", "show one job in full")
	limit := fs.Int("limit", 100, "at most this many jobs (0: all)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	st := strings.ToUpper(*status)
	if st != "" && !slices.Contains(pipeline.Statuses, st) {
		return fail(stderr, 2, "unknown status %q (want one of %s)", *status, strings.Join(pipeline.Statuses, ", "))
	}
	tables, err := openJobTables(*data)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	defer tables.Close()
	jobs := pipeline.NewJobs(tables)
	ctx := context.Background()
	if *show != "" {
		return showJob(ctx, jobs, *show, stdout, stderr)
	}
	list, err := jobs.List(ctx, st, *limit)
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no jobs")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tNODE\tSC\tTIME TAG\tVERSION\tATTEMPTS\tDURATION\tNOTE")
	for _, j := range list {
		note := ""
		switch {
		case j.Status == pipeline.StatusFailed:
			note = firstLine(j.Error)
		case j.Status == pipeline.StatusNotRun:
			note = "missing " + strings.Join(j.Missing, "; ")
		case len(j.Outputs) > 0:
			note = strings.Join(j.Outputs, " ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID[:12], j.Status, j.Node, j.SC, j.TimeTag(), j.Version,
			j.Attempts, j.Duration().Round(time.Millisecond), note)
	}
	tw.Flush()
	return 0
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// openJobTables opens the data folder's table store without starting the
// SDC (listing must not run anything).
func openJobTables(data string) (*local.TableStore, error) {
	path := filepath.Join(data, "magpie.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no local SDC in %s (no magpie.db): %w", data, err)
	}
	ts, err := local.OpenTableStore(path, local.WithLockTimeout(time.Second))
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return nil, fmt.Errorf("%w: %s", runtime.ErrDataDirBusy, data)
		}
		return nil, err
	}
	return ts, nil
}

func showJob(ctx context.Context, jobs *pipeline.Jobs, id string, stdout, stderr io.Writer) int {
	j, err := jobs.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		var all []pipeline.Job
		all, err = jobs.List(ctx, "", 0)
		var hits []pipeline.Job
		for _, c := range all {
			if strings.HasPrefix(c.ID, id) {
				hits = append(hits, c)
			}
		}
		switch {
		case err != nil:
		case len(hits) == 1:
			j = hits[0]
		case len(hits) == 0:
			return fail(stderr, 2, "no job %q", id)
		default:
			return fail(stderr, 2, "job id prefix %q is ambiguous (%d jobs)", id, len(hits))
		}
	}
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s\t%s\n", k, v)
		}
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	row("id", j.ID)
	row("status", j.Status)
	row("superseded by", j.SupersededBy)
	row("node", j.Node)
	row("processor", fmt.Sprintf("%s %s (format %d)", j.Processor, j.SoftwareVersion, j.FormatVersion))
	row("spacecraft", j.SC)
	row("time tag", j.TimeTag())
	row("version", j.Version)
	row("attempts", fmt.Sprint(j.Attempts))
	row("created", ts(j.Created))
	row("started", ts(j.Started))
	row("finished", ts(j.Finished))
	if d := j.Duration(); d > 0 {
		row("duration", d.String())
	}
	for _, in := range j.Inputs {
		row("input "+in.Input, in.FileName+"  sha256 "+in.SHA256)
	}
	for _, m := range j.Missing {
		row("missing", m)
	}
	for _, o := range j.Outputs {
		row("output", o)
	}
	for k, v := range j.Counters {
		row("counter "+k, fmt.Sprint(v))
	}
	for _, m := range j.Messages {
		row("message", m)
	}
	row("error", j.Error)
	if j.Status == pipeline.StatusFailed {
		row("exit code", fmt.Sprint(j.ExitCode))
	}
	row("work folder", j.WorkDir)
	w.Flush()
	if j.StderrTail != "" {
		fmt.Fprintf(stdout, "stderr (last %d bytes):\n%s", len(j.StderrTail), j.StderrTail)
		if !strings.HasSuffix(j.StderrTail, "\n") {
			fmt.Fprintln(stdout)
		}
	}
	return 0
}

// retryFailedCommand re-queues every FAILED job and runs it in a local SDC
// opened for the purpose; outputs are ingested and start the next levels.
func retryFailedCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("jobs retry-failed", stderr)
	data := fs.String("data", defaultDataDir(), "data folder of a local SDC that is not running")
	profilePath := fs.String("profile", "", "mission profile file (YAML or JSON); default: the built-in MMS profile")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	p, err := loadProfile(*profilePath)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sdc, code := openLocal(ctx, runtime.Config{DataDir: *data, Profile: p}, stderr, "")
	if sdc == nil {
		return code
	}
	defer sdc.Close()
	pl, err := pipeline.New(ctx, pipeline.Config{Profile: p, Builtins: processors.Registry(p), Tables: sdc.Tables,
		Catalog: sdc.Catalog, Archive: sdc.Archive, Dropbox: sdc.Dropbox, Indexer: sdc.Indexer, Clock: sdc.Clock,
		Log: sdc.Log, WorkDir: filepath.Join(sdc.DataDir, "work")})
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	ids, err := pl.RetryFailed(ctx)
	sdc.Bus.Drain()
	if err != nil {
		return fail(stderr, 1, "retry: %v", err)
	}
	failed := 0
	for _, id := range ids {
		j, gerr := pl.Jobs.Get(ctx, id)
		if gerr != nil {
			return fail(stderr, 1, "%v", gerr)
		}
		fmt.Fprintf(stdout, "%s  %-9s  %s %s %s  %s\n", id[:12], j.Status, j.Node, j.SC, j.TimeTag(), firstLine(j.Error))
		if j.Status == pipeline.StatusFailed {
			failed++
		}
	}
	fmt.Fprintf(stdout, "%d failed jobs retried, %d failed again\n", len(ids), failed)
	if failed > 0 {
		return 1
	}
	return 0
}
