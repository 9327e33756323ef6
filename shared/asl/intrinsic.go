package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"strings"
	"unicode/utf8"
)

// call is a parsed intrinsic function call such as
// States.Format('x={}', $.x) or States.ArrayLength(States.Array(1, 2)).
type call struct {
	name string
	args []arg
	spec *intrinsicSpec
}

// arg is one argument: a literal, a path, or a nested call.
type arg struct {
	lit    any
	rawStr string // the literal's text as written (escapes kept), for Format
	isStr  bool
	path   *path
	call   *call
}

// evalEnv is what paths inside templates and intrinsics resolve against.
type evalEnv struct {
	input any
	ctx   func() any // the context object, built on demand
	rt    *runtimeEnv
}

func (e *evalEnv) resolve(p *path) (any, bool) {
	if p.context {
		if e.ctx == nil {
			return nil, false
		}
		return p.get(e.ctx())
	}
	return p.get(e.input)
}

type intrinsicSpec struct {
	min, max int // max < 0: variadic
	fn       func(env *evalEnv, c *call, args []any) (any, error)
}

var intrinsics map[string]*intrinsicSpec

func init() {
	intrinsics = map[string]*intrinsicSpec{
		"States.Format":         {1, -1, fnFormat},
		"States.StringToJson":   {1, 1, fnStringToJSON},
		"States.JsonToString":   {1, 1, fnJSONToString},
		"States.Array":          {0, -1, fnArray},
		"States.ArrayPartition": {2, 2, fnArrayPartition},
		"States.ArrayContains":  {2, 2, fnArrayContains},
		"States.ArrayRange":     {3, 3, fnArrayRange},
		"States.ArrayGetItem":   {2, 2, fnArrayGetItem},
		"States.ArrayLength":    {1, 1, fnArrayLength},
		"States.ArrayUnique":    {1, 1, fnArrayUnique},
		"States.Base64Encode":   {1, 1, fnBase64Encode},
		"States.Base64Decode":   {1, 1, fnBase64Decode},
		"States.Hash":           {2, 2, fnHash},
		"States.JsonMerge":      {3, 3, fnJSONMerge},
		"States.MathRandom":     {2, 3, fnMathRandom},
		"States.MathAdd":        {2, 2, fnMathAdd},
		"States.StringSplit":    {2, 2, fnStringSplit},
		"States.UUID":           {0, 0, fnUUID},
	}
}

// isIntrinsic reports whether s looks like an intrinsic call rather than a path.
func isIntrinsic(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

// parseIntrinsic parses and validates an intrinsic call expression.
func parseIntrinsic(s string) (*call, error) {
	p := &intrinsicParser{src: s}
	c, err := p.parseCall()
	if err != nil {
		return nil, fmt.Errorf("intrinsic %q: %w", s, err)
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("intrinsic %q: unexpected text %q after the call", s, p.src[p.pos:])
	}
	return c, nil
}

type intrinsicParser struct {
	src string
	pos int
}

func (p *intrinsicParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n') {
		p.pos++
	}
}

func (p *intrinsicParser) parseCall() (*call, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != '(' && p.src[p.pos] != ' ' {
		p.pos++
	}
	name := p.src[start:p.pos]
	spec, ok := intrinsics[name]
	if !ok {
		return nil, fmt.Errorf("unknown intrinsic function %q", name)
	}
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, fmt.Errorf("%s: missing (", name)
	}
	p.pos++
	c := &call{name: name, spec: spec}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			a, err := p.parseArg()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			c.args = append(c.args, a)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, fmt.Errorf("%s: missing )", name)
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			if p.src[p.pos] != ',' {
				return nil, fmt.Errorf("%s: expected , or ) at %q", name, p.src[p.pos:])
			}
			p.pos++
		}
	}
	if len(c.args) < spec.min || (spec.max >= 0 && len(c.args) > spec.max) {
		return nil, fmt.Errorf("%s: wrong number of arguments (%d)", name, len(c.args))
	}
	if name == "States.Format" && c.args[0].isStr {
		if n := countPlaceholders(c.args[0].rawStr); n != len(c.args)-1 {
			return nil, fmt.Errorf("States.Format: %d placeholders but %d arguments", n, len(c.args)-1)
		}
	}
	return c, nil
}

