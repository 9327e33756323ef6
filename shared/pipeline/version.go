package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
)

// CalibrationVersion is the Y of a job's outputs: the Y of the version of
// its calibration input (a calibration file, or an upstream product that
// carries the calibration on), 0 when the node has none.
func CalibrationVersion(n *mission.ProductNode, j Job) (int, error) {
	for _, in := range n.Inputs {
		if !in.Calibration {
			continue
		}
		for _, ji := range j.Inputs {
			if ji.Input != in.Name {
				continue
			}
			v, err := naming.ParseVersion(ji.Version)
			if err != nil {
				return 0, fmt.Errorf("calibration input %s: %w", ji.FileName, err)
			}
			return v.Y, nil
		}
	}
	return 0, nil
}

// NextVersion applies the version rules to a new output of a product and
// time tag: X from the processor's format version, Y the calibration
// version, and Z one more than the highest Z already archived with the same
// X.Y (0 if none). Older versions are never replaced: each is a new file.
func NextVersion(existing []naming.Version, x, y int) naming.Version {
	v := naming.Version{X: x, Y: y, Z: 0}
	for _, e := range existing {
		if e.X == x && e.Y == y && e.Z >= v.Z {
			v.Z = e.Z + 1
		}
	}
	return v
}

// existingVersions lists every archived version of a product's time tag.
func existingVersions(ctx context.Context, c *catalog.Catalog, p naming.Product, start time.Time, digits int) ([]naming.Version, error) {
	recs, err := c.Query(ctx, catalog.Filter{SC: []string{p.SC}, Instrument: []string{p.Instrument}, Rate: []string{p.Rate},
		Level: []string{p.Level}, Descriptor: []string{p.Descriptor}, From: start, To: start, AllVersions: true})
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", p, err)
	}
	var out []naming.Version
	for _, r := range recs {
		if !r.Start.Equal(start) || r.TimeDigits != digits {
			continue
		}
		if v, err := naming.ParseVersion(r.Version); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}
