package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
)

// Info identifies a processor.
type Info struct {
	ID string
	// FormatVersion is X of every output version.
	FormatVersion int
	// SoftwareVersion changes with the code; it is part of the job identity,
	// so new code reprocesses inputs that old code already processed.
	SoftwareVersion string
}

// Processor turns a job's inputs into outputs under the manifest contract:
// it reads m (also stored at manifestPath), writes m.Outputs into
// m.OutputDir and an OutputManifestFile beside them.
type Processor interface {
	Info() Info
	Process(ctx context.Context, manifestPath string, m *Manifest) error
}

// BuiltinFunc is a processor written in Go: it writes the planned outputs
// and reports what it wrote; the adapter writes the output manifest.
type BuiltinFunc func(ctx context.Context, m *Manifest) (OutputManifest, error)

// Builtin adapts a Go function to the processor contract.
type Builtin struct {
	Meta Info
	Run  BuiltinFunc
}

// Info returns the processor's identity.
func (b Builtin) Info() Info { return b.Meta }

// Process runs the function and writes its output manifest.
func (b Builtin) Process(ctx context.Context, _ string, m *Manifest) error {
	om, err := b.Run(ctx, m)
	if err != nil {
		return err
	}
	om.JobID = m.JobID
	return WriteOutputManifest(m.OutputDir, om)
}

// Registry maps processor ids to processors.
type Registry map[string]Processor

// IDs returns the registered ids, sorted.
func (r Registry) IDs() []string {
	ids := make([]string, 0, len(r))
	for id := range r {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// AddExternal registers the profile's external processors.
func (r Registry) AddExternal(defs []mission.ProcessorDef, defaultTimeout time.Duration) error {
	for _, d := range defs {
		if _, dup := r[d.ID]; dup {
			return fmt.Errorf("processor %q registered twice", d.ID)
		}
		timeout := defaultTimeout
		if d.TimeoutSeconds > 0 {
			timeout = time.Duration(d.TimeoutSeconds) * time.Second
		}
		r[d.ID] = External{Meta: Info{ID: d.ID, FormatVersion: d.FormatVersion, SoftwareVersion: d.SoftwareVersion},
			Command: d.Command, Timeout: timeout}
	}
	return nil
}

// External is a processor delivered as an executable in any language: it
// runs Command with the manifest path appended, in the job's work folder.
type External struct {
	Meta    Info
	Command []string
	Timeout time.Duration // 0: no limit beyond the context
}

// Info returns the processor's identity.
func (e External) Info() Info { return e.Meta }

// StderrTailBytes is how much of a failed processor's stderr a job keeps.
const StderrTailBytes = 4096

// ExecError is the failure of an external processor: its exit code and the
// end of what it wrote to stderr.
type ExecError struct {
	ExitCode   int
	StderrTail string
	Err        error
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("processor exited with code %d: %v", e.ExitCode, e.Err)
}

func (e *ExecError) Unwrap() error { return e.Err }

// Process runs the executable and waits for it.
func (e External) Process(ctx context.Context, manifestPath string, m *Manifest) error {
	if len(e.Command) == 0 {
		return errors.New("external processor: empty command")
	}
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	args := append(append([]string(nil), e.Command[1:]...), manifestPath)
	cmd := exec.CommandContext(ctx, e.Command[0], args...)
	cmd.Dir = m.OutputDir
	cmd.Env = append(os.Environ(), "MAGPIE_MANIFEST="+manifestPath, "MAGPIE_JOB_ID="+m.JobID)
	tail := &tailBuffer{max: StderrTailBytes}
	cmd.Stderr = tail
	cmd.Stdout = nil // discarded: results go through files and the output manifest
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	code := -1
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return &ExecError{ExitCode: code, StderrTail: tail.String(), Err: err}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.ToValidUTF8(t.buf, []byte("?")))
}