func (p *intrinsicParser) parseArg() (arg, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return arg{}, fmt.Errorf("missing argument")
	}
	rest := p.src[p.pos:]
	switch {
	case rest[0] == '\'':
		var raw strings.Builder
		var val strings.Builder
		i := 1
		for ; i < len(rest); i++ {
			ch := rest[i]
			if ch == '\\' && i+1 < len(rest) {
				raw.WriteByte(ch)
				raw.WriteByte(rest[i+1])
				val.WriteByte(rest[i+1])
				i++
				continue
			}
			if ch == '\'' {
				break
			}
			raw.WriteByte(ch)
			val.WriteByte(ch)
		}
		if i >= len(rest) {
			return arg{}, fmt.Errorf("unterminated string literal")
		}
		p.pos += i + 1
		return arg{lit: val.String(), rawStr: raw.String(), isStr: true}, nil
	case rest[0] == '$':
		n := 0
		inQuote := false
		for n < len(rest) {
			ch := rest[n]
			if ch == '\'' {
				inQuote = !inQuote
			} else if !inQuote && (ch == ',' || ch == ')' || ch == ' ') {
				break
			}
			n++
		}
		pp, err := parsePath(rest[:n])
		if err != nil {
			return arg{}, err
		}
		p.pos += n
		return arg{path: pp}, nil
	case strings.HasPrefix(rest, "States."):
		c, err := p.parseCall()
		if err != nil {
			return arg{}, err
		}
		return arg{call: c}, nil
	default:
		n := 0
		for n < len(rest) && rest[n] != ',' && rest[n] != ')' && rest[n] != ' ' {
			n++
		}
		tok := rest[:n]
		v, err := decodeJSON([]byte(tok))
		if err != nil || tok == "" {
			return arg{}, fmt.Errorf("bad argument %q", tok)
		}
		switch v.(type) {
		case json.Number, bool, nil:
		default:
			return arg{}, fmt.Errorf("bad argument %q", tok)
		}
		p.pos += n
		return arg{lit: v}, nil
	}
}

// countPlaceholders counts unescaped {} pairs in a Format template.
func countPlaceholders(raw string) int {
	n := 0
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' {
			i++
			continue
		}
		if raw[i] == '{' && i+1 < len(raw) && raw[i+1] == '}' {
			n++
			i++
		}
	}
	return n
}

// eval evaluates the call; errors are States.Runtime failures.
func (c *call) eval(env *evalEnv) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.call != nil:
			v, err := a.call.eval(env)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case a.path != nil:
			v, ok := env.resolve(a.path)
			if !ok {
				return nil, fmt.Errorf("%s: path %s not found in the input", c.name, a.path)
			}
			args[i] = v
		default:
			args[i] = a.lit
		}
	}
	v, err := c.spec.fn(env, c, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return v, nil
}

func fnFormat(_ *evalEnv, c *call, args []any) (any, error) {
	var raw string
	if c.args[0].isStr {
		raw = c.args[0].rawStr
	} else {
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("the template must be a string")
		}
		raw = s
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		if ch == '\\' && i+1 < len(raw) {
			b.WriteByte(raw[i+1])
			i++
			continue
		}
		if ch == '{' && i+1 < len(raw) && raw[i+1] == '}' {
			if next >= len(args) {
				return nil, fmt.Errorf("more placeholders than arguments")
			}
			switch v := args[next].(type) {
			case string:
				b.WriteString(v)
			default:
				enc, err := encodeJSON(v)
				if err != nil {
					return nil, err
				}
				b.Write(enc)
			}
			next++
			i++
			continue
		}
		b.WriteByte(ch)
	}
	if next != len(args) {
		return nil, fmt.Errorf("%d arguments but %d placeholders", len(args)-1, next-1)
	}
	return b.String(), nil
}

func fnStringToJSON(_ *evalEnv, _ *call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("argument must be a string")
	}
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return v, nil
}

func fnJSONToString(_ *evalEnv, _ *call, args []any) (any, error) {
	b, err := encodeJSON(args[0])
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func fnArray(_ *evalEnv, _ *call, args []any) (any, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func argArray(v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("argument must be an array")
	}
	return a, nil
}

func argInt(v any, what string) (int64, error) {
	i, ok := toInt(v)
	if !ok {
		return 0, fmt.Errorf("%s must be an integer", what)
	}
	return i, nil
}

func fnArrayPartition(_ *evalEnv, _ *call, args []any) (any, error) {
	a, err := argArray(args[0])
	if err != nil {
		return nil, err
	}
	n, err := argInt(args[1], "chunk size")
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fmt.Errorf("chunk size must be positive")
	}
	out := []any{}
	for i := 0; i < len(a); i += int(n) {
		end := min(i+int(n), len(a))
		chunk := make([]any, end-i)
		copy(chunk, a[i:end])
		out = append(out, chunk)
	}
	return out, nil
}

