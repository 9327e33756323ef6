package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Definition is a parsed and validated state machine.
type Definition struct {
	// Name is the state machine name used in ARNs and $$.StateMachine.
	Name string

	raw            json.RawMessage
	root           *machine
	timeoutSeconds int64
}

// Raw returns the definition JSON as it was parsed.
func (d *Definition) Raw() json.RawMessage { return d.raw }

// machine is one set of states: the top level, a Parallel branch, or a Map
// item processor.
type machine struct {
	startAt string
	states  map[string]*state
}

// pathSpec is an InputPath/OutputPath/ResultPath: a path, or JSON null.
// The zero value is the default "$".
type pathSpec struct {
	p    *path
	null bool
}

type state struct {
	name, typ  string
	next       string
	end        bool
	inputPath  pathSpec
	outputPath pathSpec
	resultPath pathSpec

	parameters     *template
	resultSelector *template
	result         any
	hasResult      bool

	// Task
	resource         string
	timeoutSeconds   int64
	heartbeatSeconds int64
	timeoutPath      *path
	heartbeatPath    *path
	retry            []*retrier
	catch            []*catcher

	// Choice
	choices []*choiceRule
	deflt   string

	// Wait
	seconds       int64
	hasSeconds    bool
	timestamp     time.Time
	hasTimestamp  bool
	secondsPath   *path
	timestampPath *path

	// Fail
	errName, cause       string
	errorExpr, causeExpr *template // ErrorPath / CausePath (path or intrinsic)

	// Parallel
	branches []*machine

	// Map
	mp *mapSpec
}

type retrier struct {
	errors      []string
	interval    float64
	maxAttempts int
	backoff     float64
	maxDelay    float64
	jitterFull  bool
}

type catcher struct {
	errors     []string
	next       string
	resultPath pathSpec
}

type mapSpec struct {
	itemsPath          *path
	itemSelector       *template
	processor          *machine
	distributed        bool
	maxConcurrency     int64
	maxConcurrencyPath *path
	toleratedCount     int64
	toleratedPct       float64
	toleratedCountPath *path
	toleratedPctPath   *path
	hasTolerance       bool
	hasCount, hasPct   bool
	label              string
	reader             *itemReader
	batcher            *itemBatcher
	writer             *resultWriter
}

type itemReader struct {
	resource     string
	params       *template
	inputType    string // JSON, JSONL, CSV, or "" for listObjectsV2
	headerFirst  bool
	headers      []string
	maxItems     int64
	maxItemsPath *path
}

type itemBatcher struct {
	maxItems      int64
	maxBytes      int64
	maxItemsPath  *path
	maxBytesPath  *path
	batchInput    *template
	hasBatchInput bool
}

type resultWriter struct {
	resource       string
	params         *template
	transformation string // NONE, COMPACT, FLATTEN
	outputType     string // JSON, JSONL
}

// ParseFile reads and parses a definition file; the state machine name
// defaults to the file name without .asl.json.
func ParseFile(name string) (*Definition, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read state machine: %w", err)
	}
	d, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	base := name[strings.LastIndexByte(name, '/')+1:]
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".json"), ".asl")
	d.Name = base
	return d, nil
}

// Parse parses and validates an Amazon States Language definition. Every
// problem found is reported, each naming its state.
func Parse(data []byte) (*Definition, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("definition is not a JSON object: %w", err)
	}
	p := &parser{}
	o := p.obj(top, "definition", "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage")
	if ql, ok := o.str("QueryLanguage"); ok && ql != "JSONPath" {
		p.errf("definition: QueryLanguage %q is not supported (only JSONPath)", ql)
	}
	d := &Definition{Name: "StateMachine", raw: append(json.RawMessage(nil), data...)}
	d.timeoutSeconds, _ = o.posInt("TimeoutSeconds")
	d.root = p.machine(top, "")
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return d, nil
}

type parser struct {
	errs []error
}

func (p *parser) errf(format string, a ...any) {
	p.errs = append(p.errs, fmt.Errorf(format, a...))
}

// rawObj is a JSON object being read field by field.
type rawObj struct {
	p     *parser
	m     map[string]json.RawMessage
	where string
}

func (p *parser) obj(m map[string]json.RawMessage, where string, allowed ...string) *rawObj {
	ok := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		ok[a] = true
	}
	var unknown []string
	for k := range m {
		if !ok[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.errf("%s: unknown field %q", where, k)
	}
	return &rawObj{p: p, m: m, where: where}
}

