package burstplot

import (
	"bytes"
	"image/png"
	"os"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/mission"
)

// month builds 30 days of metrics with data on every other day.
func month() burst.Metrics {
	var m burst.Metrics
	d0 := time.Date(2015, 10, 1, 0, 0, 0, 0, time.UTC)
	for d := range 30 {
		m.Days = append(m.Days, d0.AddDate(0, 0, d).Format(time.DateOnly))
		held, over, nw := map[int]int{}, map[int]int{}, map[int]int{}
		st := map[string]int{}
		if d%2 == 0 {
			held[0], held[3] = 100+d, 400
			over[4] = 20
			nw[0], nw[2] = 50, 80
			st["COMPLETE+FINISHED"], st["HELD"] = 100, 30
		}
		m.HeldByCategory = append(m.HeldByCategory, held)
		m.OverwrittenByCategory = append(m.OverwrittenByCategory, over)
		m.NewByCategory = append(m.NewByCategory, nw)
		m.NewByStatus = append(m.NewByStatus, st)
		m.Transmitted = append(m.Transmitted, 110*(1-d%2))
	}
	return m
}

func TestPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := PNG(&buf, month()); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != int(Width.Dots(96)) && b.Dx() < 600 {
		t.Fatalf("size %v", b)
	}
	// Each of the five panels draws coloured bars: count saturated pixels
	// per fifth of the figure.
	for p := range 5 {
		coloured := 0
		for y := b.Min.Y + p*b.Dy()/5; y < b.Min.Y+(p+1)*b.Dy()/5; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				hi, lo := max(r, g, bl), min(r, g, bl)
				if hi-lo > 0x4000 {
					coloured++
				}
			}
		}
		if coloured < 500 {
			t.Errorf("panel %d: %d coloured pixels, want bars", p, coloured)
		}
	}
	if dir := os.Getenv("BURSTPLOT_OUT"); dir != "" {
		os.WriteFile(dir+"/metrics.png", buf.Bytes(), 0o644)
	}
}

func TestPNGEmptyAndBad(t *testing.T) {
	m, err := burst.ComputeMetrics(nil, mission.Burst{}, time.Date(2015, 10, 30, 0, 0, 0, 0, time.UTC), 30)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := PNG(&buf, m); err != nil {
		t.Fatalf("empty month: %v", err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
	bad := month()
	bad.Transmitted = bad.Transmitted[:3]
	if err := PNG(&buf, bad); err == nil {
		t.Error("ragged metrics: no error")
	}
	if err := PNG(&buf, burst.Metrics{}); err == nil {
		t.Error("no days: no error")
	}
}

func BenchmarkPNG(b *testing.B) {
	m := month()
	for b.Loop() {
		var buf bytes.Buffer
		if err := PNG(&buf, m); err != nil {
			b.Fatal(err)
		}
	}
}
