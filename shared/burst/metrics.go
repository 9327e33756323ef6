package burst

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
)

// Metrics are the five panels of the burst-memory metrics, one entry per
// UTC day, buffers summed over the observatories. Category maps are keyed
// by FOM category.
type Metrics struct {
	Days []string `json:"days"` // YYYY-MM-DD
	// HeldByCategory: buffers held at the end of each day (panel a).
	HeldByCategory []map[int]int `json:"held_by_category"`
	// OverwrittenByCategory: buffers released before downlink (panel b).
	OverwrittenByCategory []map[int]int `json:"overwritten_by_category"`
	// Transmitted = new − overwritten − change in held (panel c).
	Transmitted []int `json:"transmitted"`
	// NewByCategory: buffers newly held (panel d).
	NewByCategory []map[int]int `json:"new_by_category"`
	// NewByStatus: the same buffers by their segment's current status (panel e).
	NewByStatus []map[string]int `json:"new_by_status"`
}

// ComputeMetrics builds the panels for the days days ending with the day
// of end (UTC). Segments removed from statistics (TRIMMED, SUBSUMED,
// DELETED, OBSOLETE) are ignored, as the mission's plots do.
func ComputeMetrics(segs []*Segment, b mission.Burst, end time.Time, days int) (Metrics, error) {
	if days <= 0 {
		return Metrics{}, fmt.Errorf("burst metrics: %d days", days)
	}
	last := end.UTC().Truncate(24 * time.Hour)
	first := last.AddDate(0, 0, -(days - 1))
	m := Metrics{Days: make([]string, days), HeldByCategory: make([]map[int]int, days),
		OverwrittenByCategory: make([]map[int]int, days), Transmitted: make([]int, days),
		NewByCategory: make([]map[int]int, days), NewByStatus: make([]map[string]int, days)}
	for d := range days {
		m.Days[d] = first.AddDate(0, 0, d).Format(time.DateOnly)
		m.HeldByCategory[d], m.OverwrittenByCategory[d], m.NewByCategory[d] = map[int]int{}, map[int]int{}, map[int]int{}
		m.NewByStatus[d] = map[string]int{}
	}
	// heldDelta[d+1] is the change of held buffers on day d; heldDelta[0]
	// collects everything before the window (the starting level).
	heldDelta := make([]map[int]int, days+1)
	for d := range heldDelta {
		heldDelta[d] = map[int]int{}
	}
	dayOf := func(t time.Time) int {
		if t.Before(first) {
			return -1
		}
		return int(t.Sub(first) / (24 * time.Hour))
	}
	for _, s := range segs {
		if s.Status&removedFromStats != 0 {
			continue
		}
		cat := b.FOMCategory(s.FOM)
		status := s.Status.String()
		for _, e := range s.History {
			d := dayOf(e.At)
			if d >= days {
				continue
			}
			delta := 0
			switch e.Kind {
			case EventHeld:
				delta = e.Count
				if d >= 0 {
					m.NewByCategory[d][cat] += e.Count
					m.NewByStatus[d][status] += e.Count
				}
			case EventOverwritten:
				delta = -e.Count
				if d >= 0 {
					m.OverwrittenByCategory[d][cat] += e.Count
				}
			case EventTransmitted, EventFreed:
				delta = -e.Count
			}
			heldDelta[d+1][cat] += delta
		}
	}
	level := map[int]int{}
	for c, v := range heldDelta[0] {
		level[c] += v
	}
	for d := range days {
		before := sum(level)
		for c, v := range heldDelta[d+1] {
			level[c] += v
		}
		for c, v := range level {
			if v != 0 {
				m.HeldByCategory[d][c] = v
			}
		}
		m.Transmitted[d] = sum(m.NewByCategory[d]) - sum(m.OverwrittenByCategory[d]) - (sum(level) - before)
	}
	return m, nil
}

func sum[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// BufferCounts is the "BDM buffer counts" report for one observatory.
type BufferCounts struct {
	Observatory string `json:"observatory"`
	// ByStatus: buffers of the observatory's segments per status.
	ByStatus map[string]int `json:"by_status"`
	Held     int            `json:"held"`
	HeldMB   float64        `json:"held_mb"`
	// BehindMegabits is the burst-synch figure: how far this observatory
	// is behind the one holding the least (which shows 0).
	BehindMegabits float64 `json:"behind_megabits"`
}

// Reports returns the buffer-counts and burst-synch figures per observatory.
func Reports(segs []*Segment, b mission.Burst, spacecraft []string) []BufferCounts {
	out := make([]BufferCounts, len(spacecraft))
	for i, sc := range spacecraft {
		out[i] = BufferCounts{Observatory: sc, ByStatus: map[string]int{}}
	}
	for _, s := range segs {
		st := s.Status.String()
		for i, o := range s.Obs {
			if i < len(out) && o.Buffers > 0 {
				out[i].ByStatus[st] += o.Buffers
				out[i].Held += o.Alloc
			}
		}
	}
	least := slices.MinFunc(out, func(x, y BufferCounts) int { return x.Held - y.Held }).Held
	for i := range out {
		out[i].HeldMB = float64(out[i].Held) * b.BufferMegabytes
		out[i].BehindMegabits = float64(out[i].Held-least) * b.BufferMegabytes * 8
	}
	return out
}

// Contact simulates one ground contact: the pending segments go into the
// playlist in FOM order (highest first, oldest first on ties) and up to
// capacity buffers per observatory are downlinked; then the contact ends
// (segments left partly sent become INCOMPLETE). It returns what was sent.
//
// The contact is one step of one mutation: it is planned against the
// memory as it is when the step runs and committed with the version lock,
// so a concurrent Apply (in this process: the BDM's mutex; in another:
// the conflict makes this contact re-plan) can never release or supersede
// a segment between the plan and the downlink.
func (b *BDM) Contact(ctx context.Context, capacity int) ([]Report, error) {
	if capacity < 0 {
		return nil, fmt.Errorf("burst: contact capacity %d", capacity)
	}
	var reports []Report
	err := b.mutate(ctx, plan{n: 1, step: func(_ int, m *memory, tx *txn) error {
		reports = reports[:0]
		pending := make([]*Segment, 0, len(m.byID))
		for _, s := range m.byID {
			pending = append(pending, s)
		}
		slices.SortFunc(pending, func(x, y *Segment) int {
			if x.FOM != y.FOM {
				return evictsBefore(y, x)
			}
			return evictsBefore(x, y)
		})
		left := make([]int, len(b.cfg.Spacecraft))
		for i := range left {
			left[i] = capacity
		}
		for _, s := range pending {
			if !s.InPlaylist {
				if err := s.addToPlaylist(tx.now); err != nil {
					return err
				}
				tx.touch(s)
			}
			for i := range s.Obs {
				n := min(s.Obs[i].Alloc, left[i])
				if n <= 0 {
					continue
				}
				left[i] -= n
				prev := allocs(s)
				if err := s.transmitted(tx.now, i, n); err != nil {
					return err
				}
				m.refresh(s, prev)
				tx.touch(s)
				reports = append(reports, Report{SegmentID: s.ID, Observatory: b.cfg.Spacecraft[i], Buffers: n})
			}
		}
		contactEnded(m, tx)
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return reports, nil
}
