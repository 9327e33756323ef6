package asl

// Differential test: every case of testdata/difftest/cases.json runs on this
// interpreter and on aws-local-stepfunctions (an independent TypeScript
// implementation of the States Language, installed by
// scripts/sfn-diff/install.sh), with the same input and the same mocked
// tasks, and the outcomes must agree. Features that package does not
// implement, and the few places where it departs from AWS's documented
// behaviour, are listed with a reason in cases.json (skipDefinitions, skip,
// skipInputs).
//
// The test skips when the tool is not installed, unless
// MAGPIE_REQUIRE_SFN_DIFF=1 (then it fails). MAGPIE_SFN_TOOLS overrides the
// tool directory (default <repo>/.tools/sfn).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	diffDir         = "testdata/difftest"
	diffMachineName = "DiffMachine"
	diffAccount     = "123456789012"
	diffRegion      = "us-east-1"
)

// diffManifest is testdata/difftest/cases.json.
type diffManifest struct {
	Comment         string            `json:"comment"`
	SkipDefinitions map[string]string `json:"skipDefinitions"`
	Cases           []diffCase        `json:"cases"`
}

type diffCase struct {
	Name       string                     `json:"name"`
	Definition string                     `json:"definition"` // relative to testdata/
	Inputs     map[string]json.RawMessage `json:"inputs"`
	Tasks      map[string]*taskBehaviour  `json:"tasks"`
	Skip       string                     `json:"skip"`
	SkipInputs map[string]string          `json:"skipInputs"`
	// NoValidate says why aws-local-stepfunctions' own definition
	// validator must be skipped for this case (its bugs, not ours).
	NoValidate string `json:"noValidate"`
	// Expect holds what AWS documents for some skipped inputs: ours is
	// checked against it instead of against the reference.
	Expect map[string]diffOutcome `json:"expect"`
}

// taskBehaviour is what a mocked task does, for both implementations.
type taskBehaviour struct {
	Output   json.RawMessage            `json:"output,omitempty"`
	Echo     bool                       `json:"echo,omitempty"`
	Merge    map[string]json.RawMessage `json:"merge,omitempty"`
	Error    *string                    `json:"error,omitempty"`
	Cause    string                     `json:"cause,omitempty"`
	Sequence []*taskBehaviour           `json:"sequence,omitempty"`
}

// diffRun is one definition + input, as sent to the node runner.
type diffRun struct {
	ID         string                    `json:"id"`
	Definition json.RawMessage           `json:"definition"`
	Input      json.RawMessage           `json:"input"`
	Tasks      map[string]*taskBehaviour `json:"tasks"`
	Context    map[string]any            `json:"context"`
	NoValidate string                    `json:"noValidate,omitempty"`

	skip   string
	expect *diffOutcome
}

