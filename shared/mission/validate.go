package mission

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Validate checks the profile for internal consistency: every name it uses
// is declared once, rules refer to declared rates and levels, and the burst
// parameters make sense.
func (p *Profile) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if p.ID == "" {
		bad("id is empty")
	}
	if len(p.Spacecraft) == 0 {
		bad("no spacecraft")
	}
	dupes := func(what string, ids []string) {
		seen := map[string]bool{}
		for _, id := range ids {
			if id == "" {
				bad("%s: empty id", what)
			}
			if id != strings.ToLower(id) {
				bad("%s %q: ids are lower case", what, id)
			}
			if seen[id] {
				bad("%s %q declared twice", what, id)
			}
			seen[id] = true
		}
	}
	dupes("spacecraft", p.Spacecraft)
	pr := p.Prices
	for name, v := range map[string]float64{"lambda_gb_second": pr.LambdaGBSecond, "lambda_request": pr.LambdaRequest,
		"state_transition": pr.StateTransition, "express_request": pr.ExpressRequest, "express_gb_second": pr.ExpressGBSecond,
		"s3_get": pr.S3Get, "s3_put": pr.S3Put, "job_base_seconds": pr.JobBaseSeconds, "job_mb_per_second": pr.JobMBPerSecond,
		"job_memory_mb": float64(pr.JobMemoryMB)} {
		if v < 0 || v != v {
			bad("prices: %s must be a non-negative number", name)
		}
	}
	dupes("rate", mapIDs(p.Rates, func(r Rate) string { return r.ID }))
	dupes("level", mapIDs(p.Levels, func(l Level) string { return l.ID }))
	dupes("instrument", mapIDs(p.Instruments, func(i Instrument) string { return i.ID }))
	dupes("ancillary product", mapIDs(p.Ancillary, func(a Ancillary) string { return a.ID }))
	for _, in := range p.Instruments {
		if strings.Contains(in.ID, "_") {
			bad("instrument %q: '_' separates file name fields and cannot appear in an id", in.ID)
		}
		if len(in.Products) == 0 {
			bad("instrument %q has no products", in.ID)
		}
		for i, r := range in.Products {
			for _, rate := range r.Rates {
				if p.Rate(rate) == nil {
					bad("instrument %q product rule %d: unknown rate %q", in.ID, i+1, rate)
				}
			}
			for _, lvl := range r.Levels {
				if p.Level(lvl) == nil {
					bad("instrument %q product rule %d: unknown level %q", in.ID, i+1, lvl)
				}
			}
			for _, d := range r.Descriptors {
				if strings.Contains(d, "_") {
					bad("instrument %q: descriptor %q contains '_'", in.ID, d)
				}
			}
			if len(r.Rates) == 0 || len(r.Levels) == 0 || len(r.Descriptors) == 0 {
				bad("instrument %q product rule %d: rates, levels and descriptors must each list at least one entry (\"\" for no descriptor)", in.ID, i+1)
			}
		}
	}
	for _, a := range p.Ancillary {
		if a.PerSpacecraft == a.Constellation {
			bad("ancillary %q: exactly one of per_spacecraft and constellation must be true", a.ID)
		}
	}
	if slices.ContainsFunc(p.Ancillary, func(a Ancillary) bool { return a.Constellation }) && p.Constellation == "" {
		bad("constellation-level ancillary products need a constellation name")
	}
	for _, lvl := range p.Release.PublicLevels {
		if p.Level(lvl) == nil {
			bad("release: unknown public level %q", lvl)
		}
	}
	if p.Release.EmbargoDays < 0 {
		bad("release: embargo_days is negative")
	}
	errs = append(errs, p.Archive.validate(p)...)
	b := p.Burst
	if b.BuffersPerSpacecraft <= 0 || b.BufferSeconds <= 0 {
		bad("burst: buffers_per_spacecraft and buffer_seconds must be positive")
	}
	if b.ReserveBuffers < 0 || b.ReserveBuffers >= b.BuffersPerSpacecraft && b.BuffersPerSpacecraft > 0 {
		bad("burst: reserve_buffers must be between 0 and buffers_per_spacecraft")
	}
	for _, s := range p.Simulation.Instruments {
		if p.Instrument(s.Instrument) == nil {
			bad("simulation: unknown instrument %q", s.Instrument)
		}
		for _, r := range s.Rates {
			if p.Rate(r.Rate) == nil || r.SampleSeconds <= 0 {
				bad("simulation: instrument %q: bad rate %q or sample period", s.Instrument, r.Rate)
			}
		}
	}
	for _, a := range p.Simulation.Ancillary {
		if p.AncillaryProduct(a) == nil {
			bad("simulation: unknown ancillary product %q", a)
		}
	}
	errs = append(errs, p.Simulation.Contacts.validate()...)
	return errors.Join(errs...)
}

