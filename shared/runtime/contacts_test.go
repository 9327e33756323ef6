package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/burst"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/simulate"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// TestContactsDownlinkInFOMOrder runs the ground contacts on the fake clock
// over four simulated days with about a quarter of them missed: held
// contacts send the held segments highest FOM first, missed ones send
// nothing, every segment ends COMPLETE+FINISHED and every contact is
// recorded.
func TestContactsDownlinkInFOMOrder(t *testing.T) {
	ctx := context.Background()
	const contacts, segments, segBuffers, capacity = 16, 12, 30, 50
	cfg := mission.Contacts{EveryHours: 6, DurationMinutes: 30, BuffersPerContact: capacity, MissedFraction: 0.25}
	start := time.Date(2015, 10, 17, 0, 30, 0, 0, time.UTC)
	// A seed whose first contacts miss about a quarter, the first one held.
	var sched []burst.Contact
	for cfg.Seed = 1; ; cfg.Seed++ {
		var err error
		if sched, err = simulate.ContactSchedule(cfg, start, start.Add(contacts*cfg.Every())); err != nil {
			t.Fatal(err)
		}
		missed := 0
		for _, c := range sched {
			if c.Missed {
				missed++
			}
		}
		if missed >= 3 && missed <= 5 && !sched[0].Missed {
			break
		}
	}
	if len(sched) != contacts {
		t.Fatalf("%d contacts", len(sched))
	}

	p, err := mission.Default()
	if err != nil {
		t.Fatal(err)
	}
	p.Simulation.Contacts = cfg
	clk := clock.NewFake(start)
	l, err := Open(ctx, Config{DataDir: t.TempDir(), NoSync: true, Workers: 2, Clock: clk, Profile: p})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w, err := l.StartWorkflows(ctx, WorkflowsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// Twelve segments of 30 buffers on every observatory, FOMs in no order.
	t0, err := timeutil.UTCToTAI(time.Date(2015, 10, 16, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	t0 -= t0 % 10
	var sels []burst.Selection
	for i := range segments {
		fom := float64(10 + (i*7)%segments*10) // a permutation of 10..120
		s := t0 + int64(i)*1000
		sels = append(sels, burst.Selection{TAIStart: s, TAIEnd: s + (segBuffers-1)*10, FOM: fom, Source: "ABS"})
	}
	if _, err := w.BDM.Apply(ctx, sels); err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.RunSchedules(runCtx, ScheduleConfig{NightlyAt: -1, Workflows: w, Contacts: true}) }()
	for k, c := range sched {
		waitFor(t, "the contact schedule to wait", func() bool { return clk.Pending() > 0 })
		clk.Set(c.Start)
		waitFor(t, "contact recorded", func() bool {
			got, err := w.Contacts.List(ctx)
			return err == nil && len(got) == k+1
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	got, err := w.Contacts.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	missedAt := map[time.Time]bool{}
	for i, c := range got {
		if !c.Start.Equal(sched[i].Start) || c.Missed != sched[i].Missed || !c.End.Equal(sched[i].End) {
			t.Errorf("contact %d = %+v, want %+v", i, c, sched[i])
		}
		if c.Missed {
			missedAt[c.Start] = true
			if len(c.Sent) != 0 {
				t.Errorf("missed contact %s sent %v", c.Start, c.Sent)
			}
			continue
		}
		for sc, n := range c.Sent {
			if n > capacity {
				t.Errorf("contact %s: %s sent %d > %d", c.Start, sc, n, capacity)
			}
			sent[sc] += n
		}
	}
	for _, sc := range p.Spacecraft {
		if sent[sc] != segments*segBuffers {
			t.Errorf("%s sent %d buffers, want %d", sc, sent[sc], segments*segBuffers)
		}
	}

	segs, err := w.BDM.Segments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type span struct{ first, last time.Time }
	tx := map[int64]span{}
	incomplete := 0
	for _, s := range segs {
		if s.Status != burst.StatusComplete|burst.StatusFinished || s.Pending {
			t.Errorf("segment %d (FOM %g) ends %s pending=%v", s.ID, s.FOM, s.Status, s.Pending)
		}
		var sp span
		for _, e := range s.History {
			if e.Kind == burst.EventStatus && e.Status == burst.StatusIncomplete.String() {
				incomplete++
			}
			if e.Kind != burst.EventTransmitted {
				continue
			}
			if missedAt[e.At] {
				t.Errorf("segment %d transmitted during missed contact %s", s.ID, e.At)
			}
			if sp.first.IsZero() {
				sp.first = e.At
			}
			sp.last = e.At
		}
		tx[s.ID] = sp
	}
	if incomplete == 0 {
		t.Error("no segment was left INCOMPLETE by a contact that ran out of capacity")
	}
	// FOM order: a lower-FOM segment starts going down no earlier than the
	// contact that finished every higher-FOM one.
	for _, a := range segs {
		for _, b := range segs {
			if a.FOM > b.FOM && tx[b.ID].first.Before(tx[a.ID].last) {
				t.Errorf("segment FOM %g sent at %s before FOM %g finished at %s", b.FOM, tx[b.ID].first, a.FOM, tx[a.ID].last)
			}
		}
	}

	// A contact already recorded is not run again.
	if _, ran, err := w.RunContact(ctx, sched[0], capacity); err != nil || ran {
		t.Errorf("re-run of a recorded contact: ran=%v err=%v", ran, err)
	}
}