// diffOutcome is how an execution ended, on either side.
type diffOutcome struct {
	ID     string          `json:"id"`
	Status string          `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
}

func loadDiffManifest(t *testing.T) *diffManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(diffDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m diffManifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	return &m
}

// diffRuns expands the manifest into runs, in a stable order.
func diffRuns(t *testing.T, m *diffManifest) []*diffRun {
	t.Helper()
	var runs []*diffRun
	seen := map[string]bool{}
	for _, c := range m.Cases {
		if seen[c.Name] {
			t.Fatalf("cases.json: duplicate case %q", c.Name)
		}
		seen[c.Name] = true
		def, err := os.ReadFile(filepath.Join("testdata", c.Definition))
		if err != nil {
			t.Fatalf("case %s: %v", c.Name, err)
		}
		if len(c.Inputs) == 0 {
			t.Fatalf("case %s: no inputs", c.Name)
		}
		for label := range c.SkipInputs {
			if _, ok := c.Inputs[label]; !ok {
				t.Fatalf("case %s: skipInputs names unknown input %q", c.Name, label)
			}
		}
		for label := range c.Expect {
			if c.SkipInputs[label] == "" && c.Skip == "" {
				t.Fatalf("case %s: expect is for skipped inputs only, %q is compared", c.Name, label)
			}
		}
		labels := make([]string, 0, len(c.Inputs))
		for l := range c.Inputs {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			name := c.Name + "-" + l
			skip := c.Skip
			if s := c.SkipInputs[l]; s != "" {
				skip = s
			}
			var expect *diffOutcome
			if e, ok := c.Expect[l]; ok {
				e.ID = name
				expect = &e
			}
			runs = append(runs, &diffRun{
				ID: name, Definition: def, Input: c.Inputs[l], Tasks: c.Tasks, NoValidate: c.NoValidate, skip: skip, expect: expect,
				Context: map[string]any{
					"Execution": map[string]any{
						"Id":           "arn:aws:states:" + diffRegion + ":" + diffAccount + ":execution:" + diffMachineName + ":" + name,
						"Name":         name,
						"RoleArn":      "arn:aws:iam::" + diffAccount + ":role/magpie-local",
						"RedriveCount": 0,
					},
					"StateMachine": map[string]any{
						"Id":   "arn:aws:states:" + diffRegion + ":" + diffAccount + ":stateMachine:" + diffMachineName,
						"Name": diffMachineName,
					},
				},
			})
		}
	}
	return runs
}

// TestDiffCorpusComplete makes sure no definition is silently left out of
// the differential corpus: each one is either a case or skipped with a reason.
func TestDiffCorpusComplete(t *testing.T) {
	m := loadDiffManifest(t)
	used := map[string]bool{}
	for _, c := range m.Cases {
		used[c.Definition] = true
		if _, skipped := m.SkipDefinitions[c.Definition]; skipped {
			t.Errorf("%s is both a case and in skipDefinitions", c.Definition)
		}
	}
	for _, pattern := range []string{"testdata/*.asl.json", diffDir + "/*.asl.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			rel := strings.TrimPrefix(filepath.ToSlash(f), "testdata/")
			if !used[rel] && m.SkipDefinitions[rel] == "" {
				t.Errorf("%s is neither a case nor skipped with a reason in %s/cases.json", rel, diffDir)
			}
			if _, err := ParseFile(f); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
		}
	}
	for def, reason := range m.SkipDefinitions {
		if strings.TrimSpace(reason) == "" {
			t.Errorf("skipDefinitions[%s]: empty reason", def)
		}
	}
}

// sfnTools finds the node binary and node_modules of install.sh.
func sfnTools(t *testing.T) (node, modules string) {
	t.Helper()
	dir := os.Getenv("MAGPIE_SFN_TOOLS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".tools", "sfn")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	modules = filepath.Join(dir, "node_modules")
	node = filepath.Join(modules, "node", "bin", "node")
	_, errNode := os.Stat(node)
	_, errPkg := os.Stat(filepath.Join(modules, "aws-local-stepfunctions", "package.json"))
	if errNode != nil || errPkg != nil {
		msg := fmt.Sprintf("aws-local-stepfunctions is not installed in %s (run scripts/sfn-diff/install.sh)", dir)
		if os.Getenv("MAGPIE_REQUIRE_SFN_DIFF") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, modules
}

// runReference runs every run in one node process.
func runReference(t *testing.T, node, modules string, runs []*diffRun) map[string]diffOutcome {
	t.Helper()
	in, err := json.Marshal(runs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(diffDir, "runner.mjs"), modules)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws-local-stepfunctions runner: %v\n%s", err, stderr.String())
	}
	out := map[string]diffOutcome{}
	dec := json.NewDecoder(&stdout)
	for {
		var o diffOutcome
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("runner output: %v", err)
		}
		out[o.ID] = o
	}
	return out
}

// instantClock makes every timer fire at once while moving its time
// forward, so Wait states and retry back-offs take no real time. Timeouts
// would fire at once too, which is why runOurs strips TimeoutSeconds.
type instantClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *instantClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *instantClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// stripTimeouts removes TimeoutSeconds from the machine and its Task states
// (recursively). No diff case depends on a timeout firing: mocked tasks
// answer at once.
func stripTimeouts(m map[string]any) {
	delete(m, "TimeoutSeconds")
	states, _ := m["States"].(map[string]any)
	for _, v := range states {
		st, _ := v.(map[string]any)
		if st["Type"] == "Task" {
			delete(st, "TimeoutSeconds")
			delete(st, "HeartbeatSeconds")
		}
		branches, _ := st["Branches"].([]any)
		for _, b := range branches {
			if bm, ok := b.(map[string]any); ok {
				stripTimeouts(bm)
			}
		}
		for _, k := range []string{"ItemProcessor", "Iterator"} {
			if pm, ok := st[k].(map[string]any); ok {
				stripTimeouts(pm)
			}
		}
	}
}

// mockTasks turns the task table into Lambda handlers (by function name)
// and integrations (by resource ARN). Sequences count calls per name.
func mockTasks(tasks map[string]*taskBehaviour) (map[string]any, map[string]Integration) {
	var mu sync.Mutex
	calls := map[string]int{}
	pick := func(key string) *taskBehaviour {
		b := tasks[key]
		if len(b.Sequence) > 0 {
			mu.Lock()
			calls[key]++
			n := min(calls[key], len(b.Sequence))
			mu.Unlock()
			b = b.Sequence[n-1]
		}
		return b
	}
	play := func(b *taskBehaviour, in json.RawMessage) (json.RawMessage, error) {
		switch {
		case b.Echo:
			return in, nil
		case b.Merge != nil:
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(in, &obj); err != nil {
				return nil, fmt.Errorf("merge into non-object input: %w", err)
			}
			for k, v := range b.Merge {
				obj[k] = v
			}
			return json.Marshal(obj)
		case len(b.Output) > 0:
			return b.Output, nil
		}
		return json.RawMessage(`null`), nil
	}
	handlers := map[string]any{}
	integrations := map[string]Integration{}
	for key := range tasks {
		if strings.HasPrefix(key, "arn:") {
			integrations[key] = func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
				b := pick(key)
				if b.Error != nil {
					return nil, &StateError{Name: *b.Error, Cause: b.Cause}
				}
				return play(b, in)
			}
			continue
		}
		handlers[key] = func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			b := pick(key)
			if b.Error != nil {
				// As a Lambda function error: errorType and errorMessage.
				return nil, &lambdaError{Type: *b.Error, Message: b.Cause}
			}
			return play(b, in)
		}
	}
	return handlers, integrations
}

// runOurs runs one case on this interpreter.
func runOurs(t *testing.T, r *diffRun) diffOutcome {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(r.Definition, &raw); err != nil {
		t.Fatal(err)
	}
	stripTimeouts(raw)
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	def, err := Parse(b)
	if err != nil {
		return diffOutcome{ID: r.ID, Status: "INVALID", Error: err.Error()}
	}
	def.Name = diffMachineName
	handlers, integrations := mockTasks(r.Tasks)
	eng, err := NewEngine(Config{
		Clock:        &instantClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		Handlers:     handlers,
		Integrations: integrations,
		Random:       func() float64 { return 0.5 },
		Region:       diffRegion,
		Account:      diffAccount,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ex, err := eng.Run(ctx, def, r.ID, r.Input)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return diffOutcome{ID: r.ID, Status: string(ex.Status), Output: ex.Output, Error: ex.Error, Cause: ex.Cause}
}

var (
	uuidRE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	httpDateRE = regexp.MustCompile(`^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$`)
)

// normalize replaces what legitimately differs between two runs: random
// UUIDs, HTTP dates, and the Cause texts of the interpreter's own States.*
// errors (each implementation words them its own way).
func normalize(v any) any {
	switch x := v.(type) {
	case string:
		switch {
		case uuidRE.MatchString(x):
			return "<uuid>"
		case httpDateRE.MatchString(x):
			return "<http-date>"
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		if name, ok := x["Error"].(string); ok && strings.HasPrefix(name, "States.") {
			if _, ok := x["Cause"]; ok {
				out["Cause"] = "<interpreter cause>"
			}
		}
		return out
	}
	return v
}

func decodeNormalized(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", raw, err)
	}
	return normalize(v)
}

// compareOutcomes reports how ours differs from ref, named refName.
func compareOutcomes(t *testing.T, ours, ref diffOutcome, refName string) {
	t.Helper()
	if ours.Status != ref.Status {
		t.Fatalf("status: ours %s (%s: %s), %s %s (%s: %s)\nours output: %s\n ref output: %s",
			ours.Status, ours.Error, ours.Cause, refName, ref.Status, ref.Error, ref.Cause, ours.Output, ref.Output)
	}
	switch ours.Status {
	case "SUCCEEDED":
		o, r := decodeNormalized(t, ours.Output), decodeNormalized(t, ref.Output)
		if !reflect.DeepEqual(o, r) {
			ob, _ := json.Marshal(o)
			rb, _ := json.Marshal(r)
			t.Fatalf("output differs from %s\n ours: %s\n  ref: %s", refName, ob, rb)
		}
	case "FAILED":
		if ours.Error != ref.Error {
			t.Fatalf("error: ours %q (cause %q), %s %q (cause %q)", ours.Error, ours.Cause, refName, ref.Error, ref.Cause)
		}
		if !strings.HasPrefix(ours.Error, "States.") && ours.Cause != ref.Cause {
			t.Fatalf("cause of %s: ours %q, %s %q", ours.Error, ours.Cause, refName, ref.Cause)
		}
	}
}

func TestDifferential(t *testing.T) {
	node, modules := sfnTools(t)
	m := loadDiffManifest(t)
	runs := diffRuns(t, m)
	var compared []*diffRun
	for _, r := range runs {
		if r.skip == "" {
			compared = append(compared, r)
		}
	}
	ref := runReference(t, node, modules, compared)
	for _, r := range runs {
		t.Run(r.ID, func(t *testing.T) {
			if r.skip != "" {
				if r.expect != nil {
					// Not compared with the reference, but held to AWS's
					// documented behaviour.
					compareOutcomes(t, runOurs(t, r), *r.expect, "AWS's documented behaviour")
				}
				t.Skip(r.skip)
			}
			want, ok := ref[r.ID]
			if !ok {
				t.Fatal("no result from aws-local-stepfunctions")
			}
			if want.Status == "INVALID" {
				t.Fatalf("aws-local-stepfunctions rejected the definition: %s", want.Error)
			}
			compareOutcomes(t, runOurs(t, r), want, "aws-local-stepfunctions")
		})
	}
	for def, reason := range m.SkipDefinitions {
		t.Run("definition-"+strings.TrimSuffix(filepath.Base(def), ".asl.json"), func(t *testing.T) {
			t.Skip(reason)
		})
	}
}