func fnArrayContains(_ *evalEnv, _ *call, args []any) (any, error) {
	a, err := argArray(args[0])
	if err != nil {
		return nil, err
	}
	for _, v := range a {
		if deepEqual(v, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// maxArrayRange is the largest array States.ArrayRange may build (AWS: 1000).
const maxArrayRange = 1000

func fnArrayRange(_ *evalEnv, _ *call, args []any) (any, error) {
	var n [3]int64
	for i, what := range []string{"start", "end", "step"} {
		v, err := argInt(args[i], what)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, fmt.Errorf("step must not be 0")
	}
	out := []any{}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) >= maxArrayRange {
			return nil, fmt.Errorf("the range has more than %d items", maxArrayRange)
		}
		out = append(out, intValue(v))
	}
	return out, nil
}

func fnArrayGetItem(_ *evalEnv, _ *call, args []any) (any, error) {
	a, err := argArray(args[0])
	if err != nil {
		return nil, err
	}
	i, err := argInt(args[1], "index")
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fmt.Errorf("index %d out of bounds (length %d)", i, len(a))
	}
	return a[i], nil
}

func fnArrayLength(_ *evalEnv, _ *call, args []any) (any, error) {
	a, err := argArray(args[0])
	if err != nil {
		return nil, err
	}
	return intValue(int64(len(a))), nil
}

func fnArrayUnique(_ *evalEnv, _ *call, args []any) (any, error) {
	a, err := argArray(args[0])
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, v := range a {
		dup := false
		for _, w := range out {
			if deepEqual(v, w) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out, nil
}

// maxBase64Input is the limit AWS puts on Base64Encode/Decode inputs.
const maxBase64Input = 10000

func fnBase64Encode(_ *evalEnv, _ *call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("argument must be a string")
	}
	if len(s) > maxBase64Input {
		return nil, fmt.Errorf("input longer than %d characters", maxBase64Input)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(_ *evalEnv, _ *call, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("argument must be a string")
	}
	if len(s) > maxBase64Input {
		return nil, fmt.Errorf("input longer than %d characters", maxBase64Input)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid base64: %w", err)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("decoded data is not UTF-8 text")
	}
	return string(b), nil
}

func fnHash(_ *evalEnv, _ *call, args []any) (any, error) {
	var data string
	switch v := args[0].(type) {
	case string:
		data = v
	default:
		b, err := encodeJSON(v)
		if err != nil {
			return nil, err
		}
		data = string(b)
	}
	alg, _ := args[1].(string)
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unsupported algorithm %q (MD5, SHA-1, SHA-256, SHA-384, SHA-512)", alg)
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(_ *evalEnv, _ *call, args []any) (any, error) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("both arguments must be objects")
	}
	if deep, _ := args[2].(bool); deep {
		return nil, fmt.Errorf("deep merge is not supported (the third argument must be false)")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

func fnMathRandom(env *evalEnv, _ *call, args []any) (any, error) {
	start, err := argInt(args[0], "start")
	if err != nil {
		return nil, err
	}
	end, err := argInt(args[1], "end")
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, fmt.Errorf("end must be greater than start")
	}
	var r float64
	if len(args) == 3 {
		seed, err := argInt(args[2], "seed")
		if err != nil {
			return nil, err
		}
		r = seededFloat(seed)
	} else {
		r = env.rt.random()
	}
	return intValue(start + int64(math.Floor(r*float64(end-start)))), nil
}

// seededFloat is a deterministic value in [0,1) for a MathRandom seed.
func seededFloat(seed int64) float64 {
	x := uint64(seed) + 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	x ^= x >> 31
	return float64(x>>11) / float64(1<<53)
}

func fnMathAdd(_ *evalEnv, _ *call, args []any) (any, error) {
	a, err := argInt(args[0], "first argument")
	if err != nil {
		return nil, err
	}
	b, err := argInt(args[1], "second argument")
	if err != nil {
		return nil, err
	}
	return intValue(a + b), nil
}

func fnStringSplit(_ *evalEnv, _ *call, args []any) (any, error) {
	s, ok1 := args[0].(string)
	d, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("both arguments must be strings")
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) })
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnUUID(env *evalEnv, _ *call, _ []any) (any, error) {
	return env.rt.uuid(), nil
}
