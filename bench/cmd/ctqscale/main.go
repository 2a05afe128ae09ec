// Command ctqscale runs the ingest benchmark (ctqbench) and the query suite
// (ctqquery) at several archive sizes and draws how time and memory grow
// with the archive: results/scale/scale.json and scale.md, one directory
// of full results per size, and the plots scale-ingest.png and
// scale-query.png.
//
// The archives grow in time at a constant number of events per day, as a
// real trail does, so a query on a fixed time window should cost about the
// same whatever the lake's size (pruning), while a full scan grows with it.
// The time-bounded query uses the same account, region and day at every
// size (those picked from the smallest lake).
//
//	cd bench && go run ./cmd/ctqscale -sizes 250000,1000000,4000000
//	cd bench && go run ./cmd/ctqscale -smoke
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// eventsPerDay is the density of the scale archives: the 1M-event archive
// of the ingest benchmark spans 7 days, so 1M events keep that archive
// (and can reuse it) and other sizes span proportionally more or fewer days.
const eventsPerDay = 1_000_000 / 7

// smokeSizes are small enough for CI (a few seconds each) and still span a
// factor of 4, so the plots have something to show.
var smokeSizes = []int{2000, 4000, 8000}

type options struct {
	sizes       []int
	work, out   string
	plots       string
	ingestRuns  int
	queryRuns   int
	jqMaxEvents int
	quiet       time.Duration
	queryQuiet  time.Duration
	duckdbSQL   string
	smoke       bool
	replot      string
}

