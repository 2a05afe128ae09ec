// Command ctqbench benchmarks `ctq ingest` against a DuckDB conversion of
// the same generated CloudTrail archive on the same machine, verifies the
// lake ctq wrote, and writes results/ingest.json and results/ingest.md.
//
//	cd bench && go run ./cmd/ctqbench -events 1000000
//	cd bench && go run ./cmd/ctqbench -smoke
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

type options struct {
	events int
	days   int
	work   string
	out    string
	ctq    string
	smoke  bool
	modes  []string // DuckDB SQL forms: "typed", "json"
	quiet  time.Duration
	runs   int
	jq     bool
}

func main() {
	measure.Main() // in a spawner process: run the measured command and exit
	// The hidden child mode runs DuckDB's conversion in its own process so
	// that the parent can read its CPU time and peak RSS from rusage.
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		if err := duckdbChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "ctqbench duckdb child:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ctqbench: FAIL:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) (err error) {
	var o options
	fs := flag.NewFlagSet("ctqbench", flag.ContinueOnError)
	fs.IntVar(&o.events, "events", 1_000_000, "number of CloudTrail records to generate (duplicates included)")
	fs.IntVar(&o.days, "days", 0, "days the archive spans (0: 7, or 2 below 100k events)")
	fs.StringVar(&o.work, "work", "", "work directory; a generated archive there is reused when its parameters match (default "+filepath.Join(os.TempDir(), "ctqbench")+"; -smoke: a fresh temporary directory, removed after a passing run)")
	fs.StringVar(&o.out, "out", "", "results directory (default <repo>/bench/results; -smoke: <work>/results)")
	fs.StringVar(&o.ctq, "ctq", "", "ctq binary (default: go build ./cmd/ctq from the repo root into the work dir)")
	fs.BoolVar(&o.smoke, "smoke", false, "a few thousand events, for CI")
	modes := fs.String("duckdb-sql", "typed,json", "comma-separated DuckDB SQL forms to run: typed (read_json infers a struct schema), json (Records as JSON[])")
	fs.DurationVar(&o.quiet, "quiet-wait", 5*time.Minute, "before each measured run, wait up to this long for other processes to leave the CPUs idle (0: don't wait)")
	fs.IntVar(&o.runs, "runs", 1, "measure each tool this many times and report its fastest run")
	fs.BoolVar(&o.jq, "jq", false, "also run the zcat | jq -c '.Records[]' peer once (about a minute per 1M events)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.smoke {
		o.events = smokeEvents
	}
	if o.runs < 1 {
		return fmt.Errorf("-runs must be at least 1, got %d", o.runs)
	}
	if o.events <= 0 {
		return fmt.Errorf("-events must be positive, got %d", o.events)
	}
	if o.days < 0 {
		return fmt.Errorf("-days must not be negative, got %d", o.days)
	}
	for _, m := range strings.Split(*modes, ",") {
		if m != "typed" && m != "json" {
			return fmt.Errorf("-duckdb-sql: unknown form %q (want typed, json)", m)
		}
		o.modes = append(o.modes, m)
	}
	root, err := measure.RepoRoot()
	if err != nil {
		return err
	}
	var tw *measure.TempWork
	o.work, tw, err = measure.WorkDir(o.work, filepath.Join(os.TempDir(), "ctqbench"), o.smoke, "ctqbench-smoke-")
	if err != nil {
		return err
	}
	defer func() { err = tw.Finish(err, logf) }()
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "results")
		if o.smoke {
			o.out = filepath.Join(o.work, "results")
		}
	}
	for _, p := range []*string{&o.work, &o.out, &o.ctq} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return fmt.Errorf("resolve path: %w", err)
			}
		}
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return fmt.Errorf("create work dir: %w", err)
	}
	rep := &report{Command: commandLine(), Reproduce: reproduceLine(o), Started: time.Now().UTC()}

	if o.ctq == "" {
		logf("building ctq from %s", root)
		if o.ctq, err = measure.BuildCtq(ctx, root, o.work); err != nil {
			return err
		}
	}

	arch, err := prepareArchive(ctx, o.work, archiveConfig(o.events, o.days))
	if err != nil {
		return err
	}
	rep.Archive = arch.info
	logf("archive %s: %d objects, %d events, %.1f MB JSON, %.1f MB gzip (reused: %v)",
		arch.dir, arch.info.Objects, arch.info.Events, mb(arch.info.RawJSONBytes), mb(arch.info.GzipBytes), arch.info.Reused)

	logf("streaming the source archive for reference counts")
	ref, err := scanArchive(ctx, arch.dir)
	if err != nil {
		return err
	}
	debug.FreeOSMemory() // the scan's eventID set is garbage now; keep the harness small while children run
	if ref.events != arch.info.Events {
		return fmt.Errorf("source archive holds %d records, the generator reported %d", ref.events, arch.info.Events)
	}

	// Rounds interleave the tools so that a burst of other load on a shared
	// machine does not hit one tool only; each tool reports its fastest run.
	var (
		cr, bestCr *ctqRun
		drs        = make([]*duckRun, len(o.modes))
		bestDrs    = make([]*duckRun, len(o.modes))
		walls      = make([][]float64, 1+len(o.modes))
	)
	for round := 1; round <= o.runs; round++ {
		if err := o.waitQuiet(ctx); err != nil {
			return err
		}
		logf("round %d/%d: running ctq ingest", round, o.runs)
		if cr, err = runCtq(ctx, o.ctq, arch.dir, filepath.Join(o.work, "lake")); err != nil {
			return err
		}
		logf("ctq: %.2fs wall, %.2fs cpu, %.0f MiB peak RSS, other load %.2f cores",
			cr.Wall.Seconds(), cr.CPU().Seconds(), cr.PeakRSSMiB, cr.OtherCores())
		walls[0] = append(walls[0], cr.Wall.Seconds())
		if bestCr == nil || cr.Wall < bestCr.Wall {
			bestCr = cr
		}
		for i, mode := range o.modes {
			if err := o.waitQuiet(ctx); err != nil {
				return err
			}
			logf("round %d/%d: running the DuckDB conversion (%s SQL)", round, o.runs, mode)
			dr, err := runDuckDB(ctx, arch.dir, o.work, mode)
			if err != nil {
				return err
			}
			logf("duckdb-%s: %.2fs wall, %.2fs cpu, %.0f MiB peak RSS, other load %.2f cores",
				mode, dr.Wall.Seconds(), dr.CPU().Seconds(), dr.PeakRSSMiB, dr.OtherCores())
			drs[i] = dr
			walls[i+1] = append(walls[i+1], dr.Wall.Seconds())
			if bestDrs[i] == nil || dr.Wall < bestDrs[i].Wall {
				bestDrs[i] = dr
			}
		}
	}
	var jr *jqRun
	if o.jq {
		if err := o.waitQuiet(ctx); err != nil {
			return err
		}
		logf("running zcat | jq -c '.Records[]' (one run)")
		if jr, err = runJQ(ctx, arch.dir, o.work); err != nil {
			return err
		}
		logf("jq: %.2fs wall, %.2fs cpu, %.0f MiB peak RSS, other load %.2f cores",
			jr.Wall.Seconds(), jr.CPU().Seconds(), jr.PeakRSSMiB, jr.OtherCores())
		if rep.JQVersion, err = measure.ToolVersion(ctx, "jq", "--version"); err != nil {
			return err
		}
		t := jr.result(arch.info)
		t.AllWallSeconds = []float64{t.WallSeconds}
		rep.JQ = &t
	}
	rep.Ctq = bestCr.result(arch.info)
	rep.Ctq.AllWallSeconds = walls[0]
	for i, dr := range bestDrs {
		t := dr.result(arch.info)
		t.AllWallSeconds = walls[i+1]
		rep.DuckDB = append(rep.DuckDB, t)
	}

	logf("verifying")
	db, err := openDuckDB()
	if err != nil {
		return err
	}
	defer db.Close()
	rep.Verification = verify(ctx, db, cr, drs, ref, arch)
	if jr != nil {
		rep.Verification.add("zcat | jq: NDJSON records", ref.events, jr.lines)
		rep.Verification.Passed = len(rep.Verification.Failures) == 0
	}

	if rep.Machine, err = machineInfo(ctx, db, o.ctq); err != nil {
		return err
	}
	rep.finish()
	if err := rep.write(o.out, o.work); err != nil {
		return err
	}
	logf("wrote %s and %s", filepath.Join(o.out, "ingest.json"), filepath.Join(o.out, "ingest.md"))
	fmt.Println(rep.table())
	if !rep.Verification.Passed {
		return errors.New("verification failed:\n  " + strings.Join(rep.Verification.Failures, "\n  "))
	}
	logf("PASS")
	return nil
}

func (o *options) waitQuiet(ctx context.Context) error {
	if o.smoke {
		return nil
	}
	_, err := measure.WaitQuiet(ctx, o.quiet, logf)
	return err
}

func commandLine() string {
	args := make([]string, 0, len(os.Args))
	args = append(args, "ctqbench")
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

// reproduceLine is the command that reproduces this run from the repo root.
func reproduceLine(o options) string {
	cmd := "cd bench && go run ./cmd/ctqbench"
	if o.smoke {
		cmd += " -smoke"
	} else {
		cmd += fmt.Sprintf(" -events %d", o.events)
	}
	if o.days != 0 {
		cmd += fmt.Sprintf(" -days %d", o.days)
	}
	if o.runs != 1 {
		cmd += fmt.Sprintf(" -runs %d", o.runs)
	}
	if o.jq {
		cmd += " -jq"
	}
	if m := strings.Join(o.modes, ","); m != "typed,json" {
		cmd += " -duckdb-sql " + m
	}
	return cmd
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ctqbench: "+format+"\n", args...)
}

func mb(n int64) float64 { return float64(n) / 1e6 }
