package burst

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/clock"
)

// TestMetricsIdentityOverSimulatedMonth runs 35 days of selections and
// contacts (a quarter of them missed) against a small memory, counts what
// the ground station received, and checks panel (c) against it: the
// identity transmitted = new − overwritten − Δheld must hold every day.
func TestMetricsIdentityOverSimulatedMonth(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	sc := []string{"mms1", "mms2", "mms3", "mms4"}
	b := testBDM(t, openStore(t), clk, sc, 300)
	rng := rand.New(rand.NewPCG(1, 2))
	received := map[string]int{}
	overwrote := 0
	k := 0
	for day := 0; day < 35; day++ {
		for hour := 0; hour < 24; hour += 6 {
			var sels []Selection
			for n := 0; n < 5; n++ {
				s := sel{bufs: 1 + rng.IntN(30), fom: float64(rng.IntN(256)), obs: "1111"}
				if rng.IntN(5) == 0 {
					s.obs = "1101"
				}
				sels = append(sels, s.selection(k))
				k++
			}
			if _, err := b.Apply(ctx, sels); err != nil {
				t.Fatal(err)
			}
			clk.Advance(3 * time.Hour)
			if rng.IntN(4) != 0 { // missed contacts leave the memory to fill
				sent, err := b.Contact(ctx, 40)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range sent {
					received[clk.Now().Format(time.DateOnly)] += r.Buffers
				}
			}
			clk.Advance(3 * time.Hour)
		}
	}
	checkInvariant(t, b)
	segs, err := b.Segments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	end := clk.Now().Add(-time.Hour)
	m, err := ComputeMetrics(segs, b.cfg.Burst, end, 30)
	if err != nil {
		t.Fatal(err)
	}
	for d, day := range m.Days {
		if m.Transmitted[d] != received[day] {
			t.Errorf("%s: transmitted %d by the identity, ground station received %d", day, m.Transmitted[d], received[day])
		}
		overwrote += sum(m.OverwrittenByCategory[d])
		if sum(m.NewByCategory[d]) != sum(m.NewByStatus[d]) {
			t.Errorf("%s: new by category %d ≠ by status %d", day, sum(m.NewByCategory[d]), sum(m.NewByStatus[d]))
		}
	}
	if overwrote == 0 {
		t.Error("no buffer overwritten in a month with missed contacts: the test exercises nothing")
	}
	held, _ := b.Held(ctx)
	last := sum(m.HeldByCategory[29])
	if last != held[0]+held[1]+held[2]+held[3] {
		t.Errorf("held at the end %d, memory records %v", last, held)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	rep := Reports(segs, b.cfg.Burst, sc)
	least := rep[0].Held
	for _, r := range rep {
		least = min(least, r.Held)
	}
	for i, r := range rep {
		if r.Held != held[i] || r.HeldMB != float64(held[i])*4 || r.BehindMegabits != float64(r.Held-least)*32 {
			t.Errorf("report %+v, held %d", r, held[i])
		}
	}
}
