package asl

import (
	"fmt"
	"sort"
	"strings"
)

// template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector, BatchInput, ItemReader/ResultWriter Parameters).
type template struct {
	static  bool // no dynamic part: value is returned as is (never mutated)
	value   any
	path    *path
	call    *call
	fields  []templateField // object
	items   []*template     // array
	isArray bool
}

type templateField struct {
	key string
	t   *template
}

// compileTemplate compiles a decoded JSON payload template. Keys ending in
// ".$" take a path, a context path or an intrinsic; the ".$" is stripped.
func compileTemplate(v any, where string) (*template, error) {
	switch x := v.(type) {
	case map[string]any:
		t := &template{static: true}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := x[k]
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				s, isStr := val.(string)
				if !isStr {
					return nil, fmt.Errorf("%s: field %q must be a string path or intrinsic", where, k)
				}
				ft := &template{}
				if isIntrinsic(s) {
					c, err := parseIntrinsic(s)
					if err != nil {
						return nil, fmt.Errorf("%s: field %q: %w", where, k, err)
					}
					ft.call = c
				} else {
					p, err := parsePath(s)
					if err != nil {
						return nil, fmt.Errorf("%s: field %q: %w", where, k, err)
					}
					ft.path = p
				}
				t.static = false
				t.fields = append(t.fields, templateField{key: name, t: ft})
				continue
			}
			ft, err := compileTemplate(val, where)
			if err != nil {
				return nil, err
			}
			if !ft.static {
				t.static = false
			}
			t.fields = append(t.fields, templateField{key: k, t: ft})
		}
		t.value = x
		return t, nil
	case []any:
		t := &template{static: true, isArray: true, value: x}
		for _, e := range x {
			et, err := compileTemplate(e, where)
			if err != nil {
				return nil, err
			}
			if !et.static {
				t.static = false
			}
			t.items = append(t.items, et)
		}
		return t, nil
	default:
		return &template{static: true, value: v}, nil
	}
}

// eval builds the payload; path and intrinsic failures are States.Runtime.
func (t *template) eval(env *evalEnv) (any, error) {
	if t.static {
		return t.value, nil
	}
	switch {
	case t.path != nil:
		v, ok := env.resolve(t.path)
		if !ok {
			return nil, fmt.Errorf("the JSONPath %s could not be found in the input", t.path)
		}
		return v, nil
	case t.call != nil:
		return t.call.eval(env)
	case t.isArray:
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	out := make(map[string]any, len(t.fields))
	for _, f := range t.fields {
		v, err := f.t.eval(env)
		if err != nil {
			if f.t.path != nil || f.t.call != nil {
				return nil, fmt.Errorf("field %q: %w", f.key+".$", err)
			}
			return nil, err
		}
		out[f.key] = v
	}
	return out, nil
}
