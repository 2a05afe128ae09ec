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
	"strings"
	"syscall"
	"time"
)

type options struct {
	events int
	work   string
	out    string
	ctq    string
	smoke  bool
	mode   string // DuckDB SQL form: "typed" or "json"
}

func main() {
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

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("ctqbench", flag.ContinueOnError)
	fs.IntVar(&o.events, "events", 1_000_000, "number of CloudTrail records to generate (duplicates included)")
	fs.StringVar(&o.work, "work", filepath.Join(os.TempDir(), "ctqbench"), "work directory; a generated archive there is reused when its parameters match")
	fs.StringVar(&o.out, "out", "", "results directory (default <repo>/bench/results)")
	fs.StringVar(&o.ctq, "ctq", "", "ctq binary (default: go build ./cmd/ctq from the repo root into the work dir)")
	fs.BoolVar(&o.smoke, "smoke", false, "a few thousand events, for CI")
	fs.StringVar(&o.mode, "duckdb-sql", "typed", "DuckDB SQL form: typed (read_json infers a struct schema) or json (Records as JSON[])")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.smoke {
		o.events = smokeEvents
	}
	if o.events <= 0 {
		return fmt.Errorf("-events must be positive, got %d", o.events)
	}
	if o.mode != "typed" && o.mode != "json" {
		return fmt.Errorf("-duckdb-sql must be typed or json, got %q", o.mode)
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "results")
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
	rep := &report{Command: commandLine(), Started: time.Now().UTC()}

	if o.ctq == "" {
		logf("building ctq from %s", root)
		if o.ctq, err = buildCtq(ctx, root, o.work); err != nil {
			return err
		}
	}

	arch, err := prepareArchive(ctx, o.work, archiveConfig(o.events))
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
	if ref.events != arch.info.Events {
		return fmt.Errorf("source archive holds %d records, the generator reported %d", ref.events, arch.info.Events)
	}

	logf("running ctq ingest")
	cr, err := runCtq(ctx, o.ctq, arch.dir, filepath.Join(o.work, "lake"))
	if err != nil {
		return err
	}
	rep.Ctq = cr.result(arch.info)
	logf("ctq: %.2fs wall, %.2fs cpu, %.0f MiB peak RSS", cr.wall.Seconds(), cr.cpu.Seconds(), cr.maxRSSMiB)

	logf("running the DuckDB conversion (%s SQL)", o.mode)
	dr, err := runDuckDB(ctx, arch.dir, o.work, o.mode)
	if err != nil {
		return err
	}
	rep.DuckDB = dr.result(arch.info)
	logf("duckdb: %.2fs wall, %.2fs cpu, %.0f MiB peak RSS", dr.wall.Seconds(), dr.cpu.Seconds(), dr.maxRSSMiB)

	logf("verifying")
	db, err := openDuckDB()
	if err != nil {
		return err
	}
	defer db.Close()
	rep.Verification = verify(ctx, db, cr, dr, ref, arch)

	if rep.Machine, err = machineInfo(ctx, db, o.ctq); err != nil {
		return err
	}
	rep.finish()
	if err := rep.write(o.out); err != nil {
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

// repoRoot finds the ctq repository root: the nearest directory at or above
// the working directory whose go.mod declares the main ctq module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(string(b)) == "github.com/ctq-dev/ctq" {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod of github.com/ctq-dev/ctq at or above the working directory")
		}
		dir = parent
	}
}

func modulePath(gomod string) string {
	for _, line := range strings.Split(gomod, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1]
		}
	}
	return ""
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

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ctqbench: "+format+"\n", args...)
}

func mb(n int64) float64 { return float64(n) / 1e6 }
