package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/magpie-sdc/magpie/shared/clock"
	"github.com/magpie-sdc/magpie/shared/sitl"
	"github.com/magpie-sdc/magpie/shared/sitlcycle"
	"github.com/magpie-sdc/magpie/shared/store/local"
	"github.com/magpie-sdc/magpie/shared/timeutil"
)

const sitlUsage = `Usage: magpie sitl COMMAND [--data DIR] [--profile FILE] [--cycle ID]
  show              the current SITL window, its deadline and its ABS segments
  validate FILE.csv check a selections CSV (start_time, stop_time, fom, sourceid,
                    discussion) against the window without submitting: one line
                    per finding (row, rule, severity); exit 2 on errors
  submit FILE.csv   validate, then record the submission for the cycle (handed
                    to the SITL cycle when the SDC runs); exit 2 on errors
  approve [--by NAME] [--refuse]
                    a super-SITL's decision on the submission awaiting approval
  status            every cycle, one JSON line each
  --cycle defaults to the newest cycle. --data defaults to $MAGPIE_DATA or
  .magpie; the SDC server must not be running on it (it holds DIR/magpie.db).
`

// sitlCommand implements `magpie sitl`.
func sitlCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, 2, "sitl: give a subcommand: show, validate, submit, approve or status (magpie sitl help)")
	}
	sub := args[0]
	switch sub {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, sitlUsage)
		return 0
	case "show", "validate", "submit", "approve", "status":
	default:
		return fail(stderr, 2, "sitl: unknown subcommand %q (magpie sitl help)", sub)
	}
	fs := quietFlags(sub)
	data := fs.String("data", defaultDataDir(), "data folder of a stopped local SDC")
	profilePath := fs.String("profile", "", "mission profile file")
	cycleID := fs.String("cycle", "", "cycle id (default: the newest)")
	by := fs.String("by", os.Getenv("USER"), "approver name")
	refuse := fs.Bool("refuse", false, "refuse the submission instead of approving it")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, sitlUsage)
			return 0
		}
		return fail(stderr, 2, "sitl %s: %v", sub, err)
	}
	wantFile := sub == "validate" || sub == "submit"
	if wantFile && len(pos) != 1 || !wantFile && len(pos) != 0 {
		return fail(stderr, 2, "sitl %s: wrong arguments (magpie sitl help)", sub)
	}
	var rows []sitl.Row
	if wantFile {
		f, err := os.Open(pos[0])
		if err != nil {
			return fail(stderr, 2, "sitl %s: %v", sub, err)
		}
		rows, err = sitl.ParseCSV(f)
		f.Close()
		if err != nil {
			return fail(stderr, 2, "sitl %s: %s: %v", sub, pos[0], err)
		}
	}
	svc, closeStore, code := openSITL(*data, *profilePath, sub, stderr)
	if svc == nil {
		return code
	}
	defer closeStore()
	ctx := context.Background()
	if sub == "status" {
		cycles, err := svc.List(ctx)
		if err != nil {
			return fail(stderr, 1, "sitl status: %v", err)
		}
		for _, c := range cycles {
			if err := writeJSONLine(stdout, cycleLine(c)); err != nil {
				return fail(stderr, 1, "sitl status: %v", err)
			}
		}
		return 0
	}
	var c *sitlcycle.Cycle
	if *cycleID == "" {
		c, err = svc.Current(ctx)
	} else {
		c, err = svc.Get(ctx, *cycleID)
	}
	if errors.Is(err, sitlcycle.ErrNoCycle) {
		return fail(stderr, 2, "sitl %s: no SITL cycle %q in %s", sub, *cycleID, *data)
	}
	if err != nil {
		return fail(stderr, 1, "sitl %s: %v", sub, err)
	}
	switch sub {
	case "show":
		return sitlShow(c, stdout, stderr)
	case "validate":
		res := svc.Check(c, rows)
		printFindings(stdout, res)
		if res.Has(sitl.Error) {
			return fail(stderr, 2, "sitl validate: %s: rejected (%d findings)", pos[0], len(res.Findings))
		}
		fmt.Fprintf(stdout, "%s: %d selections valid for cycle %s%s\n", pos[0], len(rows), c.ID, approvalNote(res))
		return 0
	case "submit":
		res := svc.Check(c, rows)
		printFindings(stdout, res)
		if res.Has(sitl.Error) {
			return fail(stderr, 2, "sitl submit: %s: rejected, not submitted (%d findings)", pos[0], len(res.Findings))
		}
		s, err := svc.Submit(ctx, c.ID, filepath.Base(pos[0]), rows)
		if errors.Is(err, sitlcycle.ErrClosed) {
			return fail(stderr, 2, "sitl submit: %v", err)
		}
		if err != nil {
			return fail(stderr, 1, "sitl submit: %v", err)
		}
		fmt.Fprintf(stdout, "submission %d recorded for cycle %s%s; the SITL cycle takes it when the SDC runs\n", s.Seq, c.ID, approvalNote(res))
		return 0
	case "approve":
		if _, err := svc.Approve(ctx, c.ID, *by, !*refuse); err != nil {
			if errors.Is(err, sitlcycle.ErrClosed) {
				return fail(stderr, 2, "sitl approve: %v", err)
			}
			return fail(stderr, 1, "sitl approve: %v", err)
		}
		verb := "approved"
		if *refuse {
			verb = "refused"
		}
		fmt.Fprintf(stdout, "submission %d of cycle %s %s by %s\n", c.Validated, c.ID, verb, *by)
	}
	return 0
}

