package asl

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/magpie-sdc/magpie/shared/store"
	"time"
)

func load(t testing.TB, name string) *Definition {
	t.Helper()
	d, err := ParseFile("testdata/" + name + ".asl.json")
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return d
}

// newEngine builds an engine on a step clock; cfg.Clock is replaced.
func newEngine(t testing.TB, cfg Config) (*Engine, *stepClock) {
	t.Helper()
	clk := newStepClock()
	cfg.Clock = clk
	eng, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng, clk
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func run(t testing.TB, eng *Engine, def *Definition, input string) Execution {
	t.Helper()
	ex, err := eng.Run(ctxT(t), def, "", json.RawMessage(input))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return ex
}

func start(t testing.TB, eng *Engine, def *Definition, name, input string) string {
	t.Helper()
	id, err := eng.Start(ctxT(t), def, name, json.RawMessage(input))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return id
}

func wait(t testing.TB, eng *Engine, id string) Execution {
	t.Helper()
	ex, err := eng.Wait(ctxT(t), id)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return ex
}

// jsonEq compares JSON documents semantically.
func jsonEq(t testing.TB, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

func succeeded(t testing.TB, ex Execution, want string) {
	t.Helper()
	if ex.Status != StatusSucceeded {
		t.Fatalf("status %s (%s: %s), want SUCCEEDED", ex.Status, ex.Error, ex.Cause)
	}
	if want != "" {
		jsonEq(t, ex.Output, want)
	}
}

func failed(t testing.TB, ex Execution, errName string) {
	t.Helper()
	if ex.Status != StatusFailed || ex.Error != errName {
		t.Fatalf("status %s error %q (cause %q), want FAILED %q", ex.Status, ex.Error, ex.Cause, errName)
	}
}

func eventTypes(t testing.TB, eng *Engine, id string) []string {
	t.Helper()
	h, err := eng.History(ctxT(t), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range h {
		out = append(out, ev.Type)
	}
	return out
}

func store0() store.PutOptions { return store.PutOptions{} }
