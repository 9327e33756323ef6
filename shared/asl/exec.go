package asl

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// execution is one running (or finished, when there is no persistence)
// execution. Its goroutine interprets the definition; mu guards rec and
// the unsaved events.
type execution struct {
	eng *Engine
	def *Definition

	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu       sync.Mutex
	rec      Record
	events   []HistoryEvent // not yet persisted (all of them without persistence)
	lastID   int64
	finished bool

	saveMu sync.Mutex // orders persistence writes
}

func (e *Engine) newExecution(def *Definition, rec Record, lastID int64) *execution {
	ctx, cancel := context.WithCancelCause(e.baseCtx)
	return &execution{eng: e, def: def, ctx: ctx, cancel: cancel, done: make(chan struct{}), rec: rec, lastID: lastID}
}

// emit records a history event (dropped once the execution has finished).
func (ex *execution) emit(ev HistoryEvent) {
	ex.mu.Lock()
	if ex.finished {
		ex.mu.Unlock()
		return
	}
	ex.lastID++
	ev.ID = ex.lastID
	ev.PreviousEventID = ex.lastID - 1
	ev.Timestamp = ex.eng.clk.Now()
	ex.events = append(ex.events, ev)
	ex.mu.Unlock()
	if obs := ex.eng.cfg.Observer; obs != nil {
		obs(ex.rec.ExecutionID, ev)
	}
}

// checkpoint records where the execution stands and saves it with the new
// events.
func (ex *execution) checkpoint(cp *Checkpoint) error {
	ex.mu.Lock()
	if ex.finished {
		ex.mu.Unlock()
		return nil
	}
	ex.rec.Checkpoint = cp
	ex.mu.Unlock()
	return ex.save()
}

// save writes the record and the unsaved events to the persistence.
func (ex *execution) save() error {
	p := ex.eng.cfg.Persistence
	if p == nil {
		return nil
	}
	ex.saveMu.Lock()
	defer ex.saveMu.Unlock()
	ex.mu.Lock()
	rec := ex.rec
	events := ex.events
	ex.events = nil
	ex.mu.Unlock()
	if err := p.Save(context.WithoutCancel(ex.ctx), &rec, events); err != nil {
		// Keep the events for the next attempt.
		ex.mu.Lock()
		ex.events = append(events, ex.events...)
		ex.mu.Unlock()
		return err
	}
	return nil
}

// finish moves the execution to a final status once; it reports whether
// this call did it.
func (ex *execution) finish(status Status, output any, serr *StateError) bool {
	ex.mu.Lock()
	if ex.finished {
		ex.mu.Unlock()
		return false
	}
	ev := HistoryEvent{}
	switch status {
	case StatusSucceeded:
		ev.Type, ev.Output = "ExecutionSucceeded", output
		ex.rec.Output = output
	case StatusFailed:
		ev.Type = "ExecutionFailed"
	case StatusTimedOut:
		ev.Type = "ExecutionTimedOut"
	case StatusAborted:
		ev.Type = "ExecutionAborted"
	}
	if serr != nil {
		ev.Error, ev.Cause = serr.Name, serr.Cause
		ex.rec.Error, ex.rec.Cause = serr.Name, serr.Cause
	}
	now := ex.eng.clk.Now()
	ex.lastID++
	ev.ID, ev.PreviousEventID, ev.Timestamp = ex.lastID, ex.lastID-1, now
	ex.events = append(ex.events, ev)
	ex.rec.Status = status
	ex.rec.StopTime = now
	ex.rec.Checkpoint = nil
	ex.finished = true
	ex.mu.Unlock()
	if obs := ex.eng.cfg.Observer; obs != nil {
		obs(ex.rec.ExecutionID, ev)
	}
	_ = ex.save() // best effort: the in-memory record stays authoritative while we live
	// With persistence the finished execution is served from it; without,
	// it stays in memory for Describe/History.
	if ex.eng.cfg.Persistence != nil {
		ex.eng.mu.Lock()
		delete(ex.eng.execs, ex.rec.ExecutionID)
		ex.eng.mu.Unlock()
	}
	close(ex.done)
	return true
}

