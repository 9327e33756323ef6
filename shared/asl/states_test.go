package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPass(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	ex, err := eng.Run(ctxT(t), load(t, "pass"), "exec-1", json.RawMessage(`{"name":"MMS","odd key":"odd"}`))
	if err != nil {
		t.Fatal(err)
	}
	succeeded(t, ex, `{
		"static":"text","fromPath":1,"indexed":2,"quoted":"odd",
		"nested":{"deep":{"x":1,"list":[1,2]},"arr":[1,{"inner":1},"s"]},
		"greeting":"Hello, MMS!","stateName":"Template","execName":"exec-1","execInput":"MMS"}`)
}

func TestIntrinsics(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	ex := run(t, eng, load(t, "intrinsics"), `{"name":"mms1","items":[1,2,3,4,5],"json":"{\"a\":[1,2]}","obj":{"a":1},
		"dups":[1,"1",1,{"x":1},{"x":1}],"n":10,"csv":"a,b,,c"}`)
	succeeded(t, ex, `{
		"format":"mms1 has 5 items, 'quoted' and {braces}",
		"toJson":{"a":[1,2]},
		"toString":"{\"a\":1}",
		"array":["a",1,true,null,{"a":1}],
		"getItem":3,
		"length":5,
		"partition":[[1,2],[3,4],[5]],
		"contains":true,
		"notContains":false,
		"range":[1,4,7],
		"unique":[1,"1",{"x":1}],
		"add":7,
		"hash":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"md5":"`+md5hex("mms1")+`",
		"b64":"RGF0YSB0byBlbmNvZGU=",
		"unb64":"Data to encode",
		"split":["a","b","c"],
		"merge":{"a":1,"b":3},
		"nested":[4,5,6,7]}`)
}

func md5hex(s string) string {
	v, _ := fnHash(nil, nil, []any{s, "MD5"})
	return v.(string)
}

