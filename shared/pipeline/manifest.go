package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File names of the processor contract inside a job's work folder.
const (
	ManifestFile       = "manifest.json"        // written by the runner
	OutputManifestFile = "output-manifest.json" // written by the processor into OutputDir
)

// Manifest is what a processor gets: everything about its job. External
// processors receive the path of this document as their only argument.
type Manifest struct {
	JobID           string `json:"job_id"`
	Mission         string `json:"mission"`
	Node            string `json:"node"`
	Processor       string `json:"processor"`
	SoftwareVersion string `json:"software_version"`
	// Generated is when the job ran (the outputs' generation date).
	Generated time.Time `json:"generated"`
	// Spacecraft and its 1-based number in the mission profile.
	Spacecraft       string `json:"spacecraft"`
	SpacecraftNumber int    `json:"spacecraft_number"`
	// Partition is daily or segment; Start is the time tag (UTC), End the
	// end of a daily partition (zero for a segment: its data say).
	Partition  string          `json:"partition"`
	Start      time.Time       `json:"start"`
	End        time.Time       `json:"end,omitzero"`
	TimeDigits int             `json:"time_digits"`
	Inputs     []ManifestInput `json:"inputs"`
	// OutputDir is where the processor writes its outputs and OutputManifestFile.
	OutputDir string `json:"output_dir"`
	// Outputs are the files to write: exact names, version included.
	Outputs []PlannedOutput `json:"outputs"`
	// Version X.Y.Z of every output; CalibrationVersion is its Y.
	Version            string            `json:"version"`
	CalibrationVersion int               `json:"calibration_version"`
	Params             map[string]string `json:"params,omitempty"`
}

// ManifestInput is one input file, already copied to Path.
type ManifestInput struct {
	Input    string `json:"input"`
	FileName string `json:"file_name"`
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Version  string `json:"version"`
	Size     int64  `json:"size"`
}

// PlannedOutput is one file the processor must write into OutputDir.
type PlannedOutput struct {
	FileName string `json:"file_name"`
	Ext      string `json:"ext"`
	// Variable is the prefix of the product's variable names, e.g. "mms1_fgm".
	Product string `json:"product"` // e.g. mms1_fgm_srvy_l2
}

// Input returns the files of the named input (several for window adjacent).
func (m *Manifest) Input(name string) []ManifestInput {
	var out []ManifestInput
	for _, in := range m.Inputs {
		if in.Input == name {
			out = append(out, in)
		}
	}
	return out
}

// OneInput returns the single file of a required input, or an error.
func (m *Manifest) OneInput(name string) (ManifestInput, error) {
	ins := m.Input(name)
	if len(ins) != 1 {
		return ManifestInput{}, fmt.Errorf("manifest: input %q has %d files, want 1", name, len(ins))
	}
	return ins[0], nil
}

// Output returns the planned output with extension ext.
func (m *Manifest) Output(ext string) (PlannedOutput, error) {
	for _, o := range m.Outputs {
		if o.Ext == ext {
			return o, nil
		}
	}
	return PlannedOutput{}, fmt.Errorf("manifest: no planned .%s output", ext)
}

// OutputPath is where the planned output o is written.
func (m *Manifest) OutputPath(o PlannedOutput) string { return filepath.Join(m.OutputDir, o.FileName) }

// OutputManifest is what a processor reports back, in OutputDir.
type OutputManifest struct {
	JobID   string       `json:"job_id"`
	Outputs []OutputFile `json:"outputs"`
	// Counters report what was noticed but not fatal (bad packets, gaps).
	Counters map[string]int64 `json:"counters,omitempty"`
	Messages []string         `json:"messages,omitempty"`
}

// OutputFile is one written output.
type OutputFile struct {
	FileName string `json:"file_name"`
	SHA256   string `json:"sha256,omitempty"` // optional; the runner verifies it when given
}

// ReadManifest reads a manifest (for processors written in Go).
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return &m, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteOutputManifest writes om as OutputManifestFile into dir.
func WriteOutputManifest(dir string, om OutputManifest) error {
	if err := writeJSON(filepath.Join(dir, OutputManifestFile), om); err != nil {
		return fmt.Errorf("write output manifest: %w", err)
	}
	return nil
}

func readOutputManifest(dir string) (OutputManifest, error) {
	var om OutputManifest
	b, err := os.ReadFile(filepath.Join(dir, OutputManifestFile))
	if err != nil {
		return om, fmt.Errorf("the processor wrote no output manifest: %w", err)
	}
	if err := json.Unmarshal(b, &om); err != nil {
		return om, fmt.Errorf("output manifest: %w", err)
	}
	return om, nil
}