// run interprets the execution from the start or from a checkpoint.
func (e *Engine) run(ex *execution, cp *Checkpoint) {
	defer e.wg.Done()
	defer ex.cancel(nil)
	if ts := ex.def.timeoutSeconds; ts > 0 {
		deadline := ex.rec.StartTime.Add(time.Duration(ts) * time.Second)
		go func() {
			select {
			case <-e.clk.After(deadline.Sub(e.clk.Now())):
				if ex.finish(StatusTimedOut, nil, &StateError{Name: ErrTimeout, Cause: "The execution timed out"}) {
					ex.cancel(errExecTimedOut)
				}
			case <-ex.ctx.Done():
			}
		}()
	}
	r := &runner{eng: e, ex: ex}
	input := ex.rec.Input
	out, err := r.runMachine(ex.ctx, &frame{top: true, record: true}, ex.def.root, input, cp)
	if errors.Is(context.Cause(ex.ctx), ErrEngineClosed) {
		return // left RUNNING for Resume
	}
	if err != nil {
		ex.finish(StatusFailed, nil, asStateError(err))
		return
	}
	ex.finish(StatusSucceeded, out, nil)
}

// runner interprets states for one execution.
type runner struct {
	eng *Engine
	ex  *execution
}

// frame is where a machine runs: the top level (which checkpoints), a
// branch or Map iteration (record), or a distributed Map child (no events
// in the parent's history).
type frame struct {
	top    bool
	record bool
}

func (r *runner) emit(fr *frame, ev HistoryEvent) {
	if fr.record {
		r.ex.emit(ev)
	}
}

func (r *runner) checkpoint(fr *frame, cp *Checkpoint) error {
	if !fr.top {
		return nil
	}
	if err := r.ex.checkpoint(cp); err != nil {
		return stateErr(ErrRuntime, "persist execution: %v", err)
	}
	return nil
}

// runMachine runs states from StartAt (or the checkpoint) to the end.
func (r *runner) runMachine(ctx context.Context, fr *frame, m *machine, input any, cp *Checkpoint) (any, error) {
	name := m.startAt
	if cp != nil {
		name, input = cp.State, cp.Input
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st := m.states[name]
		if st == nil {
			return nil, stateErr(ErrRuntime, "no state %q", name)
		}
		out, next, err := r.runState(ctx, fr, st, input, cp)
		cp = nil
		if err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		name, input = next, out
	}
}

// stateCtx is what the context object of one state needs.
type stateCtx struct {
	r       *runner
	st      *state
	entered time.Time
	retries int
	token   string
	item    *mapItem
}

type mapItem struct {
	index int
	value any
}

func (sc *stateCtx) object() any {
	ex := sc.r.ex
	o := map[string]any{
		"Execution": map[string]any{
			"Id":           ex.rec.ExecutionID,
			"Input":        ex.rec.Input,
			"Name":         ex.rec.Name,
			"RoleArn":      "arn:aws:iam::" + sc.r.eng.cfg.Account + ":role/magpie-local",
			"StartTime":    timestamp(ex.rec.StartTime),
			"RedriveCount": intValue(0),
		},
		"State": map[string]any{
			"EnteredTime": timestamp(sc.entered),
			"Name":        sc.st.name,
			"RetryCount":  intValue(int64(sc.retries)),
		},
		"StateMachine": map[string]any{
			"Id":   sc.r.eng.arnPrefix + "stateMachine:" + ex.rec.StateMachineName,
			"Name": ex.rec.StateMachineName,
		},
	}
	if sc.token != "" {
		o["Task"] = map[string]any{"Token": sc.token}
	}
	if sc.item != nil {
		o["Map"] = map[string]any{"Item": map[string]any{"Index": intValue(int64(sc.item.index)), "Value": sc.item.value}}
	}
	return o
}

func (sc *stateCtx) env(input any) *evalEnv {
	return &evalEnv{input: input, ctx: sc.object, rt: sc.r.eng.rt}
}

