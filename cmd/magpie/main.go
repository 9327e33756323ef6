// Command magpie is the Magpie CLI: it serves the local SDC, simulates a
// mission, ingests files, and checks file names.
//
// Exit codes: 0 success; 1 the work failed (a store, the network); 2 bad input
// (usage, an invalid name, a rejected file), with one line on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/magpie-sdc/magpie/shared/mission"
	"github.com/magpie-sdc/magpie/shared/runtime"
)

// command is one subcommand: it returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":      {"run the local SDC: watch the dropbox, serve HTTP", serveCommand},
		"simulate":   {"write a simulated mission's telemetry, ancillary and burst metadata", simulateCommand},
		"ingest":     {"ingest files into the SDC (locally or through a server)", ingestCommand},
		"check-name": {"parse file names and print their fields as JSON lines", checkNameCommand},
		"workflow":   {"run or inspect Step Functions workflows locally", workflowCommand},
		"jobs":       {"list and inspect processing jobs; retry-failed re-queues failed ones", jobsCommand},
		"sweep":      {"index everything waiting in a stopped SDC's dropbox, then exit", sweepCommand},
		"users":      {"add, list or remove team members (users add|list|remove)", usersCommand},
		"query":      {"search an SDC's files through its API; prints a table or JSON lines", queryCommand},
		"download":   {"download files by name or query through the API (resumable, verified)", downloadCommand},
		"reprocess":  {"run a reprocessing campaign (dry-run: plan and estimate only)", reprocessCommand},
		"sitl":       {"SITL window: show ABS, validate or submit selections, approve, status", sitlCommand},
		"invoke":     {"run one Lambda function on an event, locally or against AWS (--aws)", invokeCommand},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "magpie: unknown command %q (run `magpie help`)\n", args[0])
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "magpie — a serverless science data center, runnable on one machine")
	fmt.Fprintln(w, "\nUsage: magpie COMMAND [flags]   (magpie COMMAND -h for a command's flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].summary)
	}
}

// newFlags returns a flag set that reports errors as one line.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("magpie "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args; on error it returns the exit code to use.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// fail prints one line to stderr and returns code.
func fail(stderr io.Writer, code int, format string, a ...any) int {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintln(stderr, "magpie: "+strings.ReplaceAll(msg, "\n", "; "))
	return code
}

func loadProfile(path string) (*mission.Profile, error) {
	return mission.LoadOrDefault(path)
}

// defaultDataDir is where the local SDC keeps its data unless told otherwise.
func defaultDataDir() string {
	if d := os.Getenv("MAGPIE_DATA"); d != "" {
		return d
	}
	return ".magpie"
}

// openLocal opens the SDC in a data folder for a one-shot command. On
// failure it has printed one line and returns the exit code: 2 when a
// running server holds the folder (with hint, what to do instead), 1 for
// anything else.
func openLocal(ctx context.Context, cfg runtime.Config, stderr io.Writer, hint string) (*runtime.Local, int) {
	sdc, err := runtime.Open(ctx, cfg)
	if errors.Is(err, runtime.ErrDataDirBusy) {
		if hint != "" {
			return nil, fail(stderr, 2, "%v; %s", err, hint)
		}
		return nil, fail(stderr, 2, "%v", err)
	}
	if err != nil {
		return nil, fail(stderr, 1, "%v", err)
	}
	return sdc, 0
}
