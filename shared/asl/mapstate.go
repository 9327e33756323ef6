package asl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/magpie-sdc/magpie/shared/store"
)

// itemOutcome is the result of one Map iteration (or child execution).
type itemOutcome struct {
	input  any
	output any
	err    *StateError
	name   string
	start  time.Time
	stop   time.Time
	done   bool
}

// mapState runs one attempt of a Map state, inline or distributed.
func (r *runner) mapState(ctx context.Context, fr *frame, sc *stateCtx, input any) (any, error) {
	st := sc.st
	ms := st.mp
	eff, err := applyPath(st.inputPath, input, sc.env(input), "InputPath")
	if err != nil {
		return nil, err
	}
	var items []any
	if ms.reader != nil {
		items, err = r.readItems(ctx, sc, eff)
		if err != nil {
			return nil, err
		}
	} else {
		raw := eff
		if ms.itemsPath != nil {
			v, ok := sc.env(eff).resolve(ms.itemsPath)
			if !ok {
				return nil, stateErr(ErrRuntime, "state %q: Invalid path '%s' : No results for path (ItemsPath)", st.name, ms.itemsPath)
			}
			raw = v
		}
		arr, ok := raw.([]any)
		if !ok {
			return nil, stateErr(ErrRuntime, "state %q: ItemsPath %s must point to an array", st.name, pathOrRoot(ms.itemsPath))
		}
		items = arr
	}
	// ItemSelector (or legacy Parameters) shapes each item, with
	// $$.Map.Item.Index and $$.Map.Item.Value available.
	inputs := make([]any, len(items))
	for i, it := range items {
		if ms.itemSelector == nil {
			inputs[i] = it
			continue
		}
		isc := *sc
		isc.item = &mapItem{index: i, value: it}
		v, err := ms.itemSelector.eval(isc.env(eff))
		if err != nil {
			return nil, stateErr(ErrRuntime, "state %q ItemSelector: %v", st.name, err)
		}
		inputs[i] = v
	}
	if ms.batcher != nil {
		inputs, err = r.batch(sc, eff, inputs)
		if err != nil {
			return nil, err
		}
	}
	conc, err := intField(sc, eff, ms.maxConcurrency, ms.maxConcurrencyPath, "MaxConcurrency")
	if err != nil {
		return nil, err
	}
	tolCount, err := intField(sc, eff, ms.toleratedCount, ms.toleratedCountPath, "ToleratedFailureCount")
	if err != nil {
		return nil, err
	}
	tolPct := ms.toleratedPct
	if ms.toleratedPctPath != nil {
		v, ok := sc.env(eff).resolve(ms.toleratedPctPath)
		f, isNum := toNumber(v)
		if !ok || !isNum || f < 0 || f > 100 {
			return nil, stateErr(ErrRuntime, "state %q: ToleratedFailurePercentagePath must point to a number between 0 and 100", st.name)
		}
		tolPct = f
	}
	// Without a tolerance, an inline Map fails on the first failed item.
	failFast := !ms.distributed && !ms.hasTolerance

	r.emit(fr, HistoryEvent{Type: "MapStateStarted", StateName: st.name, Output: map[string]any{"length": intValue(int64(len(inputs)))}})
	mapRunArn := ""
	if ms.distributed {
		label := st.name
		if ms.label != "" {
			label = ms.label
		}
		mapRunArn = r.eng.arnPrefix + "mapRun:" + r.ex.rec.StateMachineName + "/" + label + ":" + newUUID()
		r.emit(fr, HistoryEvent{Type: "MapRunStarted", StateName: st.name, Resource: mapRunArn})
	}
	outcomes := r.runItems(ctx, fr, sc, inputs, int(conc), failFast)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	failed := 0
	var firstErr *StateError
	for i := range outcomes {
		if o := &outcomes[i]; o.done && o.err != nil {
			failed++
			if firstErr == nil {
				firstErr = o.err
			}
		}
	}
	var mapErr *StateError
	switch {
	case failed == 0:
	case failFast:
		mapErr = firstErr
	default:
		// A threshold applies only when it is specified; either one exceeded
		// fails the Map.
		exceeded := !ms.hasCount && !ms.hasPct
		if ms.hasCount && int64(failed) > tolCount {
			exceeded = true
		}
		if ms.hasPct && float64(failed)/float64(len(outcomes))*100 > tolPct {
			exceeded = true
		}
		if exceeded {
			mapErr = stateErr(ErrExceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded (%d of %d items failed)", failed, len(outcomes))
		}
	}
	var result any
	if ms.distributed && ms.writer != nil {
		result, err = r.writeResults(ctx, sc, eff, mapRunArn, outcomes)
		if err != nil {
			return nil, err
		}
	} else {
		result = compactResults(outcomes, r, ms.distributed)
		if ms.writer != nil && ms.writer.transformation == "FLATTEN" {
			result = flatten(result.([]any))
		}
	}
	if mapErr != nil {
		if ms.distributed {
			r.emit(fr, HistoryEvent{Type: "MapRunFailed", StateName: st.name, Resource: mapRunArn, Error: mapErr.Name, Cause: mapErr.Cause})
		}
		r.emit(fr, HistoryEvent{Type: "MapStateFailed", StateName: st.name, Error: mapErr.Name, Cause: mapErr.Cause})
		return nil, mapErr
	}
	if ms.distributed {
		r.emit(fr, HistoryEvent{Type: "MapRunSucceeded", StateName: st.name, Resource: mapRunArn})
	}
	r.emit(fr, HistoryEvent{Type: "MapStateSucceeded", StateName: st.name})
	return r.finishOutput(sc, input, result)
}

func pathOrRoot(p *path) string {
	if p == nil {
		return "$"
	}
	return p.String()
}

func intField(sc *stateCtx, eff any, fixed int64, p *path, name string) (int64, error) {
	if p == nil {
		return fixed, nil
	}
	v, ok := sc.env(eff).resolve(p)
	n, isInt := toInt(v)
	if !ok || !isInt || n < 0 {
		return 0, stateErr(ErrRuntime, "state %q: %sPath %s must point to a non-negative integer", sc.st.name, name, p)
	}
	return n, nil
}

// runItems runs the item processor over inputs with at most conc at once
// (0: unbounded, capped at MaxInlineWorkers goroutines). Results keep the
// input order. With failFast the first failure cancels the rest.
func (r *runner) runItems(ctx context.Context, fr *frame, sc *stateCtx, inputs []any, conc int, failFast bool) []itemOutcome {
	ms := sc.st.mp
	out := make([]itemOutcome, len(inputs))
	workers := conc
	if workers <= 0 || workers > r.eng.cfg.MaxInlineWorkers {
		workers = r.eng.cfg.MaxInlineWorkers
	}
	workers = min(workers, len(inputs))
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Distributed Map children are separate executions: their states do not
	// appear in this history.
	child := &frame{record: fr.record && !ms.distributed}
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(inputs) || ictx.Err() != nil {
					return
				}
				idx := i
				o := &out[i]
				o.input = inputs[i]
				o.start = r.eng.clk.Now()
				if ms.distributed {
					o.name = newUUID()
				} else {
					r.emit(fr, HistoryEvent{Type: "MapIterationStarted", StateName: sc.st.name, Index: &idx})
				}
				v, err := r.runMachine(ictx, child, ms.processor, inputs[i], nil)
				o.stop = r.eng.clk.Now()
				if err != nil && ictx.Err() != nil {
					if !ms.distributed {
						r.emit(fr, HistoryEvent{Type: "MapIterationAborted", StateName: sc.st.name, Index: &idx})
					}
					return
				}
				o.done = true
				if err != nil {
					o.err = asStateError(err)
					if !ms.distributed {
						r.emit(fr, HistoryEvent{Type: "MapIterationFailed", StateName: sc.st.name, Index: &idx, Error: o.err.Name, Cause: o.err.Cause})
					}
					if failFast {
						cancel()
						return
					}
					continue
				}
				o.output = v
				if !ms.distributed {
					r.emit(fr, HistoryEvent{Type: "MapIterationSucceeded", StateName: sc.st.name, Index: &idx})
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// compactResults is the Map output without a ResultWriter: the outputs in
// input order; a failed (tolerated) item appears as its execution record
// in the distributed mode and as {"Error","Cause"} inline.
func compactResults(outs []itemOutcome, r *runner, distributed bool) []any {
	res := make([]any, len(outs))
	for i := range outs {
		o := &outs[i]
		switch {
		case o.err != nil && distributed:
			res[i] = r.childRecord(o)
		case o.err != nil:
			res[i] = map[string]any{"Error": o.err.Name, "Cause": o.err.Cause}
		default:
			res[i] = o.output
		}
	}
	return res
}

func flatten(in []any) []any {
	out := make([]any, 0, len(in))
	for _, v := range in {
		if arr, ok := v.([]any); ok {
			out = append(out, arr...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// childRecord describes a distributed Map child execution as Step
// Functions writes it to the result files.
func (r *runner) childRecord(o *itemOutcome) map[string]any {
	sm := r.ex.rec.StateMachineName
	in, _ := encodeJSON(o.input)
	rec := map[string]any{
		"ExecutionArn":        r.eng.arnPrefix + "execution:" + sm + "/" + o.name,
		"Input":               string(in),
		"InputDetails":        map[string]any{"Included": true},
		"Name":                o.name,
		"RedriveCount":        intValue(0),
		"RedriveStatus":       "NOT_REDRIVABLE",
		"RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
		"StartDate":           timestamp(o.start),
		"StateMachineArn":     r.eng.arnPrefix + "stateMachine:" + sm,
		"StopDate":            timestamp(o.stop),
	}
	if o.err != nil {
		rec["Status"] = "FAILED"
		rec["Error"] = o.err.Name
		rec["Cause"] = o.err.Cause
		rec["RedriveStatus"] = "REDRIVABLE"
		delete(rec, "RedriveStatusReason")
	} else {
		outb, _ := encodeJSON(o.output)
		rec["Status"] = "SUCCEEDED"
		rec["Output"] = string(outb)
		rec["OutputDetails"] = map[string]any{"Included": true}
	}
	return rec
}

// bucketOf picks the object store for a bucket name.
func (r *runner) bucketOf(name string) (store.ObjectStore, error) {
	if s, ok := r.eng.cfg.Buckets[name]; ok {
		return s, nil
	}
	if r.eng.cfg.Objects != nil {
		return r.eng.cfg.Objects, nil
	}
	return nil, fmt.Errorf("no object store for bucket %q", name)
}

// readItems runs the ItemReader.
func (r *runner) readItems(ctx context.Context, sc *stateCtx, eff any) ([]any, error) {
	rd := sc.st.mp.reader
	fail := func(format string, a ...any) error {
		return stateErr(ErrItemReaderFailed, "state %q ItemReader: %s", sc.st.name, fmt.Sprintf(format, a...))
	}
	pv, err := rd.params.eval(sc.env(eff))
	if err != nil {
		return nil, stateErr(ErrRuntime, "state %q ItemReader Parameters: %v", sc.st.name, err)
	}
	params, _ := pv.(map[string]any)
	bucket, _ := params["Bucket"].(string)
	objs, err := r.bucketOf(bucket)
	if err != nil {
		return nil, fail("%v", err)
	}
	maxItems, err := intField(sc, eff, rd.maxItems, rd.maxItemsPath, "MaxItems")
	if err != nil {
		return nil, err
	}
	var items []any
	if rd.resource == "arn:aws:states:::s3:listObjectsV2" {
		prefix, _ := params["Prefix"].(string)
		err := store.ListAll(ctx, objs, prefix, func(o store.ObjectInfo) error {
			items = append(items, map[string]any{
				"Key": o.Key, "Size": intValue(o.Size), "LastModified": o.ModTime.UTC().Format(time.RFC3339),
				"Etag": o.SHA256, "StorageClass": o.StorageClass,
			})
			return nil
		})
		if err != nil {
			return nil, fail("list %s/%s: %v", bucket, prefix, err)
		}
	} else {
		key, _ := params["Key"].(string)
		if key == "" {
			return nil, fail("Parameters.Key is required")
		}
		rc, _, err := objs.Get(ctx, key, nil)
		if err != nil {
			return nil, fail("get s3://%s/%s: %v", bucket, key, err)
		}
		defer rc.Close()
		items, err = parseItems(rc, rd)
		if err != nil {
			return nil, fail("s3://%s/%s: %v", bucket, key, err)
		}
	}
	if maxItems > 0 && int64(len(items)) > maxItems {
		items = items[:maxItems]
	}
	return items, nil
}

// parseItems decodes an item file as JSON (an array), JSON Lines or CSV.
func parseItems(rd io.Reader, spec *itemReader) ([]any, error) {
	switch spec.inputType {
	case "JSON":
		b, err := io.ReadAll(rd)
		if err != nil {
			return nil, err
		}
		v, err := decodeJSON(b)
		if err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("the JSON object is not an array")
		}
		return arr, nil
	case "JSONL":
		var items []any
		sc := bufio.NewScanner(rd)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			v, err := decodeJSON(b)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			items = append(items, v)
		}
		return items, sc.Err()
	case "CSV":
		cr := csv.NewReader(rd)
		cr.FieldsPerRecord = -1
		headers := spec.headers
		var items []any
		for row := 1; ; row++ {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("CSV: %w", err)
			}
			if headers == nil {
				headers = rec
				continue
			}
			if len(rec) > len(headers) {
				return nil, fmt.Errorf("CSV row %d has %d fields but there are %d headers", row, len(rec), len(headers))
			}
			item := make(map[string]any, len(headers))
			for i, h := range headers {
				v := ""
				if i < len(rec) {
					v = rec[i]
				}
				item[h] = v
			}
			items = append(items, item)
		}
		return items, nil
	}
	return nil, fmt.Errorf("unsupported InputType %q", spec.inputType)
}

// batch groups item inputs into {"BatchInput": ..., "Items": [...]}.
func (r *runner) batch(sc *stateCtx, eff any, inputs []any) ([]any, error) {
	b := sc.st.mp.batcher
	maxItems, err := intField(sc, eff, b.maxItems, b.maxItemsPath, "MaxItemsPerBatch")
	if err != nil {
		return nil, err
	}
	maxBytes, err := intField(sc, eff, b.maxBytes, b.maxBytesPath, "MaxInputBytesPerBatch")
	if err != nil {
		return nil, err
	}
	var batchInput any
	if b.batchInput != nil {
		if batchInput, err = b.batchInput.eval(sc.env(eff)); err != nil {
			return nil, stateErr(ErrRuntime, "state %q BatchInput: %v", sc.st.name, err)
		}
	}
	if maxItems <= 0 {
		maxItems = math.MaxInt64
	}
	var batches []any
	var cur []any
	curBytes := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		bi := map[string]any{"Items": cur}
		if b.hasBatchInput {
			bi["BatchInput"] = batchInput
		}
		batches = append(batches, bi)
		cur, curBytes = nil, 0
	}
	for _, in := range inputs {
		size := 0
		if maxBytes > 0 {
			enc, _ := encodeJSON(in)
			size = len(enc) + 1
		}
		if len(cur) > 0 && (int64(len(cur)) >= maxItems || (maxBytes > 0 && int64(curBytes+size) > maxBytes)) {
			flush()
		}
		cur = append(cur, in)
		curBytes += size
	}
	flush()
	return batches, nil
}

// writeResults writes the ResultWriter files the way Step Functions lays
// them out: <Prefix>/<map run id>/manifest.json and SUCCEEDED_0.json /
// FAILED_0.json / PENDING_0.json, and returns the state's result.
func (r *runner) writeResults(ctx context.Context, sc *stateCtx, eff any, mapRunArn string, outs []itemOutcome) (any, error) {
	w := sc.st.mp.writer
	fail := func(format string, a ...any) error {
		return stateErr(ErrResultWriterFailed, "state %q ResultWriter: %s", sc.st.name, fmt.Sprintf(format, a...))
	}
	transform := func(o *itemOutcome) any {
		if o.err != nil || w.transformation == "NONE" {
			return r.childRecord(o)
		}
		return o.output
	}
	groups := map[string][]any{}
	for i := range outs {
		o := &outs[i]
		switch {
		case !o.done:
			groups["PENDING"] = append(groups["PENDING"], map[string]any{"Input": mustJSONString(o.input)})
		case o.err != nil:
			groups["FAILED"] = append(groups["FAILED"], transform(o))
		case w.transformation == "FLATTEN":
			if arr, ok := o.output.([]any); ok {
				groups["SUCCEEDED"] = append(groups["SUCCEEDED"], arr...)
			} else {
				groups["SUCCEEDED"] = append(groups["SUCCEEDED"], o.output)
			}
		default:
			groups["SUCCEEDED"] = append(groups["SUCCEEDED"], transform(o))
		}
	}
	pv, err := w.params.eval(sc.env(eff))
	if err != nil {
		return nil, stateErr(ErrRuntime, "state %q ResultWriter Parameters: %v", sc.st.name, err)
	}
	params, _ := pv.(map[string]any)
	bucket, _ := params["Bucket"].(string)
	prefix, _ := params["Prefix"].(string)
	objs, err := r.bucketOf(bucket)
	if err != nil {
		return nil, fail("%v", err)
	}
	runID := mapRunArn[strings.LastIndexByte(mapRunArn, ':')+1:]
	dir := runID + "/"
	if prefix != "" {
		dir = strings.TrimSuffix(prefix, "/") + "/" + dir
	}
	ext := ".json"
	if w.outputType == "JSONL" {
		ext = ".jsonl"
	}
	files := map[string]any{}
	for _, status := range []string{"FAILED", "PENDING", "SUCCEEDED"} {
		list := []any{}
		if len(groups[status]) > 0 {
			key := dir + status + "_0" + ext
			var body []byte
			if w.outputType == "JSONL" {
				for _, v := range groups[status] {
					body = append(body, mustJSON(v)...)
					body = append(body, '\n')
				}
			} else {
				body = mustJSON(groups[status])
			}
			if _, err := objs.Put(ctx, key, bytes.NewReader(body), store.PutOptions{ContentType: "application/json"}); err != nil {
				return nil, fail("put %s: %v", key, err)
			}
			list = append(list, map[string]any{"Key": key, "Size": intValue(int64(len(body)))})
		}
		files[status] = list
	}
	manifest := map[string]any{"DestinationBucket": bucket, "MapRunArn": mapRunArn, "ResultFiles": files}
	key := dir + "manifest.json"
	if _, err := objs.Put(ctx, key, bytes.NewReader(mustJSON(manifest)), store.PutOptions{ContentType: "application/json"}); err != nil {
		return nil, fail("put %s: %v", key, err)
	}
	return map[string]any{
		"MapRunArn":           mapRunArn,
		"ResultWriterDetails": map[string]any{"Bucket": bucket, "Key": key},
	}, nil
}

func mustJSONString(v any) string { return string(mustJSON(v)) }