func (o *rawObj) has(name string) bool { _, ok := o.m[name]; return ok }

func (o *rawObj) isNull(name string) bool {
	v, ok := o.m[name]
	return ok && strings.TrimSpace(string(v)) == "null"
}

func (o *rawObj) str(name string) (string, bool) {
	v, ok := o.m[name]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		o.p.errf("%s: %s must be a string", o.where, name)
		return "", false
	}
	return s, true
}

func (o *rawObj) boolean(name string) bool {
	v, ok := o.m[name]
	if !ok {
		return false
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		o.p.errf("%s: %s must be a boolean", o.where, name)
	}
	return b
}

func (o *rawObj) posInt(name string) (int64, bool) {
	v, ok := o.m[name]
	if !ok {
		return 0, false
	}
	var n int64
	if err := json.Unmarshal(v, &n); err != nil || n < 0 {
		o.p.errf("%s: %s must be a non-negative integer", o.where, name)
		return 0, false
	}
	return n, true
}

func (o *rawObj) number(name string) (float64, bool) {
	v, ok := o.m[name]
	if !ok {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		o.p.errf("%s: %s must be a number", o.where, name)
		return 0, false
	}
	return f, true
}

func (o *rawObj) path(name string) *path {
	s, ok := o.str(name)
	if !ok {
		return nil
	}
	pp, err := parsePath(s)
	if err != nil {
		o.p.errf("%s: %s: %v", o.where, name, err)
		return nil
	}
	return pp
}

func (o *rawObj) pathSpec(name string) pathSpec {
	if o.isNull(name) {
		return pathSpec{null: true}
	}
	return pathSpec{p: o.path(name)}
}

func (o *rawObj) template(name string) *template {
	v, ok := o.m[name]
	if !ok {
		return nil
	}
	val, err := decodeJSON(v)
	if err != nil {
		o.p.errf("%s: %s: %v", o.where, name, err)
		return nil
	}
	t, err := compileTemplate(val, o.where+": "+name)
	if err != nil {
		o.p.errs = append(o.p.errs, err)
		return nil
	}
	return t
}

func (o *rawObj) object(name string) map[string]json.RawMessage {
	v, ok := o.m[name]
	if !ok {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || m == nil {
		o.p.errf("%s: %s must be an object", o.where, name)
		return nil
	}
	return m
}

// machine parses StartAt + States and checks the graph. prefix names the
// enclosing state for error messages.
func (p *parser) machine(m map[string]json.RawMessage, prefix string) *machine {
	where := "definition"
	if prefix != "" {
		where = prefix
	}
	o := &rawObj{p: p, m: m, where: where}
	mc := &machine{states: map[string]*state{}}
	start, ok := o.str("StartAt")
	if !ok {
		p.errf("%s: missing StartAt", where)
	}
	mc.startAt = start
	statesRaw := o.object("States")
	if len(statesRaw) == 0 {
		p.errf("%s: States must be a non-empty object", where)
		return mc
	}
	names := make([]string, 0, len(statesRaw))
	for n := range statesRaw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if len(n) > 80 {
			p.errf("state %q: name longer than 80 characters", n)
		}
		mc.states[n] = p.state(n, statesRaw[n], prefix)
	}
	if start != "" && mc.states[start] == nil {
		p.errf("%s: StartAt %q is not a state", where, start)
		return mc
	}
	// Every transition must name a state, and every state must be reachable.
	stateWhere := func(n string) string {
		if prefix == "" {
			return fmt.Sprintf("state %q", n)
		}
		return fmt.Sprintf("%s: state %q", prefix, n)
	}
	reach := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if reach[n] {
			return
		}
		reach[n] = true
		st := mc.states[n]
		if st == nil {
			return
		}
		for _, t := range st.targets() {
			if mc.states[t] == nil {
				p.errf("%s: transition to unknown state %q", stateWhere(n), t)
				continue
			}
			visit(t)
		}
	}
	if start != "" {
		visit(start)
	}
	for _, n := range names {
		if !reach[n] {
			p.errf("%s: unreachable from StartAt", stateWhere(n))
		}
	}
	return mc
}

