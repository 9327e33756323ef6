package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Ingester is the indexer as the runner uses it: outputs re-enter the SDC
// through the same door as every other file.
type Ingester interface {
	Index(ctx context.Context, key string) (ingest.Outcome, error)
}

// Runner runs jobs: it claims a PENDING job, stages its inputs, runs the
// processor under the manifest contract, ingests the outputs and records
// the result. A processor failure is recorded on the job (FAILED with the
// error, exit code and stderr tail), never lost; the inputs stay archived.
type Runner struct {
	Profile  *mission.Profile
	Graph    *Graph
	Registry Registry
	Catalog  *catalog.Catalog
	Jobs     *Jobs
	Archive  store.ObjectStore
	Dropbox  store.ObjectStore
	Indexer  Ingester
	Clock    clock.Clock
	Log      *slog.Logger
	// Events receives JobFailed when a job ends FAILED (the alarm on job
	// failures counts them); nil publishes nothing.
	Events events.Publisher
	// WorkDir holds one folder per attempt; successful ones are removed.
	WorkDir string
}

// errNotPending means another runner claimed the job first.
var errNotPending = errors.New("job is not pending")

// Run runs the PENDING job id. It returns the job as finished; the error
// is non-nil only when the job could not be run or recorded at all (the
// job then stays PENDING or RUNNING for the recovery sweep).
func (r *Runner) Run(ctx context.Context, id string) (Job, error) {
	j, err := r.Jobs.Update(ctx, id, func(j *Job) error {
		if j.Status != StatusPending {
			return errNotPending
		}
		j.Status, j.Attempts, j.Started, j.Finished = StatusRunning, j.Attempts+1, r.Clock.Now().UTC(), time.Time{}
		j.Error, j.ExitCode, j.StderrTail, j.WorkDir = "", 0, "", ""
		return nil
	})
	if errors.Is(err, errNotPending) {
		return r.Jobs.Get(ctx, id)
	}
	if err != nil {
		return Job{}, err
	}
	work := filepath.Join(r.WorkDir, fmt.Sprintf("%s-%d", j.ID, j.Attempts))
	res, runErr := r.execute(ctx, j, work)
	if ctx.Err() != nil && runErr != nil {
		// Shutting down: leave the job RUNNING for the recovery sweep
		// rather than blaming the processor.
		return j, fmt.Errorf("run %s: %w", id, ctx.Err())
	}
	final, err := r.Jobs.Update(context.WithoutCancel(ctx), id, func(s *Job) error {
		s.Finished = r.Clock.Now().UTC()
		s.Version, s.Outputs, s.Counters, s.Messages = res.version, res.outputs, res.counters, res.messages
		if runErr == nil {
			s.Status = StatusSucceeded
			return nil
		}
		s.Status, s.Error, s.WorkDir = StatusFailed, runErr.Error(), work
		var ee *ExecError
		if errors.As(runErr, &ee) {
			s.ExitCode, s.StderrTail = ee.ExitCode, ee.StderrTail
		}
		return nil
	})
	if err != nil {
		return Job{}, fmt.Errorf("run %s: record result: %w", id, err)
	}
	if runErr == nil {
		if err := os.RemoveAll(work); err != nil {
			r.Log.Warn("job work folder not removed", "job", id, "err", err)
		}
		r.Log.Info("job succeeded", "job", id, "node", j.Node, "sc", j.SC, "tag", j.TimeTag(), "outputs", res.outputs)
	} else {
		r.Log.Error("job failed", "job", id, "node", j.Node, "sc", j.SC, "tag", j.TimeTag(), "err", runErr)
		if err := r.publishFailed(ctx, final); err != nil {
			// The failure is recorded on the job either way; only the
			// alarm misses it, so this is logged, not returned.
			r.Log.Error("JobFailed not published", "job", id, "err", err)
		}
	}
	return final, nil
}

