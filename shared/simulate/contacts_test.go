package simulate

import (
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/mission"
)

func TestContactSchedule(t *testing.T) {
	cfg := mission.Contacts{EveryHours: 8, DurationMinutes: 45, BuffersPerContact: 100, MissedFraction: 0.25, Seed: 7}
	from := time.Date(2015, 10, 1, 3, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 365)
	cs, err := ContactSchedule(cfg, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 365*3 {
		t.Fatalf("%d contacts in a year, want %d", len(cs), 365*3)
	}
	if want := time.Date(2015, 10, 1, 8, 0, 0, 0, time.UTC); !cs[0].Start.Equal(want) {
		t.Errorf("first contact at %s, want %s", cs[0].Start, want)
	}
	missed := 0
	for i, c := range cs {
		if c.End.Sub(c.Start) != 45*time.Minute {
			t.Fatalf("contact %d lasts %s", i, c.End.Sub(c.Start))
		}
		if i > 0 && c.Start.Sub(cs[i-1].Start) != 8*time.Hour {
			t.Fatalf("contact %d starts %s after the previous", i, c.Start.Sub(cs[i-1].Start))
		}
		if c.Missed {
			missed++
		}
		at, err := ContactAt(cfg, c.Start.Add(time.Hour))
		if err != nil || !at.Start.Equal(c.Start) || at.Missed != c.Missed {
			t.Fatalf("ContactAt(%s) = %+v, %v; want %+v", c.Start.Add(time.Hour), at, err, c)
		}
	}
	if f := float64(missed) / float64(len(cs)); f < 0.20 || f > 0.30 {
		t.Errorf("missed fraction %.3f, want about 0.25", f)
	}
	// Deterministic: a sub-span is the same contacts; another seed differs.
	sub, err := ContactSchedule(cfg, cs[10].Start, cs[20].Start)
	if err != nil || len(sub) != 10 {
		t.Fatalf("sub-span: %d contacts, %v", len(sub), err)
	}
	for i := range sub {
		if sub[i].Start != cs[10+i].Start || sub[i].Missed != cs[10+i].Missed {
			t.Errorf("sub-span contact %d = %+v, want %+v", i, sub[i], cs[10+i])
		}
	}
	cfg.Seed = 8
	other, _ := ContactSchedule(cfg, from, to)
	same := 0
	for i := range other {
		if other[i].Missed == cs[i].Missed {
			same++
		}
	}
	if same == len(cs) {
		t.Error("another seed misses the same contacts")
	}
	next, err := NextContactStart(cfg, cs[0].Start)
	if err != nil || !next.Equal(cs[1].Start) {
		t.Errorf("NextContactStart(%s) = %s, %v; want %s", cs[0].Start, next, err, cs[1].Start)
	}
}

func TestContactScheduleEdges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fraction float64
		want     int // missed of 30
	}{{"never", 0, 0}, {"always", 1, 30}} {
		cfg := mission.Contacts{EveryHours: 24, DurationMinutes: 10, MissedFraction: tc.fraction}
		from := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		cs, err := ContactSchedule(cfg, from, from.AddDate(0, 0, 30))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range cs {
			if c.Missed {
				n++
			}
		}
		if len(cs) != 30 || n != tc.want || !cs[0].Start.Equal(from) {
			t.Errorf("%s: %d contacts from %s, %d missed", tc.name, len(cs), cs[0].Start, n)
		}
	}
	if _, err := ContactSchedule(mission.Contacts{}, time.Time{}, time.Now()); err == nil {
		t.Error("no contacts configured: accepted")
	}
	tiny := mission.Contacts{EveryHours: 1e-9, DurationMinutes: 1e-9}
	if _, err := ContactSchedule(tiny, time.Unix(0, 0), time.Unix(0, 0).AddDate(1, 0, 0)); err == nil {
		t.Error("unbounded schedule accepted")
	}
}