func applyPath(ps pathSpec, v any, env *evalEnv, field string) (any, error) {
	if ps.null {
		return map[string]any{}, nil
	}
	if ps.p == nil || (len(ps.p.segs) == 0 && !ps.p.context) {
		return v, nil
	}
	var got any
	var ok bool
	if ps.p.context {
		got, ok = env.resolve(ps.p)
	} else {
		got, ok = ps.p.get(v)
	}
	if !ok {
		return nil, stateErr(ErrRuntime, "Invalid path '%s' : No results for path (%s)", ps.p, field)
	}
	return got, nil
}

func applyResultPath(ps pathSpec, input, result any) (any, error) {
	if ps.null {
		return input, nil
	}
	if ps.p == nil || len(ps.p.segs) == 0 {
		return result, nil
	}
	out, err := ps.p.set(input, result)
	if err != nil {
		return nil, &StateError{Name: ErrResultPathMatchFailure, Cause: err.Error()}
	}
	return out, nil
}

// runState runs one state and returns its output and the next state ("" at
// the end). cp is the checkpoint when resuming into this state.
func (r *runner) runState(ctx context.Context, fr *frame, st *state, input any, cp *Checkpoint) (any, string, error) {
	entered := r.eng.clk.Now()
	if cp != nil {
		entered = cp.EnteredTime
	} else {
		r.emit(fr, HistoryEvent{Type: st.typ + "StateEntered", StateName: st.name, Input: input})
		if err := r.checkpoint(fr, &Checkpoint{State: st.name, Input: input, EnteredTime: entered}); err != nil {
			return nil, "", err
		}
	}
	sc := &stateCtx{r: r, st: st, entered: entered}
	var out any
	var next string
	var err error
	switch st.typ {
	case "Pass":
		out, err = r.pass(sc, input)
		next = st.next
	case "Choice":
		out, next, err = r.choice(sc, input)
	case "Wait":
		out, err = r.wait(ctx, fr, sc, input, cp)
		next = st.next
	case "Succeed":
		env := sc.env(input)
		out, err = applyPath(st.inputPath, input, env, "InputPath")
		if err == nil {
			out, err = applyPath(st.outputPath, out, env, "OutputPath")
		}
	case "Fail":
		return nil, "", r.fail(sc, input)
	case "Task", "Parallel", "Map":
		out, next, err = r.withRetry(ctx, fr, sc, input, cp)
	}
	if err != nil {
		return nil, "", err
	}
	r.emit(fr, HistoryEvent{Type: st.typ + "StateExited", StateName: st.name, Output: out})
	return out, next, nil
}

func (r *runner) pass(sc *stateCtx, input any) (any, error) {
	st := sc.st
	env := sc.env(input)
	eff, err := applyPath(st.inputPath, input, env, "InputPath")
	if err != nil {
		return nil, err
	}
	result := eff
	if st.parameters != nil {
		if result, err = st.parameters.eval(sc.env(eff)); err != nil {
			return nil, stateErr(ErrRuntime, "state %q Parameters: %v", st.name, err)
		}
	}
	if st.hasResult {
		result = st.result
	}
	out, err := applyResultPath(st.resultPath, input, result)
	if err != nil {
		return nil, err
	}
	return applyPath(st.outputPath, out, env, "OutputPath")
}

func (r *runner) choice(sc *stateCtx, input any) (any, string, error) {
	st := sc.st
	env := sc.env(input)
	eff, err := applyPath(st.inputPath, input, env, "InputPath")
	if err != nil {
		return nil, "", err
	}
	cenv := sc.env(eff)
	next := ""
	for _, rule := range st.choices {
		ok, err := rule.eval(cenv)
		if err != nil {
			return nil, "", stateErr(ErrRuntime, "state %q: %v", st.name, err)
		}
		if ok {
			next = rule.next
			break
		}
	}
	if next == "" {
		if st.deflt == "" {
			return nil, "", stateErr(ErrNoChoiceMatched, "No Matches! (state %q)", st.name)
		}
		next = st.deflt
	}
	out, err := applyPath(st.outputPath, eff, env, "OutputPath")
	return out, next, err
}