// publishFailed announces the FAILED job j.
func (r *Runner) publishFailed(ctx context.Context, j Job) error {
	if r.Events == nil {
		return nil
	}
	d := events.JobFailedDetail{JobID: j.ID, Node: j.Node, Processor: j.Processor, SC: j.SC, TimeTag: j.TimeTag(),
		Attempts: j.Attempts, Error: j.Error, ExitCode: j.ExitCode}
	if n, err := r.node(j.Node); err == nil {
		d.Product = naming.Product{SC: j.SC, Instrument: n.Output.Instrument, Rate: n.Output.Rate, Level: n.Output.Level, Descriptor: n.Output.Descriptor}.String()
	}
	ev, err := events.New(events.JobFailed, r.Clock.Now(), d)
	if err != nil {
		return fmt.Errorf("job %s: JobFailed event: %w", j.ID, err)
	}
	if err := r.Events.Publish(context.WithoutCancel(ctx), ev); err != nil {
		return fmt.Errorf("job %s: publish JobFailed: %w", j.ID, err)
	}
	return nil
}

type runResult struct {
	version  string
	outputs  []string
	counters map[string]int64
	messages []string
}

func (r *Runner) node(id string) (*mission.ProductNode, error) {
	for _, n := range r.Graph.Nodes {
		if n.ID == id {
			return n, nil
		}
	}
	return nil, fmt.Errorf("node %q is not in the product graph", id)
}

// execute does one attempt in the folder work.
func (r *Runner) execute(ctx context.Context, j Job, work string) (runResult, error) {
	var res runResult
	n, err := r.node(j.Node)
	if err != nil {
		return res, err
	}
	proc, ok := r.Registry[j.Processor]
	if !ok {
		return res, fmt.Errorf("processor %q is not registered", j.Processor)
	}
	if err := os.RemoveAll(work); err != nil {
		return res, fmt.Errorf("clean work folder: %w", err)
	}
	inDir, outDir := filepath.Join(work, "in"), filepath.Join(work, "out")
	for _, d := range []string{inDir, outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return res, fmt.Errorf("work folder: %w", err)
		}
	}
	m, err := r.manifest(ctx, n, j, inDir, outDir)
	if err != nil {
		return res, err
	}
	res.version = m.Version
	manifestPath := filepath.Join(work, ManifestFile)
	if err := writeJSON(manifestPath, m); err != nil {
		return res, fmt.Errorf("write manifest: %w", err)
	}
	if err := proc.Process(ctx, manifestPath, m); err != nil {
		return res, err
	}
	om, err := readOutputManifest(outDir)
	if err != nil {
		return res, err
	}
	res.counters, res.messages = om.Counters, om.Messages
	if err := checkOutputs(m, om); err != nil {
		return res, err
	}
	for _, o := range m.Outputs {
		if err := r.ingestOutput(ctx, m.OutputPath(o), o.FileName); err != nil {
			return res, err
		}
		res.outputs = append(res.outputs, o.FileName)
	}
	return res, nil
}

// manifest stages the inputs and fixes the output names and version.
func (r *Runner) manifest(ctx context.Context, n *mission.ProductNode, j Job, inDir, outDir string) (*Manifest, error) {
	m := &Manifest{JobID: j.ID, Mission: r.Profile.ID, Node: n.ID, Processor: j.Processor, SoftwareVersion: j.SoftwareVersion,
		Generated: r.Clock.Now().UTC(), Spacecraft: j.SC, SpacecraftNumber: slices.Index(r.Profile.Spacecraft, j.SC) + 1, Partition: n.Partition,
		Start: j.Start, TimeDigits: j.TimeDigits, OutputDir: outDir, Params: n.Params}
	if n.Partition != PartitionSegment {
		_, m.End = partitionSpan(n, j.Start)
	}
	for _, in := range j.Inputs {
		path := filepath.Join(inDir, in.FileName)
		if err := r.fetch(ctx, in, path); err != nil {
			return nil, err
		}
		m.Inputs = append(m.Inputs, ManifestInput{Input: in.Input, FileName: in.FileName, Path: path,
			SHA256: in.SHA256, Version: in.Version, Size: in.Size})
	}
	y, err := CalibrationVersion(n, j)
	if err != nil {
		return nil, err
	}
	prod := naming.Product{SC: j.SC, Instrument: n.Output.Instrument, Rate: n.Output.Rate, Level: n.Output.Level, Descriptor: n.Output.Descriptor}
	existing, err := existingVersions(ctx, r.Catalog, prod, j.Start, j.TimeDigits)
	if err != nil {
		return nil, err
	}
	v := NextVersion(existing, j.FormatVersion, y)
	m.Version, m.CalibrationVersion = v.String(), y
	for _, ext := range OutputExtensions(n) {
		name := naming.Science{SC: prod.SC, Instrument: prod.Instrument, Rate: prod.Rate, Level: prod.Level,
			Descriptor: prod.Descriptor, Start: j.Start, TimeDigits: j.TimeDigits, Version: v, Ext: ext}
		if err := name.Validate(); err != nil {
			return nil, fmt.Errorf("output name: %w", err)
		}
		m.Outputs = append(m.Outputs, PlannedOutput{FileName: name.String(), Ext: ext, Product: prod.String()})
	}
	return m, nil
}

