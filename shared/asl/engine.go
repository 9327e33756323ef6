package asl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/store"
)

// Config wires an Engine to its ports.
type Config struct {
	// Clock drives Wait states, retries, timeouts and timestamps (required).
	Clock clock.Clock
	// Handlers are Lambda functions by name: any function aws-lambda-go's
	// lambda.NewHandler accepts.
	Handlers map[string]any
	// Integrations are service integrations by resource ARN (without the
	// .waitForTaskToken suffix, or with it to register that variant only).
	Integrations map[string]Integration
	// Objects is the bucket the distributed Map reads items from and writes
	// results to, whatever the bucket name in the definition; Buckets
	// overrides it for named buckets.
	Objects store.ObjectStore
	Buckets map[string]store.ObjectStore
	// Persistence keeps executions across restarts; nil keeps them in this
	// Engine only.
	Persistence Persistence
	// Random returns numbers in [0,1) for retry jitter and
	// States.MathRandom; nil uses math/rand/v2.
	Random func() float64
	// Region and Account appear in ARNs (defaults us-east-1, 123456789012).
	Region, Account string
	// Observer, if set, sees every history event as it is recorded. It runs
	// on the execution's goroutine and must not block for long.
	Observer func(executionID string, ev HistoryEvent)
	// MaxPayloadBytes bounds task results and execution input (AWS: 256 KiB).
	MaxPayloadBytes int
	// MaxInlineWorkers bounds the goroutines of a Map with MaxConcurrency 0
	// (unbounded); default 1000.
	MaxInlineWorkers int
}

// Engine runs executions.
type Engine struct {
	cfg       Config
	clk       clock.Clock
	handlers  map[string]*handlerPool
	arnPrefix string // arn:aws:states:<region>:<account>:
	rt        *runtimeEnv

	baseCtx   context.Context
	cancelAll context.CancelCauseFunc
	wg        sync.WaitGroup

	mu     sync.Mutex
	execs  map[string]*execution
	tokens map[string]*tokenWaiter
	closed bool
}

// handlerPool hands out one lambda.Handler per concurrent invocation:
// aws-lambda-go recycles its output buffer as soon as Invoke returns, so an
// instance must not be shared by concurrent calls.
type handlerPool struct {
	pool sync.Pool
}

func newHandlerPool(fn any) *handlerPool {
	hp := &handlerPool{}
	hp.pool.New = func() any { return lambda.NewHandler(fn) }
	return hp
}

// invoke calls the handler with Lambda's JSON and error semantics and
// returns a private copy of the output.
func (hp *handlerPool) invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	h := hp.pool.Get().(lambda.Handler)
	defer func() {
		if p := recover(); p != nil {
			// As the Lambda Go runtime reports a panic: errorType is the
			// panic value's type name.
			err = &lambdaError{Message: fmt.Sprintf("%v", p), Type: typeName(p)}
			out = nil
		}
	}()
	b, err := h.Invoke(ctx, payload)
	if err == nil {
		out = append([]byte(nil), b...)
	}
	hp.pool.Put(h)
	return out, err
}

// lambdaError is a function error as the Lambda runtime reports it.
type lambdaError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *lambdaError) Error() string { return e.Message }

// typeName is the errorType aws-lambda-go computes: the type's name,
// dereferencing one pointer.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// NewEngine builds an engine.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Clock == nil {
		return nil, errors.New("asl: Config.Clock is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "123456789012"
	}
	if cfg.MaxPayloadBytes <= 0 {
		cfg.MaxPayloadBytes = 256 * 1024
	}
	if cfg.MaxInlineWorkers <= 0 {
		cfg.MaxInlineWorkers = 1000
	}
	random := cfg.Random
	if random == nil {
		random = mrand.Float64
	}
	e := &Engine{
		cfg:       cfg,
		clk:       cfg.Clock,
		handlers:  map[string]*handlerPool{},
		arnPrefix: "arn:aws:states:" + cfg.Region + ":" + cfg.Account + ":",
		rt:        &runtimeEnv{random: random},
		execs:     map[string]*execution{},
		tokens:    map[string]*tokenWaiter{},
	}
	for name, fn := range cfg.Handlers {
		if fn == nil || reflect.TypeOf(fn).Kind() != reflect.Func {
			if _, ok := fn.(lambda.Handler); !ok {
				return nil, fmt.Errorf("asl: handler %q is not a function", name)
			}
		}
		e.handlers[name] = newHandlerPool(fn)
	}
	e.baseCtx, e.cancelAll = context.WithCancelCause(context.Background())
	return e, nil
}

