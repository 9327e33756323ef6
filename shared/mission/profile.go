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
	"time"

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
	Archive    Archive    `yaml:"archive" json:"archive"`
	Burst      Burst      `yaml:"burst" json:"burst"`
	Simulation Simulation `yaml:"simulation" json:"simulation"`
	// Prices drive the cost estimate of reprocessing campaigns.
	Prices Prices `yaml:"prices" json:"prices"`

	// Products is the product graph: how every derived product is made.
	// Processors declares the external (executable) processors it may use;
	// built-in processors are registered in code (shared/processors).
	// shared/pipeline validates both (cycles, unknown products, producers).
	Products   []ProductNode  `yaml:"products" json:"products"`
	Processors []ProcessorDef `yaml:"processors" json:"processors"`
}

// ProductNode is one node of the product graph: an output product, the
// processor that makes it, the inputs it needs and how its jobs are
// partitioned in time. A node applies to every spacecraft; its inputs are
// the same spacecraft's products (ancillary ones: that spacecraft's).
type ProductNode struct {
	ID        string     `yaml:"id" json:"id"`
	Processor string     `yaml:"processor" json:"processor"`
	Output    ProductRef `yaml:"output" json:"output"`
	// Extensions of the output files; empty means [cdf]. A quick-look node
	// writes [cdf, png].
	Extensions []string `yaml:"extensions" json:"extensions"`
	// Partition is "daily" (one job per UTC day, 8-digit time tag),
	// "segment" (one job per burst segment, the 14-digit tag of the input)
	// or "<N>h" with N dividing 24 (one job per N hours, 14-digit tags).
	Partition string      `yaml:"partition" json:"partition"`
	Inputs    []NodeInput `yaml:"inputs" json:"inputs"`
	// Params are passed to the processor unchanged.
	Params map[string]string `yaml:"params" json:"params"`
}

// ProductRef names a product independently of spacecraft, time and
// version: a science product (instrument, rate, level, descriptor) or an
// ancillary product code.
type ProductRef struct {
	Instrument string `yaml:"instrument" json:"instrument,omitempty"`
	Rate       string `yaml:"rate" json:"rate,omitempty"`
	Level      string `yaml:"level" json:"level,omitempty"`
	Descriptor string `yaml:"descriptor" json:"descriptor,omitempty"`
	Ancillary  string `yaml:"ancillary" json:"ancillary,omitempty"`
}

// NodeInput is one input of a graph node.
type NodeInput struct {
	// Name is the input's role in the processor manifest ("l0", "cal", "att").
	Name       string `yaml:"name" json:"name"`
	ProductRef `yaml:",inline"`
	// Ext restricts the input files to one extension (default: any).
	Ext string `yaml:"ext" json:"ext,omitempty"`
	// Window is which files of the product the job needs:
	//   same      the file with the job's own time tag (day or segment)
	//   covering  the file whose time range covers the job's day (ancillary)
	//   latest    the newest file at or before the job's start (calibration)
	//   adjacent  the same day plus, when present, the previous and next days
	Window string `yaml:"window" json:"window"`
	// Trigger: the arrival of a file of this input starts jobs. Other inputs
	// only feed them (and re-plan jobs that were waiting for them).
	Trigger bool `yaml:"trigger" json:"trigger"`
	// Optional inputs may be missing; required ones make the job NOTRUN.
	Optional bool `yaml:"optional" json:"optional"`
	// Calibration marks the input whose version Y is the calibration
	// version of the outputs (their Y).
	Calibration bool `yaml:"calibration" json:"calibration"`
}

