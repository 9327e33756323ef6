package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/mission"
)

// What reprocessing campaigns (shared/campaign) need from the planner and
// the graph: the job a slot would get now, without recording it, and the
// nodes downstream of a set of nodes in dependency order.

// Node returns the graph node with that id, or nil.
func (g *Graph) Node(id string) *mission.ProductNode {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// Upstream returns the ids of the nodes whose outputs node n consumes.
func (g *Graph) Upstream(n *mission.ProductNode) []string {
	var out []string
	for _, in := range n.Inputs {
		for _, m := range g.Nodes {
			if m != n && in.Ancillary == "" && refKey(m.Output) == refKey(in.ProductRef) {
				out = append(out, m.ID)
			}
		}
	}
	return out
}

// WithDownstream returns the given nodes and every node that (transitively)
// consumes their outputs, ordered so that a node comes after all the nodes
// of the result it consumes.
func (g *Graph) WithDownstream(ids []string) ([]*mission.ProductNode, error) {
	want := map[string]bool{}
	for _, id := range ids {
		if g.Node(id) == nil {
			return nil, fmt.Errorf("unknown product node %q", id)
		}
		want[id] = true
	}
	// The graph is acyclic (NewGraph checked): grow the set to a fixpoint.
	for changed := true; changed; {
		changed = false
		for _, n := range g.Nodes {
			if want[n.ID] {
				continue
			}
			for _, up := range g.Upstream(n) {
				if want[up] {
					want[n.ID], changed = true, true
					break
				}
			}
		}
	}
	var out []*mission.ProductNode
	placed := map[string]bool{}
	for len(out) < len(want) {
		progress := false
		for _, n := range g.Nodes {
			if !want[n.ID] || placed[n.ID] {
				continue
			}
			ready := true
			for _, up := range g.Upstream(n) {
				if want[up] && !placed[up] {
					ready = false
				}
			}
			if ready {
				out, placed[n.ID], progress = append(out, n), true, true
			}
		}
		if !progress {
			return nil, fmt.Errorf("product graph has a cycle among %v", ids)
		}
	}
	return out, nil
}

// PrimaryInput is the input whose files fix a node's time tags.
func PrimaryInput(n *mission.ProductNode) mission.NodeInput { return primaryInput(n) }

// PartitionDigits is the length of a node's time tags (8 or 14).
func PartitionDigits(n *mission.ProductNode) int { return partitionDigits(n) }

// SlotStarts returns the start times of the node's partitions for one
// spacecraft in [from, to): the time tags of its primary input's files.
func (p *Planner) SlotStarts(ctx context.Context, n *mission.ProductNode, sc string, from, to time.Time) ([]time.Time, error) {
	prim := primaryInput(n)
	f := sciFilter(prim.ProductRef, sc)
	f.From, f.To = from, to.Add(-time.Second)
	recs, err := p.Catalog.Query(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("slots of %s for %s: %w", n.ID, sc, err)
	}
	var out []time.Time
	seen := map[time.Time]bool{}
	for _, r := range recs {
		if r.Kind != catalog.KindScience || !matches(prim, r) {
			continue
		}
		for _, part := range slotsOf(n, r) {
			if !seen[part.start] && !part.start.Before(from) && part.start.Before(to) {
				seen[part.start] = true
				out = append(out, part.start)
			}
		}
	}
	return out, nil
}

// Preview returns the job that planning the slot would record now (its id,
// inputs, status PENDING or NOTRUN), without recording anything.
func (p *Planner) Preview(ctx context.Context, nodeID, sc string, start time.Time) (Job, error) {
	n := p.Graph.Node(nodeID)
	if n == nil {
		return Job{}, fmt.Errorf("preview: unknown node %q", nodeID)
	}
	return p.resolveJob(ctx, p.Catalog.Query, partition{node: n, sc: sc, start: start.UTC(), digits: partitionDigits(n)})
}
