// Package pipeline turns newly indexed files into science products: it
// validates the product graph of the mission profile, plans the jobs a file
// triggers (or records them NOTRUN until their inputs arrive), keeps them in
// a jobs table on the table-store port, runs their processors (built-in Go
// functions or external executables) through a manifest contract, applies
// the X.Y.Z version rules and ingests the outputs through the normal indexer,
// where they trigger the next level.
package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/mission"
)

// Partitions of a node's jobs.
const (
	PartitionDaily   = "daily"   // one job per UTC day, 8-digit time tags
	PartitionSegment = "segment" // one job per burst segment, 14-digit tags
	// "<N>h" (N dividing 24, e.g. "2h"): one job per N hours of the UTC
	// day, 14-digit tags at multiples of N hours (MMS FPI fast survey files).
)

// PartitionHours returns N of an "<N>h" partition, 0 for any other.
func PartitionHours(partition string) int {
	h, err := strconv.Atoi(strings.TrimSuffix(partition, "h"))
	if !strings.HasSuffix(partition, "h") || err != nil || h <= 0 || h >= 24 || 24%h != 0 || strconv.Itoa(h)+"h" != partition {
		return 0
	}
	return h
}

// Input windows (see mission.NodeInput).
const (
	WindowSame     = "same"
	WindowCovering = "covering"
	WindowLatest   = "latest"
	WindowAdjacent = "adjacent"
)

// Graph is a validated product graph.
type Graph struct {
	Profile *mission.Profile
	Nodes   []*mission.ProductNode
	// producers maps refKey of an output to the node making it (NewGraph
	// fills it: planning looks producers up for every slot it resolves).
	producers map[string]*mission.ProductNode
}

// NewGraph validates the profile's product graph against the profile and
// the processors known (built-in IDs plus the profile's external ones): it
// rejects unknown products, unknown processors, outputs with two producers,
// cycles, and nodes a file could never start.
func NewGraph(p *mission.Profile, builtins []string) (*Graph, error) {
	known := map[string]bool{}
	for _, id := range builtins {
		known[id] = true
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for _, d := range p.Processors {
		switch {
		case d.ID == "":
			bad("processors: empty id")
		case known[d.ID]:
			bad("processor %q declared twice (or shadows a built-in)", d.ID)
		case len(d.Command) == 0:
			bad("processor %q: empty command", d.ID)
		case d.FormatVersion < 0 || d.TimeoutSeconds < 0:
			bad("processor %q: negative format_version or timeout", d.ID)
		}
		known[d.ID] = true
	}
	g := &Graph{Profile: p}
	// The time-tag length of every produced product, for its consumers.
	outDigits, outPartition := map[string]int{}, map[string]string{}
	for i := range p.Products {
		outDigits[refKey(p.Products[i].Output)] = partitionDigits(&p.Products[i])
		outPartition[refKey(p.Products[i].Output)] = p.Products[i].Partition
	}
	ids := map[string]bool{}
	producer := map[string]string{}
	for i := range p.Products {
		n := &p.Products[i]
		g.Nodes = append(g.Nodes, n)
		where := fmt.Sprintf("products: node %q", n.ID)
		if n.ID == "" {
			bad("products: node %d has no id", i+1)
		}
		if ids[n.ID] {
			bad("%s declared twice", where)
		}
		ids[n.ID] = true
		if !known[n.Processor] {
			bad("%s: unknown processor %q", where, n.Processor)
		}
		if n.Output.Ancillary != "" || n.Output.Instrument == "" {
			bad("%s: the output must be a science product", where)
			continue
		}
		digits := 8
		switch n.Partition {
		case PartitionDaily:
		case PartitionSegment:
			digits = 14
		default:
			if PartitionHours(n.Partition) == 0 {
				bad("%s: partition %q is not daily, segment or <N>h with N dividing 24", where, n.Partition)
			}
			digits = 14
		}
		for _, ext := range OutputExtensions(n) {
			if err := checkRef(p, n.Output, ext, digits); err != nil {
				bad("%s: output: %v", where, err)
			}
		}
		key := refKey(n.Output)
		if other, dup := producer[key]; dup {
			bad("%s: output %s is already produced by node %q", where, key, other)
		}
		producer[key] = n.ID
		var primary, names int
		seen := map[string]bool{}
		for j, in := range n.Inputs {
			iw := fmt.Sprintf("%s input %d (%s)", where, j+1, in.Name)
			if in.Name == "" || seen[in.Name] {
				bad("%s: input names must be non-empty and unique", iw)
			}
			seen[in.Name] = true
			names++
			if err := checkInputRef(p, in, n.Partition, inputDigits(p, in, outDigits), outPartition[refKey(in.ProductRef)]); err != nil {
				bad("%s: %v", iw, err)
			}
			// An hours partition reads a daily file (each slot takes its
			// part) or files of the same hours partition, slot for slot.
			if up, ok := outPartition[refKey(in.ProductRef)]; ok && in.Window == WindowSame && PartitionHours(n.Partition) > 0 &&
				outDigits[refKey(in.ProductRef)] != 8 && up != n.Partition {
				bad("%s: a %s partition cannot read the %s partition of %s slot for slot", iw, n.Partition, up, refKey(in.ProductRef))
			}
			switch in.Window {
			case WindowSame:
				if in.Ancillary != "" {
					bad("%s: ancillary inputs use window covering, not same", iw)
				}
				if in.Trigger && !in.Optional {
					primary++
				}
			case WindowCovering, WindowLatest:
			case WindowAdjacent:
				if n.Partition != PartitionDaily {
					bad("%s: window adjacent needs a daily partition", iw)
				}
			default:
				bad("%s: unknown window %q", iw, in.Window)
			}
			if in.Trigger && in.Optional {
				bad("%s: a trigger input must be required", iw)
			}
		}
		if primary == 0 {
			bad("%s: needs a required trigger input with window same (it fixes the job's time tag)", where)
		}
		if cal := countFunc(n.Inputs, func(in mission.NodeInput) bool { return in.Calibration }); cal > 1 {
			bad("%s: at most one input gives the calibration version", where)
		}
	}
	if err := checkCycles(p.Products, producer); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid product graph: %w", err)
	}
	g.producers = make(map[string]*mission.ProductNode, len(g.Nodes))
	for _, n := range g.Nodes {
		g.producers[refKey(n.Output)] = n
	}
	return g, nil
}

