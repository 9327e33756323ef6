package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/pipeline"
)

func TestJobsJSON(t *testing.T) {
	f := newFixture(t)
	jobs := pipeline.NewJobs(f.l.Tables)
	ctx := context.Background()
	if err := jobs.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2015, 10, 16, 0, 0, 0, 0, time.UTC)
	for i, st := range []string{pipeline.StatusSucceeded, pipeline.StatusFailed, pipeline.StatusSucceeded} {
		j := pipeline.Job{ID: "job-" + string(rune('a'+i)), Node: "fgm-srvy-l1a", Processor: "fgm-l1a", SC: "mms1", Start: day,
			TimeDigits: 8, Status: st, Created: ingestTime.Add(time.Duration(i) * time.Minute)}
		if st == pipeline.StatusFailed {
			j.Error = "bad packet"
		}
		if _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	h := New(Backend{Profile: f.l.Profile, Catalog: f.l.Catalog, Dropbox: f.l.Dropbox, Archive: f.l.Archive, Clock: f.clk,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Passwords: f.users, Release: f.rel, Jobs: jobs})
	srv := httptest.NewServer(h)
	defer srv.Close()
	g := *f
	g.srv = srv

	// The fixture's own ingests planned jobs too (its files are not real
	// telemetry): the test's jobs are those named job-*.
	counts, err := jobs.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	mine := func(js []pipeline.Job) (ids []string) {
		for _, j := range js {
			if strings.HasPrefix(j.ID, "job-") {
				ids = append(ids, j.ID)
			}
		}
		return ids
	}
	a := g.do(t, call{path: "/api/v1/jobs", user: "scientist"})
	var list struct {
		Counts map[string]int `json:"counts"`
		Jobs   []pipeline.Job `json:"jobs"`
	}
	if a.status != 200 || json.Unmarshal([]byte(a.body), &list) != nil || len(list.Jobs) != total ||
		list.Counts[pipeline.StatusFailed] != counts[pipeline.StatusFailed] || strings.Join(mine(list.Jobs), ",") != "job-c,job-b,job-a" {
		t.Fatalf("jobs: %d %.400s", a.status, a.body)
	}
	for i := 1; i < len(list.Jobs); i++ {
		if list.Jobs[i].Created.After(list.Jobs[i-1].Created) {
			t.Errorf("jobs not newest first at %d", i)
		}
	}
	a = g.do(t, call{path: "/api/v1/jobs?status=FAILED&limit=100", user: "scientist"})
	if json.Unmarshal([]byte(a.body), &list) != nil || len(list.Jobs) != counts[pipeline.StatusFailed] || strings.Join(mine(list.Jobs), ",") != "job-b" {
		t.Errorf("failed jobs: %d %.400s", a.status, a.body)
	}
	// The newest two of every status: the test's last two jobs were made
	// after the fixture's.
	if a = g.do(t, call{path: "/api/v1/jobs?limit=2", user: "scientist"}); json.Unmarshal([]byte(a.body), &list) != nil ||
		strings.Join(mine(list.Jobs), ",") != "job-c,job-b" {
		t.Errorf("limit=2: %.300s", a.body)
	}
	for _, bad := range []string{"status=BROKEN", "limit=0", "limit=1001", "limit=x"} {
		if a = g.do(t, call{path: "/api/v1/jobs?" + bad, user: "scientist"}); a.status != 400 || !strings.Contains(a.body, `"error"`) {
			t.Errorf("%s: %d %s", bad, a.status, a.body)
		}
	}
	if a = g.do(t, call{path: "/api/v1/jobs/job-b", user: "scientist"}); a.status != 200 || !strings.Contains(a.body, `"bad packet"`) {
		t.Errorf("one job: %d %s", a.status, a.body)
	}
	if a = g.do(t, call{path: "/api/v1/jobs/job-z", user: "scientist"}); a.status != 404 {
		t.Errorf("unknown job: %d %s", a.status, a.body)
	}
	if a = g.do(t, call{path: "/api/v1/jobs"}); a.status != 401 {
		t.Errorf("public jobs: %d", a.status)
	}
	// Without a jobs table the route says so.
	if a = f.do(t, call{path: "/api/v1/jobs", user: "scientist"}); a.status != 503 {
		t.Errorf("no jobs table: %d %s", a.status, a.body)
	}
}

func TestBurstSegmentsJSON(t *testing.T) {
	f := newCycleFixture(t, true)
	if a := f.upload(t, "sitl_selections_2026-01-02-03-04-05.csv", f.selectionsCSV(t, 1200, 1500, "SITL")); a.status != 200 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	f.applied(t)
	a := f.do(t, call{path: "/api/v1/burst/segments", user: "scientist"})
	var got struct {
		Segments []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			FOM    float64
			Obs    []struct{} `json:"obs"`
		} `json:"segments"`
	}
	if a.status != 200 || json.Unmarshal([]byte(a.body), &got) != nil || len(got.Segments) == 0 {
		t.Fatalf("segments: %d %.400s", a.status, a.body)
	}
	for i, s := range got.Segments {
		if !strings.Contains(s.Status, "HELD") || len(s.Obs) != 4 || i > 0 && s.ID > got.Segments[i-1].ID {
			t.Errorf("segment %+v: want HELD, 4 observatories, newest first", s)
		}
	}
	a = f.do(t, call{path: "/api/v1/burst/segments?status=FINISHED", user: "scientist"})
	if json.Unmarshal([]byte(a.body), &got) != nil || len(got.Segments) != 0 {
		t.Errorf("finished segments: %.300s", a.body)
	}
	a = f.do(t, call{path: "/api/v1/burst/segments?limit=1", user: "scientist"})
	if json.Unmarshal([]byte(a.body), &got) != nil || len(got.Segments) != 1 {
		t.Errorf("limit=1: %.300s", a.body)
	}
	if a = f.do(t, call{path: "/api/v1/burst/segments?status=SOMETIMES", user: "scientist"}); a.status != 400 {
		t.Errorf("bad status: %d", a.status)
	}
	if a = f.do(t, call{path: "/api/v1/burst/segments"}); a.status != 401 {
		t.Errorf("public: %d", a.status)
	}
}