func TestIntrinsicRuntimeErrors(t *testing.T) {
	cases := []struct{ expr, input string }{
		{"States.ArrayGetItem($.a, 9)", `{"a":[1]}`},
		{"States.StringToJson($.s)", `{"s":"{bad"}`},
		{"States.MathAdd($.s, 1)", `{"s":"x"}`},
		{"States.ArrayPartition($.a, 0)", `{"a":[1]}`},
		{"States.ArrayRange(1, 2000, 1)", `{}`},
		{"States.ArrayRange(1, 5, 0)", `{}`},
		{"States.Hash('x', 'SHA-3')", `{}`},
		{"States.Base64Decode('***')", `{}`},
		{"States.Format($.missing)", `{}`},
		{"States.JsonMerge($.a, $.a, true)", `{"a":{}}`},
	}
	eng, _ := newEngine(t, Config{})
	for _, c := range cases {
		def, err := Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":` + string(mustJSON(c.expr)) + `},
			"End":true}}}`))
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		failed(t, run(t, eng, def, c.input), ErrRuntime)
	}
}

func TestIntrinsicRandomAndUUID(t *testing.T) {
	eng, _ := newEngine(t, Config{Random: func() float64 { return 0.5 }})
	def, err := Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
		"r.$":"States.MathRandom(10, 20)","seeded.$":"States.MathRandom(0, 1000, 7)","seeded2.$":"States.MathRandom(0, 1000, 7)",
		"u.$":"States.UUID()","u2.$":"States.UUID()"},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ex := run(t, eng, def, `{}`)
	var out struct {
		R, Seeded, Seeded2 int
		U, U2              string
	}
	if err := json.Unmarshal(ex.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.R != 15 || out.Seeded != out.Seeded2 || out.Seeded < 0 || out.Seeded >= 1000 {
		t.Fatalf("MathRandom: %+v", out)
	}
	if len(out.U) != 36 || out.U[14] != '4' || out.U == out.U2 {
		t.Fatalf("UUID: %q %q", out.U, out.U2)
	}
}

func TestChoiceOperators(t *testing.T) {
	input := `{"s":"b","n":5,"f":2.5,"t":true,"ts":"2030-01-01T00:00:00Z","nul":null,"other":"c","m":5,"ts2":"2031-01-01T00:00:00+01:00","bad":"not-a-time"}`
	cases := []struct {
		rule string
		want bool
	}{
		{`"Variable":"$.s","StringEquals":"b"`, true},
		{`"Variable":"$.s","StringEquals":"c"`, false},
		{`"Variable":"$.n","StringEquals":"5"`, false},
		{`"Variable":"$.s","StringLessThan":"c"`, true},
		{`"Variable":"$.s","StringGreaterThan":"a"`, true},
		{`"Variable":"$.s","StringLessThanEquals":"b"`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"c"`, false},
		{`"Variable":"$.s","StringEqualsPath":"$.other"`, false},
		{`"Variable":"$.s","StringLessThanPath":"$.other"`, true},
		{`"Variable":"$.s","StringGreaterThanPath":"$.other"`, false},
		{`"Variable":"$.s","StringLessThanEqualsPath":"$.s"`, true},
		{`"Variable":"$.s","StringGreaterThanEqualsPath":"$.other"`, false},
		{`"Variable":"$.s","StringMatches":"?"`, false},
		{`"Variable":"$.s","StringMatches":"*"`, true},
		{`"Variable":"$.n","NumericEquals":5`, true},
		{`"Variable":"$.n","NumericEquals":5.0`, true},
		{`"Variable":"$.s","NumericEquals":5`, false},
		{`"Variable":"$.f","NumericLessThan":3`, true},
		{`"Variable":"$.f","NumericGreaterThan":3`, false},
		{`"Variable":"$.n","NumericLessThanEquals":5`, true},
		{`"Variable":"$.n","NumericGreaterThanEquals":6`, false},
		{`"Variable":"$.n","NumericEqualsPath":"$.m"`, true},
		{`"Variable":"$.f","NumericLessThanPath":"$.n"`, true},
		{`"Variable":"$.f","NumericGreaterThanPath":"$.n"`, false},
		{`"Variable":"$.n","NumericLessThanEqualsPath":"$.m"`, true},
		{`"Variable":"$.n","NumericGreaterThanEqualsPath":"$.f"`, true},
		{`"Variable":"$.t","BooleanEquals":true`, true},
		{`"Variable":"$.t","BooleanEqualsPath":"$.t"`, true},
		{`"Variable":"$.s","BooleanEquals":true`, false},
		{`"Variable":"$.ts","TimestampEquals":"2030-01-01T01:00:00+01:00"`, true},
		{`"Variable":"$.ts","TimestampLessThan":"2030-01-01T00:00:01Z"`, true},
		{`"Variable":"$.ts","TimestampGreaterThan":"2030-01-01T00:00:01Z"`, false},
		{`"Variable":"$.ts","TimestampLessThanEquals":"2030-01-01T00:00:00Z"`, true},
		{`"Variable":"$.ts","TimestampGreaterThanEquals":"2029-12-31T23:59:59Z"`, true},
		{`"Variable":"$.ts","TimestampEqualsPath":"$.ts"`, true},
		{`"Variable":"$.ts","TimestampLessThanPath":"$.ts2"`, true},
		{`"Variable":"$.ts","TimestampGreaterThanPath":"$.ts2"`, false},
		{`"Variable":"$.ts","TimestampLessThanEqualsPath":"$.ts2"`, true},
		{`"Variable":"$.ts","TimestampGreaterThanEqualsPath":"$.ts2"`, false},
		{`"Variable":"$.bad","TimestampEquals":"2030-01-01T00:00:00Z"`, false},
		{`"Variable":"$.nul","IsNull":true`, true},
		{`"Variable":"$.s","IsNull":true`, false},
		{`"Variable":"$.s","IsPresent":true`, true},
		{`"Variable":"$.zzz","IsPresent":true`, false},
		{`"Variable":"$.zzz","IsPresent":false`, true},
		{`"Variable":"$.f","IsNumeric":true`, true},
		{`"Variable":"$.s","IsNumeric":true`, false},
		{`"Variable":"$.s","IsString":true`, true},
		{`"Variable":"$.n","IsString":false`, true},
		{`"Variable":"$.t","IsBoolean":true`, true},
		{`"Variable":"$.ts","IsTimestamp":true`, true},
		{`"Variable":"$.bad","IsTimestamp":true`, false},
		{`"And":[{"Variable":"$.n","NumericEquals":5},{"Variable":"$.s","StringEquals":"b"}]`, true},
		{`"And":[{"Variable":"$.n","NumericEquals":5},{"Variable":"$.s","StringEquals":"x"}]`, false},
		{`"Or":[{"Variable":"$.n","NumericEquals":4},{"Variable":"$.s","StringEquals":"b"}]`, true},
		{`"Not":{"Variable":"$.n","NumericEquals":4}`, true},
		{`"Not":{"And":[{"Variable":"$.t","BooleanEquals":true},{"Not":{"Variable":"$.nul","IsNull":false}}]}`, false},
	}
	doc, _ := decodeJSON([]byte(input))
	for _, c := range cases {
		r, err := parseChoiceRule(json.RawMessage(`{`+c.rule+`,"Next":"X"}`), true)
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		got, err := r.eval(&evalEnv{input: doc})
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", c.rule, got, c.want)
		}
	}
}

