package simulate

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/magpie-sdc/magpie/shared/ccsds"
)

// Packetisation: a packet holds the samples of at most maxPacketSeconds
// and at most maxPayloadBytes of values (at least one sample), so fast
// rates get ~2 KB packets and slow rates one sample per packet.
const (
	maxPacketSeconds = 8
	maxPayloadBytes  = 2048
)

// quantity is a kind of measurement the simulator can produce; profiles
// name it in simulation.instruments[].quantity.
type quantity struct {
	values int // K, values per sample
	// sample evaluates one sample for spacecraft c at day offset o into
	// out (len K); r is the file's noise stream.
	sample func(cu *cursor, d *day, o float64, r *rand.Rand, out []int32)
}

// Scales of the scaled-integer moments (see docs/l0-format.md).
const (
	densityScale     = 1000 // counts per cm^-3
	velocityScale    = 100  // counts per km/s
	temperatureScale = 100  // counts per eV
)

// sampleField: raw fluxgate counts of the field in the spinning body frame.
func sampleField(cu *cursor, d *day, o float64, r *rand.Rand, out []int32) {
	c := cu.c
	pos, m, phase := cu.at(o)
	bg := cu.w.backgroundB(pos, m, d.t0+o)
	b := bg
	turb := 0.0
	for k := range d.events {
		e := &d.events[k]
		if lo, hi := e.reach(); o < lo || o > hi {
			continue
		}
		t1, t2 := e.crossings(c)
		f := bump(o, t1, t2, e.tau)
		sheath := bg.rotate(e.normal, e.rotAngle).scale(e.magRatio)
		b = b.add(sheath.sub(bg).scale(f))
		b = b.add(e.waveDir.scale(f * e.waveAmp * math.Sin(2*math.Pi*o/e.wavePer)))
		turb += f * e.strength
	}
	sigma := 0.05 + 0.6*turb // nT: sensor noise plus turbulence inside events
	b = b.add(vec{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}.scale(sigma))
	counts := c.cal.Counts(c.toBody(b, phase))
	copy(out, counts[:])
}

// sampleMoments: density, bulk velocity (despun frame) and temperature.
func sampleMoments(cu *cursor, d *day, o float64, r *rand.Rand, out []int32) {
	c := cu.c
	pos, _, _ := cu.at(o)
	p := cu.w.backgroundPlasma(pos, d.t0+o)
	for k := range d.events {
		e := &d.events[k]
		if lo, hi := e.reach(); o < lo || o > hi {
			continue
		}
		t1, t2 := e.crossings(c)
		f := bump(o, t1, t2, e.tau)
		p.n += f * (e.nSheath - p.n)
		p.t += f * (e.tSheath - p.t)
		p.v = p.v.add(e.flow.sub(p.v).scale(f))
	}
	// Counting statistics: a few per cent, more where plasma is tenuous.
	rel := 0.02 + 0.05/math.Sqrt(p.n)
	n := p.n * (1 + rel*r.NormFloat64())
	temp := p.t * (1 + rel*r.NormFloat64())
	v := c.toDespun(p.v.add(vec{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}.scale(3 + 20*rel)))
	out[0] = clampInt32(math.Round(math.Max(n, 0) * densityScale))
	out[1] = clampInt32(math.Round(v[0] * velocityScale))
	out[2] = clampInt32(math.Round(v[1] * velocityScale))
	out[3] = clampInt32(math.Round(v[2] * velocityScale))
	out[4] = clampInt32(math.Round(math.Max(temp, 0) * temperatureScale))
}

// stream describes one telemetry file's content.
type stream struct {
	apid    uint16
	mode    uint8
	period  float64
	q       quantity
	spans   []span // day offsets to cover (the day, or one burst segment)
	noiseID []any  // labels of the noise stream
}

// samplesPerPacket returns how many samples one packet carries.
func samplesPerPacket(period float64, k int) int {
	n := min(int(math.Floor(maxPacketSeconds/period+1e-9)), maxPayloadBytes/(4*k))
	return max(n, 1)
}

// sampleCount is the number of samples j·period that fall in [0, dur).
func sampleCount(dur, period float64) int {
	return int(math.Ceil(dur/period - 1e-9))
}

// writeTelemetry writes the packets of s for spacecraft c and returns
// their number. The sequence count starts at 0 in every file.
func (w *world) writeTelemetry(ctx context.Context, out io.Writer, d *day, c *craft, s stream) (int, error) {
	r := newRand(w.seed, s.noiseID...)
	k := s.q.values
	per := samplesPerPacket(s.period, k)
	pkt := ccsds.Packet{APID: s.apid, Spacecraft: uint8(c.number), Mode: s.mode, ValuesPerSample: uint8(k)}
	values := make([]int32, per*k)
	cu := newCursor(w, c, d)
	var buf []byte
	packets := 0
	for _, sp := range s.spans {
		total := sampleCount(sp.end-sp.start, s.period)
		for j0 := 0; j0 < total; j0 += per {
			if packets%64 == 0 {
				if err := ctx.Err(); err != nil {
					return packets, err
				}
			}
			n := min(per, total-j0)
			for j := range n {
				o := sp.start + float64(j0+j)*s.period
				s.q.sample(cu, d, o, r, values[j*k:(j+1)*k])
			}
			tm, err := ccsds.CUCFromTAI(d.taiStart, sp.start+float64(j0)*s.period)
			if err != nil {
				return packets, err
			}
			pkt.Time = tm
			pkt.Samples = values[:n*k]
			pkt.SeqCount = uint16(packets % (ccsds.MaxSeqCount + 1))
			if buf, err = ccsds.Append(buf[:0], pkt); err != nil {
				return packets, fmt.Errorf("encode packet: %w", err)
			}
			if _, err := out.Write(buf); err != nil {
				return packets, err
			}
			packets++
		}
	}
	return packets, nil
}