func (s *state) targets() []string {
	var t []string
	if s.next != "" {
		t = append(t, s.next)
	}
	for _, c := range s.choices {
		t = append(t, c.next)
	}
	if s.deflt != "" {
		t = append(t, s.deflt)
	}
	for _, c := range s.catch {
		t = append(t, c.next)
	}
	return t
}

var stateFields = map[string][]string{
	"Pass":     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	"Task":     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch", "Credentials"},
	"Choice":   {"InputPath", "OutputPath", "Choices", "Default"},
	"Wait":     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
	"Succeed":  {"InputPath", "OutputPath"},
	"Fail":     {"Error", "Cause", "ErrorPath", "CausePath"},
	"Parallel": {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Branches", "Retry", "Catch"},
	"Map": {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ItemSelector", "ResultSelector",
		"Iterator", "ItemProcessor", "ItemsPath", "MaxConcurrency", "MaxConcurrencyPath", "ItemReader", "ItemBatcher",
		"ResultWriter", "ToleratedFailureCount", "ToleratedFailurePercentage", "ToleratedFailureCountPath",
		"ToleratedFailurePercentagePath", "Label", "Retry", "Catch"},
}

func (p *parser) state(name string, raw json.RawMessage, prefix string) *state {
	where := fmt.Sprintf("state %q", name)
	if prefix != "" {
		where = fmt.Sprintf("%s: state %q", prefix, name)
	}
	st := &state{name: name}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		p.errf("%s: must be an object", where)
		return st
	}
	typ, _ := (&rawObj{p: p, m: m, where: where}).str("Type")
	allowed, ok := stateFields[typ]
	if !ok {
		p.errf("%s: unknown Type %q", where, typ)
		return st
	}
	st.typ = typ
	o := p.obj(m, where, append([]string{"Type", "Comment"}, allowed...)...)

	// Transitions: Choice, Succeed and Fail are terminal by nature.
	switch typ {
	case "Choice", "Succeed", "Fail":
	default:
		st.next, _ = o.str("Next")
		st.end = o.boolean("End")
		if (st.next == "") == !st.end {
			p.errf("%s: exactly one of Next or End must be set", where)
		}
	}
	st.inputPath = o.pathSpec("InputPath")
	st.outputPath = o.pathSpec("OutputPath")
	st.resultPath = o.pathSpec("ResultPath")
	st.parameters = o.template("Parameters")
	st.resultSelector = o.template("ResultSelector")

	switch typ {
	case "Pass":
		if v, ok := m["Result"]; ok {
			val, err := decodeJSON(v)
			if err != nil {
				p.errf("%s: Result: %v", where, err)
			}
			st.result, st.hasResult = val, true
		}
	case "Task":
		p.task(st, o, where)
	case "Choice":
		var rules []json.RawMessage
		if v, ok := m["Choices"]; !ok || json.Unmarshal(v, &rules) != nil || len(rules) == 0 {
			p.errf("%s: Choices must be a non-empty array", where)
		}
		for i, r := range rules {
			cr, err := parseChoiceRule(r, true)
			if err != nil {
				p.errf("%s: Choices[%d]: %v", where, i, err)
				continue
			}
			st.choices = append(st.choices, cr)
		}
		st.deflt, _ = o.str("Default")
	case "Wait":
		n := 0
		if v, ok := o.posInt("Seconds"); ok {
			st.seconds, st.hasSeconds = v, true
			n++
		}
		if s, ok := o.str("Timestamp"); ok {
			t, valid := parseTimestamp(s)
			if !valid {
				p.errf("%s: Timestamp %q is not RFC3339", where, s)
			}
			st.timestamp, st.hasTimestamp = t, true
			n++
		}
		if o.has("SecondsPath") {
			st.secondsPath = o.path("SecondsPath")
			n++
		}
		if o.has("TimestampPath") {
			st.timestampPath = o.path("TimestampPath")
			n++
		}
		if n != 1 {
			p.errf("%s: exactly one of Seconds, Timestamp, SecondsPath or TimestampPath must be set", where)
		}
	case "Fail":
		st.errName, _ = o.str("Error")
		st.cause, _ = o.str("Cause")
		st.errorExpr = p.pathOrIntrinsic(o, "ErrorPath")
		st.causeExpr = p.pathOrIntrinsic(o, "CausePath")
		if o.has("Error") && o.has("ErrorPath") {
			p.errf("%s: Error and ErrorPath are exclusive", where)
		}
		if o.has("Cause") && o.has("CausePath") {
			p.errf("%s: Cause and CausePath are exclusive", where)
		}
	case "Parallel":
		var branches []map[string]json.RawMessage
		if v, ok := m["Branches"]; !ok || json.Unmarshal(v, &branches) != nil || len(branches) == 0 {
			p.errf("%s: Branches must be a non-empty array", where)
		}
		for i, b := range branches {
			bw := fmt.Sprintf("%s: Branches[%d]", where, i)
			p.obj(b, bw, "StartAt", "States", "Comment")
			st.branches = append(st.branches, p.machine(b, bw))
		}
	case "Map":
		p.mapState(st, o, where)
	}
	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		st.retry = p.retriers(m["Retry"], where)
		st.catch = p.catchers(m["Catch"], where)
	}
	return st
}

