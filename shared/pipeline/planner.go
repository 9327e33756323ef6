package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
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
	if n.Partition == PartitionSegment || PartitionHours(n.Partition) > 0 {
		return 14
	}
	return 8
}

// slotsOf returns the partitions of node n that a file r of its primary
// input (for the node's same-window inputs: any of them) makes: its own
// time tag, or for an hours partition fed by a daily file every slot of
// that day.
func slotsOf(n *mission.ProductNode, r catalog.Record) []partition {
	digits := partitionDigits(n)
	h := PartitionHours(n.Partition)
	switch {
	case h > 0 && r.TimeDigits == 8:
		day := r.Start.UTC()
		var out []partition
		for k := 0; k < 24; k += h {
			out = append(out, partition{node: n, sc: r.SC, start: day.Add(time.Duration(k) * time.Hour), digits: digits})
		}
		return out
	case h == 0 && n.Partition == PartitionDaily && r.TimeDigits == 14:
		// A daily job gathering the day of an hours partition.
		return []partition{{node: n, sc: r.SC, start: r.Start.UTC().Truncate(24 * time.Hour), digits: digits}}
	case r.TimeDigits != digits:
		return nil
	case h > 0 && r.Start.UTC().Sub(r.Start.UTC().Truncate(24*time.Hour))%(time.Duration(h)*time.Hour) != 0:
		return nil // not on this partition's grid
	}
	return []partition{{node: n, sc: r.SC, start: r.Start.UTC(), digits: digits}}
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
	if in.Window == WindowSame {
		return slotsOf(n, rec), nil
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
		if !matches(prim, r) {
			continue
		}
		for _, part := range slotsOf(n, r) {
			if !seen[part.start] {
				seen[part.start] = true
				out = append(out, part)
			}
		}
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
	j, err := p.resolveJob(ctx, p.Catalog.Query, part)
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
func (p *Planner) resolveJob(ctx context.Context, query queryFunc, part partition) (Job, error) {
	n := part.node
	proc, ok := p.Registry[n.Processor]
	if !ok {
		return Job{}, fmt.Errorf("plan %s: processor %q is not registered", part.key(), n.Processor)
	}
	info := proc.Info()
	j := Job{Node: n.ID, Processor: info.ID, SoftwareVersion: info.SoftwareVersion, FormatVersion: info.FormatVersion,
		SC: part.sc, Start: part.start.UTC(), TimeDigits: part.digits, Created: p.Clock.Now().UTC()}
	for _, in := range n.Inputs {
		recs, err := p.resolve(ctx, query, part, in)
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
// input files with their checksums (and what was missing). The text hashed
// must never change: recorded jobs are found again by their ids. (It is
// built by appending rather than with fmt: a campaign plan computes it for
// every slot.)
func jobID(j Job) string {
	ins := make([]string, 0, len(j.Inputs))
	for _, in := range j.Inputs {
		ins = append(ins, "input="+in.Input+"|"+in.FileName+"|"+in.SHA256)
	}
	sort.Strings(ins)
	b := make([]byte, 0, 256)
	b = append(b, "node="...)
	b = append(b, j.Node...)
	b = append(b, "\nprocessor="...)
	b = append(b, j.Processor...)
	b = append(b, "\nsoftware="...)
	b = append(b, j.SoftwareVersion...)
	b = append(b, "\nformat="...)
	b = strconv.AppendInt(b, int64(j.FormatVersion), 10)
	b = append(b, "\nsc="...)
	b = append(b, j.SC...)
	b = append(b, "\ntag="...)
	b = append(b, j.TimeTag()...)
	b = append(b, '\n')
	for _, s := range append(ins, j.Missing...) {
		b = append(b, s...)
		b = append(b, '\n')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// queryFunc reads catalog records: Catalog.Query, or a plan's InputIndex.
type queryFunc func(ctx context.Context, f catalog.Filter) ([]catalog.Record, error)

// resolve finds the files of one input for a slot, newest versions only.
func (p *Planner) resolve(ctx context.Context, query queryFunc, part partition, in mission.NodeInput) ([]catalog.Record, error) {
	switch in.Window {
	case WindowSame:
		return p.sameTag(ctx, query, part, in, part.start)
	case WindowAdjacent:
		var out []catalog.Record
		for _, d := range []int{-1, 0, 1} {
			recs, err := p.sameTag(ctx, query, part, in, part.start.AddDate(0, 0, d))
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
		return p.covering(ctx, query, part, in)
	case WindowLatest:
		return p.latest(ctx, query, part, in)
	}
	return nil, fmt.Errorf("unknown window %q", in.Window)
}

func (p *Planner) sameTag(ctx context.Context, query queryFunc, part partition, in mission.NodeInput, start time.Time) ([]catalog.Record, error) {
	digits := p.Graph.inputDigits(in)
	if up := p.Graph.producer(in); up != nil && PartitionHours(up.Partition) > 0 && part.node.Partition == PartitionDaily {
		return p.wholeDay(ctx, query, part, in, PartitionHours(up.Partition))
	}
	if digits == 8 && PartitionHours(part.node.Partition) > 0 {
		start = start.UTC().Truncate(24 * time.Hour) // the daily file holding the slot
	}
	f := sciFilter(in.ProductRef, part.sc)
	f.From, f.To = start, start
	recs, err := query(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []catalog.Record
	for _, r := range recs {
		if r.Start.Equal(start) && r.TimeDigits == digits && matches(in, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// wholeDay returns the newest files of every h-hour slot of the day for a
// daily job, or none (the input is missing) until every slot is there with
// the same X.Y: a day being reprocessed waits for its last slot rather
// than mixing calibrations or running once per arriving file.
func (p *Planner) wholeDay(ctx context.Context, query queryFunc, part partition, in mission.NodeInput, h int) ([]catalog.Record, error) {
	day := part.start.UTC().Truncate(24 * time.Hour)
	f := sciFilter(in.ProductRef, part.sc)
	f.From, f.To = day, day.Add(24*time.Hour-time.Second)
	recs, err := query(ctx, f)
	if err != nil {
		return nil, err
	}
	bySlot := map[time.Time]catalog.Record{}
	for _, r := range recs {
		if !matches(in, r) || r.TimeDigits != 14 || r.Start.Before(day) || r.Start.Sub(day)%(time.Duration(h)*time.Hour) != 0 {
			continue
		}
		if old, ok := bySlot[r.Start]; !ok || newerVersion(r.Version, old.Version) {
			bySlot[r.Start] = r
		}
	}
	if len(bySlot) != 24/h {
		return nil, nil
	}
	out := make([]catalog.Record, 0, len(bySlot))
	for _, r := range bySlot {
		out = append(out, r)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Start.Before(out[b].Start) })
	first, err := naming.ParseVersion(out[0].Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", out[0].Name, err)
	}
	for _, r := range out[1:] {
		v, err := naming.ParseVersion(r.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		if v.X != first.X || v.Y != first.Y {
			return nil, nil
		}
	}
	return out, nil
}

// covering returns the newest ancillary file whose range covers the slot's
// start: the latest start at or before it, then the highest version.
func (p *Planner) covering(ctx context.Context, query queryFunc, part partition, in mission.NodeInput) ([]catalog.Record, error) {
	recs, err := query(ctx, catalog.Filter{Kind: catalog.KindAncillary, SC: []string{part.sc},
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
// start (the calibration in force), highest version of that time tag. A
// window that holds any matching file holds the newest one, so searching
// growing windows back from the start finds the same file as searching the
// whole history, which made planning a long campaign quadratic in its days
// (there is a calibration file a day, and the newest is almost always recent).
func (p *Planner) latest(ctx context.Context, query queryFunc, part partition, in mission.NodeInput) ([]catalog.Record, error) {
	for _, days := range [...]int{4, 64, 1024} {
		best, err := p.latestSince(ctx, query, part, in, part.start.AddDate(0, 0, -days))
		if err != nil || best != nil {
			return best, err
		}
	}
	return p.latestSince(ctx, query, part, in, time.Time{})
}

// latestSince is latest among the files tagged from since (zero: any time)
// to the slot's start; nil when there is none.
func (p *Planner) latestSince(ctx context.Context, query queryFunc, part partition, in mission.NodeInput, since time.Time) ([]catalog.Record, error) {
	f := sciFilter(in.ProductRef, part.sc)
	f.From, f.To = since, part.start
	recs, err := query(ctx, f)
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
