package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// pathSeg is one step of a reference path: an object key or an array index.
type pathSeg struct {
	key     string
	index   int
	isIndex bool
}

// path is a parsed reference path: `$`, `$.a.b`, `$.a[0]`, `$['x']`, or the
// same rooted at the context object (`$$...`).
type path struct {
	raw     string
	context bool // rooted at $$ (the context object)
	segs    []pathSeg
}

// parsePath parses the JSONPath subset ASL reference paths use.
func parsePath(s string) (*path, error) {
	p := &path{raw: s}
	rest := s
	switch {
	case strings.HasPrefix(s, "$$"):
		p.context = true
		rest = s[2:]
	case strings.HasPrefix(s, "$"):
		rest = s[1:]
	default:
		return nil, fmt.Errorf("invalid path %q: must start with $", s)
	}
	for len(rest) > 0 {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			n := 0
			for n < len(rest) && rest[n] != '.' && rest[n] != '[' {
				n++
			}
			if n == 0 {
				return nil, fmt.Errorf("invalid path %q: empty field name", s)
			}
			key := rest[:n]
			if strings.ContainsAny(key, "*]'\"()?@ ") {
				return nil, fmt.Errorf("invalid path %q: unsupported field %q", s, key)
			}
			p.segs = append(p.segs, pathSeg{key: key})
			rest = rest[n:]
		case '[':
			end := -1
			if len(rest) > 1 && rest[1] == '\'' {
				// quoted field name: ['x'] with \' escapes
				var b strings.Builder
				i := 2
				for ; i < len(rest); i++ {
					if rest[i] == '\\' && i+1 < len(rest) {
						b.WriteByte(rest[i+1])
						i++
						continue
					}
					if rest[i] == '\'' {
						break
					}
					b.WriteByte(rest[i])
				}
				if i+1 >= len(rest) || rest[i] != '\'' || rest[i+1] != ']' {
					return nil, fmt.Errorf("invalid path %q: unterminated ['...']", s)
				}
				p.segs = append(p.segs, pathSeg{key: b.String()})
				rest = rest[i+2:]
				continue
			}
			end = strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("invalid path %q: missing ]", s)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("invalid path %q: unsupported index %q", s, rest[1:end])
			}
			p.segs = append(p.segs, pathSeg{index: n, isIndex: true})
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("invalid path %q: unexpected %q", s, rest[:1])
		}
	}
	return p, nil
}

func (p *path) String() string { return p.raw }

// get follows the path from root; ok is false when a step does not exist.
func (p *path) get(root any) (any, bool) {
	v := root
	for _, s := range p.segs {
		if s.isIndex {
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false
			}
			v = arr[s.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = obj[s.key]
		if !ok {
			return nil, false
		}
	}
	return v, true
}

// set returns a copy of root with value placed at the path, creating missing
// objects on the way. Values are never modified in place: every container on
// the way is copied (copy-on-write), so earlier values stay valid.
func (p *path) set(root any, value any) (any, error) {
	return setSegs(root, p.segs, value, p.raw)
}

func setSegs(v any, segs []pathSeg, value any, raw string) (any, error) {
	if len(segs) == 0 {
		return value, nil
	}
	s := segs[0]
	if s.isIndex {
		arr, ok := v.([]any)
		if !ok || s.index >= len(arr) {
			return nil, fmt.Errorf("ResultPath %q does not match the input: no array element %d", raw, s.index)
		}
		child, err := setSegs(arr[s.index], segs[1:], value, raw)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(arr))
		copy(out, arr)
		out[s.index] = child
		return out, nil
	}
	var obj map[string]any
	switch t := v.(type) {
	case map[string]any:
		obj = t
	case nil:
		obj = nil
	default:
		return nil, fmt.Errorf("ResultPath %q does not match the input: %q is not inside an object", raw, s.key)
	}
	child, err := setSegs(obj[s.key], segs[1:], value, raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(obj)+1)
	for k, x := range obj {
		out[k] = x
	}
	out[s.key] = child
	return out, nil
}

// decodeJSON decodes JSON keeping numbers exact (json.Number).
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

// encodeJSON encodes v compactly without HTML escaping, as Step Functions does.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// mustJSON encodes values that are known to be encodable (decoded JSON).
func mustJSON(v any) json.RawMessage {
	b, err := encodeJSON(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

// toNumber returns v as float64 if it is a JSON number.
func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// toInt returns v as an integer if it is an integral JSON number.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		if err == nil && f == float64(int64(f)) {
			return int64(f), true
		}
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

func intValue(i int64) any { return json.Number(strconv.FormatInt(i, 10)) }

// deepEqual compares two decoded JSON values, numbers by value.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !deepEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !deepEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	if fa, ok := toNumber(a); ok {
		fb, ok := toNumber(b)
		return ok && fa == fb
	}
	return false
}