func TestChoiceRouting(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	def := load(t, "choice")
	cases := []struct{ input, want string }{
		{`{"kind":"file","size":500,"name":"x"}`, `"big"`},
		{`{"kind":"file","size":5,"name":"x"}`, `"small"`},
		{`{"kind":"dir"}`, `"anonymous"`},
		{`{"kind":"dir","name":"mms1_fgm.cdf"}`, `"other"`},
		{`{"kind":"dir","name":"mms?_fgm.cdf"}`, `"matched"`},
		{`{"kind":"dir","name":"a*star"}`, `"matched"`},
		{`{"kind":"dir","name":"x","limit":3,"size":3}`, `"over"`},
	}
	for _, c := range cases {
		succeeded(t, run(t, eng, def, c.input), c.want)
	}
	// A missing Variable is a runtime error; IsPresent is the way to test.
	failed(t, run(t, eng, def, `{"kind":"dir","name":"x","limit":3}`), ErrRuntime)
	failed(t, run(t, eng, load(t, "choice_nomatch"), `{"x":2}`), ErrNoChoiceMatched)
}

func TestWait(t *testing.T) {
	eng, clk := newEngine(t, Config{})
	id := start(t, eng, load(t, "wait"), "", `{"delay":20,"until":"2030-01-01T00:05:00Z"}`)
	clk.step(t, 10*time.Second)               // Seconds
	clk.step(t, 20*time.Second)               // SecondsPath
	clk.step(t, 5*time.Minute-30*time.Second) // TimestampPath, from now
	clk.step(t, 10*time.Minute-5*time.Minute) // Timestamp
	succeeded(t, wait(t, eng, id), `20`)
	ex, _ := eng.Describe(ctxT(t), id)
	if got := ex.StopTime.Sub(ex.StartTime); got != 10*time.Minute {
		t.Fatalf("execution took %v on the clock, want 10m", got)
	}
	// A bad SecondsPath is a runtime error.
	id = start(t, eng, load(t, "wait"), "", `{"delay":-1}`)
	clk.step(t, 10*time.Second)
	failed(t, wait(t, eng, id), ErrRuntime)
}

func TestFail(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	def := load(t, "fail")
	ex := run(t, eng, def, `{}`)
	failed(t, ex, "Mission.BadInput")
	if ex.Cause != "the input was bad" {
		t.Fatalf("cause %q", ex.Cause)
	}
	ex = run(t, eng, def, `{"dynamic":true,"err":"Ingest.Rejected","file":"x.cdf"}`)
	failed(t, ex, "Ingest.Rejected")
	if ex.Cause != "file x.cdf rejected" {
		t.Fatalf("cause %q", ex.Cause)
	}
}

