package cdf

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"
)

// fgmDay is a day of 16 vectors/s: Epoch (TT2000) and a REAL4 3-vector.
type fgmDay struct {
	epochs []int64
	b      []float32
}

func newFGMDay(records int) fgmDay {
	d := fgmDay{epochs: make([]int64, records), b: make([]float32, 3*records)}
	for i := range d.epochs {
		d.epochs[i] = tt20161231T235959 + int64(i)*62_500_000
		d.b[3*i], d.b[3*i+1], d.b[3*i+2] = float32(i), -float32(i), 0.5
	}
	return d
}

func (d fgmDay) writer() *Writer {
	w := NewWriter()
	w.GlobalAttr("Logical_source", "mms1_fgm_srvy_l2")
	w.Variable("Epoch", TT2000, nil, true).Append(d.epochs).Attr("FILLVAL", As(TT2000, FillTT2000))
	w.Variable("mms1_fgm_b_gse_srvy_l2", Real4, []int{3}, true).Append(d.b).
		Attr("DEPEND_0", "Epoch").Attr("FILLVAL", float32(FillReal))
	return w
}

const fgmDayRecords = 86400 * 16 // 1,382,400

// BenchmarkWriteFGMDay writes a day of Epoch + 3-vector REAL4 (1.38 M
// records, 27.6 MB). Bytes/s is CDF file bytes written.
func BenchmarkWriteFGMDay(b *testing.B) {
	d := newFGMDay(fgmDayRecords)
	b.Run("discard", func(b *testing.B) {
		size := benchWrite(b, func() io.Writer { return io.Discard }, d.writer)
		b.SetBytes(size)
	})
	b.Run("file", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "fgm.cdf")
		var size int64
		for b.Loop() {
			if err := d.writer().Write(path); err != nil {
				b.Fatal(err)
			}
		}
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		size = f.size
		f.Close()
		b.SetBytes(size)
	})
}

// BenchmarkWriteSpectra writes 20,000 records of a [32][16] REAL4
// spectrogram plus Epoch (41 MB).
func BenchmarkWriteSpectra(b *testing.B) {
	const records = 20000
	epochs := make([]int64, records)
	spec := make([]float32, records*32*16)
	for i := range spec {
		spec[i] = float32(i % 1000)
	}
	build := func() *Writer {
		w := NewWriter()
		w.Variable("Epoch", TT2000, nil, true).Append(epochs)
		w.Variable("mms1_des_energyspectr_fast_l2", Real4, []int{32, 16}, true).Append(spec)
		return w
	}
	b.SetBytes(benchWrite(b, func() io.Writer { return io.Discard }, build))
}

func benchWrite(b *testing.B, out func() io.Writer, build func() *Writer) int64 {
	var size int64
	for b.Loop() {
		n, err := build().WriteTo(out())
		if err != nil {
			b.Fatal(err)
		}
		size = n
	}
	return size
}

// BenchmarkReadFGMDay reads back both variables of a day of FGM data.
func BenchmarkReadFGMDay(b *testing.B) {
	var buf bytes.Buffer
	if _, err := newFGMDay(fgmDayRecords).writer().WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		e, err := f.Var("Epoch").Int64s()
		if err != nil || len(e) != fgmDayRecords {
			b.Fatal(len(e), err)
		}
		v, err := f.Var("mms1_fgm_b_gse_srvy_l2").Float32s()
		if err != nil || len(v) != 3*fgmDayRecords {
			b.Fatal(len(v), err)
		}
	}
}