func mapIDs[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

// Rate returns the rate with that id, or nil.
func (p *Profile) Rate(id string) *Rate {
	for i := range p.Rates {
		if p.Rates[i].ID == id {
			return &p.Rates[i]
		}
	}
	return nil
}

// Level returns the level with that id, or nil.
func (p *Profile) Level(id string) *Level {
	for i := range p.Levels {
		if p.Levels[i].ID == id {
			return &p.Levels[i]
		}
	}
	return nil
}

// Instrument returns the instrument with that id, or nil.
func (p *Profile) Instrument(id string) *Instrument {
	for i := range p.Instruments {
		if p.Instruments[i].ID == id {
			return &p.Instruments[i]
		}
	}
	return nil
}

// AncillaryProduct returns the ancillary product with that (lower-case) code, or nil.
func (p *Profile) AncillaryProduct(id string) *Ancillary {
	for i := range p.Ancillary {
		if p.Ancillary[i].ID == id {
			return &p.Ancillary[i]
		}
	}
	return nil
}

// HasSpacecraft reports whether id is one of the mission's spacecraft.
func (p *Profile) HasSpacecraft(id string) bool { return slices.Contains(p.Spacecraft, id) }

// IsPublicLevel reports whether files of the level may ever be released.
func (p *Profile) IsPublicLevel(level string) bool {
	return slices.Contains(p.Release.PublicLevels, level)
}

// CheckProduct tells whether the mission has the science product
// sc/instrument/rate/level[/descriptor] in files with extension ext and
// time tags of timeDigits digits; the error says which field is wrong.
func (p *Profile) CheckProduct(sc, instrument, rate, level, descriptor, ext string, timeDigits int) error {
	if !p.HasSpacecraft(sc) {
		return fmt.Errorf("unknown spacecraft %q (mission %s has %s)", sc, p.ID, strings.Join(p.Spacecraft, ", "))
	}
	in := p.Instrument(instrument)
	if in == nil {
		return fmt.Errorf("unknown instrument %q", instrument)
	}
	r := p.Rate(rate)
	if r == nil {
		return fmt.Errorf("unknown data rate mode %q", rate)
	}
	lvl := p.Level(level)
	if lvl == nil {
		return fmt.Errorf("unknown data level %q", level)
	}
	if r.Burst && timeDigits != 14 {
		return fmt.Errorf("burst products carry a 14-digit time tag (YYYYMMDDhhmmss), got %d digits", timeDigits)
	}
	var rateLevel bool
	for _, rule := range in.Products {
		if !slices.Contains(rule.Rates, rate) || !slices.Contains(rule.Levels, level) {
			continue
		}
		rateLevel = true
		if !slices.Contains(rule.Descriptors, descriptor) {
			continue
		}
		exts := rule.Extensions
		if len(exts) == 0 {
			exts = p.Extensions(level)
		}
		if !slices.Contains(exts, ext) {
			return fmt.Errorf("extension %q is not used for %s %s %s files (expected %s)", ext, instrument, rate, level, strings.Join(exts, " or "))
		}
		return nil
	}
	if !rateLevel {
		return fmt.Errorf("instrument %s has no %s %s products", instrument, rate, level)
	}
	if descriptor == "" {
		return fmt.Errorf("instrument %s %s %s products need a descriptor", instrument, rate, level)
	}
	return fmt.Errorf("unknown descriptor %q for %s %s %s", descriptor, instrument, rate, level)
}

// Extensions returns the file extensions allowed for a level.
func (p *Profile) Extensions(level string) []string {
	if l := p.Level(level); l != nil && len(l.Extensions) > 0 {
		return l.Extensions
	}
	return p.DefaultExtensions
}

// CheckAncillary tells whether an ancillary file for owner (a spacecraft,
// or the constellation) and product code exists in this mission.
func (p *Profile) CheckAncillary(owner, product string) error {
	a := p.AncillaryProduct(product)
	if a == nil {
		return fmt.Errorf("unknown ancillary product %q", product)
	}
	switch {
	case a.PerSpacecraft && !p.HasSpacecraft(owner):
		return fmt.Errorf("ancillary product %s is per spacecraft; %q is not a spacecraft", product, owner)
	case a.Constellation && owner != p.Constellation:
		return fmt.Errorf("ancillary product %s is constellation-level and named %q, not %q", product, p.Constellation, owner)
	}
	return nil
}

// CheckSelection tells whether a selection file type exists in this mission.
func (p *Profile) CheckSelection(kind string) error {
	if !slices.Contains(p.Selections, kind) {
		return fmt.Errorf("unknown selection file type %q", kind)
	}
	return nil
}

// FOMCategory returns the category of a figure of merit, or -1 if none fits.
func (b Burst) FOMCategory(fom float64) int {
	for _, c := range b.FOMCategories {
		if fom >= float64(c.Min) && fom < float64(c.Max)+1 {
			return c.Category
		}
	}
	return -1
}

// validate checks the archive policy: known levels, each level in one rule,
// known storage classes, ages rising with colder classes.
func (a Archive) validate(p *Profile) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	seen := map[string]bool{}
	for i, r := range a.Lifecycle {
		if len(r.Levels) == 0 || len(r.Transitions) == 0 {
			bad("archive: lifecycle rule %d needs levels and transitions", i+1)
		}
		for _, lvl := range r.Levels {
			if p.Level(lvl) == nil {
				bad("archive: unknown level %q", lvl)
			}
			if seen[lvl] {
				bad("archive: level %q is in two lifecycle rules", lvl)
			}
			seen[lvl] = true
		}
		prevDays, prevClass := 0, -1
		for _, t := range r.Transitions {
			c := slices.Index(StorageClasses, t.Class)
			if c < 0 {
				bad("archive: unknown storage class %q (want one of %s)", t.Class, strings.Join(StorageClasses, ", "))
			}
			if t.Days <= prevDays {
				bad("archive: transition to %s after %d days must come later than the one before", t.Class, t.Days)
			}
			if c >= 0 && c <= prevClass {
				bad("archive: transition to %s must be colder than the one before", t.Class)
			}
			prevDays, prevClass = t.Days, c
		}
	}
	if a.SupersededDays < 0 {
		bad("archive: superseded_days is negative")
	}
	if a.SupersededClass != "" && !slices.Contains(StorageClasses, a.SupersededClass) {
		bad("archive: unknown superseded_class %q", a.SupersededClass)
	}
	return errs
}
