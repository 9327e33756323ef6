package asl

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, def, want string
	}{
		{"not json", `{`, "not a JSON object"},
		{"bad StartAt", `{"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}}`, `StartAt "Nope" is not a state`},
		{"missing StartAt", `{"States":{"A":{"Type":"Pass","End":true}}}`, "missing StartAt"},
		{"unknown top field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Pass","End":true}}}`, `unknown field "Foo"`},
		{"unknown state field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Resource":"x"}}}`, `state "A": unknown field "Resource"`},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Magic","End":true}}}`, `state "A": unknown Type "Magic"`},
		{"bad next", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, `state "A": transition to unknown state "B"`},
		{"next and end", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, `state "A": exactly one of Next or End`},
		{"no next no end", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, `state "A": exactly one of Next or End`},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true}}}`, `state "B": unreachable`},
		{"bad catch next", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:x","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]}}}`, `state "A": transition to unknown state "Z"`},
		{"ALL not last retrier", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:x","End":true,"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}]}}}`, "States.ALL must be the last one"},
		{"ALL not last catcher", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:x","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"A"},{"ErrorEquals":["X"],"Next":"A"}]}}}`, "States.ALL must be the last one"},
		{"ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:x","End":true,"Retry":[{"ErrorEquals":["States.ALL","X"]}]}}}`, "must appear alone"},
		{"unknown intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope(1)"},"End":true}}}`, `state "A": Parameters: field "x.$": intrinsic "States.Nope(1)": unknown intrinsic function "States.Nope"`},
		{"intrinsic arity", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.ArrayLength(1, 2)"},"End":true}}}`, "wrong number of arguments"},
		{"format placeholders", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Format('{} {}', $.a)"},"End":true}}}`, "2 placeholders but 1 arguments"},
		{"bad path", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a.b","End":true}}}`, `state "A": InputPath: invalid path "a.b"`},
		{"bad template path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.a[x]"},"End":true}}}`, "unsupported index"},
		{"wait two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, "exactly one of Seconds"},
		{"choice no next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true}]}}}`, "choice rule has no Next"},
		{"choice bad operator", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringIs":"x","Next":"A"}]}}}`, `unknown choice rule field "StringIs"`},
		{"choice operand type", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"x","Next":"A"}]}}}`, "needs a numeric operand"},
		{"fail exclusive", `{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`, "Error and ErrorPath are exclusive"},
		{"map no processor", `{"StartAt":"A","States":{"A":{"Type":"Map","End":true}}}`, "missing ItemProcessor"},
		{"reader inline", `{"StartAt":"A","States":{"A":{"Type":"Map","End":true,"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`, "ItemReader is only allowed in DISTRIBUTED mode"},
		{"nested unreachable", `{"StartAt":"A","States":{"A":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","End":true},"Y":{"Type":"Pass","End":true}}}]}}}`, `state "A": Branches[0]: state "Y": unreachable`},
		{"jsonata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "only JSONPath"},
		{"retry backoff", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:x","End":true,"Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}]}}}`, "BackoffRate must be at least 1.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.def))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseTestdata(t *testing.T) {
	for _, name := range []string{"pass", "intrinsics", "choice", "wait", "fail", "retry", "catch", "lambda_invoke", "parallel",
		"parallel_fail", "map_inline", "map_legacy", "map_tolerated", "map_failfast", "map_distributed_csv",
		"map_distributed_json", "map_distributed_jsonl", "token", "timeout", "exec_timeout", "loop", "resume", "choice_nomatch"} {
		d := load(t, name)
		if d.Name != name {
			t.Errorf("name %q, want %q", d.Name, name)
		}
		if !json.Valid(d.Raw()) {
			t.Errorf("%s: raw definition not kept", name)
		}
	}
}

func TestPaths(t *testing.T) {
	doc, _ := decodeJSON([]byte(`{"a":{"b":[10,{"c":"deep"}]},"odd key":1,"n":null}`))
	get := []struct {
		path string
		want string
		ok   bool
	}{
		{"$", "", true},
		{"$.a.b[0]", "10", true},
		{"$.a.b[1].c", `"deep"`, true},
		{"$['odd key']", "1", true},
		{"$.a['b'][1]['c']", `"deep"`, true},
		{"$.n", "null", true},
		{"$.a.b[5]", "", false},
		{"$.missing", "", false},
		{"$.a.b.c", "", false},
	}
	for _, g := range get {
		p, err := parsePath(g.path)
		if err != nil {
			t.Fatalf("%s: %v", g.path, err)
		}
		v, ok := p.get(doc)
		if ok != g.ok {
			t.Fatalf("%s: found=%v want %v", g.path, ok, g.ok)
		}
		if ok && g.want != "" && string(mustJSON(v)) != g.want {
			t.Fatalf("%s = %s, want %s", g.path, mustJSON(v), g.want)
		}
	}
	for _, bad := range []string{"a", "$.", "$[", "$[-1]", "$.a[*]", "$..a", "$['x"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) accepted", bad)
		}
	}
	// set is copy-on-write and creates missing objects.
	p, _ := parsePath("$.a.new.x")
	out, err := p.set(doc, "v")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.(map[string]any)["a"].(map[string]any)["new"]; ok {
		t.Fatal("set modified its input")
	}
	got, _ := (&path{segs: p.segs}).get(out)
	if got != "v" {
		t.Fatalf("set result %v", mustJSON(out))
	}
	p2, _ := parsePath("$.a.b[1].c")
	out, _ = p2.set(doc, 5)
	if s := string(mustJSON(out)); s != `{"a":{"b":[10,{"c":5}]},"n":null,"odd key":1}` {
		t.Fatalf("set into array: %s", s)
	}
	p3, _ := parsePath("$.a.b.c")
	if _, err := p3.set(doc, 1); err == nil {
		t.Fatal("set through an array by key accepted")
	}
}

func TestStringMatches(t *testing.T) {
	cases := []struct {
		s, pat string
		want   bool
	}{
		{"log.txt", "*.txt", true},
		{"log.txt", "*.log", false},
		{"mms1_fgm.cdf", "mms?_*", false},
		{"mms1_fgm.cdf", "mms*_*.cdf", true},
		{"a*b", `a\*b`, true},
		{"axb", `a\*b`, false},
		{`a\b`, `a\\b`, true},
		{"", "*", true},
		{"abc", "abc", true},
		{"abc", "ab", false},
		{"aaa", "*a*a*a*", true},
		{"aa", "*a*a*a*", false},
	}
	for _, c := range cases {
		if got := stringMatches(c.s, c.pat); got != c.want {
			t.Errorf("stringMatches(%q, %q) = %v", c.s, c.pat, got)
		}
	}
}
