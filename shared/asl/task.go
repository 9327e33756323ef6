package asl

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

const (
	lambdaInvokeARN  = "arn:aws:states:::lambda:invoke"
	tokenSuffix      = ".waitForTaskToken"
	serviceARNPrefix = "arn:aws:states:::"
)

// resolvable tells whether a Task resource can be run by this engine.
func (e *Engine) resolvable(resource string) error {
	base := strings.TrimSuffix(resource, tokenSuffix)
	switch {
	case base == lambdaInvokeARN:
		return nil
	case isFunctionARN(base):
		if _, ok := e.handlers[functionName(base)]; !ok {
			return fmt.Errorf("no handler registered for Lambda function %q", functionName(base))
		}
		return nil
	}
	if _, ok := e.integration(resource); ok {
		return nil
	}
	return fmt.Errorf("no integration registered for resource %q", resource)
}

func (e *Engine) integration(resource string) (Integration, bool) {
	if fn, ok := e.cfg.Integrations[resource]; ok {
		return fn, true
	}
	fn, ok := e.cfg.Integrations[strings.TrimSuffix(resource, tokenSuffix)]
	return fn, ok
}

func isFunctionARN(s string) bool {
	return strings.HasPrefix(s, "arn:aws:lambda:") && strings.Contains(s, ":function:")
}

// functionName extracts the function name from a name, a name:qualifier,
// a full or partial function ARN.
func functionName(s string) string {
	if i := strings.Index(s, ":function:"); i >= 0 {
		s = s[i+len(":function:"):]
		if j := strings.IndexByte(s, ':'); j >= 0 {
			s = s[:j]
		}
		return s
	}
	if j := strings.IndexByte(s, ':'); j >= 0 {
		return s[:j]
	}
	return s
}

