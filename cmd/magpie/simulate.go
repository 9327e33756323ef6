package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/simulate"
)

func simulateCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("simulate", stderr)
	out := fs.String("out", "", "folder to write the files into (e.g. the dropbox of a data folder)")
	start := fs.String("start", "2015-10-16", "first day, YYYY-MM-DD (UTC)")
	days := fs.Int("days", 1, "number of days")
	sc := fs.String("spacecraft", "", "comma-separated spacecraft (default: all of the profile's)")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same bytes")
	profilePath := fs.String("profile", "", "mission profile file (YAML or JSON); default: the built-in MMS profile")
	cal := fs.Bool("calibration", true, "also deliver the instrument teams' nominal calibration files, valid from the first day")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *out == "" {
		return fail(stderr, 2, "simulate: --out DIR is required")
	}
	day, err := time.Parse(time.DateOnly, *start)
	if err != nil {
		return fail(stderr, 2, "simulate: --start must be YYYY-MM-DD, got %q", *start)
	}
	if *days < 1 {
		return fail(stderr, 2, "simulate: --days must be at least 1")
	}
	p, err := loadProfile(*profilePath)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	var craft []string
	if *sc != "" {
		for _, s := range strings.Split(*sc, ",") {
			s = strings.TrimSpace(s)
			if !p.HasSpacecraft(s) {
				return fail(stderr, 2, "simulate: unknown spacecraft %q (mission %s has %s)", s, p.ID, strings.Join(p.Spacecraft, ","))
			}
			craft = append(craft, s)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var bar *progressbar.ProgressBar
	sum, err := simulate.Run(ctx, simulate.Config{Profile: p, Out: *out, Start: day, Days: *days, Spacecraft: craft, Seed: *seed,
		Progress: func(done, total int, file string) {
			if bar == nil {
				bar = newBar(stderr, int64(total), "simulating")
			}
			bar.Set(done)
		}})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return fail(stderr, 1, "simulate: %v", err)
	}
	if *cal {
		// Calibration comes from the instrument teams, not from telemetry:
		// deliver it the way they would, next to the first day's data.
		names, err := processors.WriteNominalCalibrations(p, *out, day)
		if err != nil {
			return fail(stderr, 1, "simulate: calibration files: %v", err)
		}
		sum.Files += len(names)
	}
	fmt.Fprintf(stdout, "wrote %d files, %.1f MB, into %s\n", sum.Files, float64(sum.Bytes)/1e6, *out)
	return 0
}