func countFunc[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

// OutputExtensions returns the node's output extensions (default cdf).
func OutputExtensions(n *mission.ProductNode) []string {
	if len(n.Extensions) == 0 {
		return []string{"cdf"}
	}
	return n.Extensions
}

func checkRef(p *mission.Profile, r mission.ProductRef, ext string, digits int) error {
	if len(p.Spacecraft) == 0 {
		return errors.New("the mission has no spacecraft")
	}
	return p.CheckProduct(p.Spacecraft[0], r.Instrument, r.Rate, r.Level, r.Descriptor, ext, digits)
}

// inputDigits is the time-tag length of an input's files: its producer's
// partition's, else 14 for a burst rate and 8 for any other.
func inputDigits(p *mission.Profile, in mission.NodeInput, outDigits map[string]int) int {
	if d, ok := outDigits[refKey(in.ProductRef)]; ok {
		return d
	}
	if r := p.Rate(in.Rate); r != nil && r.Burst {
		return 14
	}
	return 8
}

// producer returns the node that makes an input's product, or nil.
func (g *Graph) producer(in mission.NodeInput) *mission.ProductNode {
	if in.Ancillary != "" {
		return nil
	}
	if g.producers != nil {
		return g.producers[refKey(in.ProductRef)]
	}
	for _, n := range g.Nodes {
		if refKey(n.Output) == refKey(in.ProductRef) {
			return n
		}
	}
	return nil
}

// inputDigits is the time-tag length of an input's files in this graph.
func (g *Graph) inputDigits(in mission.NodeInput) int {
	if g.producers != nil {
		if n := g.producers[refKey(in.ProductRef)]; n != nil && in.Ancillary == "" {
			return partitionDigits(n)
		}
		return inputDigits(g.Profile, in, nil)
	}
	outDigits := map[string]int{}
	for _, n := range g.Nodes {
		outDigits[refKey(n.Output)] = partitionDigits(n)
	}
	return inputDigits(g.Profile, in, outDigits)
}

// checkInputRef checks one input of a node with the given partition; the
// input's files have time tags of digits, made by a node with partition up
// ("" when none makes them).
func checkInputRef(p *mission.Profile, in mission.NodeInput, partition string, digits int, up string) error {
	if in.Ancillary != "" {
		if in.Instrument != "" || in.Rate != "" || in.Level != "" || in.Descriptor != "" {
			return errors.New("an input is either ancillary or science, not both")
		}
		a := p.AncillaryProduct(in.Ancillary)
		if a == nil {
			return fmt.Errorf("unknown ancillary product %q", in.Ancillary)
		}
		if !a.PerSpacecraft {
			return fmt.Errorf("ancillary product %q is not per spacecraft", in.Ancillary)
		}
		return nil
	}
	if in.Window == WindowSame {
		burst := false
		if r := p.Rate(in.Rate); r != nil && r.Burst {
			burst = true
		}
		switch {
		case partition == PartitionSegment && !burst:
			return fmt.Errorf("a segment partition's same-window input must be a burst product, %s is not", in.Rate)
		case partition == PartitionDaily && burst:
			return fmt.Errorf("a daily partition's same-window input cannot be the burst product %s", in.Rate)
		case partition == PartitionDaily && digits != 8 && PartitionHours(up) == 0:
			// A daily job may gather a whole day of an hours partition.
			return fmt.Errorf("a daily partition's same-window input needs daily files, %s has %d-digit time tags", refKey(in.ProductRef), digits)
		case PartitionHours(partition) > 0 && burst:
			return fmt.Errorf("a %s partition's same-window input cannot be the burst product %s", partition, in.Rate)
		}
	}
	exts := []string{in.Ext}
	if in.Ext == "" {
		exts = extsFor(p, in.ProductRef)
	}
	// Any extension the product has will do.
	var err error
	for _, e := range exts {
		if err = p.CheckProduct(p.Spacecraft[0], in.Instrument, in.Rate, in.Level, in.Descriptor, e, digits); err == nil {
			return nil
		}
	}
	return err
}

// extsFor lists the extensions that might apply to a product: rule
// overrides first, then the level's.
func extsFor(p *mission.Profile, r mission.ProductRef) []string {
	var out []string
	if in := p.Instrument(r.Instrument); in != nil {
		for _, rule := range in.Products {
			out = append(out, rule.Extensions...)
		}
	}
	out = append(out, p.Extensions(r.Level)...)
	if len(out) == 0 {
		out = []string{"cdf"}
	}
	return out
}

// refKey is a product reference as text: "fgm/srvy/l2", "fpi/fast/l2/dis-moms", "ancillary/defatt".
func refKey(r mission.ProductRef) string {
	if r.Ancillary != "" {
		return "ancillary/" + r.Ancillary
	}
	s := r.Instrument + "/" + r.Rate + "/" + r.Level
	if r.Descriptor != "" {
		s += "/" + r.Descriptor
	}
	return s
}

// checkCycles rejects a graph in which a product (transitively) needs itself.
func checkCycles(nodes []mission.ProductNode, producer map[string]string) error {
	byID := map[string]*mission.ProductNode{}
	for i := range nodes {
		byID[nodes[i].ID] = &nodes[i]
	}
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case active:
			i := slices.Index(path, id)
			return fmt.Errorf("cycle: %s needs %s", strings.Join(path[i:], " needs "), id)
		case done:
			return nil
		}
		state[id] = active
		path = append(path, id)
		for _, in := range byID[id].Inputs {
			if up, ok := producer[refKey(in.ProductRef)]; ok {
				if err := visit(up); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		return nil
	}
	for i := range nodes {
		if err := visit(nodes[i].ID); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether a cataloged file is a file of the input's product
// (for any spacecraft).
func matches(in mission.NodeInput, r catalog.Record) bool {
	if in.Ancillary != "" {
		return r.Kind == catalog.KindAncillary && r.Product == in.Ancillary
	}
	return r.Kind == catalog.KindScience && r.Instrument == in.Instrument && r.Rate == in.Rate &&
		r.Level == in.Level && r.Descriptor == in.Descriptor && (in.Ext == "" || r.Ext == in.Ext)
}

// primaryInput is the node's first required same-window trigger: its files
// fix the jobs' time tags.
func primaryInput(n *mission.ProductNode) mission.NodeInput {
	for _, in := range n.Inputs {
		if in.Window == WindowSame && in.Trigger && !in.Optional {
			return in
		}
	}
	return mission.NodeInput{}
}

// partitionSpan is the time a job's partition covers.
func partitionSpan(n *mission.ProductNode, start time.Time) (time.Time, time.Time) {
	if n.Partition == PartitionDaily {
		return start, start.AddDate(0, 0, 1)
	}
	if h := PartitionHours(n.Partition); h > 0 {
		return start, start.Add(time.Duration(h) * time.Hour)
	}
	return start, start
}
