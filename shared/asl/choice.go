package asl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// choiceRule is one Choice rule: a comparison, a boolean combination, or
// (at the top level) either of those plus Next.
type choiceRule struct {
	next     string
	variable *path
	op       string // comparison operator without the Path suffix, or And/Or/Not
	operand  any    // literal operand
	opPath   *path  // operand path for the *Path forms
	rules    []*choiceRule
}

var comparisonOps = map[string]bool{
	"StringEquals": true, "StringLessThan": true, "StringGreaterThan": true,
	"StringLessThanEquals": true, "StringGreaterThanEquals": true, "StringMatches": true,
	"NumericEquals": true, "NumericLessThan": true, "NumericGreaterThan": true,
	"NumericLessThanEquals": true, "NumericGreaterThanEquals": true,
	"BooleanEquals":   true,
	"TimestampEquals": true, "TimestampLessThan": true, "TimestampGreaterThan": true,
	"TimestampLessThanEquals": true, "TimestampGreaterThanEquals": true,
	"IsNull": true, "IsPresent": true, "IsNumeric": true, "IsString": true,
	"IsBoolean": true, "IsTimestamp": true,
}

// parseChoiceRule compiles a rule; top says whether Next is required.
func parseChoiceRule(raw json.RawMessage, top bool) (*choiceRule, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("choice rule is not an object: %w", err)
	}
	r := &choiceRule{}
	var ops []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		switch k {
		case "Next":
			if !top {
				return nil, fmt.Errorf("nested choice rule must not have Next")
			}
			if err := json.Unmarshal(v, &r.next); err != nil {
				return nil, fmt.Errorf("Next must be a string")
			}
		case "Comment":
		case "Variable":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("Variable must be a string")
			}
			p, err := parsePath(s)
			if err != nil {
				return nil, fmt.Errorf("Variable: %w", err)
			}
			r.variable = p
		case "And", "Or":
			var subs []json.RawMessage
			if err := json.Unmarshal(v, &subs); err != nil || len(subs) == 0 {
				return nil, fmt.Errorf("%s must be a non-empty array of rules", k)
			}
			for i, s := range subs {
				sr, err := parseChoiceRule(s, false)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: %w", k, i, err)
				}
				r.rules = append(r.rules, sr)
			}
			ops = append(ops, k)
		case "Not":
			sr, err := parseChoiceRule(v, false)
			if err != nil {
				return nil, fmt.Errorf("Not: %w", err)
			}
			r.rules = []*choiceRule{sr}
			ops = append(ops, k)
		default:
			base, isPath := strings.CutSuffix(k, "Path")
			if isPath && comparisonOps[base] && base != "StringMatches" && !strings.HasPrefix(base, "Is") {
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, fmt.Errorf("%s must be a path string", k)
				}
				p, err := parsePath(s)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				r.opPath = p
				r.op = base
				ops = append(ops, k)
				continue
			}
			if !comparisonOps[k] {
				return nil, fmt.Errorf("unknown choice rule field %q", k)
			}
			val, err := decodeJSON(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if err := checkOperand(k, val); err != nil {
				return nil, err
			}
			r.op = k
			r.operand = val
			ops = append(ops, k)
		}
	}
	if len(ops) != 1 {
		return nil, fmt.Errorf("a choice rule needs exactly one operator, found %v", ops)
	}
	if top && r.next == "" {
		return nil, fmt.Errorf("choice rule has no Next")
	}
	isBool := ops[0] == "And" || ops[0] == "Or" || ops[0] == "Not"
	if isBool && r.variable != nil {
		return nil, fmt.Errorf("%s rule must not have a Variable", ops[0])
	}
	if isBool {
		r.op = ops[0]
	} else if r.variable == nil {
		return nil, fmt.Errorf("%s rule has no Variable", ops[0])
	}
	return r, nil
}