// newToken returns an opaque task token.
func newToken() string {
	var b [48]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// taskEvents names the history events of a resource: Lambda function ARNs
// have their own event types, everything else is a Task*.
type taskEvents struct {
	prefix       string // "Task" or "LambdaFunction"
	resource     string
	resourceType string
}

func eventsFor(resource string) taskEvents {
	if isFunctionARN(resource) {
		return taskEvents{prefix: "LambdaFunction", resource: resource}
	}
	rest := strings.TrimPrefix(resource, serviceARNPrefix)
	typ, res, _ := strings.Cut(rest, ":")
	return taskEvents{prefix: "Task", resource: res, resourceType: typ}
}

// secondsField reads TimeoutSeconds/HeartbeatSeconds or their *Path form.
func secondsField(sc *stateCtx, eff any, fixed int64, p *path, name string) (time.Duration, error) {
	if p == nil {
		return time.Duration(fixed) * time.Second, nil
	}
	v, ok := sc.env(eff).resolve(p)
	n, isInt := toInt(v)
	if !ok || !isInt || n <= 0 {
		return 0, stateErr(ErrRuntime, "state %q: %sPath %s must point to a positive integer", sc.st.name, name, p)
	}
	return time.Duration(n) * time.Second, nil
}

// task runs one attempt of a Task state.
func (r *runner) task(ctx context.Context, fr *frame, sc *stateCtx, input any, cp *Checkpoint) (any, error) {
	st := sc.st
	waitToken := strings.HasSuffix(st.resource, tokenSuffix)
	eff, err := applyPath(st.inputPath, input, sc.env(input), "InputPath")
	if err != nil {
		return nil, err
	}
	timeout, err := secondsField(sc, eff, st.timeoutSeconds, st.timeoutPath, "TimeoutSeconds")
	if err != nil {
		return nil, err
	}
	heartbeat, err := secondsField(sc, eff, st.heartbeatSeconds, st.heartbeatPath, "HeartbeatSeconds")
	if err != nil {
		return nil, err
	}
	ev := eventsFor(st.resource)
	resumeToken := cp != nil && cp.TaskToken != ""
	var waiter *tokenWaiter
	started := r.eng.clk.Now()
	if waitToken {
		if resumeToken {
			sc.token, started = cp.TaskToken, cp.TaskStarted
		} else {
			sc.token = newToken()
		}
		// Registered before the call so that a handler answering at once
		// finds the token.
		waiter = r.eng.registerToken(sc.token)
		defer r.eng.dropToken(sc.token)
	}
	params := eff
	if st.parameters != nil {
		if params, err = st.parameters.eval(sc.env(eff)); err != nil {
			return nil, stateErr(ErrRuntime, "state %q Parameters: %v", st.name, err)
		}
	}
	var result any
	if resumeToken {
		result, err = r.awaitToken(ctx, fr, sc, ev, waiter, started, timeout, heartbeat)
	} else {
		r.emit(fr, HistoryEvent{Type: ev.prefix + "Scheduled", StateName: st.name, Resource: ev.resource, ResourceType: ev.resourceType, Parameters: params})
		r.emit(fr, HistoryEvent{Type: ev.prefix + "Started", StateName: st.name, Resource: ev.resource, ResourceType: ev.resourceType})
		result, err = r.callWithTimeout(ctx, st.resource, params, timeout)
		if err == nil && waitToken {
			r.emit(fr, HistoryEvent{Type: "TaskSubmitted", StateName: st.name, Resource: ev.resource, ResourceType: ev.resourceType, Output: result})
			if cerr := r.checkpoint(fr, &Checkpoint{State: st.name, Input: input, EnteredTime: sc.entered,
				RetryCounts: retryCountsOf(r, fr), TaskToken: sc.token, TaskStarted: started}); cerr != nil {
				return nil, cerr
			}
			result, err = r.awaitToken(ctx, fr, sc, ev, waiter, started, timeout, heartbeat)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		se := asStateError(err)
		typ := ev.prefix + "Failed"
		if se.Name == ErrTimeout || se.Name == ErrHeartbeatTimeout {
			typ = ev.prefix + "TimedOut"
		}
		r.emit(fr, HistoryEvent{Type: typ, StateName: st.name, Resource: ev.resource, ResourceType: ev.resourceType, Error: se.Name, Cause: se.Cause})
		return nil, se
	}
	r.emit(fr, HistoryEvent{Type: ev.prefix + "Succeeded", StateName: st.name, Resource: ev.resource, ResourceType: ev.resourceType, Output: result})
	return r.finishOutput(sc, input, result)
}

// retryCountsOf keeps the retry counters of the current top-level
// checkpoint when a later checkpoint of the same state is written.
func retryCountsOf(r *runner, fr *frame) []int {
	if !fr.top {
		return nil
	}
	r.ex.mu.Lock()
	defer r.ex.mu.Unlock()
	if r.ex.rec.Checkpoint == nil {
		return nil
	}
	return append([]int(nil), r.ex.rec.Checkpoint.RetryCounts...)
}

// awaitToken waits for SendTaskSuccess/Failure, enforcing TimeoutSeconds
// (from the task start) and HeartbeatSeconds (from the last heartbeat).
func (r *runner) awaitToken(ctx context.Context, fr *frame, sc *stateCtx, ev taskEvents, w *tokenWaiter, started time.Time, timeout, heartbeat time.Duration) (any, error) {
	clk := r.eng.clk
	var timeoutC, beatC <-chan time.Time
	if timeout > 0 {
		timeoutC = clk.After(started.Add(timeout).Sub(clk.Now()))
	}
	if heartbeat > 0 {
		beatC = clk.After(heartbeat)
	}
	for {
		select {
		case res := <-w.result:
			if res.err != nil {
				return nil, res.err
			}
			return res.output, nil
		case <-w.beat:
			if heartbeat > 0 {
				beatC = clk.After(heartbeat)
			}
		case <-beatC:
			return nil, stateErr(ErrHeartbeatTimeout, "no heartbeat for %s", heartbeat)
		case <-timeoutC:
			return nil, stateErr(ErrTimeout, "the task did not complete within %s", timeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

type callResult struct {
	v   any
	err error
}

// callWithTimeout calls the resource, failing with States.Timeout when
// TimeoutSeconds passes on the clock first.
func (r *runner) callWithTimeout(ctx context.Context, resource string, params any, timeout time.Duration) (any, error) {
	if timeout <= 0 || strings.HasSuffix(resource, tokenSuffix) {
		return r.call(ctx, resource, params)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan callResult, 1)
	timer := r.eng.clk.After(timeout)
	go func() {
		v, err := r.call(cctx, resource, params)
		done <- callResult{v, err}
	}()
	select {
	case res := <-done:
		return res.v, res.err
	case <-timer:
		return nil, stateErr(ErrTimeout, "the task did not complete within %s", timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// call invokes a resource once and returns its result.
func (r *runner) call(ctx context.Context, resource string, params any) (any, error) {
	base := strings.TrimSuffix(resource, tokenSuffix)
	switch {
	case base == lambdaInvokeARN:
		obj, _ := params.(map[string]any)
		fn, _ := obj["FunctionName"].(string)
		if fn == "" {
			return nil, stateErr(ErrRuntime, "lambda:invoke needs Parameters.FunctionName")
		}
		payload, ok := obj["Payload"]
		if !ok {
			payload = map[string]any{}
		}
		out, size, err := r.invokeFunction(ctx, fn, payload)
		if err != nil {
			return nil, err
		}
		return lambdaInvokeResult(out, size, r.eng.clk.Now()), nil
	case isFunctionARN(base):
		out, _, err := r.invokeFunction(ctx, base, params)
		return out, err
	}
	fn, ok := r.eng.integration(resource)
	if !ok {
		return nil, stateErr(ErrRuntime, "no integration registered for resource %q", resource)
	}
	in, err := encodeJSON(params)
	if err != nil {
		return nil, stateErr(ErrRuntime, "encode parameters: %v", err)
	}
	out, err := fn(ctx, in)
	if err != nil {
		return nil, asStateError(err)
	}
	return r.decodeResult(out)
}

func (r *runner) decodeResult(out []byte) (any, error) {
	if len(out) > r.eng.cfg.MaxPayloadBytes {
		return nil, stateErr(ErrDataLimitExceeded, "the task result of %d bytes exceeds the maximum of %d bytes", len(out), r.eng.cfg.MaxPayloadBytes)
	}
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil, nil
	}
	v, err := decodeJSON(out)
	if err != nil {
		return nil, stateErr(ErrTaskFailed, "the task result is not JSON: %v", err)
	}
	return v, nil
}

// invokeFunction calls a registered handler as Lambda would: a function
// error becomes Error = errorType and Cause = the JSON error payload.
func (r *runner) invokeFunction(ctx context.Context, fn string, payload any) (any, int, error) {
	name := functionName(fn)
	h, ok := r.eng.handlers[name]
	if !ok {
		return nil, 0, stateErr("Lambda.ResourceNotFoundException", "Function not found: %s", fn)
	}
	in, err := encodeJSON(payload)
	if err != nil {
		return nil, 0, stateErr(ErrRuntime, "encode payload: %v", err)
	}
	out, err := h.invoke(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		le := lambdaErrorOf(err)
		cause, _ := encodeJSON(le)
		return nil, 0, &StateError{Name: le.Type, Cause: string(cause)}
	}
	v, err := r.decodeResult(out)
	return v, len(out), err
}

// lambdaErrorOf computes errorMessage/errorType the way aws-lambda-go's
// runtime reports a handler error.
func lambdaErrorOf(err error) *lambdaError {
	var le *lambdaError
	if errors.As(err, &le) {
		return le
	}
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return &lambdaError{Message: ive.Message, Type: ive.Type}
	}
	return &lambdaError{Message: err.Error(), Type: typeName(err)}
}

// lambdaInvokeResult wraps a function output like the lambda:invoke
// integration does.
func lambdaInvokeResult(out any, size int, now time.Time) any {
	reqID := newUUID()
	date := now.UTC().Format(time.RFC1123)
	date = strings.Replace(date, "UTC", "GMT", 1)
	headers := map[string]string{
		"Connection":                     "keep-alive",
		"Content-Length":                 strconv.Itoa(size),
		"Content-Type":                   "application/json",
		"Date":                           date,
		"X-Amz-Executed-Version":         "$LATEST",
		"x-amzn-Remapped-Content-Length": "0",
		"x-amzn-RequestId":               reqID,
	}
	all := map[string]any{}
	single := map[string]any{}
	for k, v := range headers {
		all[k] = []any{v}
		single[k] = v
	}
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         out,
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": all,
			"HttpHeaders":    single,
			"HttpStatusCode": intValue(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": reqID},
		"StatusCode":          intValue(200),
	}
}