// runtimeEnv is what intrinsic functions need from the engine.
type runtimeEnv struct {
	random func() float64
}

func (rt *runtimeEnv) uuid() string { return newUUID() }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Errors of the engine API.
var (
	ErrExecutionExists = errors.New("execution already exists")
	ErrEngineClosed    = errors.New("engine closed")
	ErrNotRunning      = errors.New("execution is not running")
	ErrInvalidInput    = errors.New("invalid input")
)

// stop causes of an execution's context.
type abortCause struct{ err *StateError }

func (a *abortCause) Error() string { return "aborted" }

var errExecTimedOut = errors.New("execution timed out")

// Start begins an execution of def with the given name (empty: a UUID) and
// input (empty: {}), and returns its ARN.
func (e *Engine) Start(ctx context.Context, def *Definition, name string, input json.RawMessage) (string, error) {
	if def == nil || def.root == nil {
		return "", errors.New("asl: nil definition")
	}
	if name == "" {
		name = newUUID()
	}
	if err := validName(name); err != nil {
		return "", err
	}
	if len(input) == 0 {
		input = json.RawMessage(`{}`)
	}
	if len(input) > e.cfg.MaxPayloadBytes {
		return "", fmt.Errorf("asl: input of %d bytes exceeds %d: %w", len(input), e.cfg.MaxPayloadBytes, ErrInvalidInput)
	}
	in, err := decodeJSON(input)
	if err != nil {
		return "", fmt.Errorf("asl: input is not JSON: %v: %w", err, ErrInvalidInput)
	}
	if err := e.checkResources(def.root); err != nil {
		return "", err
	}
	id := e.arnPrefix + "execution:" + def.Name + ":" + name
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return "", ErrEngineClosed
	}
	if _, ok := e.execs[id]; ok {
		e.mu.Unlock()
		return "", fmt.Errorf("asl: %s: %w", id, ErrExecutionExists)
	}
	if e.cfg.Persistence != nil {
		if _, err := e.cfg.Persistence.Load(ctx, id); err == nil {
			e.mu.Unlock()
			return "", fmt.Errorf("asl: %s: %w", id, ErrExecutionExists)
		}
	}
	now := e.clk.Now()
	ex := e.newExecution(def, Record{
		ExecutionID: id, Name: name, StateMachineName: def.Name, Definition: def.raw,
		Status: StatusRunning, Input: in, StartTime: now,
	}, 0)
	e.execs[id] = ex
	e.wg.Add(1)
	e.mu.Unlock()

	ex.emit(HistoryEvent{Type: "ExecutionStarted", Input: in})
	if err := ex.checkpoint(&Checkpoint{State: def.root.startAt, Input: in, EnteredTime: now}); err != nil {
		e.mu.Lock()
		delete(e.execs, id)
		e.mu.Unlock()
		e.wg.Done()
		return "", err
	}
	go e.run(ex, nil)
	return id, nil
}

func validName(name string) error {
	if len(name) > 80 {
		return fmt.Errorf("asl: execution name longer than 80 characters: %w", ErrInvalidInput)
	}
	if strings.ContainsAny(name, " <>{}[]?*\"#%\\^|~`$&,;:/\t\n") {
		return fmt.Errorf("asl: execution name %q has forbidden characters: %w", name, ErrInvalidInput)
	}
	return nil
}

// checkResources makes sure every Task resource can be resolved, so a
// missing handler is a clear error at start rather than a failed state.
func (e *Engine) checkResources(m *machine) error {
	var errs []error
	for _, st := range m.states {
		if st.typ == "Task" {
			if err := e.resolvable(st.resource); err != nil {
				errs = append(errs, fmt.Errorf("state %q: %w", st.name, err))
			}
		}
		for _, b := range st.branches {
			if err := e.checkResources(b); err != nil {
				errs = append(errs, err)
			}
		}
		if st.mp != nil && st.mp.processor != nil {
			if err := e.checkResources(st.mp.processor); err != nil {
				errs = append(errs, err)
			}
			if (st.mp.reader != nil || (st.mp.writer != nil && st.mp.writer.resource != "")) && e.cfg.Objects == nil && len(e.cfg.Buckets) == 0 {
				errs = append(errs, fmt.Errorf("state %q: ItemReader/ResultWriter need Config.Objects", st.name))
			}
		}
	}
	return errors.Join(errs...)
}