func main() {
	measure.Main() // in a spawner process: run the measured command and exit
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ctqscale: FAIL:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) (err error) {
	var o options
	fs := flag.NewFlagSet("ctqscale", flag.ContinueOnError)
	sizes := fs.String("sizes", "250000,1000000,4000000", "comma-separated archive sizes in events")
	fs.StringVar(&o.work, "work", "", "work directory for archives (reused when their parameters match), the lake and the binaries (default "+filepath.Join(os.TempDir(), "ctqbench")+"; -smoke: a fresh temporary directory, removed after a passing run)")
	fs.StringVar(&o.out, "out", "", "results directory (default <repo>/bench/results/scale; -smoke: in the smoke run's temporary work directory, removed after a passing run)")
	fs.StringVar(&o.plots, "plots", "", "directory for scale-ingest.png and scale-query.png (default <repo>/bench; -smoke: the results directory)")
	fs.IntVar(&o.ingestRuns, "ingest-runs", 1, "ingest runs per tool and size (fastest reported)")
	fs.IntVar(&o.queryRuns, "runs", 3, "query runs of ctq and DuckDB per query and size (fastest reported)")
	fs.IntVar(&o.jqMaxEvents, "jq-max-events", 1_000_000, "run zcat | jq only at sizes up to this many events (0: never; jq takes ~40 s per query per 1M events)")
	fs.DurationVar(&o.quiet, "quiet-wait", 2*time.Minute, "before each measured ingest run, wait up to this long for other processes to leave the CPUs idle (0: don't)")
	fs.DurationVar(&o.queryQuiet, "query-quiet-wait", 5*time.Second, "the same before each measured query run (there are 13 x 2 x runs of them per size)")
	fs.StringVar(&o.duckdbSQL, "duckdb-sql", "typed,json", "DuckDB conversion forms for the ingest comparison (see ctqbench)")
	fs.StringVar(&o.replot, "replot", "", "only rewrite scale.md (beside it) and redraw the plots (into -plots) from this scale.json, measuring nothing")
	fs.BoolVar(&o.smoke, "smoke", false, "tiny sizes, one run each, no waiting: checks the whole pipeline (for CI)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	if o.ingestRuns < 1 || o.queryRuns < 1 {
		return fmt.Errorf("-ingest-runs and -runs must be at least 1")
	}
	root, err := measure.RepoRoot()
	if err != nil {
		return err
	}
	if o.smoke {
		o.sizes, o.ingestRuns, o.queryRuns, o.quiet, o.queryQuiet = smokeSizes, 1, 1, 0, 0
	}
	var tw *measure.TempWork
	o.work, tw, err = measure.WorkDir(o.work, filepath.Join(os.TempDir(), "ctqbench"), o.smoke, "ctqscale-smoke-")
	if err != nil {
		return err
	}
	defer func() { err = tw.Finish(err, logf) }()
	if o.smoke && o.out == "" {
		o.out = filepath.Join(o.work, "results")
	}
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "results", "scale")
	}
	if o.plots == "" {
		o.plots = filepath.Join(root, "bench")
		if o.smoke {
			o.plots = o.out
		}
	}
	for _, p := range []*string{&o.work, &o.out, &o.plots} {
		if *p, err = filepath.Abs(*p); err != nil {
			return fmt.Errorf("resolve path: %w", err)
		}
	}
	for _, d := range []string{o.work, o.out, o.plots} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}

	if o.replot != "" {
		var rep report
		if err := readJSON(o.replot, &rep); err != nil {
			return err
		}
		// Re-read each size's own results: they hold more than scale.json
		// keeps of them.
		dir := filepath.Dir(o.replot)
		for _, p := range rep.Points {
			if err := readJSON(filepath.Join(dir, p.Dir, "ingest.json"), &p.Ingest); err != nil {
				return err
			}
			if err := readJSON(filepath.Join(dir, p.Dir, "query.json"), &p.Query); err != nil {
				return err
			}
		}
		rep.finish()
		rep.setPlotsRel(dir, o.plots)
		if err := rep.write(filepath.Dir(o.replot)); err != nil {
			return err
		}
		return drawPlots(&rep, o.plots)
	}

	// Directories of this machine, as published results name them.
	pathNames := map[string]string{o.work: "<work>", root: "<repo>"}
	if !strings.HasPrefix(o.out, root+string(filepath.Separator)) {
		pathNames[o.out] = "<out>"
	}
	rep := &report{Command: measure.Redact(measure.ShellJoin(append([]string{"ctqscale"}, args...)), pathNames), Reproduce: reproduceLine(o),
		Started: time.Now().UTC(), Smoke: o.smoke, EventsPerDay: eventsPerDay,
		IngestRuns: o.ingestRuns, QueryRuns: o.queryRuns, JQMaxEvents: o.jqMaxEvents,
		QuietWaitSeconds: o.quiet.Seconds(), QueryQuietWaitSeconds: o.queryQuiet.Seconds()}
	rep.setPlotsRel(o.out, o.plots)

	// One build of each program for every size: the same ctq binary is
	// measured throughout.
	bin := filepath.Join(o.work, "bin")
	logf("building ctq, ctqbench and ctqquery into %s", bin)
	ctq, err := measure.BuildCtq(ctx, root, bin)
	if err != nil {
		return err
	}
	for _, name := range []string{"ctqbench", "ctqquery"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "arrow_json_stdlib", "-o", filepath.Join(bin, name), "./cmd/"+name)
		cmd.Dir = filepath.Join(root, "bench")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %w\n%s", name, err, out)
		}
	}

	var fixed []string // -account/-region/-day of the smallest lake, for the others
	for _, n := range o.sizes {
		days := max(2, int(math.Round(float64(n)/eventsPerDay)))
		dir := filepath.Join(o.out, strconv.Itoa(n))
		pt := &point{Events: n, Days: days, Dir: filepath.Base(dir), JQ: o.jqMaxEvents > 0 && n <= o.jqMaxEvents}
		rep.Points = append(rep.Points, pt)

		logf("size %d events (%d days): ingest", n, days)
		ingestArgs := []string{"-events", strconv.Itoa(n), "-days", strconv.Itoa(days), "-work", o.work, "-ctq", ctq,
			"-out", dir, "-runs", strconv.Itoa(o.ingestRuns), "-quiet-wait", o.quiet.String(), "-jq=" + strconv.FormatBool(pt.JQ),
			"-duckdb-sql", o.duckdbSQL}
		if err := runChild(ctx, filepath.Join(bin, "ctqbench"), ingestArgs); err != nil {
			// DuckDB's typed conversion needs memory in proportion to the
			// archive; if it cannot finish, keep the size with the
			// conversion that can, and say so.
			if ctx.Err() != nil || !strings.Contains(o.duckdbSQL, "typed") || o.duckdbSQL == "typed" {
				return fmt.Errorf("ingest at %d events: %w", n, err)
			}
			pt.Note = fmt.Sprintf("the ingest benchmark failed with DuckDB's typed conversion (%v); re-run with the json form only", err)
			logf("%s", pt.Note)
			ingestArgs[len(ingestArgs)-1] = "json"
			if err := runChild(ctx, filepath.Join(bin, "ctqbench"), ingestArgs); err != nil {
				return fmt.Errorf("ingest at %d events: %w", n, err)
			}
		}
		if err := readJSON(filepath.Join(dir, "ingest.json"), &pt.Ingest); err != nil {
			return err
		}

		logf("size %d events: query suite (jq: %v)", n, pt.JQ)
		archive := filepath.Join(o.work, fmt.Sprintf("archive-%d-events", n))
		queryArgs := []string{"-archive", archive, "-lake", filepath.Join(o.work, "lake"), "-ctq", ctq, "-out", dir, "-work", o.work,
			"-runs", strconv.Itoa(o.queryRuns), "-quiet-wait", o.queryQuiet.String(), "-jq=" + strconv.FormatBool(pt.JQ)}
		queryArgs = append(queryArgs, fixed...)
		if err := runChild(ctx, filepath.Join(bin, "ctqquery"), queryArgs); err != nil {
			return fmt.Errorf("query suite at %d events: %w", n, err)
		}
		if err := redactPaths(dir, pathNames); err != nil {
			return err
		}
		if err := readJSON(filepath.Join(dir, "query.json"), &pt.Query); err != nil {
			return err
		}
		if fixed == nil {
			p := pt.Query.Params
			fixed = []string{"-account", p.Account, "-region", p.Region, "-day", p.Day}
		}
		// Write after every size, so that a long run stopped part-way
		// leaves consistent results for the sizes it finished.
		rep.finish()
		rep.Elapsed = math.Round(time.Since(rep.Started).Seconds())
		if err := rep.write(o.out); err != nil {
			return err
		}
		if err := drawPlots(rep, o.plots); err != nil {
			return err
		}
	}

	fmt.Println(rep.ingestTable())
	fmt.Println(rep.queryTable())
	logf("wrote %s and %s", filepath.Join(o.out, "scale.json"), filepath.Join(o.out, "scale.md"))
	if len(rep.Failures) > 0 {
		return errors.New("answers differ:\n  " + strings.Join(rep.Failures, "\n  "))
	}
	logf("PASS: every size's answers agree")
	return nil
}

