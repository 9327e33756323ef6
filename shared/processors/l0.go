package processors

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/magpie-sdc/magpie/shared/ccsds"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// Quality flag bits of L1A and later samples.
const (
	// FlagAfterGap marks the first sample after lost packets (a jump in the
	// sequence count).
	FlagAfterGap uint8 = 1 << 0
	// FlagSaturated marks a sample with a value at the int32 limits.
	FlagSaturated uint8 = 1 << 1
)

// telemetry is one decommutated L0 file: K values per sample.
type telemetry struct {
	times  []int64 // TT2000
	values []int32 // len(times)·k, sample-major
	flags  []uint8
	k      int
	// Counters reported in the output manifest.
	badPackets, badBytes, lostPackets, foreignPackets, outside int64
}

// l0Spec says which packets of a file belong to the product and how far
// apart their samples are.
type l0Spec struct {
	apid       uint16
	sc         uint8
	mode       uint8
	k          int
	periodNs   float64
	start, end int64 // TT2000 bounds of the partition; end 0 means open
}

// specFor finds the simulated instrument and rate of a product in the
// profile: the APID, the mode id (1-based rate position) and the period.
func specFor(p *mission.Profile, instrument, descriptor, rate string, scNumber, k int) (l0Spec, error) {
	for _, si := range p.Simulation.Instruments {
		if si.Instrument != instrument || si.Descriptor != descriptor {
			continue
		}
		for i, r := range si.Rates {
			if r.Rate == rate {
				if si.APID < 0 || si.APID > ccsds.MaxAPID || scNumber < 1 || scNumber > 255 {
					return l0Spec{}, fmt.Errorf("bad APID %d or spacecraft number %d", si.APID, scNumber)
				}
				return l0Spec{apid: uint16(si.APID), sc: uint8(scNumber), mode: uint8(i + 1), k: k,
					periodNs: r.SampleSeconds * 1e9}, nil
			}
		}
	}
	return l0Spec{}, fmt.Errorf("the profile's simulation section has no %s %s %s telemetry", instrument, descriptor, rate)
}

// decodeL0 reads an L0 file: every valid packet of the spec contributes its
// samples; damaged stretches and foreign packets are counted, not fatal.
func decodeL0(path string, spec l0Spec) (*telemetry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("l0: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("l0: %w", err)
	}
	// Capacity from the file size: packets are mostly samples.
	est := int(st.Size() / int64(4*spec.k))
	t := &telemetry{k: spec.k, times: make([]int64, 0, est), values: make([]int32, 0, est*spec.k), flags: make([]uint8, 0, est)}
	r := ccsds.NewReader(bufio.NewReaderSize(f, 1<<16))
	lastSeq := -1
	var lastCoarse uint32
	var base int64
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var ce *ccsds.CorruptError
		if errors.As(err, &ce) {
			t.badPackets++
			t.badBytes += ce.Length
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("l0 %s: %w", path, err)
		}
		if p.APID != spec.apid || p.Spacecraft != spec.sc || p.Mode != spec.mode || int(p.ValuesPerSample) != spec.k {
			t.foreignPackets++
			continue
		}
		var flag uint8
		if lastSeq >= 0 && int(p.SeqCount) != (lastSeq+1)%(ccsds.MaxSeqCount+1) {
			t.lostPackets += int64((int(p.SeqCount) - lastSeq - 1 + ccsds.MaxSeqCount + 1) % (ccsds.MaxSeqCount + 1))
			flag = FlagAfterGap
		}
		lastSeq = int(p.SeqCount)
		if base == 0 || p.Time.Coarse != lastCoarse {
			// TT2000 runs with TAI, so one conversion per packet second
			// suffices: sample times are offsets from it.
			if base, err = timeutil.TAIToTT2000(int64(p.Time.Coarse)); err != nil {
				return nil, fmt.Errorf("l0 %s: packet time: %w", path, err)
			}
			lastCoarse = p.Time.Coarse
		}
		t0 := base + (int64(p.Time.Fine)*1_000_000_000+ccsds.FineTicks/2)/ccsds.FineTicks
		n := p.SampleCount()
		for i := range n {
			tt := t0 + int64(math.Round(float64(i)*spec.periodNs))
			if tt < spec.start || spec.end != 0 && tt >= spec.end {
				t.outside++
				continue
			}
			s := p.Samples[i*spec.k : (i+1)*spec.k]
			fl := flag
			for _, v := range s {
				if v == math.MaxInt32 || v == math.MinInt32 {
					fl |= FlagSaturated
				}
			}
			t.times = append(t.times, tt)
			t.values = append(t.values, s...)
			t.flags = append(t.flags, fl)
			flag = 0
		}
	}
	return t, nil
}

func (t *telemetry) counters() map[string]int64 {
	return map[string]int64{"samples": int64(len(t.times)), "bad_packets": t.badPackets, "bad_bytes": t.badBytes,
		"lost_packets": t.lostPackets, "foreign_packets": t.foreignPackets, "samples_outside_partition": t.outside}
}