// Wait blocks until the execution stops (or ctx ends) and describes it.
func (e *Engine) Wait(ctx context.Context, id string) (Execution, error) {
	e.mu.Lock()
	ex := e.execs[id]
	e.mu.Unlock()
	if ex != nil {
		select {
		case <-ex.done:
		case <-ctx.Done():
			return Execution{}, ctx.Err()
		}
	}
	return e.Describe(ctx, id)
}

// Describe returns the execution's current description.
func (e *Engine) Describe(ctx context.Context, id string) (Execution, error) {
	e.mu.Lock()
	ex := e.execs[id]
	e.mu.Unlock()
	if ex != nil {
		ex.mu.Lock()
		rec := ex.rec
		ex.mu.Unlock()
		return rec.execution(e.arnPrefix), nil
	}
	if e.cfg.Persistence != nil {
		rec, err := e.cfg.Persistence.Load(ctx, id)
		if err != nil {
			return Execution{}, err
		}
		return rec.execution(e.arnPrefix), nil
	}
	return Execution{}, fmt.Errorf("execution %q: %w", id, ErrNotFound)
}

// History returns the execution's events in order.
func (e *Engine) History(ctx context.Context, id string) ([]HistoryEvent, error) {
	e.mu.Lock()
	ex := e.execs[id]
	e.mu.Unlock()
	var stored []HistoryEvent
	if e.cfg.Persistence != nil {
		h, err := e.cfg.Persistence.History(ctx, id)
		if err != nil && (ex == nil || !errors.Is(err, ErrNotFound)) {
			return nil, err
		}
		stored = h
	}
	if ex == nil {
		return stored, nil
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	var last int64
	if len(stored) > 0 {
		last = stored[len(stored)-1].ID
	}
	for _, ev := range ex.events {
		if ev.ID > last {
			stored = append(stored, ev)
		}
	}
	return stored, nil
}

// List describes every known execution, oldest first.
func (e *Engine) List(ctx context.Context) ([]Execution, error) {
	seen := map[string]bool{}
	var out []Execution
	e.mu.Lock()
	live := make([]*execution, 0, len(e.execs))
	for _, ex := range e.execs {
		live = append(live, ex)
	}
	e.mu.Unlock()
	for _, ex := range live {
		ex.mu.Lock()
		out = append(out, ex.rec.execution(e.arnPrefix))
		ex.mu.Unlock()
		seen[ex.rec.ExecutionID] = true
	}
	if e.cfg.Persistence != nil {
		recs, err := e.cfg.Persistence.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if !seen[r.ExecutionID] {
				out = append(out, r.execution(e.arnPrefix))
			}
		}
	}
	sortExecutions(out)
	return out, nil
}

func sortExecutions(out []Execution) {
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].StartTime.Before(out[j-1].StartTime); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
}

// Stop aborts a running execution with the given error and cause.
func (e *Engine) Stop(id, errName, cause string) error {
	e.mu.Lock()
	ex := e.execs[id]
	e.mu.Unlock()
	if ex == nil {
		return fmt.Errorf("execution %q: %w", id, ErrNotRunning)
	}
	if !ex.finish(StatusAborted, nil, &StateError{Name: errName, Cause: cause}) {
		return fmt.Errorf("execution %q: %w", id, ErrNotRunning)
	}
	ex.cancel(&abortCause{})
	return nil
}

// Run starts an execution and waits for it: a helper for tests and the CLI.
func (e *Engine) Run(ctx context.Context, def *Definition, name string, input json.RawMessage) (Execution, error) {
	id, err := e.Start(ctx, def, name, input)
	if err != nil {
		return Execution{}, err
	}
	return e.Wait(ctx, id)
}