func (r *runner) wait(ctx context.Context, fr *frame, sc *stateCtx, input any, cp *Checkpoint) (any, error) {
	st := sc.st
	env := sc.env(input)
	eff, err := applyPath(st.inputPath, input, env, "InputPath")
	if err != nil {
		return nil, err
	}
	var until time.Time
	switch {
	case cp != nil && !cp.WaitUntil.IsZero():
		until = cp.WaitUntil
	case st.hasSeconds:
		until = sc.entered.Add(time.Duration(st.seconds) * time.Second)
	case st.hasTimestamp:
		until = st.timestamp
	case st.secondsPath != nil:
		v, ok := sc.env(eff).resolve(st.secondsPath)
		n, isInt := toInt(v)
		if !ok || !isInt || n < 0 {
			return nil, stateErr(ErrRuntime, "state %q: SecondsPath %s must point to a non-negative integer", st.name, st.secondsPath)
		}
		until = sc.entered.Add(time.Duration(n) * time.Second)
	case st.timestampPath != nil:
		v, ok := sc.env(eff).resolve(st.timestampPath)
		s, isStr := v.(string)
		t, valid := parseTimestamp(s)
		if !ok || !isStr || !valid {
			return nil, stateErr(ErrRuntime, "state %q: TimestampPath %s must point to an RFC3339 timestamp", st.name, st.timestampPath)
		}
		until = t
	}
	if err := r.checkpoint(fr, &Checkpoint{State: st.name, Input: input, EnteredTime: sc.entered, WaitUntil: until}); err != nil {
		return nil, err
	}
	if err := r.sleepUntil(ctx, until); err != nil {
		return nil, err
	}
	return applyPath(st.outputPath, eff, env, "OutputPath")
}

// sleepUntil waits on the injected clock.
func (r *runner) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(r.eng.clk.Now())
	if d <= 0 {
		return nil
	}
	select {
	case <-r.eng.clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *runner) fail(sc *stateCtx, input any) error {
	st := sc.st
	se := &StateError{Name: st.errName, Cause: st.cause}
	env := sc.env(input)
	for _, x := range []struct {
		t   *template
		dst *string
		f   string
	}{{st.errorExpr, &se.Name, "ErrorPath"}, {st.causeExpr, &se.Cause, "CausePath"}} {
		if x.t == nil {
			continue
		}
		v, err := x.t.eval(env)
		if err != nil {
			return stateErr(ErrRuntime, "state %q %s: %v", st.name, x.f, err)
		}
		s, ok := v.(map[string]any)["v"].(string)
		if !ok {
			return stateErr(ErrRuntime, "state %q %s must resolve to a string", st.name, x.f)
		}
		*x.dst = s
	}
	return se
}

// errorMatches applies the ErrorEquals rules: States.ALL matches every
// error but States.Runtime and States.DataLimitExceeded (terminal, as on
// AWS); States.TaskFailed matches every error but States.Timeout and those.
func errorMatches(names []string, errName string) bool {
	terminal := errName == ErrRuntime || errName == ErrDataLimitExceeded
	for _, n := range names {
		switch {
		case terminal:
		case n == errName:
			return true
		case n == ErrAll:
			return true
		case n == ErrTaskFailed && errName != ErrTimeout:
			return true
		}
	}
	return false
}

// retryDelay is IntervalSeconds × BackoffRate^attempt, capped by
// MaxDelaySeconds, with FULL jitter drawing uniformly below it.
func (r *runner) retryDelay(rt *retrier, attempt int) time.Duration {
	secs := rt.interval * math.Pow(rt.backoff, float64(attempt))
	if rt.maxDelay > 0 && secs > rt.maxDelay {
		secs = rt.maxDelay
	}
	if rt.jitterFull {
		secs *= r.eng.rt.random()
	}
	return time.Duration(secs * float64(time.Second))
}

