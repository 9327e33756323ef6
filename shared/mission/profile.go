// Package mission holds the mission profile: everything Magpie knows about a
// mission (spacecraft, instruments and their products, ancillary products,
// release rules, burst memory) as data. MMS is the built-in profile; a new
// mission is a new profile file, and no mission constant lives in code.
package mission

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

//go:embed mms.yaml
var builtinMMS []byte

// Profile describes one mission.
type Profile struct {
	ID            string   `yaml:"id" json:"id"`
	Name          string   `yaml:"name" json:"name"`
	Description   string   `yaml:"description" json:"description"`
	Spacecraft    []string `yaml:"spacecraft" json:"spacecraft"`
	Constellation string   `yaml:"constellation" json:"constellation"`

	Rates             []Rate       `yaml:"rates" json:"rates"`
	Levels            []Level      `yaml:"levels" json:"levels"`
	DefaultExtensions []string     `yaml:"default_extensions" json:"default_extensions"`
	Instruments       []Instrument `yaml:"instruments" json:"instruments"`
	Ancillary         []Ancillary  `yaml:"ancillary" json:"ancillary"`
	Selections        []string     `yaml:"selections" json:"selections"`

	Release    Release    `yaml:"release" json:"release"`
	Burst      Burst      `yaml:"burst" json:"burst"`
	Simulation Simulation `yaml:"simulation" json:"simulation"`
}

// Rate is a data rate mode (srvy, fast, brst, ...).
type Rate struct {
	ID          string `yaml:"id" json:"id"`
	Description string `yaml:"description" json:"description"`
	// Burst products carry 14-digit time tags (one file per burst segment).
	Burst bool `yaml:"burst" json:"burst"`
}

// Level is a processing level.
type Level struct {
	ID          string `yaml:"id" json:"id"`
	Description string `yaml:"description" json:"description"`
	// Releasable levels may become public once released.
	Releasable bool `yaml:"releasable" json:"releasable"`
	// Extensions allowed for files of this level; empty means the profile's
	// default extensions.
	Extensions []string `yaml:"extensions" json:"extensions"`
}

// Instrument is one instrument (or pseudo-instrument) and the products it
// delivers.
type Instrument struct {
	ID       string        `yaml:"id" json:"id"`
	Name     string        `yaml:"name" json:"name"`
	Suite    string        `yaml:"suite" json:"suite"`
	Products []ProductRule `yaml:"products" json:"products"`
}

// ProductRule allows every combination of its rates, levels and descriptors.
// The descriptor "" means a product without descriptor.
type ProductRule struct {
	Rates       []string `yaml:"rates" json:"rates"`
	Levels      []string `yaml:"levels" json:"levels"`
	Descriptors []string `yaml:"descriptors" json:"descriptors"`
	// Extensions, when set, overrides the level's extensions for this rule.
	Extensions []string `yaml:"extensions" json:"extensions"`
}

// Ancillary is an ancillary product code (defeph, defatt, ...).
type Ancillary struct {
	ID          string `yaml:"id" json:"id"`
	Description string `yaml:"description" json:"description"`
	// PerSpacecraft products are named after a spacecraft (MMS1_DEFEPH_...);
	// Constellation products after the constellation (MMS_DEFQ_...).
	PerSpacecraft bool `yaml:"per_spacecraft" json:"per_spacecraft"`
	Constellation bool `yaml:"constellation" json:"constellation"`
	// Predicted products ignore date filters in queries.
	Predicted bool `yaml:"predicted" json:"predicted"`
}

// Release holds the rules that decide what becomes public.
type Release struct {
	PublicLevels []string `yaml:"public_levels" json:"public_levels"`
	EmbargoDays  int      `yaml:"embargo_days" json:"embargo_days"`
}

// Burst holds the burst-memory parameters.
type Burst struct {
	BuffersPerSpacecraft int           `yaml:"buffers_per_spacecraft" json:"buffers_per_spacecraft"`
	BufferSeconds        int           `yaml:"buffer_seconds" json:"buffer_seconds"`
	BufferMegabytes      float64       `yaml:"buffer_megabytes" json:"buffer_megabytes"`
	ReserveBuffers       int           `yaml:"reserve_buffers" json:"reserve_buffers"`
	QualityMax           int           `yaml:"quality_max" json:"quality_max"`
	FOMCategories        []FOMCategory `yaml:"fom_categories" json:"fom_categories"`
	ABS                  ABSParams     `yaml:"abs" json:"abs"`
	ABSSubsolar          ABSParams     `yaml:"abs_subsolar" json:"abs_subsolar"`
}

