package asl

import (
	"encoding/json"
	"fmt"
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
