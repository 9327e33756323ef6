package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/magpie-sdc/magpie/shared/clock"
)

// BenchmarkPassChoiceLoop measures state transitions per second of a
// Pass/Choice loop (1,000 iterations = 2,001 transitions per execution).
func BenchmarkPassChoiceLoop(b *testing.B) {
	eng, err := NewEngine(Config{Clock: clock.NewFake(t0)})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	def := load(b, "loop")
	const n = 1000
	input := json.RawMessage(fmt.Sprintf(`{"i":0,"n":%d}`, n))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ex, err := eng.Run(ctxT(b), def, "", input)
		if err != nil || ex.Status != StatusSucceeded {
			b.Fatalf("%v %+v", err, ex)
		}
	}
	b.ReportMetric(float64(b.N)*(2*n+1)/b.Elapsed().Seconds(), "transitions/s")
}

// BenchmarkInlineMap10k runs a 10,000-item inline Map of trivial Go
// handlers at MaxConcurrency 100.
func BenchmarkInlineMap10k(b *testing.B) {
	square := func(in struct{ N int }) (int, error) { return in.N * in.N, nil }
	eng, err := NewEngine(Config{Clock: clock.NewFake(t0), Handlers: map[string]any{"square": square}})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	def, err := Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":100,
		"ItemSelector":{"N.$":"$$.Map.Item.Value"},
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"square","Payload.$":"$"},"OutputPath":"$.Payload","End":true}}},"End":true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]string, 10000)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	input := json.RawMessage("[" + strings.Join(items, ",") + "]")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ex, err := eng.Run(ctxT(b), def, "", input)
		if err != nil || ex.Status != StatusSucceeded {
			b.Fatalf("%v %+v", err, ex.Error)
		}
	}
}

// BenchmarkParkedExecutionMemory measures the memory one running execution
// holds while it waits: 1,000 executions are started and left parked in a
// Wait state, or on a .waitForTaskToken task (with heartbeat and timeout
// timers), and the heap plus goroutine stacks they add, divided by 1,000,
// is reported as bytes/execution (goal: < 64 KB plus its data). Each input
// is a small document, so the figure is the interpreter's own overhead.
func BenchmarkParkedExecutionMemory(b *testing.B) {
	const n = 1000
	cases := []struct {
		name   string
		timers int // timers each parked execution holds
		def    string
	}{
		{"wait", 1, `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":3600,"Next":"Done"},"Done":{"Type":"Succeed"}}}`},
		{"token", 2, `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
			"Parameters":{"TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":{"token.$":"$$.Task.Token","cycle.$":"$.cycle"}},
			"HeartbeatSeconds":600,"TimeoutSeconds":3600,"End":true}}}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			def, err := Parse([]byte(c.def))
			if err != nil {
				b.Fatal(err)
			}
			var perExec float64
			for b.Loop() {
				perExec = parkedMemory(b, def, n, c.timers)
			}
			b.ReportMetric(perExec, "bytes/execution")
		})
	}
}

// parkedMemory starts n executions of def, waits until each has parked on
// a timer of the fake clock, and returns the heap and stack growth per
// execution.
func parkedMemory(b *testing.B, def *Definition, n, timersEach int) float64 {
	b.Helper()
	fc := clock.NewFake(t0)
	publish := func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
	eng, err := NewEngine(Config{Clock: fc, Integrations: map[string]Integration{"arn:aws:states:::sns:publish": publish}})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	ctx := ctxT(b)
	before := heapAndStacks()
	for i := range n {
		if _, err := eng.Start(ctx, def, "", json.RawMessage(fmt.Sprintf(`{"cycle":%d}`, i))); err != nil {
			b.Fatal(err)
		}
	}
	for fc.Pending() < n*timersEach {
		if ctx.Err() != nil {
			b.Fatalf("only %d of %d timers pending", fc.Pending(), n*timersEach)
		}
		runtime.Gosched()
	}
	after := heapAndStacks()
	for _, ex := range must(eng.List(ctx)) {
		if ex.Status != StatusRunning {
			b.Fatalf("execution %s is %s", ex.ID, ex.Status)
		}
	}
	return float64(after-before) / float64(n)
}

// heapAndStacks is live heap plus goroutine stacks after a full GC.
func heapAndStacks() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc + ms.StackInuse)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