func (p *parser) pathOrIntrinsic(o *rawObj, name string) *template {
	s, ok := o.str(name)
	if !ok {
		return nil
	}
	t, err := compileTemplate(map[string]any{"v.$": s}, o.where+": "+name)
	if err != nil {
		p.errs = append(p.errs, err)
		return nil
	}
	return t
}

func (p *parser) task(st *state, o *rawObj, where string) {
	res, ok := o.str("Resource")
	if !ok || res == "" {
		p.errf("%s: missing Resource", where)
	} else if !strings.HasPrefix(res, "arn:") {
		p.errf("%s: Resource %q is not an ARN", where, res)
	}
	st.resource = res
	st.timeoutSeconds, _ = o.posInt("TimeoutSeconds")
	st.heartbeatSeconds, _ = o.posInt("HeartbeatSeconds")
	st.timeoutPath = o.path("TimeoutSecondsPath")
	st.heartbeatPath = o.path("HeartbeatSecondsPath")
	if o.has("TimeoutSeconds") && o.has("TimeoutSecondsPath") {
		p.errf("%s: TimeoutSeconds and TimeoutSecondsPath are exclusive", where)
	}
	if o.has("HeartbeatSeconds") && o.has("HeartbeatSecondsPath") {
		p.errf("%s: HeartbeatSeconds and HeartbeatSecondsPath are exclusive", where)
	}
	if o.has("TimeoutSeconds") && st.timeoutSeconds == 0 {
		p.errf("%s: TimeoutSeconds must be positive", where)
	}
	if st.heartbeatSeconds > 0 && st.timeoutSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		p.errf("%s: HeartbeatSeconds must be smaller than TimeoutSeconds", where)
	}
}

func (p *parser) errorList(raw json.RawMessage, where string) []string {
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil || len(names) == 0 {
		p.errf("%s: ErrorEquals must be a non-empty array of strings", where)
		return nil
	}
	for _, n := range names {
		if n == ErrAll && len(names) > 1 {
			p.errf("%s: States.ALL must appear alone in ErrorEquals", where)
		}
	}
	return names
}