// fetch copies an archived input to path, verifying its checksum.
func (r *Runner) fetch(ctx context.Context, in JobInput, path string) error {
	rc, _, err := r.Archive.Get(ctx, in.ArchiveKey, nil)
	if err != nil {
		return fmt.Errorf("stage input %s: %w", in.FileName, err)
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("stage input %s: %w", in.FileName, err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("stage input %s: %w", in.FileName, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); in.SHA256 != "" && sum != in.SHA256 {
		return fmt.Errorf("stage input %s: archived copy has SHA-256 %s, catalog says %s", in.FileName, sum, in.SHA256)
	}
	return nil
}

// checkOutputs verifies the output manifest against the plan: every planned
// file written, nothing unplanned, checksums right when given.
func checkOutputs(m *Manifest, om OutputManifest) error {
	if om.JobID != "" && om.JobID != m.JobID {
		return fmt.Errorf("output manifest is for job %s, not %s", om.JobID, m.JobID)
	}
	reported := map[string]OutputFile{}
	for _, o := range om.Outputs {
		if _, err := m.Output(extOf(o.FileName)); err != nil || !slices.ContainsFunc(m.Outputs, func(p PlannedOutput) bool { return p.FileName == o.FileName }) {
			return fmt.Errorf("output manifest lists %q, which was not planned (planned: %v)", o.FileName, plannedNames(m))
		}
		reported[o.FileName] = o
	}
	for _, p := range m.Outputs {
		o, ok := reported[p.FileName]
		if !ok {
			return fmt.Errorf("the processor did not report planned output %s", p.FileName)
		}
		sum, err := fileSHA256(m.OutputPath(p))
		if err != nil {
			return fmt.Errorf("planned output %s: %w", p.FileName, err)
		}
		if o.SHA256 != "" && o.SHA256 != sum {
			return fmt.Errorf("output %s: SHA-256 %s differs from the manifest's %s", p.FileName, sum, o.SHA256)
		}
	}
	return nil
}

func plannedNames(m *Manifest) []string {
	var out []string
	for _, o := range m.Outputs {
		out = append(out, o.FileName)
	}
	return out
}

func extOf(name string) string {
	e := filepath.Ext(name)
	if e == "" {
		return ""
	}
	return e[1:]
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ingestOutput puts an output into the dropbox and indexes it at once.
func (r *Runner) ingestOutput(ctx context.Context, path, name string) error {
	sum, err := fileSHA256(path)
	if err != nil {
		return fmt.Errorf("output %s: %w", name, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("output %s: %w", name, err)
	}
	defer f.Close()
	key := name
	_, err = r.Dropbox.Put(ctx, key, f, store.PutOptions{Metadata: map[string]string{ingest.MetaSHA256: sum}})
	if err != nil {
		return fmt.Errorf("output %s: to dropbox: %w", name, err)
	}
	out, err := r.Indexer.Index(ctx, key)
	if err != nil {
		return fmt.Errorf("output %s: ingest: %w", name, err)
	}
	switch out.Result {
	case ingest.ResultIndexed, ingest.ResultDuplicate:
		return nil
	case ingest.ResultQuarantined:
		return fmt.Errorf("output %s was quarantined (%s): %s", name, out.Code, out.Reason)
	}
	return fmt.Errorf("output %s: unexpected ingest result %q", name, out.Result)
}