// ProcessorDef declares an external processor: an executable run with the
// path of a job manifest as its only argument.
type ProcessorDef struct {
	ID      string   `yaml:"id" json:"id"`
	Command []string `yaml:"command" json:"command"`
	// FormatVersion is X of the outputs' versions.
	FormatVersion int `yaml:"format_version" json:"format_version"`
	// SoftwareVersion identifies the code; a new one is a new job identity.
	SoftwareVersion string `yaml:"software_version" json:"software_version"`
	// TimeoutSeconds bounds one run; 0 means the runner's default.
	TimeoutSeconds int `yaml:"timeout_seconds" json:"timeout_seconds"`
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

// Archive holds the archive's storage policy: when files of each level move
// to colder (cheaper, slower to read) storage classes. Infra turns it into the
// archive bucket's lifecycle rules; archived objects are tagged with their
// level (tag "level") and, once a newer version replaces them, "superseded".
type Archive struct {
	Lifecycle []LevelLifecycle `yaml:"lifecycle" json:"lifecycle"`
	// SupersededDays is the age after which superseded files and noncurrent
	// object versions move to the coldest class (0: never).
	SupersededDays int `yaml:"superseded_days" json:"superseded_days"`
	// SupersededClass is that coldest class (default DEEP_ARCHIVE).
	SupersededClass string `yaml:"superseded_class" json:"superseded_class"`
}

// LevelLifecycle is the storage-class schedule of the files of some levels.
type LevelLifecycle struct {
	Levels      []string     `yaml:"levels" json:"levels"`
	Transitions []Transition `yaml:"transitions" json:"transitions"`
}

// Transition moves a file to Class once it is Days old.
type Transition struct {
	Days  int    `yaml:"days" json:"days"`
	Class string `yaml:"class" json:"class"`
}

// StorageClasses are the S3 classes a transition may name, coldest last.
var StorageClasses = []string{"STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}

// Prices are the cloud prices (USD, on demand) and the job-size
// assumptions a reprocessing campaign's estimate uses. Each price is per
// unit: per GB-second, per request, per state transition, per object.
type Prices struct {
	// Source says where and when the numbers were read.
	Source string `yaml:"source" json:"source"`
	// LambdaGBSecond and LambdaRequest: Lambda (x86) compute and requests.
	LambdaGBSecond float64 `yaml:"lambda_gb_second" json:"lambda_gb_second"`
	LambdaRequest  float64 `yaml:"lambda_request" json:"lambda_request"`
	// StateTransition: Step Functions standard workflows, per transition.
	StateTransition float64 `yaml:"state_transition" json:"state_transition"`
	// ExpressRequest and ExpressGBSecond: the express child executions a
	// distributed Map starts (one per item batch).
	ExpressRequest  float64 `yaml:"express_request" json:"express_request"`
	ExpressGBSecond float64 `yaml:"express_gb_second" json:"express_gb_second"`
	// S3Get and S3Put: per request (S3 Standard).
	S3Get float64 `yaml:"s3_get" json:"s3_get"`
	S3Put float64 `yaml:"s3_put" json:"s3_put"`
	// JobMemoryMB, JobBaseSeconds and JobMBPerSecond size one processing
	// job for the estimate: memory of the function, fixed start-up time and
	// input throughput.
	JobMemoryMB    int     `yaml:"job_memory_mb" json:"job_memory_mb"`
	JobBaseSeconds float64 `yaml:"job_base_seconds" json:"job_base_seconds"`
	JobMBPerSecond float64 `yaml:"job_mb_per_second" json:"job_mb_per_second"`
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
	// Contacts is the simulated ground-station schedule that downlinks the
	// burst playlist (zero: no contacts are simulated).
	Contacts Contacts `yaml:"contacts" json:"contacts"`
}

// Contacts is a simulated ground-station contact schedule: one contact
// every EveryHours (aligned on the Unix epoch), lasting DurationMinutes,
// each downlinking up to BuffersPerContact buffers per observatory; a
// seeded, deterministic MissedFraction of them is missed (no downlink).
type Contacts struct {
	EveryHours        float64 `yaml:"every_hours" json:"every_hours"`
	DurationMinutes   float64 `yaml:"duration_minutes" json:"duration_minutes"`
	BuffersPerContact int     `yaml:"buffers_per_contact" json:"buffers_per_contact"`
	MissedFraction    float64 `yaml:"missed_fraction" json:"missed_fraction"`
	Seed              int64   `yaml:"seed" json:"seed"`
}

// Enabled says whether the profile simulates contacts.
func (c Contacts) Enabled() bool { return c.Every() > 0 }

// Every is the period of the contacts.
func (c Contacts) Every() time.Duration { return time.Duration(c.EveryHours * float64(time.Hour)) }

// Duration is how long one contact lasts.
func (c Contacts) Duration() time.Duration {
	return time.Duration(c.DurationMinutes * float64(time.Minute))
}

func (c Contacts) validate() []error {
	if c == (Contacts{}) {
		return nil
	}
	var errs []error
	if c.EveryHours <= 0 || c.Every() < time.Minute {
		errs = append(errs, fmt.Errorf("simulation: contacts: every_hours must be at least one minute"))
	}
	if c.DurationMinutes <= 0 || c.Duration() >= c.Every() {
		errs = append(errs, fmt.Errorf("simulation: contacts: duration_minutes must be positive and shorter than every_hours"))
	}
	if c.BuffersPerContact < 0 {
		errs = append(errs, fmt.Errorf("simulation: contacts: buffers_per_contact is negative"))
	}
	if !(c.MissedFraction >= 0 && c.MissedFraction <= 1) {
		errs = append(errs, fmt.Errorf("simulation: contacts: missed_fraction must be between 0 and 1"))
	}
	return errs
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
	p := fresh
	if base != nil {
		// Which sections the file names: those replace the base's whole, so
		// an override never keeps stale list entries of the built-in
		// profile. (Only overrides need the second parse: it is the larger
		// part of a function's cold start.)
		var doc map[string]yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
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
	set("archive", func() { p.Archive = fresh.Archive })
	set("burst", func() { p.Burst = fresh.Burst })
	set("simulation", func() { p.Simulation = fresh.Simulation })
	set("prices", func() { p.Prices = fresh.Prices })
	set("products", func() { p.Products = fresh.Products })
	set("processors", func() { p.Processors = fresh.Processors })
}