func (p *parser) retriers(raw json.RawMessage, where string) []*retrier {
	if raw == nil {
		return nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		p.errf("%s: Retry must be an array of objects", where)
		return nil
	}
	var out []*retrier
	for i, m := range list {
		w := fmt.Sprintf("%s: Retry[%d]", where, i)
		o := p.obj(m, w, "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
		r := &retrier{errors: p.errorList(m["ErrorEquals"], w), interval: 1, maxAttempts: 3, backoff: 2}
		if v, ok := o.posInt("IntervalSeconds"); ok {
			if v < 1 {
				p.errf("%s: IntervalSeconds must be at least 1", w)
			}
			r.interval = float64(v)
		}
		if v, ok := o.posInt("MaxAttempts"); ok {
			r.maxAttempts = int(v)
		}
		if v, ok := o.number("BackoffRate"); ok {
			if v < 1 {
				p.errf("%s: BackoffRate must be at least 1.0", w)
			}
			r.backoff = v
		}
		if v, ok := o.posInt("MaxDelaySeconds"); ok {
			if v < 1 {
				p.errf("%s: MaxDelaySeconds must be positive", w)
			}
			r.maxDelay = float64(v)
		}
		if js, ok := o.str("JitterStrategy"); ok {
			switch js {
			case "FULL":
				r.jitterFull = true
			case "NONE":
			default:
				p.errf("%s: JitterStrategy must be FULL or NONE", w)
			}
		}
		if containsAll(r.errors) && i != len(list)-1 {
			p.errf("%s: a retrier with States.ALL must be the last one", w)
		}
		out = append(out, r)
	}
	return out
}

func (p *parser) catchers(raw json.RawMessage, where string) []*catcher {
	if raw == nil {
		return nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		p.errf("%s: Catch must be an array of objects", where)
		return nil
	}
	var out []*catcher
	for i, m := range list {
		w := fmt.Sprintf("%s: Catch[%d]", where, i)
		o := p.obj(m, w, "ErrorEquals", "Next", "ResultPath", "Comment")
		c := &catcher{errors: p.errorList(m["ErrorEquals"], w), resultPath: o.pathSpec("ResultPath")}
		c.next, _ = o.str("Next")
		if c.next == "" {
			p.errf("%s: missing Next", w)
		}
		if containsAll(c.errors) && i != len(list)-1 {
			p.errf("%s: a catcher with States.ALL must be the last one", w)
		}
		out = append(out, c)
	}
	return out
}

func containsAll(names []string) bool {
	for _, n := range names {
		if n == ErrAll {
			return true
		}
	}
	return false
}

func (p *parser) mapState(st *state, o *rawObj, where string) {
	ms := &mapSpec{}
	st.mp = ms
	ms.itemsPath = o.path("ItemsPath")
	if o.has("ItemSelector") && o.has("Parameters") {
		p.errf("%s: ItemSelector and Parameters are exclusive", where)
	}
	// In a Map state, Parameters is the legacy name of ItemSelector.
	if st.parameters != nil {
		ms.itemSelector = st.parameters
		st.parameters = nil
	} else {
		ms.itemSelector = o.template("ItemSelector")
	}
	procName := "ItemProcessor"
	if o.has("Iterator") {
		procName = "Iterator"
		if o.has("ItemProcessor") {
			p.errf("%s: ItemProcessor and Iterator are exclusive", where)
		}
	}
	proc := o.object(procName)
	if proc == nil {
		p.errf("%s: missing ItemProcessor", where)
	} else {
		pw := where + ": " + procName
		po := p.obj(proc, pw, "StartAt", "States", "Comment", "ProcessorConfig")
		if cfg := po.object("ProcessorConfig"); cfg != nil {
			co := p.obj(cfg, pw+": ProcessorConfig", "Mode", "ExecutionType")
			mode, _ := co.str("Mode")
			switch mode {
			case "", "INLINE":
			case "DISTRIBUTED":
				ms.distributed = true
			default:
				p.errf("%s: ProcessorConfig.Mode must be INLINE or DISTRIBUTED", pw)
			}
			if et, ok := co.str("ExecutionType"); ok && et != "STANDARD" && et != "EXPRESS" {
				p.errf("%s: ProcessorConfig.ExecutionType must be STANDARD or EXPRESS", pw)
			}
		}
		ms.processor = p.machine(proc, pw)
	}
	ms.maxConcurrency, _ = o.posInt("MaxConcurrency")
	ms.maxConcurrencyPath = o.path("MaxConcurrencyPath")
	ms.toleratedCount, _ = o.posInt("ToleratedFailureCount")
	if pct, ok := o.number("ToleratedFailurePercentage"); ok {
		if pct < 0 || pct > 100 {
			p.errf("%s: ToleratedFailurePercentage must be between 0 and 100", where)
		}
		ms.toleratedPct = pct
	}
	ms.toleratedCountPath = o.path("ToleratedFailureCountPath")
	ms.toleratedPctPath = o.path("ToleratedFailurePercentagePath")
	ms.hasCount = o.has("ToleratedFailureCount") || o.has("ToleratedFailureCountPath")
	ms.hasPct = o.has("ToleratedFailurePercentage") || o.has("ToleratedFailurePercentagePath")
	ms.hasTolerance = ms.hasCount || ms.hasPct
	ms.label, _ = o.str("Label")
	for _, f := range []string{"ItemReader", "ItemBatcher", "ResultWriter", "Label"} {
		if o.has(f) && !ms.distributed {
			p.errf("%s: %s is only allowed in DISTRIBUTED mode", where, f)
		}
	}
	if r := o.object("ItemReader"); r != nil {
		ms.reader = p.itemReader(r, where+": ItemReader")
	}
	if b := o.object("ItemBatcher"); b != nil {
		w := where + ": ItemBatcher"
		bo := p.obj(b, w, "MaxItemsPerBatch", "MaxInputBytesPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath", "BatchInput")
		ib := &itemBatcher{}
		ib.maxItems, _ = bo.posInt("MaxItemsPerBatch")
		ib.maxBytes, _ = bo.posInt("MaxInputBytesPerBatch")
		ib.maxItemsPath = bo.path("MaxItemsPerBatchPath")
		ib.maxBytesPath = bo.path("MaxInputBytesPerBatchPath")
		ib.batchInput = bo.template("BatchInput")
		ib.hasBatchInput = bo.has("BatchInput")
		if ib.maxItems == 0 && ib.maxBytes == 0 && ib.maxItemsPath == nil && ib.maxBytesPath == nil {
			p.errf("%s: needs MaxItemsPerBatch or MaxInputBytesPerBatch", w)
		}
		ms.batcher = ib
	}
	if rw := o.object("ResultWriter"); rw != nil {
		w := where + ": ResultWriter"
		ro := p.obj(rw, w, "Resource", "Parameters", "WriterConfig")
		wr := &resultWriter{transformation: "NONE", outputType: "JSON"}
		wr.resource, _ = ro.str("Resource")
		if wr.resource != "" && wr.resource != "arn:aws:states:::s3:putObject" {
			p.errf("%s: Resource must be arn:aws:states:::s3:putObject", w)
		}
		wr.params = ro.template("Parameters")
		if wc := ro.object("WriterConfig"); wc != nil {
			wo := p.obj(wc, w+": WriterConfig", "Transformation", "OutputType")
			if t, ok := wo.str("Transformation"); ok {
				if t != "NONE" && t != "COMPACT" && t != "FLATTEN" {
					p.errf("%s: Transformation must be NONE, COMPACT or FLATTEN", w)
				}
				wr.transformation = t
			}
			if t, ok := wo.str("OutputType"); ok {
				if t != "JSON" && t != "JSONL" {
					p.errf("%s: OutputType must be JSON or JSONL", w)
				}
				wr.outputType = t
			}
		} else if wr.resource == "" {
			p.errf("%s: needs Resource and Parameters, or WriterConfig", w)
		}
		if (wr.resource == "") != (wr.params == nil) {
			p.errf("%s: Resource and Parameters go together", w)
		}
		ms.writer = wr
	}
}

func (p *parser) itemReader(m map[string]json.RawMessage, w string) *itemReader {
	o := p.obj(m, w, "Resource", "Parameters", "ReaderConfig")
	r := &itemReader{}
	r.resource, _ = o.str("Resource")
	switch r.resource {
	case "arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2":
	default:
		p.errf("%s: Resource %q is not supported (s3:getObject, s3:listObjectsV2)", w, r.resource)
	}
	r.params = o.template("Parameters")
	if r.params == nil {
		p.errf("%s: missing Parameters", w)
	}
	if rc := o.object("ReaderConfig"); rc != nil {
		rw := w + ": ReaderConfig"
		ro := p.obj(rc, rw, "InputType", "CSVHeaderLocation", "CSVHeaders", "MaxItems", "MaxItemsPath")
		r.inputType, _ = ro.str("InputType")
		switch r.inputType {
		case "", "JSON", "JSONL", "CSV":
		default:
			p.errf("%s: InputType must be JSON, JSONL or CSV", rw)
		}
		loc, _ := ro.str("CSVHeaderLocation")
		switch loc {
		case "FIRST_ROW":
			r.headerFirst = true
		case "GIVEN":
			if v, ok := rc["CSVHeaders"]; !ok || json.Unmarshal(v, &r.headers) != nil || len(r.headers) == 0 {
				p.errf("%s: CSVHeaderLocation GIVEN needs CSVHeaders", rw)
			}
		case "":
			if r.inputType == "CSV" {
				p.errf("%s: CSV needs CSVHeaderLocation", rw)
			}
		default:
			p.errf("%s: CSVHeaderLocation must be FIRST_ROW or GIVEN", rw)
		}
		r.maxItems, _ = ro.posInt("MaxItems")
		r.maxItemsPath = ro.path("MaxItemsPath")
	}
	if r.resource == "arn:aws:states:::s3:getObject" && r.inputType == "" {
		p.errf("%s: s3:getObject needs ReaderConfig.InputType", w)
	}
	return r
}