func checkOperand(op string, v any) error {
	switch {
	case strings.HasPrefix(op, "String"), strings.HasPrefix(op, "Timestamp"):
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s needs a string operand", op)
		}
		if strings.HasPrefix(op, "Timestamp") {
			if _, ok := parseTimestamp(s); !ok {
				return fmt.Errorf("%s: %q is not an RFC3339 timestamp", op, s)
			}
		}
	case strings.HasPrefix(op, "Numeric"):
		if _, ok := toNumber(v); !ok {
			return fmt.Errorf("%s needs a numeric operand", op)
		}
	case op == "BooleanEquals", strings.HasPrefix(op, "Is"):
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s needs a boolean operand", op)
		}
	}
	return nil
}

// parseTimestamp accepts RFC3339 timestamps as Step Functions does
// (upper-case T and an explicit offset or Z).
func parseTimestamp(s string) (time.Time, bool) {
	if !strings.Contains(s, "T") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// eval evaluates the rule against the state input.
func (r *choiceRule) eval(env *evalEnv) (bool, error) {
	switch r.op {
	case "And":
		for _, s := range r.rules {
			ok, err := s.eval(env)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, s := range r.rules {
			ok, err := s.eval(env)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.rules[0].eval(env)
		return !ok, err
	}
	v, present := env.resolve(r.variable)
	if r.op == "IsPresent" {
		return present == r.operand.(bool), nil
	}
	if !present {
		return false, fmt.Errorf("invalid path %s: the choice state's condition path references an invalid value", r.variable)
	}
	switch r.op {
	case "IsNull":
		return (v == nil) == r.operand.(bool), nil
	case "IsNumeric":
		_, isNum := toNumber(v)
		return isNum == r.operand.(bool), nil
	case "IsString":
		_, isStr := v.(string)
		return isStr == r.operand.(bool), nil
	case "IsBoolean":
		_, isBool := v.(bool)
		return isBool == r.operand.(bool), nil
	case "IsTimestamp":
		s, isStr := v.(string)
		isTS := false
		if isStr {
			_, isTS = parseTimestamp(s)
		}
		return isTS == r.operand.(bool), nil
	}
	operand := r.operand
	if r.opPath != nil {
		w, ok := env.resolve(r.opPath)
		if !ok {
			return false, fmt.Errorf("invalid path %s: the choice state's condition path references an invalid value", r.opPath)
		}
		operand = w
	}
	return compare(r.op, v, operand), nil
}

// compare applies a comparison operator; mismatched types are false.
func compare(op string, v, operand any) bool {
	switch {
	case op == "StringMatches":
		s, ok1 := v.(string)
		pat, ok2 := operand.(string)
		return ok1 && ok2 && stringMatches(s, pat)
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		return cmpResult(op[len("String"):], strings.Compare(a, b))
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := toNumber(v)
		b, ok2 := toNumber(operand)
		if !ok1 || !ok2 {
			return false
		}
		c := 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
		return cmpResult(op[len("Numeric"):], c)
	case op == "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case strings.HasPrefix(op, "Timestamp"):
		as, ok1 := v.(string)
		bs, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		a, ok1 := parseTimestamp(as)
		b, ok2 := parseTimestamp(bs)
		if !ok1 || !ok2 {
			return false
		}
		return cmpResult(op[len("Timestamp"):], a.Compare(b))
	}
	return false
}

func cmpResult(kind string, c int) bool {
	switch kind {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// stringMatches implements StringMatches: * matches any run of characters,
// \* is a literal star and \\ a literal backslash.
func stringMatches(s, pat string) bool {
	// Convert the pattern to tokens: literal runes and stars.
	type tok struct {
		star bool
		r    rune
	}
	var toks []tok
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) {
			toks = append(toks, tok{r: rs[i+1]})
			i++
			continue
		}
		toks = append(toks, tok{star: rs[i] == '*', r: rs[i]})
	}
	str := []rune(s)
	// Iterative wildcard matching with backtracking to the last star.
	si, ti := 0, 0
	starTi, starSi := -1, 0
	for si < len(str) {
		if ti < len(toks) && !toks[ti].star && toks[ti].r == str[si] {
			si++
			ti++
		} else if ti < len(toks) && toks[ti].star {
			starTi, starSi = ti, si
			ti++
		} else if starTi >= 0 {
			ti = starTi + 1
			starSi++
			si = starSi
		} else {
			return false
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}