// Resume restarts the executions that the persistence holds as RUNNING
// and that this engine does not run yet; it returns how many it resumed.
// A Wait state waits out the rest of its time, a task token waits again
// with the same token, and a Task that was running is run again
// (at-least-once, as on AWS). Map and Parallel states restart whole.
func (e *Engine) Resume(ctx context.Context) (int, error) {
	if e.cfg.Persistence == nil {
		return 0, nil
	}
	recs, err := e.cfg.Persistence.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, rec := range recs {
		if rec.Status != StatusRunning || rec.Checkpoint == nil {
			continue
		}
		e.mu.Lock()
		_, running := e.execs[rec.ExecutionID]
		e.mu.Unlock()
		if running {
			continue
		}
		def, err := Parse(rec.Definition)
		if err != nil {
			errs = append(errs, fmt.Errorf("resume %s: %w", rec.ExecutionID, err))
			continue
		}
		def.Name = rec.StateMachineName
		hist, err := e.cfg.Persistence.History(ctx, rec.ExecutionID)
		if err != nil {
			errs = append(errs, fmt.Errorf("resume %s: %w", rec.ExecutionID, err))
			continue
		}
		var last int64
		if len(hist) > 0 {
			last = hist[len(hist)-1].ID
		}
		cp := rec.Checkpoint
		r := *rec
		r.Checkpoint = nil
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return n, ErrEngineClosed
		}
		ex := e.newExecution(def, r, last)
		ex.rec.Checkpoint = cp
		e.execs[rec.ExecutionID] = ex
		e.wg.Add(1)
		e.mu.Unlock()
		if cp.TaskToken != "" {
			// Answerable as soon as Resume returns.
			e.registerToken(cp.TaskToken)
		}
		go e.run(ex, cp)
		n++
	}
	return n, errors.Join(errs...)
}

// Close stops every execution goroutine without finishing the executions:
// they stay RUNNING in the persistence, ready for Resume.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancelAll(ErrEngineClosed)
	e.wg.Wait()
}

// tokenWaiter is a task waiting for SendTask*.
type tokenWaiter struct {
	result   chan tokenResult
	beat     chan struct{}
	answered bool // guarded by Engine.mu
}

type tokenResult struct {
	output any
	err    *StateError
}

// registerToken makes token answerable; an already registered token (by
// Resume, before the execution's goroutine gets there) is kept.
func (e *Engine) registerToken(token string) *tokenWaiter {
	e.mu.Lock()
	defer e.mu.Unlock()
	if w, ok := e.tokens[token]; ok {
		return w
	}
	w := &tokenWaiter{result: make(chan tokenResult, 1), beat: make(chan struct{}, 1)}
	e.tokens[token] = w
	return w
}

func (e *Engine) dropToken(token string) {
	e.mu.Lock()
	delete(e.tokens, token)
	e.mu.Unlock()
}

func (e *Engine) takeToken(token string) (*tokenWaiter, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.tokens[token]
	if !ok || w.answered {
		return nil, fmt.Errorf("asl: task token: %w", ErrNotFound)
	}
	// The waiting task removes the token when it is done with it; until then
	// it stays registered so a resumed execution finds the answer.
	w.answered = true
	return w, nil
}

// SendTaskSuccess completes the task waiting on token with output (JSON).
func (e *Engine) SendTaskSuccess(token string, output json.RawMessage) error {
	if len(output) > e.cfg.MaxPayloadBytes {
		return fmt.Errorf("asl: output of %d bytes exceeds %d: %w", len(output), e.cfg.MaxPayloadBytes, ErrInvalidInput)
	}
	v, err := decodeJSON(output)
	if err != nil {
		return fmt.Errorf("asl: task output is not JSON: %v: %w", err, ErrInvalidInput)
	}
	w, err := e.takeToken(token)
	if err != nil {
		return err
	}
	w.result <- tokenResult{output: v}
	return nil
}

// SendTaskFailure fails the task waiting on token.
func (e *Engine) SendTaskFailure(token, errName, cause string) error {
	w, err := e.takeToken(token)
	if err != nil {
		return err
	}
	w.result <- tokenResult{err: &StateError{Name: errName, Cause: cause}}
	return nil
}

// SendTaskHeartbeat restarts the HeartbeatSeconds timer of the task.
func (e *Engine) SendTaskHeartbeat(token string) error {
	e.mu.Lock()
	w, ok := e.tokens[token]
	answered := ok && w.answered
	e.mu.Unlock()
	if !ok || answered {
		return fmt.Errorf("asl: task token: %w", ErrNotFound)
	}
	select {
	case w.beat <- struct{}{}:
	default: // a beat is already pending
	}
	return nil
}

// timestamp formats times as Step Functions does in the context object.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
