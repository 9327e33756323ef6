package mission

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustDefault(t *testing.T) *Profile {
	t.Helper()
	p, err := Default()
	if err != nil {
		t.Fatalf("built-in profile: %v", err)
	}
	return p
}

func TestDefaultProfileIsMMS(t *testing.T) {
	p := mustDefault(t)
	if p.ID != "mms" || len(p.Spacecraft) != 4 || p.Constellation != "mms" {
		t.Fatalf("unexpected profile head: %+v", p.Spacecraft)
	}
	if got := p.Burst.Holdable(); got != 8000 {
		t.Errorf("holdable buffers = %d, want 8000", got)
	}
	if p.Burst.BuffersPerSpacecraft != 24576 {
		t.Errorf("capacity = %d", p.Burst.BuffersPerSpacecraft)
	}
	for _, id := range []string{"fgm", "scm", "edp", "edi", "dsp", "fpi", "hpca", "feeps", "epd-eis", "aspoc", "mec", "fsm"} {
		if p.Instrument(id) == nil {
			t.Errorf("instrument %s missing", id)
		}
	}
	for _, id := range []string{"defatt", "predatt", "defeph", "predeph", "deferr", "defq", "predq"} {
		if p.AncillaryProduct(id) == nil {
			t.Errorf("ancillary %s missing", id)
		}
	}
	for _, lvl := range []string{"l1a", "l1b", "ql", "sitl", "l2pre", "l2", "l3", "trig", "l3pre"} {
		if p.Level(lvl) == nil {
			t.Errorf("level %s missing", lvl)
		}
	}
	if !p.IsPublicLevel("l2") || p.IsPublicLevel("l1b") {
		t.Error("public levels wrong")
	}
}

func TestCheckProduct(t *testing.T) {
	p := mustDefault(t)
	cases := []struct {
		sc, instr, rate, level, desc, ext string
		digits                            int
		wantErr                           string
	}{
		{"mms1", "fgm", "srvy", "l2", "", "cdf", 8, ""},
		{"mms1", "fgm", "brst", "l2", "", "cdf", 14, ""},
		{"mms1", "fpi", "fast", "l2", "dis-moms", "cdf", 14, ""},
		{"mms2", "dsp", "srvy", "l1a", "177", "cdf", 8, ""},
		{"mms3", "epd-eis", "srvy", "l2", "extof", "cdf", 8, ""},
		{"mms1", "fgm", "srvy", "l0", "", "dat", 8, ""},
		{"mms1", "fgm", "srvy", "ql", "", "png", 8, ""},
		{"mms1", "bdm", "srvy", "l0", "cdq", "csv", 8, ""},
		{"mms5", "fgm", "srvy", "l2", "", "cdf", 8, "unknown spacecraft"},
		{"mms1", "xyz", "srvy", "l2", "", "cdf", 8, "unknown instrument"},
		{"mms1", "fgm", "warp", "l2", "", "cdf", 8, "unknown data rate"},
		{"mms1", "fgm", "srvy", "l9", "", "cdf", 8, "unknown data level"},
		{"mms1", "fgm", "brst", "l2", "", "cdf", 8, "14-digit"},
		{"mms1", "fpi", "fast", "l2", "", "cdf", 14, "need a descriptor"},
		{"mms1", "fpi", "fast", "l2", "xyz-moms", "cdf", 14, "unknown descriptor"},
		{"mms1", "fgm", "srvy", "l2", "", "dat", 8, "extension"},
		{"mms1", "hpca", "fast", "l2", "moments", "cdf", 8, "no fast l2"},
	}
	for _, c := range cases {
		err := p.CheckProduct(c.sc, c.instr, c.rate, c.level, c.desc, c.ext, c.digits)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: unexpected error %v", c, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want one containing %q", c, err, c.wantErr)
		}
	}
}

func TestCheckAncillaryAndSelection(t *testing.T) {
	p := mustDefault(t)
	if err := p.CheckAncillary("mms1", "defeph"); err != nil {
		t.Error(err)
	}
	if err := p.CheckAncillary("mms", "defq"); err != nil {
		t.Error(err)
	}
	if err := p.CheckAncillary("mms", "defeph"); err == nil {
		t.Error("constellation defeph accepted")
	}
	if err := p.CheckAncillary("mms1", "defq"); err == nil {
		t.Error("per-spacecraft defq accepted")
	}
	if err := p.CheckAncillary("mms1", "nope"); err == nil {
		t.Error("unknown product accepted")
	}
	if err := p.CheckSelection("gls_selections_mp-dl-unh"); err != nil {
		t.Error(err)
	}
	if err := p.CheckSelection("foo_selections"); err == nil {
		t.Error("unknown selection type accepted")
	}
}