// Custom error types name Lambda errors (errorType), as in the Go runtime.
type TransientError struct{}

func (TransientError) Error() string { return "try again" }

type ThrottleError struct{}

func (*ThrottleError) Error() string { return "slow down" }

type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return "invalid " + e.Field }

type flakyInput struct {
	Attempt int    `json:"attempt"`
	Mode    string `json:"mode"`
}

// flaky fails according to the mode letters: T transient, H throttle,
// F fatal (other type), then succeeds.
func flaky(calls *[]int) func(context.Context, flakyInput) (map[string]int, error) {
	var mu sync.Mutex
	return func(_ context.Context, in flakyInput) (map[string]int, error) {
		mu.Lock()
		*calls = append(*calls, in.Attempt)
		n := len(*calls) - 1
		mu.Unlock()
		if n < len(in.Mode) {
			switch in.Mode[n] {
			case 'T':
				return nil, TransientError{}
			case 'H':
				return nil, &ThrottleError{}
			case 'F':
				return nil, errors.New("fatal")
			}
		}
		return map[string]int{"calls": n + 1}, nil
	}
}

func TestRetryBackoff(t *testing.T) {
	cases := []struct {
		name   string
		mode   string
		delays []time.Duration
		want   string // output, or error name when failed
	}{
		{"exponential", "TTT", []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}, `{"calls":4}`},
		// TransientError exhausts its 3 attempts: the catcher takes over.
		{"exhausted", "TTTT", []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}, "caught:TransientError"},
		// 5s, then 15s capped at MaxDelaySeconds 8, then exhausted.
		{"max delay", "HHH", []time.Duration{5 * time.Second, 8 * time.Second}, "caught:ThrottleError"},
		// Attempts are counted per retrier.
		{"per retrier", "THTHT", []time.Duration{1 * time.Second, 5 * time.Second, 2 * time.Second, 8 * time.Second, 4 * time.Second}, `{"calls":6}`},
		// States.ALL with MaxAttempts 0 never retries.
		{"never", "F", nil, "caught:errorString"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls []int
			eng, clk := newEngine(t, Config{Handlers: map[string]any{"flaky": flaky(&calls)}})
			id := start(t, eng, load(t, "retry"), "", `{"mode":"`+c.mode+`"}`)
			for _, d := range c.delays {
				clk.step(t, d)
			}
			ex := wait(t, eng, id)
			if name, ok := strings.CutPrefix(c.want, "caught:"); ok {
				succeeded(t, ex, "")
				var out struct{ Failure struct{ Error, Cause string } }
				json.Unmarshal(ex.Output, &out)
				if out.Failure.Error != name || !strings.Contains(out.Failure.Cause, `"errorType":"`+name+`"`) {
					t.Fatalf("failure %+v, want %s", out.Failure, name)
				}
			} else {
				succeeded(t, ex, `{"mode":"`+c.mode+`","result":`+c.want+`}`)
			}
			// $$.State.RetryCount counts every retry of the state.
			for i, a := range calls {
				if a != i {
					t.Fatalf("RetryCount seen by attempts: %v", calls)
				}
			}
			select {
			case d := <-clk.asked:
				t.Fatalf("unexpected extra timer %v", d)
			default:
			}
		})
	}
}

func TestRetryJitter(t *testing.T) {
	def, err := Parse([]byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:flaky",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":10,"JitterStrategy":"FULL"}],"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var calls []int
	eng, clk := newEngine(t, Config{Handlers: map[string]any{"flaky": flaky(&calls)}, Random: func() float64 { return 0.25 }})
	id := start(t, eng, def, "", `{"mode":"TT"}`)
	clk.step(t, 2500*time.Millisecond) // 10s × 0.25
	clk.step(t, 5*time.Second)         // 20s × 0.25
	succeeded(t, wait(t, eng, id), `{"calls":3}`)
}

