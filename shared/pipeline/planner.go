package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
)

// Planner decides which jobs a newly indexed file starts and records them.
type Planner struct {
	Graph    *Graph
	Registry Registry
	Catalog  *catalog.Catalog
	Jobs     *Jobs
	Clock    clock.Clock
}

// partition is one job slot: a node, a spacecraft and a time tag.
type partition struct {
	node   *mission.ProductNode
	sc     string
	start  time.Time
	digits int
}

func (p partition) tag() string {
	if p.digits == 14 {
		return p.start.UTC().Format("20060102150405")
	}
	return p.start.UTC().Format("20060102")
}

func (p partition) key() string { return p.node.ID + "#" + p.sc + "#" + p.tag() }

func partitionDigits(n *mission.ProductNode) int {
	if n.Partition == PartitionSegment {
		return 14
	}
	return 8
}

// OnFile plans every job the file rec starts: for inputs that trigger, all
// partitions the file belongs to; for feeding inputs, only partitions whose
// last plan was NOTRUN. It returns the new PENDING jobs, to be run.
func (p *Planner) OnFile(ctx context.Context, rec catalog.Record) ([]Job, error) {
	if !p.Graph.Profile.HasSpacecraft(rec.SC) {
		return nil, nil // constellation products feed nothing yet
	}
	var (
		pending []Job
		errs    []error
		done    = map[string]bool{}
	)
	for _, n := range p.Graph.Nodes {
		for _, in := range n.Inputs {
			if !matches(in, rec) {
				continue
			}
			parts, err := p.affected(ctx, n, in, rec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, part := range parts {
				if done[part.key()] {
					continue
				}
				if !in.Trigger {
					slot, ok, err := p.Jobs.GetSlot(ctx, n.ID, part.sc, part.tag())
					if err != nil {
						errs = append(errs, err)
						continue
					}
					if !ok || slot.Status != StatusNotRun {
						continue
					}
				}
				done[part.key()] = true
				j, created, err := p.plan(ctx, part)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if created && j.Status == StatusPending {
					pending = append(pending, j)
				}
			}
		}
	}
	return pending, errors.Join(errs...)
}

// affected lists the partitions of node n that the file rec (a file of
// input in) belongs to.
func (p *Planner) affected(ctx context.Context, n *mission.ProductNode, in mission.NodeInput, rec catalog.Record) ([]partition, error) {
	digits := partitionDigits(n)
	if in.Window == WindowSame {
		if rec.TimeDigits != digits {
			return nil, nil
		}
		return []partition{{node: n, sc: rec.SC, start: rec.Start, digits: digits}}, nil
	}
	// The partitions in the file's time range are the time tags of the
	// node's primary input that exist in it.
	from, to := rec.Start, time.Time{}
	switch in.Window {
	case WindowCovering:
		to = rec.End
		if !to.After(from) {
			to = from.AddDate(0, 0, 1)
		}
	case WindowAdjacent:
		from, to = rec.Start.AddDate(0, 0, -1), rec.Start.AddDate(0, 0, 2)
	}
	prim := primaryInput(n)
	f := sciFilter(prim.ProductRef, rec.SC)
	f.From = from
	if !to.IsZero() {
		f.To = to.Add(-time.Second)
	}
	recs, err := p.Catalog.Query(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("plan %s for %s: %w", n.ID, rec.Name, err)
	}
	var out []partition
	seen := map[time.Time]bool{}
	for _, r := range recs {
		if r.TimeDigits != digits || !matches(prim, r) || seen[r.Start] {
			continue
		}
		seen[r.Start] = true
		out = append(out, partition{node: n, sc: rec.SC, start: r.Start, digits: digits})
	}
	return out, nil
}

func sciFilter(r mission.ProductRef, sc string) catalog.Filter {
	return catalog.Filter{SC: []string{sc}, Instrument: []string{r.Instrument}, Rate: []string{r.Rate},
		Level: []string{r.Level}, Descriptor: []string{r.Descriptor}}
}

// Replan plans one slot again (used after a fix, e.g. by reprocessing):
// it returns the job and whether it is new.
func (p *Planner) Replan(ctx context.Context, nodeID, sc string, start time.Time) (Job, bool, error) {
	for _, n := range p.Graph.Nodes {
		if n.ID == nodeID {
			return p.plan(ctx, partition{node: n, sc: sc, start: start.UTC(), digits: partitionDigits(n)})
		}
	}
	return Job{}, false, fmt.Errorf("plan: unknown node %q", nodeID)
}

// plan resolves the inputs of a slot and records its job: PENDING when all
// required inputs are present, else NOTRUN with what is missing. An
// identical job (same inputs, same processor) is never created twice.
func (p *Planner) plan(ctx context.Context, part partition) (Job, bool, error) {
	j, err := p.resolveJob(ctx, part)
	if err != nil {
		return Job{}, false, err
	}
	created, err := p.Jobs.Create(ctx, j)
	isNew := err == nil
	if err != nil && !errors.Is(err, ErrJobExists) {
		return Job{}, false, err
	}
	if err := p.updateSlot(ctx, part, created); err != nil {
		return Job{}, false, err
	}
	return created, isNew, nil
}

// resolveJob builds the job a slot would get now, with its id, without
// recording anything.
func (p *Planner) resolveJob(ctx context.Context, part partition) (Job, error) {
	n := part.node
	proc, ok := p.Registry[n.Processor]
	if !ok {
		return Job{}, fmt.Errorf("plan %s: processor %q is not registered", part.key(), n.Processor)
	}
	info := proc.Info()
	j := Job{Node: n.ID, Processor: info.ID, SoftwareVersion: info.SoftwareVersion, FormatVersion: info.FormatVersion,
		SC: part.sc, Start: part.start.UTC(), TimeDigits: part.digits, Created: p.Clock.Now().UTC()}
	for _, in := range n.Inputs {
		recs, err := p.resolve(ctx, part, in)
		if err != nil {
			return Job{}, fmt.Errorf("plan %s: input %s: %w", part.key(), in.Name, err)
		}
		if len(recs) == 0 && !in.Optional {
			j.Missing = append(j.Missing, in.Name+" ("+refKey(in.ProductRef)+", "+in.Window+")")
		}
		for _, r := range recs {
			j.Inputs = append(j.Inputs, JobInput{Input: in.Name, FileName: r.Name, SHA256: r.SHA256,
				Version: r.Version, ArchiveKey: r.ArchiveKey, Size: r.Size})
		}
	}
	j.Status = StatusPending
	if len(j.Missing) > 0 {
		j.Status = StatusNotRun
	}
	j.ID = jobID(j)
	return j, nil
}

// updateSlot points the slot at job and retires the NOTRUN job it replaces.
func (p *Planner) updateSlot(ctx context.Context, part partition, j Job) error {
	old, ok, err := p.Jobs.GetSlot(ctx, part.node.ID, part.sc, part.tag())
	if err != nil {
		return err
	}
	if ok && old.JobID != j.ID && old.Status == StatusNotRun {
		_, err := p.Jobs.Update(ctx, old.JobID, func(o *Job) error {
			if o.Status == StatusNotRun {
				o.SupersededBy = j.ID
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("plan %s: retire NOTRUN job: %w", part.key(), err)
		}
	}
	return p.Jobs.PutSlot(ctx, part.node.ID, part.sc, part.tag(), j.ID, j.Status)
}

// jobID hashes what makes a job: node, processor identity, slot, and the
// input files with their checksums (and what was missing).
func jobID(j Job) string {
	var b strings.Builder
	fmt.Fprintf(&b, "node=%s\nprocessor=%s\nsoftware=%s\nformat=%d\nsc=%s\ntag=%s\n",
		j.Node, j.Processor, j.SoftwareVersion, j.FormatVersion, j.SC, j.TimeTag())
	ins := make([]string, 0, len(j.Inputs))
	for _, in := range j.Inputs {
		ins = append(ins, "input="+in.Input+"|"+in.FileName+"|"+in.SHA256)
	}
	sort.Strings(ins)
	for _, s := range append(ins, j.Missing...) {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16])
}

// resolve finds the files of one input for a slot, newest versions only.
func (p *Planner) resolve(ctx context.Context, part partition, in mission.NodeInput) ([]catalog.Record, error) {
	switch in.Window {
	case WindowSame:
		return p.sameTag(ctx, part, in, part.start)
	case WindowAdjacent:
		var out []catalog.Record
		for _, d := range []int{-1, 0, 1} {
			recs, err := p.sameTag(ctx, part, in, part.start.AddDate(0, 0, d))
			if err != nil {
				return nil, err
			}
			if d == 0 && len(recs) == 0 {
				return nil, nil // the day itself is what is required
			}
			out = append(out, recs...)
		}
		return out, nil
	case WindowCovering:
		return p.covering(ctx, part, in)
	case WindowLatest:
		return p.latest(ctx, part, in)
	}
	return nil, fmt.Errorf("unknown window %q", in.Window)
}

func (p *Planner) sameTag(ctx context.Context, part partition, in mission.NodeInput, start time.Time) ([]catalog.Record, error) {
	f := sciFilter(in.ProductRef, part.sc)
	f.From, f.To = start, start
	recs, err := p.Catalog.Query(ctx, f)
	if err != nil {
		return nil, err
	}
	digits := 8
	if r := p.Graph.Profile.Rate(in.Rate); r != nil && r.Burst {
		digits = 14
	}
	var out []catalog.Record
	for _, r := range recs {
		if r.Start.Equal(start) && r.TimeDigits == digits && matches(in, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// covering returns the newest ancillary file whose range covers the slot's
// start: the latest start at or before it, then the highest version.
func (p *Planner) covering(ctx context.Context, part partition, in mission.NodeInput) ([]catalog.Record, error) {
	recs, err := p.Catalog.Query(ctx, catalog.Filter{Kind: catalog.KindAncillary, SC: []string{part.sc},
		Product: []string{in.Ancillary}, From: part.start.AddDate(0, 0, -7), To: part.start})
	if err != nil {
		return nil, err
	}
	var best *catalog.Record
	for i, r := range recs {
		end := r.End
		if !end.After(r.Start) {
			end = r.Start.AddDate(0, 0, 1)
		}
		if r.Start.After(part.start) || !end.After(part.start) {
			continue
		}
		if best == nil || r.Start.After(best.Start) || r.Start.Equal(best.Start) && ancillaryVersion(r) > ancillaryVersion(*best) {
			best = &recs[i]
		}
	}
	if best == nil {
		return nil, nil
	}
	return []catalog.Record{*best}, nil
}

func ancillaryVersion(r catalog.Record) int {
	v, _ := strconv.Atoi(r.Version)
	return v
}

// latest returns the newest file of the product at or before the slot's
// start (the calibration in force), highest version of that time tag.
func (p *Planner) latest(ctx context.Context, part partition, in mission.NodeInput) ([]catalog.Record, error) {
	f := sciFilter(in.ProductRef, part.sc)
	f.To = part.start
	recs, err := p.Catalog.Query(ctx, f)
	if err != nil {
		return nil, err
	}
	var best *catalog.Record
	for i, r := range recs {
		if !matches(in, r) || r.Start.After(part.start) {
			continue
		}
		if best == nil || r.Start.After(best.Start) || r.Start.Equal(best.Start) && newerVersion(r.Version, best.Version) {
			best = &recs[i]
		}
	}
	if best == nil {
		return nil, nil
	}
	return []catalog.Record{*best}, nil
}

func newerVersion(a, b string) bool {
	va, errA := naming.ParseVersion(a)
	vb, errB := naming.ParseVersion(b)
	return errA == nil && errB == nil && va.Compare(vb) > 0
}
