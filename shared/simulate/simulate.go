// Package simulate produces what a mission's ground segment receives from a
// synthetic mission: L0 telemetry packet files per spacecraft, instrument
// and rate (shared/ccsds packets), definitive ephemeris and attitude
// ancillary files, and per-buffer burst trigger metadata. What to simulate
// comes from the mission profile's simulation section; the physics is a
// simple, deterministic model of a highly elliptical orbit through a
// dipole-like magnetosphere with magnetopause-like events in the region of
// interest. docs/l0-format.md documents every output format.
package simulate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// Version is the version of every file the simulator writes.
var Version = naming.Version{X: 1, Y: 0, Z: 0}

// The level and extensions of the simulator's outputs.
const (
	telemetryLevel = "l0"
	telemetryExt   = "dat"
	metadataExt    = "csv"
)

// Config says what to simulate.
type Config struct {
	Profile *mission.Profile
	// Out is the folder the files appear in (created if missing).
	Out string
	// Start is the first day, a UTC midnight.
	Start time.Time
	Days  int
	// Spacecraft to simulate; empty means all of the profile's.
	Spacecraft []string
	Seed       int64
	// Orbit overrides the reference orbit; zero fields take DefaultOrbit.
	Orbit Orbit
	// Workers is how many files are generated at once; 0 means GOMAXPROCS.
	// The output does not depend on it.
	Workers int
	// Progress, if set, is called after each file is in place, from one
	// goroutine at a time, with the number done, the total and the name.
	Progress func(done, total int, file string)
}

// Kind classifies output files in the Summary.
type Kind string

// The kinds of output file.
const (
	KindTelemetry     Kind = "telemetry"
	KindAncillary     Kind = "ancillary"
	KindBurstMetadata Kind = "burst-metadata"
)

