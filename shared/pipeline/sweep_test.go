package pipeline

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/events"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/store"
)

// collect subscribes to typ on the harness bus and returns what arrived.
func (s *sdc) collect(typ string) func() []events.Event {
	var mu sync.Mutex
	var got []events.Event
	s.bus.Subscribe(typ, func(_ context.Context, e events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		return nil
	})
	return func() []events.Event {
		s.bus.Drain()
		mu.Lock()
		defer mu.Unlock()
		return append([]events.Event(nil), got...)
	}
}

func TestFailedJobPublishesJobFailed(t *testing.T) {
	s := newSDC(t, testGraph(), nil)
	s.failing = map[string]string{"fake-l1a": "calibration table unreadable"}
	failed := s.collect(events.JobFailed)
	att, attBody := attFile()
	s.drop(att, attBody)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))

	evs := failed()
	if len(evs) != 1 {
		t.Fatalf("%d JobFailed events, want 1: %v", len(evs), evs)
	}
	var d events.JobFailedDetail
	if err := json.Unmarshal(evs[0].Detail, &d); err != nil {
		t.Fatal(err)
	}
	job := s.jobOf("l1a")
	want := events.JobFailedDetail{JobID: job.ID, Node: "l1a", Product: "mms1_fgm_srvy_l1a", Processor: "fake-l1a", SC: "mms1",
		TimeTag: "20151016", Attempts: 1, Error: job.Error}
	if d != want || job.Status != StatusFailed || d.Error == "" {
		t.Errorf("detail %+v (job %s), want %+v", d, job.Status, want)
	}
	if !evs[0].Time.Equal(s.clock.Now()) {
		t.Errorf("event time %v, want the clock's %v", evs[0].Time, s.clock.Now())
	}

	// The nightly retry fails again: a second event; once it succeeds, none.
	if _, err := s.p.NightlySweep(s.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(failed()); n != 2 {
		t.Errorf("after a failed retry: %d JobFailed events, want 2", n)
	}
	s.failing = nil
	if _, err := s.p.NightlySweep(s.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(failed()); n != 2 {
		t.Errorf("after a successful retry: %d JobFailed events, want still 2", n)
	}
}

func TestNightlySweepHealsArchiveTagsInBoundedRuns(t *testing.T) {
	s := newSDC(t, testGraph(), nil)
	att, attBody := attFile()
	s.drop(att, attBody)
	s.drop("mms1_fgm_srvy_l0_20151016_v1.0.0.dat", l0("day one"))
	s.drop("mms1_fgm_srvy_l0_20151016_v1.1.0.dat", l0("day one, again"))

	// Forget every tag, as for files archived before tagging existed.
	var keys []string
	err := store.ListAll(s.ctx, s.archive, "", func(o store.ObjectInfo) error {
		keys = append(keys, o.Key)
		return s.archive.SetTags(s.ctx, o.Key, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 5 {
		t.Fatalf("only %d archived files: %v", len(keys), keys)
	}
	s.p.tagHealBatch = 2
	s.clock.Advance(time.Hour) // the change feed reads up to the present
	examined := 0
	for run := 1; ; run++ {
		res, err := s.p.NightlySweep(s.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.TagsExamined > 2 {
			t.Fatalf("run %d examined %d records, batch 2", run, res.TagsExamined)
		}
		examined += res.TagsExamined
		if res.TagsExamined == 0 {
			break
		}
		if run > len(keys) {
			t.Fatalf("still examining after %d runs: the position is not kept", run)
		}
	}
	if examined != len(keys) {
		t.Errorf("examined %d records over all runs, want each of the %d once", examined, len(keys))
	}
	for _, k := range keys {
		h, err := s.archive.Head(s.ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if h.Tags[ingest.TagLevel] == "" && h.Tags[ingest.TagKind] == "" {
			t.Errorf("%s not healed: %v", k, h.Tags)
		}
	}
	old, _ := s.archive.Head(s.ctx, "mms1/fgm/srvy/l0/2015/10/mms1_fgm_srvy_l0_20151016_v1.0.0.dat")
	cur, _ := s.archive.Head(s.ctx, "mms1/fgm/srvy/l0/2015/10/mms1_fgm_srvy_l0_20151016_v1.1.0.dat")
	if old.Tags[ingest.TagSuperseded] != "true" || cur.Tags[ingest.TagSuperseded] != "" {
		t.Errorf("l0 v1.0.0 tags %v, v1.1.0 tags %v; want only the older superseded", old.Tags, cur.Tags)
	}
	// The sweep's position lives in the jobs table but is no job.
	for _, status := range Statuses {
		for _, j := range s.jobs(status) {
			if j.ID == "" {
				t.Errorf("a job without id listed under %s", status)
			}
		}
	}
}