func TestFOMCategories(t *testing.T) {
	b := mustDefault(t).Burst
	for fom, want := range map[float64]int{255: 0, 200: 0, 199.5: 1, 150: 1, 149: 2, 100: 2, 99: 3, 50: 3, 49.9: 4, 0: 4, 256: -1, -1: -1} {
		if got := b.FOMCategory(fom); got != want {
			t.Errorf("FOM %v: category %d, want %d", fom, got, want)
		}
	}
}

func TestLoadOverridesSections(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, []byte("burst:\n  buffers_per_spacecraft: 1000\n  buffer_seconds: 10\n  reserve_buffers: 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Burst.Holdable() != 900 || p.ID != "mms" || len(p.Instruments) == 0 {
		t.Errorf("override not applied section-wise: holdable %d, id %q", p.Burst.Holdable(), p.ID)
	}
	// JSON is accepted too, and replaces a list section whole.
	jpath := filepath.Join(dir, "p.json")
	if err := os.WriteFile(jpath, []byte(`{"id":"demo","spacecraft":["sat1","sat2"],"simulation":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = Load(jpath)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "demo" || len(p.Spacecraft) != 2 || p.HasSpacecraft("mms1") {
		t.Errorf("json override: %+v", p.Spacecraft)
	}
}

func TestLoadRejectsBadProfiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown section":       "spacecrafts: [a]\n",
		"unknown field":         "burst:\n  buffers: 3\n",
		"bad rate in rule":      "instruments:\n  - {id: x, products: [{rates: [zz], levels: [l2], descriptors: ['']}]}\nsimulation: {}\n",
		"duplicate sc":          "spacecraft: [a, a]\n",
		"reserve too big":       "burst: {buffers_per_spacecraft: 10, buffer_seconds: 10, reserve_buffers: 10}\n",
		"archive unknown level": "archive: {lifecycle: [{levels: [l9], transitions: [{days: 30, class: GLACIER}]}]}\n",
		"archive unknown class": "archive: {lifecycle: [{levels: [l0], transitions: [{days: 30, class: COLD}]}]}\n",
		"archive warmer later":  "archive: {lifecycle: [{levels: [l0], transitions: [{days: 30, class: GLACIER}, {days: 60, class: GLACIER_IR}]}]}\n",
		"archive days fall":     "archive: {lifecycle: [{levels: [l0], transitions: [{days: 60, class: GLACIER_IR}, {days: 30, class: GLACIER}]}]}\n",
		"archive level twice":   "archive: {lifecycle: [{levels: [l0], transitions: [{days: 1, class: GLACIER}]}, {levels: [l0], transitions: [{days: 2, class: GLACIER}]}]}\n",
		"contacts no period":    "simulation: {contacts: {duration_minutes: 30, buffers_per_contact: 10}}\n",
		"contacts too long":     "simulation: {contacts: {every_hours: 1, duration_minutes: 60, buffers_per_contact: 10}}\n",
		"contacts missed > 1":   "simulation: {contacts: {every_hours: 8, duration_minutes: 60, buffers_per_contact: 10, missed_fraction: 1.5}}\n",
		"contacts neg buffers":  "simulation: {contacts: {every_hours: 8, duration_minutes: 60, buffers_per_contact: -1}}\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestBuiltinContacts(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	c := p.Simulation.Contacts
	if !c.Enabled() || c.Every() != 8*time.Hour || c.Duration() != time.Hour || c.BuffersPerContact <= 0 ||
		c.MissedFraction <= 0 || c.MissedFraction >= 1 {
		t.Errorf("built-in contacts = %+v", c)
	}
}

func TestBuiltinArchivePolicy(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]int{}
	for _, r := range p.Archive.Lifecycle {
		for _, l := range r.Levels {
			levels[l] = r.Transitions[0].Days
		}
	}
	// Raw telemetry goes cold before released products do.
	if levels["l0"] == 0 || levels["l2"] == 0 || levels["l0"] >= levels["l2"] {
		t.Errorf("l0 first transition %d days, l2 %d days", levels["l0"], levels["l2"])
	}
	if p.Archive.SupersededDays <= 0 || p.Archive.SupersededClass != "DEEP_ARCHIVE" {
		t.Errorf("superseded policy %+v", p.Archive)
	}
}
