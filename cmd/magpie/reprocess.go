package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/magpie-sdc/magpie/shared/asl"
	"github.com/magpie-sdc/magpie/shared/campaign"
	"github.com/magpie-sdc/magpie/shared/runtime"
)

// reprocessCommand implements `magpie reprocess`: it runs
// statemachines/reprocess.asl.json with the local interpreter on the data
// folder, printing the execution id, the estimate and (with --wait or
// without --dry-run) progress and the summary.
func reprocessCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("reprocess", stderr)
	data := fs.String("data", defaultDataDir(), "data folder of a local SDC that is not running")
	profilePath := fs.String("profile", "", "mission profile file (YAML or JSON); default: the built-in MMS profile")
	instruments := fs.String("instrument", "", "instruments, comma-separated (e.g. fgm)")
	levels := fs.String("level", "", "levels, comma-separated (default: all); downstream levels follow")
	products := fs.String("product", "", "products, comma-separated: node ids (fgm-srvy-l2) or keys (fgm/srvy/l2)")
	spacecraft := fs.String("spacecraft", "", "spacecraft, comma-separated (default: all)")
	start := fs.String("start", "", "first day, YYYY-MM-DD")
	end := fs.String("end", "", "last day, YYYY-MM-DD (default: start)")
	reason := fs.String("reason", "", "why (kept with the campaign)")
	dryRun := fs.Bool("dry-run", false, "plan and estimate only")
	wait := fs.Bool("wait", true, "wait for the campaign to finish (a local run always does)")
	concurrency := fs.Int("concurrency", campaign.DefaultConcurrency, "items run at once")
	tolerated := fs.Float64("tolerated-failure-percentage", 0, "percentage of items that may fail")
	name := fs.String("name", "", "execution name (default: a UUID)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	_ = wait // the interpreter runs in this process: it cannot outlive it
	if *end == "" {
		*end = *start
	}
	req := campaign.Request{Instruments: splitList(*instruments), Levels: splitList(*levels), Products: splitList(*products),
		Spacecraft: splitList(*spacecraft), Start: *start, End: *end, Reason: *reason, DryRun: *dryRun,
		Concurrency: *concurrency, ToleratedFailurePercentage: *tolerated}
	p, err := loadProfile(*profilePath)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sdc, code := openLocal(ctx, runtime.Config{DataDir: *data, Profile: p}, stderr, "start the campaign through the server's HTTP API instead")
	if sdc == nil {
		return code
	}
	defer sdc.Close()
	svc, err := sdc.CampaignService(ctx)
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	persist, err := asl.NewTablePersistence(ctx, sdc.Tables)
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	var bar interface{ Add(int) error }
	var items int64
	eng, def, err := svc.NewEngine(persist, func(_ string, ev asl.HistoryEvent) {
		switch ev.Type {
		case "StateEntered", "TaskStateEntered", "ChoiceStateEntered", "PassStateEntered", "MapStateEntered":
			if ev.StateName == "RunJobs" {
				if m, ok := ev.Input.(map[string]any); ok {
					if n, ok := m["items"].(json.Number); ok {
						items, _ = n.Int64()
					}
				}
				b := newBar(stderr, items, "campaign items")
				bar = b
			} else if ev.Index == nil && ev.StateName != "RunJob" {
				fmt.Fprintf(stderr, "%s\n", ev.StateName)
			}
		case "MapIterationSucceeded", "MapIterationFailed":
			if bar != nil {
				bar.Add(1)
			}
		}
	})
	if err != nil {
		return fail(stderr, 1, "%v", err)
	}
	defer eng.Close()
	in, _ := json.Marshal(req)
	id, err := eng.Start(ctx, def, *name, in)
	if err != nil {
		return fail(stderr, 2, "reprocess: %v", err)
	}
	fmt.Fprintf(stdout, "execution %s\n", id)
	ex, err := eng.Wait(ctx, id)
	if err != nil {
		return fail(stderr, 1, "reprocess: %v", err)
	}
	fmt.Fprintln(stderr)
	out := ex.Output
	if ex.Status != asl.StatusSucceeded {
		if ex.Error == "CampaignFailed" {
			out = json.RawMessage(ex.Cause)
		} else {
			return fail(stderr, 1, "reprocess: %s: %s: %s", ex.Status, ex.Error, ex.Cause)
		}
	}
	var shown any
	if err := json.Unmarshal(out, &shown); err == nil {
		b, _ := json.MarshalIndent(shown, "", "  ")
		fmt.Fprintln(stdout, string(b))
	}
	if ex.Status != asl.StatusSucceeded {
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
