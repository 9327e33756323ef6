package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/ingest"
	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/naming"
	"github.com/magpie-sdc/magpie/shared/pipeline"
	"github.com/magpie-sdc/magpie/shared/processors"
	"github.com/magpie-sdc/magpie/shared/store/local"
)

// Size of the full-mission planning benchmark: the 4 spacecraft ×
// {fgm, fpi} × 900 days. Each spacecraft-day has what the simulator
// delivers for those instruments: survey/fast L0, a calibration file per
// instrument, attitude and ephemeris, and benchBursts burst segments of L0
// per instrument.
const (
	benchDays   = 900
	benchBursts = 2
)

var benchFirstDay = time.Date(2015, 9, 1, 0, 0, 0, 0, time.UTC)

// fullMissionRecords is the catalog a full-mission campaign plans over.
func fullMissionRecords(tb testing.TB, scs []string, days, bursts int) []catalog.Record {
	tb.Helper()
	ingested := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []catalog.Record
	add := func(name string, size int64) {
		n, err := naming.Parse(name)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		r, err := catalog.FromName(n)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		sum := sha256.Sum256([]byte(name))
		r.SHA256, r.Size, r.Ingested = hex.EncodeToString(sum[:]), size, ingested
		recs = append(recs, r)
	}
	for _, sc := range scs {
		for d := range days {
			t := benchFirstDay.AddDate(0, 0, d)
			ymd := t.Format("20060102")
			end := t.AddDate(0, 0, 1)
			add(fmt.Sprintf("%s_fgm_srvy_l0_%s_v1.0.0.dat", sc, ymd), 16_600_000)
			add(fmt.Sprintf("%s_fgm_srvy_cal_%s_v1.1.0.csv", sc, ymd), 200)
			add(fmt.Sprintf("%s_fpi_fast_l0_dis-moms_%s_v1.0.0.dat", sc, ymd), 3_000_000)
			add(fmt.Sprintf("%s_fpi_fast_cal_dis-moms_%s_v1.0.0.csv", sc, ymd), 200)
			for _, prod := range []string{"DEFATT", "DEFEPH"} {
				add(fmt.Sprintf("MMS%s_%s_%d%03d_%d%03d.V00", sc[3:], prod, t.Year(), t.YearDay(), end.Year(), end.YearDay()), 500_000)
			}
			for b := range bursts {
				tag := t.Add(time.Duration(3+5*b) * time.Hour).Format("20060102150405")
				add(fmt.Sprintf("%s_fgm_brst_l0_%s_v1.0.0.dat", sc, tag), 400_000)
				add(fmt.Sprintf("%s_fpi_brst_l0_dis-moms_%s_v1.0.0.dat", sc, tag), 900_000)
			}
		}
	}
	return recs
}

// newBenchService is a campaign service on the MMS profile and built-in
// processors, over a catalog bulk-loaded with recs.
func newBenchService(tb testing.TB, recs []catalog.Record) *Service {
	tb.Helper()
	ctx := context.Background()
	prof, err := mission.Default()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	archive, _ := local.NewObjectStore(filepath.Join(dir, "archive"))
	dropbox, _ := local.NewObjectStore(filepath.Join(dir, "dropbox"))
	work, _ := local.NewObjectStore(filepath.Join(dir, "workflows"))
	tables, err := local.OpenTableStore(filepath.Join(dir, "tables.db"), local.WithNoSync())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tables.Close() })
	cat := catalog.New(tables)
	if err := cat.EnsureTable(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := cat.BulkLoad(ctx, recs); err != nil {
		tb.Fatal(err)
	}
	fc := clock.NewFake(time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC))
	log := slog.New(slog.DiscardHandler)
	ix := &ingest.Indexer{Profile: prof, Dropbox: dropbox, Archive: archive, Catalog: cat, Events: &recorder{}, Clock: fc, Log: log}
	p, err := pipeline.New(ctx, pipeline.Config{Profile: prof, Builtins: processors.Registry(prof), Tables: tables,
		Catalog: cat, Archive: archive, Dropbox: dropbox, Indexer: ix, Clock: fc, Log: log,
		WorkDir: filepath.Join(dir, "work")})
	if err != nil {
		tb.Fatal(err)
	}
	return &Service{Pipeline: p, Objects: work, Bucket: "magpie-workflows", Tables: tables, Prices: prof.Prices, Clock: fc}
}

// BenchmarkPlanFullMission plans a campaign over every level of fgm and fpi
// for 4 spacecraft and 900 days (goal: < 3 s per plan). The jobs table is
// empty, so every slot is planned: the largest plan such a request makes.
func BenchmarkPlanFullMission(b *testing.B) {
	scs := []string{"mms1", "mms2", "mms3", "mms4"}
	recs := fullMissionRecords(b, scs, benchDays, benchBursts)
	svc := newBenchService(b, recs)
	end := benchFirstDay.AddDate(0, 0, benchDays-1)
	req := Request{Instruments: []string{"fgm", "fpi"}, Spacecraft: scs,
		Start: benchFirstDay.Format(time.DateOnly), End: end.Format(time.DateOnly), Reason: "benchmark"}
	ctx := context.Background()
	var p *Plan
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var err error
		p, err = svc.Plan(ctx, PlanInput{Action: "plan", CampaignID: fmt.Sprintf("bench-%d", i), Request: req})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs)), "catalog-records")
	b.ReportMetric(float64(p.Jobs), "jobs")
	b.ReportMetric(float64(p.Items), "items")
	b.ReportMetric(float64(p.ByReason[ReasonNotRun]), "notrun-jobs")
}