func TestCatchLambdaErrors(t *testing.T) {
	fails := func(_ context.Context, in map[string]string) (string, error) {
		switch in["kind"] {
		case "validation":
			return "", &ValidationError{Field: "name"}
		case "plain":
			return "", fmt.Errorf("wrapped: %w", errors.New("inner"))
		case "panic":
			panic("kaboom")
		}
		return "fine", nil
	}
	eng, _ := newEngine(t, Config{Handlers: map[string]any{"fails": fails}})
	def := load(t, "catch")
	ex := run(t, eng, def, `{"kind":"validation"}`)
	succeeded(t, ex, `{"kind":"validation","error":{"Error":"ValidationError","Cause":"{\"errorMessage\":\"invalid name\",\"errorType\":\"ValidationError\"}"}}`)
	ex = run(t, eng, def, `{"kind":"plain"}`)
	succeeded(t, ex, `{"Error":"wrapError","Cause":"{\"errorMessage\":\"wrapped: inner\",\"errorType\":\"wrapError\"}"}`)
	ex = run(t, eng, def, `{"kind":"panic"}`)
	succeeded(t, ex, `{"Error":"string","Cause":"{\"errorMessage\":\"kaboom\",\"errorType\":\"string\"}"}`)
	ex = run(t, eng, def, `{"kind":"ok"}`)
	succeeded(t, ex, "")
	var out map[string]any
	json.Unmarshal(ex.Output, &out)
	if out["Payload"] != "fine" || out["StatusCode"] != float64(200) || out["ExecutedVersion"] != "$LATEST" {
		t.Fatalf("lambda:invoke result %s", ex.Output)
	}
	if _, ok := out["SdkHttpMetadata"].(map[string]any)["AllHttpHeaders"]; !ok {
		t.Fatalf("no SdkHttpMetadata: %s", ex.Output)
	}
}