// withRetry runs a Task, Parallel or Map state with its Retry and Catch.
func (r *runner) withRetry(ctx context.Context, fr *frame, sc *stateCtx, input any, cp *Checkpoint) (any, string, error) {
	st := sc.st
	counts := make([]int, len(st.retry))
	if cp != nil && len(cp.RetryCounts) == len(counts) {
		copy(counts, cp.RetryCounts)
		for _, c := range counts {
			sc.retries += c
		}
		if !cp.RetryAt.IsZero() {
			if err := r.sleepUntil(ctx, cp.RetryAt); err != nil {
				return nil, "", err
			}
			cp = nil
		}
	}
	for {
		var out any
		var err error
		switch st.typ {
		case "Task":
			out, err = r.task(ctx, fr, sc, input, cp)
		case "Parallel":
			out, err = r.parallel(ctx, fr, sc, input)
		case "Map":
			out, err = r.mapState(ctx, fr, sc, input)
		}
		cp = nil
		if err == nil {
			return out, st.next, nil
		}
		if ctx.Err() != nil {
			return nil, "", err
		}
		se := asStateError(err)
		idx := -1
		for i, rt := range st.retry {
			if errorMatches(rt.errors, se.Name) {
				idx = i
				break
			}
		}
		if idx >= 0 && counts[idx] < st.retry[idx].maxAttempts {
			d := r.retryDelay(st.retry[idx], counts[idx])
			counts[idx]++
			sc.retries++
			at := r.eng.clk.Now().Add(d)
			if err := r.checkpoint(fr, &Checkpoint{State: st.name, Input: input, EnteredTime: sc.entered,
				RetryCounts: append([]int(nil), counts...), RetryAt: at}); err != nil {
				return nil, "", err
			}
			if err := r.sleepUntil(ctx, at); err != nil {
				return nil, "", err
			}
			continue
		}
		for _, c := range st.catch {
			if !errorMatches(c.errors, se.Name) {
				continue
			}
			out, perr := applyResultPath(c.resultPath, input, map[string]any{"Error": se.Name, "Cause": se.Cause})
			if perr != nil {
				return nil, "", perr
			}
			return out, c.next, nil
		}
		return nil, "", se
	}
}

// effectiveInput applies InputPath then Parameters.
func (r *runner) effectiveInput(sc *stateCtx, input any) (any, error) {
	st := sc.st
	eff, err := applyPath(st.inputPath, input, sc.env(input), "InputPath")
	if err != nil {
		return nil, err
	}
	if st.parameters != nil {
		eff, err = st.parameters.eval(sc.env(eff))
		if err != nil {
			return nil, stateErr(ErrRuntime, "state %q Parameters: %v", st.name, err)
		}
	}
	return eff, nil
}

// finishOutput applies ResultSelector, ResultPath and OutputPath.
func (r *runner) finishOutput(sc *stateCtx, input, result any) (any, error) {
	st := sc.st
	var err error
	if st.resultSelector != nil {
		result, err = st.resultSelector.eval(sc.env(result))
		if err != nil {
			return nil, stateErr(ErrRuntime, "state %q ResultSelector: %v", st.name, err)
		}
	}
	out, err := applyResultPath(st.resultPath, input, result)
	if err != nil {
		return nil, err
	}
	return applyPath(st.outputPath, out, sc.env(out), "OutputPath")
}

func (r *runner) parallel(ctx context.Context, fr *frame, sc *stateCtx, input any) (any, error) {
	st := sc.st
	eff, err := r.effectiveInput(sc, input)
	if err != nil {
		return nil, err
	}
	r.emit(fr, HistoryEvent{Type: "ParallelStateStarted", StateName: st.name})
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]any, len(st.branches))
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	child := &frame{record: fr.record}
	for i, b := range st.branches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := r.runMachine(bctx, child, b, eff, nil)
			if err != nil {
				once.Do(func() {
					firstErr = err
					cancel() // the first failure stops the other branches
				})
				return
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	if firstErr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		se := asStateError(firstErr)
		r.emit(fr, HistoryEvent{Type: "ParallelStateFailed", StateName: st.name, Error: se.Name, Cause: se.Cause})
		return nil, se
	}
	r.emit(fr, HistoryEvent{Type: "ParallelStateSucceeded", StateName: st.name})
	return r.finishOutput(sc, input, outs)
}
