package sitlcycle

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/store"
)

// ArchiveMetadata reads the burst metadata files the indexer archived
// (one CSV "TAITIME,CDQ" per spacecraft and day, e.g.
// mms1_bdm_srvy_l0_cdq_20151016_v1.0.0.csv) and combines the spacecraft
// qualities (CDQ) into the mission quality (MDQ) per buffer: the mean of
// the spacecraft that reported the buffer, rounded.
type ArchiveMetadata struct {
	Catalog    *catalog.Catalog
	Archive    store.ObjectStore
	Product    mission.SimProduct // the profile's simulation.burst_metadata
	Spacecraft []string
}

// Quality returns the MDQ of every buffer in [startTAI, endTAI) that any
// spacecraft reported.
func (a *ArchiveMetadata) Quality(ctx context.Context, startTAI, endTAI int64) ([]sitl.Quality, error) {
	from, err := taiToUTC(startTAI)
	if err != nil {
		return nil, fmt.Errorf("burst metadata: %w", err)
	}
	to, err := taiToUTC(endTAI)
	if err != nil {
		return nil, fmt.Errorf("burst metadata: %w", err)
	}
	// Daily files carry their day as time tag: start from the first day.
	from = from.Truncate(24 * time.Hour)
	recs, err := a.Catalog.Query(ctx, catalog.Filter{SC: a.Spacecraft, Instrument: []string{a.Product.Instrument},
		Rate: []string{a.Product.Rate}, Level: []string{a.Product.Level}, Descriptor: []string{a.Product.Descriptor},
		Ext: []string{"csv"}, From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("burst metadata: catalog: %w", err)
	}
	type acc struct{ sum, n int }
	byTAI := map[int64]*acc{}
	for _, r := range recs {
		rd, _, err := a.Archive.Get(ctx, r.ArchiveKey, nil)
		if err != nil {
			return nil, fmt.Errorf("burst metadata: read %s: %w", r.Name, err)
		}
		err = ReadCDQ(rd, func(tai int64, q int) {
			if tai < startTAI || tai >= endTAI {
				return
			}
			x := byTAI[tai]
			if x == nil {
				x = &acc{}
				byTAI[tai] = x
			}
			x.sum += q
			x.n++
		})
		rd.Close()
		if err != nil {
			return nil, fmt.Errorf("burst metadata: %s: %w", r.Name, err)
		}
	}
	out := make([]sitl.Quality, 0, len(byTAI))
	for tai, x := range byTAI {
		out = append(out, sitl.Quality{TAI: tai, Q: (x.sum + x.n/2) / x.n})
	}
	slices.SortFunc(out, func(p, q sitl.Quality) int { return int(p.TAI - q.TAI) })
	return out, nil
}

// ReadCDQ parses a burst metadata CSV (header "TAITIME,CDQ", then one
// "tai,quality" line per buffer) and calls fn for each line.
func ReadCDQ(r io.Reader, fn func(tai int64, q int)) error {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if line == 1 {
			if !strings.EqualFold(strings.ReplaceAll(text, " ", ""), "TAITIME,CDQ") {
				return fmt.Errorf("line 1: header %q, want TAITIME,CDQ", text)
			}
			continue
		}
		t, q, ok := strings.Cut(text, ",")
		if !ok {
			return fmt.Errorf("line %d: %q: want TAITIME,CDQ", line, text)
		}
		tai, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		if err != nil {
			return fmt.Errorf("line %d: TAITIME: %w", line, err)
		}
		cdq, err := strconv.Atoi(strings.TrimSpace(q))
		if err != nil {
			return fmt.Errorf("line %d: CDQ: %w", line, err)
		}
		fn(tai, cdq)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}
