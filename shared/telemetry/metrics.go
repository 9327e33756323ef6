package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// MetricsNamespace is the CloudWatch namespace of Magpie's own metrics.
// infra/sdc's alarms watch metrics in it (its tests read this file to check
// that the names agree).
const MetricsNamespace = "Magpie"

// Metric names Magpie emits.
const (
	// MetricDataLatency: seconds from a file's arrival in the dropbox (the
	// S3 event time) to its catalog record (the indexer).
	MetricDataLatency = "DataLatencySeconds"
)

// Units, as CloudWatch names them.
const (
	UnitSeconds      = "Seconds"
	UnitMilliseconds = "Milliseconds"
	UnitBytes        = "Bytes"
	UnitCount        = "Count"
	UnitNone         = "None"
)

// Metrics writes metric values as CloudWatch embedded metric format (EMF)
// records: one JSON object per line on the function's log writer, from
// which CloudWatch Logs extracts the metrics. No API call, no batching, so
// a value is never lost to a crash between measuring and sending.
type Metrics struct {
	w io.Writer
	// dims are the dimension values every record carries; an empty set
	// publishes dimensionless metrics, which is what the alarms watch.
	dims map[string]string
	mu   sync.Mutex // one record per Write, whole lines
}

// NewMetrics writes EMF records to w with the given dimensions (nil: none).
func NewMetrics(w io.Writer, dims map[string]string) *Metrics {
	return &Metrics{w: w, dims: maps.Clone(dims)}
}

// emfDirective is one MetricDirective of an EMF record.
type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"` // Unix milliseconds
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Put writes one record with the value of metric name, measured at at.
func (m *Metrics) Put(at time.Time, name, unit string, value float64) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("metric name %q: want 1 to 255 characters", name)
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return fmt.Errorf("metric %s: value %v is not a finite number", name, value)
	}
	if _, taken := m.dims[name]; taken || name == "_aws" {
		return fmt.Errorf("metric %s: name collides with a dimension or _aws", name)
	}
	rec := make(map[string]any, len(m.dims)+2)
	for k, v := range m.dims {
		rec[k] = v
	}
	if unit == "" {
		unit = UnitNone
	}
	keys := slices.Sorted(maps.Keys(m.dims))
	if keys == nil {
		keys = []string{} // [[]], not [null]: a dimension set with no dimensions
	}
	rec["_aws"] = emfMeta{
		Timestamp: at.UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace:  MetricsNamespace,
			Dimensions: [][]string{keys},
			Metrics:    []emfMetric{{Name: name, Unit: unit}},
		}},
	}
	rec[name] = value
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("metric %s: %w", name, err)
	}
	line = append(line, '\n')
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.w.Write(line); err != nil {
		return fmt.Errorf("metric %s: write: %w", name, err)
	}
	return nil
}