func TestTaskTimeout(t *testing.T) {
	var calls atomic.Int32
	entered := make(chan struct{}, 10)
	slow := func(ctx context.Context) error {
		calls.Add(1)
		entered <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	eng, clk := newEngine(t, Config{Handlers: map[string]any{"slow": slow}})
	id := start(t, eng, load(t, "timeout"), "", `{}`)
	<-entered
	clk.step(t, 5*time.Second)
	// States.TaskFailed does not match States.Timeout: no retry.
	ex := wait(t, eng, id)
	failed(t, ex, ErrTimeout)
	if calls.Load() != 1 {
		t.Fatalf("%d calls", calls.Load())
	}
	types := eventTypes(t, eng, id)
	if !contains(types, "LambdaFunctionTimedOut") {
		t.Fatalf("history %v", types)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestLambdaInvokeAndHistory(t *testing.T) {
	double := func(in struct{ Value int }) (map[string]int, error) {
		return map[string]int{"value": in.Value * 2}, nil
	}
	eng, _ := newEngine(t, Config{Handlers: map[string]any{"double": double}})
	ex := run(t, eng, load(t, "lambda_invoke"), `{"value":21}`)
	succeeded(t, ex, `{"value":21,"lambda":{"doubled":42,"status":200},"bare":{"value":84}}`)
	want := []string{"ExecutionStarted",
		"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
		"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
		"ExecutionSucceeded"}
	got := eventTypes(t, eng, ex.ID)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("history\n got %v\nwant %v", got, want)
	}
	h, _ := eng.History(ctxT(t), ex.ID)
	for i, ev := range h {
		if ev.ID != int64(i+1) || ev.PreviousEventID != int64(i) {
			t.Fatalf("event %d has id %d prev %d", i, ev.ID, ev.PreviousEventID)
		}
	}
	if h[2].ResourceType != "lambda" || h[2].Resource != "invoke" {
		t.Fatalf("TaskScheduled %+v", h[2])
	}
}

func TestParallel(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	ex := run(t, eng, load(t, "parallel"), `{"v":7}`)
	succeeded(t, ex, `{"v":7,"parallel":{"first":{"branch":"a","v":7},"second":"b"}}`)
	// The failing branch cancels the one waiting an hour (the clock never
	// moves) and the Catch takes the branch's error.
	ex = run(t, eng, load(t, "parallel_fail"), `{}`)
	succeeded(t, ex, `{"Error":"Branch.Broken","Cause":"no luck"}`)
}

func TestMapInline(t *testing.T) {
	var active, maxActive atomic.Int32
	entered := make(chan int, 100)
	release := make(chan struct{})
	item := func(in struct {
		Index  int    `json:"index"`
		Value  int    `json:"value"`
		Prefix string `json:"prefix"`
	}) (string, error) {
		n := active.Add(1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		entered <- in.Index
		<-release
		active.Add(-1)
		return fmt.Sprintf("%s%d:%d", in.Prefix, in.Index, in.Value*10), nil
	}
	eng, _ := newEngine(t, Config{Handlers: map[string]any{"item": item}})
	id := start(t, eng, load(t, "map_inline"), "", `{"prefix":"p","items":[5,4,3,2,1,0]}`)
	<-entered
	<-entered // MaxConcurrency 2 reached
	close(release)
	ex := wait(t, eng, id)
	succeeded(t, ex, `{"prefix":"p","items":[5,4,3,2,1,0],"results":["p0:50","p1:40","p2:30","p3:20","p4:10","p5:0"]}`)
	if maxActive.Load() != 2 {
		t.Fatalf("max concurrency %d, want 2", maxActive.Load())
	}
	types := eventTypes(t, eng, id)
	n := 0
	for _, ty := range types {
		if ty == "MapIterationSucceeded" {
			n++
		}
	}
	if n != 6 || !contains(types, "MapStateStarted") || !contains(types, "MapStateSucceeded") {
		t.Fatalf("history %v", types)
	}
}

func TestMapUnbounded(t *testing.T) {
	entered := make(chan struct{}, 100)
	release := make(chan struct{})
	item := func(v any) (any, error) {
		entered <- struct{}{}
		<-release
		return v, nil
	}
	eng, _ := newEngine(t, Config{Handlers: map[string]any{"item": item}})
	def, err := Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":0,"ItemProcessor":{"StartAt":"W",
		"States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:item","End":true}}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	id := start(t, eng, def, "", `[1,2,3,4,5,6,7,8]`)
	for range 8 { // all eight run at once
		<-entered
	}
	close(release)
	succeeded(t, wait(t, eng, id), `[1,2,3,4,5,6,7,8]`)
}

func TestMapLegacyAndTolerance(t *testing.T) {
	eng, _ := newEngine(t, Config{})
	succeeded(t, run(t, eng, load(t, "map_legacy"), `{"items":["a","b"]}`), `[{"n":"a","i":0},{"n":"b","i":1}]`)
	def := load(t, "map_tolerated")
	succeeded(t, run(t, eng, def, `{"items":[1,-1,2,-2],"tolerated":2}`),
		`[1,{"Error":"Negative","Cause":"negative item"},2,{"Error":"Negative","Cause":"negative item"}]`)
	failed(t, run(t, eng, def, `{"items":[1,-1,2,-2],"tolerated":1}`), ErrExceedToleratedFailureThreshold)
	// Without tolerance the first failure fails the Map with its own error.
	succeeded(t, run(t, eng, load(t, "map_failfast"), `[1,2,-3,4]`), `{"Error":"Negative","Cause":"negative item"}`)
	succeeded(t, run(t, eng, load(t, "map_failfast"), `[]`), `[]`)
	failed(t, run(t, eng, load(t, "map_failfast"), `{"not":"array"}`), ErrRuntime)
}

func TestDistributedMapCSV(t *testing.T) {
	objs := newMemObjects()
	objs.Put(context.Background(), "plan.csv", strings.NewReader("name,size\nf1,1\nf2,2\n\"f,3\",3\nf4,4\nf5,5\n"), store0())
	eng, _ := newEngine(t, Config{Objects: objs})
	ex := run(t, eng, load(t, "map_distributed_csv"), `{"key":"plan.csv","campaign":"c1"}`)
	succeeded(t, ex, `[{"campaign":"c1","n":2,"first":"f1"},{"campaign":"c1","n":2,"first":"f,3"},{"campaign":"c1","n":1,"first":"f5"}]`)
	types := eventTypes(t, eng, ex.ID)
	if !contains(types, "MapRunStarted") || !contains(types, "MapRunSucceeded") || contains(types, "PassStateEntered") {
		t.Fatalf("history %v", types)
	}
	// A missing object fails with States.ItemReaderFailed.
	failed(t, run(t, eng, load(t, "map_distributed_csv"), `{"key":"nope.csv","campaign":"c1"}`), ErrItemReaderFailed)
}

func TestDistributedMapResultWriter(t *testing.T) {
	objs := newMemObjects()
	jobs := `[{"id":"j1","ok":true},{"id":"j2","ok":false},{"id":"j3","ok":true},{"id":"j4","ok":true}]`
	objs.Put(context.Background(), "jobs.json", strings.NewReader(jobs), store0())
	eng, _ := newEngine(t, Config{Objects: objs})
	ex := run(t, eng, load(t, "map_distributed_json"), `{"campaign":"c"}`)
	succeeded(t, ex, "")
	var out struct {
		Run struct {
			MapRunArn           string
			ResultWriterDetails struct{ Bucket, Key string }
		}
	}
	json.Unmarshal(ex.Output, &out)
	det := out.Run.ResultWriterDetails
	if det.Bucket != "results" || !strings.HasPrefix(det.Key, "runs/") || !strings.HasSuffix(det.Key, "/manifest.json") ||
		!strings.Contains(out.Run.MapRunArn, ":mapRun:map_distributed_json/Jobs:") {
		t.Fatalf("output %s", ex.Output)
	}
	var manifest struct {
		DestinationBucket string
		MapRunArn         string
		ResultFiles       map[string][]struct {
			Key  string
			Size int
		}
	}
	if err := json.Unmarshal(objs.get(t, det.Key), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.DestinationBucket != "results" || manifest.MapRunArn != out.Run.MapRunArn ||
		len(manifest.ResultFiles["SUCCEEDED"]) != 1 || len(manifest.ResultFiles["FAILED"]) != 1 || len(manifest.ResultFiles["PENDING"]) != 0 {
		t.Fatalf("manifest %s", objs.get(t, det.Key))
	}
	var okRecs, failRecs []map[string]any
	json.Unmarshal(objs.get(t, manifest.ResultFiles["SUCCEEDED"][0].Key), &okRecs)
	json.Unmarshal(objs.get(t, manifest.ResultFiles["FAILED"][0].Key), &failRecs)
	if len(okRecs) != 3 || okRecs[0]["Output"] != `{"job":"j1"}` || okRecs[0]["Status"] != "SUCCEEDED" || okRecs[0]["Input"] != `{"id":"j1","ok":true}` {
		t.Fatalf("succeeded records %v", okRecs)
	}
	if len(failRecs) != 1 || failRecs[0]["Error"] != "JobFailed" || failRecs[0]["Status"] != "FAILED" {
		t.Fatalf("failed records %v", failRecs)
	}
	// 3 of 4 failing exceeds the 50% tolerance.
	objs.Put(context.Background(), "jobs.json", strings.NewReader(strings.ReplaceAll(jobs, `"ok":true},{"id":"j3"`, `"ok":false},{"id":"j3"`)), store0())
	objs.Put(context.Background(), "jobs.json", strings.NewReader(`[{"id":"a","ok":false},{"id":"b","ok":false},{"id":"c","ok":false},{"id":"d","ok":true}]`), store0())
	failed(t, run(t, eng, load(t, "map_distributed_json"), `{}`), ErrExceedToleratedFailureThreshold)
}

func TestDistributedMapJSONL(t *testing.T) {
	objs := newMemObjects()
	objs.Put(context.Background(), "lines.jsonl", strings.NewReader("{\"a\":1}\n\n{\"a\":2}\n[3]\n{\"a\":4}\n"), store0())
	eng, _ := newEngine(t, Config{Objects: objs})
	succeeded(t, run(t, eng, load(t, "map_distributed_jsonl"), `{}`), `[{"a":1},{"a":2},[3]]`)
}