// Holdable is how many buffers a spacecraft may hold: capacity minus reserve.
func (b Burst) Holdable() int { return b.BuffersPerSpacecraft - b.ReserveBuffers }

// FOMCategory is a figure-of-merit band, bounds inclusive.
type FOMCategory struct {
	Category int `yaml:"category" json:"category"`
	Min      int `yaml:"min" json:"min"`
	Max      int `yaml:"max" json:"max"`
}

// ABSParams are the automated burst selection defaults.
type ABSParams struct {
	TargetBuffers     int `yaml:"target_buffers" json:"target_buffers"`
	MinSegmentBuffers int `yaml:"min_segment_buffers" json:"min_segment_buffers"`
	MaxSegmentBuffers int `yaml:"max_segment_buffers" json:"max_segment_buffers"`
	PaddingBuffers    int `yaml:"padding_buffers" json:"padding_buffers"`
}

// Simulation says what the mission simulator produces.
type Simulation struct {
	RegionOfInterestHours float64         `yaml:"region_of_interest_hours" json:"region_of_interest_hours"`
	Instruments           []SimInstrument `yaml:"instruments" json:"instruments"`
	Ancillary             []string        `yaml:"ancillary" json:"ancillary"`
	BurstMetadata         SimProduct      `yaml:"burst_metadata" json:"burst_metadata"`
}

// SimInstrument is one simulated instrument's telemetry.
type SimInstrument struct {
	Instrument string    `yaml:"instrument" json:"instrument"`
	Descriptor string    `yaml:"descriptor" json:"descriptor"`
	APID       int       `yaml:"apid" json:"apid"`
	Quantity   string    `yaml:"quantity" json:"quantity"`
	Rates      []SimRate `yaml:"rates" json:"rates"`
}

// SimRate is the sample period of one rate of a simulated instrument.
type SimRate struct {
	Rate          string  `yaml:"rate" json:"rate"`
	SampleSeconds float64 `yaml:"sample_seconds" json:"sample_seconds"`
}

// SimProduct names a product by its keys.
type SimProduct struct {
	Instrument string `yaml:"instrument" json:"instrument"`
	Rate       string `yaml:"rate" json:"rate"`
	Level      string `yaml:"level" json:"level"`
	Descriptor string `yaml:"descriptor" json:"descriptor"`
}

// Default returns the built-in MMS profile.
func Default() (*Profile, error) {
	return parse(builtinMMS, nil, "built-in profile")
}

// Load returns the built-in profile overridden by the YAML or JSON file at
// path: every top-level section present in the file replaces the built-in
// one, so a file may change only the burst parameters, or describe a whole
// new mission.
func Load(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	base, err := Default()
	if err != nil {
		return nil, err
	}
	return parse(b, base, path)
}

// LoadOrDefault loads path, or the built-in profile when path is empty.
func LoadOrDefault(path string) (*Profile, error) {
	if path == "" {
		return Default()
	}
	return Load(path)
}

func parse(b []byte, base *Profile, source string) (*Profile, error) {
	// Strict decoding: a misspelt field in a profile is an error, not a
	// silently ignored setting.
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	fresh := &Profile{}
	if err := dec.Decode(fresh); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	// Which sections the file names: those replace the base's whole, so an
	// override never keeps stale list entries of the built-in profile.
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	p := fresh
	if base != nil {
		merged := *base
		mergeSections(&merged, fresh, doc)
		p = &merged
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return p, nil
}

// mergeSections copies each section the override names from fresh into p.
func mergeSections(p, fresh *Profile, present map[string]yaml.Node) {
	set := func(key string, apply func()) {
		if _, ok := present[key]; ok {
			apply()
		}
	}
	set("id", func() { p.ID = fresh.ID })
	set("name", func() { p.Name = fresh.Name })
	set("description", func() { p.Description = fresh.Description })
	set("spacecraft", func() { p.Spacecraft = fresh.Spacecraft })
	set("constellation", func() { p.Constellation = fresh.Constellation })
	set("rates", func() { p.Rates = fresh.Rates })
	set("levels", func() { p.Levels = fresh.Levels })
	set("default_extensions", func() { p.DefaultExtensions = fresh.DefaultExtensions })
	set("instruments", func() { p.Instruments = fresh.Instruments })
	set("ancillary", func() { p.Ancillary = fresh.Ancillary })
	set("selections", func() { p.Selections = fresh.Selections })
	set("release", func() { p.Release = fresh.Release })
	set("burst", func() { p.Burst = fresh.Burst })
	set("simulation", func() { p.Simulation = fresh.Simulation })
}