// Tally counts files and bytes.
type Tally struct {
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// Summary reports what Run wrote.
type Summary struct {
	Files   int            `json:"files"`
	Bytes   int64          `json:"bytes"`
	Packets int64          `json:"packets"`
	ByKind  map[Kind]Tally `json:"by_kind"`
}

// job is one output file to produce.
type job struct {
	name  string
	kind  Kind
	write func(ctx context.Context, w io.Writer) (packets int, err error)
}

// Run simulates cfg.Days days from cfg.Start and writes the files into
// cfg.Out, each atomically (a dot-named temporary file renamed into
// place). Files are independent, so a cancelled run leaves only complete
// files behind; rerunning with the same seed rewrites identical bytes.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	jobs, err := plan(cfg)
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return Summary{}, fmt.Errorf("simulate: output folder: %w", err)
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		job     *job
		bytes   int64
		packets int
		err     error
	}
	todo := make(chan *job)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range todo {
				var packets int
				n, err := writeAtomic(cfg.Out, j.name, func(w io.Writer) error {
					var err error
					packets, err = j.write(ctx, w)
					return err
				})
				results <- result{j, n, packets, err}
			}
		}()
	}
	go func() {
		defer close(todo)
		for _, j := range jobs {
			select {
			case todo <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	sum := Summary{ByKind: map[Kind]Tally{}}
	var firstErr error
	for r := range results {
		if r.err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("simulate: %s: %w", r.job.name, r.err)
				cancel()
			}
			continue
		}
		sum.Files++
		sum.Bytes += r.bytes
		sum.Packets += int64(r.packets)
		t := sum.ByKind[r.job.kind]
		t.Files++
		t.Bytes += r.bytes
		sum.ByKind[r.job.kind] = t
		if cfg.Progress != nil {
			cfg.Progress(sum.Files, len(jobs), r.job.name)
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("simulate: %w", ctx.Err())
	}
	return sum, firstErr
}

// plan validates cfg and lists every file of the run, in a fixed order.
func plan(cfg Config) ([]*job, error) {
	p := cfg.Profile
	switch {
	case p == nil:
		return nil, errors.New("simulate: no mission profile")
	case cfg.Out == "":
		return nil, errors.New("simulate: no output folder")
	case cfg.Days <= 0:
		return nil, fmt.Errorf("simulate: days must be positive, got %d", cfg.Days)
	case cfg.Days > 3660:
		return nil, fmt.Errorf("simulate: %d days is more than ten years", cfg.Days)
	case !cfg.Start.Equal(cfg.Start.UTC().Truncate(24 * time.Hour)):
		return nil, fmt.Errorf("simulate: start %s is not a UTC midnight", cfg.Start.Format(time.RFC3339Nano))
	case p.Burst.BufferSeconds <= 0:
		return nil, errors.New("simulate: profile burst.buffer_seconds must be positive")
	}
	sim := p.Simulation
	if len(sim.Instruments) == 0 {
		return nil, errors.New("simulate: the profile's simulation section lists no instruments")
	}
	crafts := cfg.Spacecraft
	if len(crafts) == 0 {
		crafts = p.Spacecraft
	}
	idx := make([]int, 0, len(crafts))
	for _, sc := range crafts {
		i := slices.Index(p.Spacecraft, sc)
		if i < 0 {
			return nil, fmt.Errorf("simulate: unknown spacecraft %q (mission %s has %s)", sc, p.ID, strings.Join(p.Spacecraft, ", "))
		}
		if slices.Contains(idx, i) {
			return nil, fmt.Errorf("simulate: spacecraft %q listed twice", sc)
		}
		idx = append(idx, i)
	}
	if len(p.Spacecraft) > 255 {
		return nil, errors.New("simulate: at most 255 spacecraft fit the packet's spacecraft number")
	}
	w, err := newWorld(p, cfg.Seed, cfg.Orbit)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}

	// Check every product against the profile before writing anything.
	type tm struct {
		in    mission.SimInstrument
		rate  mission.SimRate
		mode  uint8
		burst bool
		q     quantity
	}
	var streams []tm
	for _, in := range sim.Instruments {
		q, ok := quantityFor(in.Quantity)
		if !ok {
			return nil, fmt.Errorf("simulate: instrument %s: unknown quantity %q (known: %s)", in.Instrument, in.Quantity, strings.Join(quantityNames(), ", "))
		}
		if in.APID < 0 || in.APID > 2047 {
			return nil, fmt.Errorf("simulate: instrument %s: APID %d is not 11 bits", in.Instrument, in.APID)
		}
		if len(in.Rates) > 255 {
			return nil, fmt.Errorf("simulate: instrument %s: too many rates", in.Instrument)
		}
		for i, r := range in.Rates {
			rate := p.Rate(r.Rate)
			if rate == nil || !(r.SampleSeconds > 0) || r.SampleSeconds > 86400 {
				return nil, fmt.Errorf("simulate: instrument %s: bad rate %q or sample period %v", in.Instrument, r.Rate, r.SampleSeconds)
			}
			digits := 8
			if rate.Burst {
				digits = 14
			}
			if err := p.CheckProduct(p.Spacecraft[idx[0]], in.Instrument, r.Rate, telemetryLevel, in.Descriptor, telemetryExt, digits); err != nil {
				return nil, fmt.Errorf("simulate: the profile has no telemetry product for %s %s: %w", in.Instrument, r.Rate, err)
			}
			streams = append(streams, tm{in, r, uint8(i + 1), rate.Burst, q})
		}
	}
	for _, a := range sim.Ancillary {
		if _, err := ancillaryKind(a); err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		if err := p.CheckAncillary(p.Spacecraft[idx[0]], a); err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
	}
	bm := sim.BurstMetadata
	if bm.Instrument != "" {
		if err := p.CheckProduct(p.Spacecraft[idx[0]], bm.Instrument, bm.Rate, bm.Level, bm.Descriptor, metadataExt, 8); err != nil {
			return nil, fmt.Errorf("simulate: burst metadata product: %w", err)
		}
	}

	var jobs []*job
	for di := range cfg.Days {
		date := cfg.Start.UTC().AddDate(0, 0, di)
		d, err := w.planDay(date)
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		for _, ci := range idx {
			c := &w.craft[ci]
			for _, s := range streams {
				name := naming.Science{SC: c.id, Instrument: s.in.Instrument, Rate: s.rate.Rate, Level: telemetryLevel,
					Descriptor: s.in.Descriptor, Start: date, TimeDigits: 8, Version: Version, Ext: telemetryExt}
				st := stream{apid: uint16(s.in.APID), mode: s.mode, period: s.rate.SampleSeconds, q: s.q}
				if !s.burst {
					st.spans = []span{{0, d.length}}
					st.noiseID = []any{"tm", date.Unix() / 86400, c.id, s.in.Instrument, s.in.Descriptor, s.rate.Rate}
					jobs = append(jobs, w.telemetryJob(name, d, c, st))
					continue
				}
				for _, seg := range d.segments {
					if name.Start, err = timeutil.TAIToUTC(d.taiStart + int64(seg.start)); err != nil {
						return nil, fmt.Errorf("simulate: %w", err)
					}
					name.TimeDigits = 14
					st.spans = []span{seg}
					st.noiseID = []any{"tm", date.Unix() / 86400, c.id, s.in.Instrument, s.in.Descriptor, s.rate.Rate, seg.start}
					jobs = append(jobs, w.telemetryJob(name, d, c, st))
				}
			}
			for _, a := range sim.Ancillary {
				name := naming.Ancillary{SC: strings.ToUpper(c.id), Product: strings.ToUpper(a), Start: date, End: date.AddDate(0, 0, 1)}
				kind, _ := ancillaryKind(a)
				jobs = append(jobs, &job{name: name.String(), kind: KindAncillary, write: func(ctx context.Context, out io.Writer) (int, error) {
					if kind == "ephemeris" {
						return 0, w.writeEphemeris(ctx, out, d, c, a)
					}
					return 0, w.writeAttitude(ctx, out, d, c, a)
				}})
			}
			if bm.Instrument != "" {
				name := naming.Science{SC: c.id, Instrument: bm.Instrument, Rate: bm.Rate, Level: bm.Level, Descriptor: bm.Descriptor,
					Start: date, TimeDigits: 8, Version: Version, Ext: metadataExt}
				jobs = append(jobs, &job{name: name.String(), kind: KindBurstMetadata, write: func(ctx context.Context, out io.Writer) (int, error) {
					return 0, w.writeBurstMetadata(ctx, out, d, c)
				}})
			}
		}
	}
	return jobs, nil
}

func (w *world) telemetryJob(name naming.Science, d *day, c *craft, s stream) *job {
	return &job{name: name.String(), kind: KindTelemetry, write: func(ctx context.Context, out io.Writer) (int, error) {
		return w.writeTelemetry(ctx, out, d, c, s)
	}}
}

// quantityFor returns the model of a profile quantity name.
func quantityFor(name string) (quantity, bool) {
	switch name {
	case "magnetic field vector":
		return quantity{values: 3, sample: sampleField}, true
	case "ion moments":
		return quantity{values: 5, sample: sampleMoments}, true
	}
	return quantity{}, false
}

func quantityNames() []string { return []string{"magnetic field vector", "ion moments"} }

// writeAtomic writes a file through a dot-named temporary in dir and
// renames it to name, so a watcher of dir only ever sees complete files.
func writeAtomic(dir, name string, fill func(io.Writer) error) (int64, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	fail := func(err error) (int64, error) {
		f.Close()
		os.Remove(tmp)
		return 0, err
	}
	cw := &countingWriter{w: bufio.NewWriterSize(f, 256<<10)}
	if err := fill(cw); err != nil {
		return fail(err)
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