// openSITL opens the cycle service on a stopped local SDC's data folder.
func openSITL(dir, profilePath, sub string, stderr io.Writer) (*sitlcycle.Service, func(), int) {
	prof, err := loadProfile(profilePath)
	if err != nil {
		return nil, nil, fail(stderr, 2, "sitl %s: profile: %v", sub, err)
	}
	path := filepath.Join(dir, "magpie.db")
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fail(stderr, 2, "sitl %s: no local SDC data in %s (%s not found)", sub, dir, path)
	}
	ts, err := local.OpenTableStore(path, local.WithLockTimeout(storeLockTimeout))
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, nil, fail(stderr, 2, "sitl %s: the running SDC server holds %s: use its HTTP API, or stop it first", sub, path)
	}
	if err != nil {
		return nil, nil, fail(stderr, 1, "sitl %s: %v", sub, err)
	}
	svc, err := sitlcycle.New(context.Background(), sitlcycle.Config{Tables: ts, Burst: prof.Burst, Clock: clock.Real{}})
	if err != nil {
		ts.Close()
		return nil, nil, fail(stderr, 1, "sitl %s: %v", sub, err)
	}
	return svc, func() { ts.Close() }, 0
}

func sitlShow(c *sitlcycle.Cycle, stdout, stderr io.Writer) int {
	start, err1 := timeutil.TAIToUTC(c.Window.StartTAI)
	end, err2 := timeutil.TAIToUTC(c.Window.EndTAI)
	if err := errors.Join(err1, err2); err != nil {
		return fail(stderr, 1, "sitl show: %v", err)
	}
	fmt.Fprintf(stdout, "cycle %s  %s\n", c.ID, c.Status)
	fmt.Fprintf(stdout, "window   %s – %s UTC (TAI %d–%d)\n", start.Format(time.DateTime), end.Format(time.DateTime), c.Window.StartTAI, c.Window.EndTAI)
	fmt.Fprintf(stdout, "deadline %s UTC\n", c.Window.Deadline.UTC().Format(time.DateTime))
	fmt.Fprintf(stdout, "submissions %d", c.Submissions)
	if c.Source != "" {
		fmt.Fprintf(stdout, "; applied %s (%d segments)", c.Source, len(c.Segments))
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "ABS: %d segments\n", len(c.ABS))
	fmt.Fprintln(stdout, "start_time, stop_time, fom, sourceid, discussion")
	for _, sp := range c.ABS {
		a, err1 := timeutil.TAIToUTC(sp.TAIStart)
		// Stop is the end of the last buffer, as the CSV a SITL submits.
		z, err2 := timeutil.TAIToUTC(sp.TAIEnd + 10)
		if err := errors.Join(err1, err2); err != nil {
			return fail(stderr, 1, "sitl show: %v", err)
		}
		fmt.Fprintf(stdout, "%s, %s, %.1f, ABS, \n", a.Format(time.DateTime), z.Format(time.DateTime), sp.FOM)
	}
	return 0
}

func printFindings(w io.Writer, res sitl.Result) {
	for _, f := range res.Findings {
		where := fmt.Sprintf("row %d", f.Segment+1)
		if f.Segment < 0 {
			where = "submission"
		}
		fmt.Fprintf(w, "%s: %s %s: %s\n", where, f.Severity, f.Rule, f.Message)
	}
}

func approvalNote(res sitl.Result) string {
	if res.Has(sitl.Approval) {
		return " (needs super-SITL approval)"
	}
	return ""
}

// cycleStatus is the line `sitl status` prints per cycle.
type cycleStatus struct {
	ID          string    `json:"cycle_id"`
	Status      string    `json:"status"`
	Deadline    time.Time `json:"deadline"`
	ABS         int       `json:"abs_segments"`
	Submissions int       `json:"submissions"`
	Source      string    `json:"applied_source,omitempty"`
	Segments    int       `json:"segments,omitempty"`
	Playlist    string    `json:"playlist,omitempty"`
}

func cycleLine(c *sitlcycle.Cycle) cycleStatus {
	return cycleStatus{ID: c.ID, Status: c.Status, Deadline: c.Window.Deadline, ABS: len(c.ABS), Submissions: c.Submissions,
		Source: c.Source, Segments: len(c.Segments), Playlist: c.Playlist}
}