// redactPaths replaces this machine's directories in the result files of
// one size with placeholders: results are published, the paths mean
// nothing elsewhere.
func redactPaths(dir string, repl map[string]string) error {
	for _, name := range []string{"ingest.json", "ingest.md", "query.json", "query.md"} {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(measure.Redact(string(b), repl)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-sizes: %q is not a positive number of events", f)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes), nil
}

// runChild runs one harness command with its output passed through (it is
// not measured: the harness measures its own children).
func runChild(ctx context.Context, bin string, args []string) error {
	logf("running %s", measure.ShellJoin(append([]string{filepath.Base(bin)}, args...)))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func reproduceLine(o options) string {
	if o.smoke {
		return "cd bench && go run ./cmd/ctqscale -smoke"
	}
	s := make([]string, len(o.sizes))
	for i, n := range o.sizes {
		s[i] = strconv.Itoa(n)
	}
	cmd := "cd bench && go run ./cmd/ctqscale -sizes " + strings.Join(s, ",")
	if o.ingestRuns != 1 {
		cmd += fmt.Sprintf(" -ingest-runs %d", o.ingestRuns)
	}
	if o.quiet != 2*time.Minute {
		cmd += " -quiet-wait " + o.quiet.String()
	}
	if o.queryQuiet != 5*time.Second {
		cmd += " -query-quiet-wait " + o.queryQuiet.String()
	}
	if o.queryRuns != 3 {
		cmd += fmt.Sprintf(" -runs %d", o.queryRuns)
	}
	if o.jqMaxEvents != 1_000_000 {
		cmd += fmt.Sprintf(" -jq-max-events %d", o.jqMaxEvents)
	}
	return cmd
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ctqscale: "+format+"\n", args...)
}
