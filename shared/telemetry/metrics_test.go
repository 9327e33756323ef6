package telemetry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// emfRecord is an EMF record as CloudWatch Logs reads it.
type emfRecord struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func TestMetricsWriteEMFLines(t *testing.T) {
	at := time.Date(2026, 11, 21, 8, 0, 0, 123_000_000, time.UTC)
	tests := []struct {
		name     string
		dims     map[string]string
		metric   string
		unit     string
		value    float64
		wantDims [][]string
		wantUnit string
	}{
		{"dimensionless, as the alarms watch", nil, MetricDataLatency, UnitSeconds, 42.5, [][]string{{}}, "Seconds"},
		{"with dimensions", map[string]string{"Stage": "prod", "Mission": "mms"}, "FilesIndexed", UnitCount, 3, [][]string{{"Mission", "Stage"}}, "Count"},
		{"no unit", nil, "Ratio", "", 0.5, [][]string{{}}, "None"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewMetrics(&buf, tc.dims).Put(at, tc.metric, tc.unit, tc.value); err != nil {
				t.Fatal(err)
			}
			if strings.Count(buf.String(), "\n") != 1 || !strings.HasSuffix(buf.String(), "\n") {
				t.Fatalf("want one line, got %q", buf.String())
			}
			var rec emfRecord
			var root map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(buf.Bytes(), &root); err != nil {
				t.Fatal(err)
			}
			if rec.AWS.Timestamp != at.UnixMilli() {
				t.Errorf("Timestamp %d, want %d", rec.AWS.Timestamp, at.UnixMilli())
			}
			if len(rec.AWS.CloudWatchMetrics) != 1 {
				t.Fatalf("%d directives", len(rec.AWS.CloudWatchMetrics))
			}
			d := rec.AWS.CloudWatchMetrics[0]
			if d.Namespace != "Magpie" || !reflect.DeepEqual(d.Dimensions, tc.wantDims) || len(d.Metrics) != 1 ||
				d.Metrics[0].Name != tc.metric || d.Metrics[0].Unit != tc.wantUnit {
				t.Errorf("directive %+v", d)
			}
			// Every referenced member is in the root: the value and each dimension.
			if v, ok := root[tc.metric].(float64); !ok || v != tc.value {
				t.Errorf("root %s = %v, want %v", tc.metric, root[tc.metric], tc.value)
			}
			for k, v := range tc.dims {
				if root[k] != v {
					t.Errorf("dimension %s = %v, want %s", k, root[k], v)
				}
			}
		})
	}
}

func TestMetricsRefuseWhatCloudWatchWouldNot(t *testing.T) {
	m := NewMetrics(&bytes.Buffer{}, map[string]string{"Stage": "prod"})
	for name, put := range map[string]func() error{
		"NaN":            func() error { return m.Put(time.Now(), "X", UnitNone, math.NaN()) },
		"infinity":       func() error { return m.Put(time.Now(), "X", UnitNone, math.Inf(1)) },
		"empty name":     func() error { return m.Put(time.Now(), "", UnitNone, 1) },
		"dimension name": func() error { return m.Put(time.Now(), "Stage", UnitNone, 1) },
		"_aws":           func() error { return m.Put(time.Now(), "_aws", UnitNone, 1) },
	} {
		if err := put(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMetricsLinesStayWholeUnderConcurrency(t *testing.T) {
	var buf bytes.Buffer
	m := NewMetrics(&buf, nil)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := m.Put(time.Unix(int64(i), 0), MetricDataLatency, UnitSeconds, float64(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var rec emfRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, sc.Text())
		}
		n++
	}
	if n != 50 {
		t.Errorf("%d lines, want 50", n)
	}
}
