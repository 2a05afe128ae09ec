// Command ctqcompact benchmarks compaction: it generates an archive,
// ingests it in windows of delivery time as an hourly incremental ingest
// would (many small files per partition), runs the query suite (ctq and
// DuckDB over the same lake, via ctqquery), compacts, runs the suite again
// and checks that every answer is unchanged, that DuckDB still agrees with
// ctq, and that each partition holds at most ceil(bytes/target) files.
//
//	cd bench && go run ./cmd/ctqcompact -events 200000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
	"github.com/ctq-dev/ctq/pkg/gen"
)

type options struct {
	events  int
	window  time.Duration
	target  string
	work    string
	out     string
	runs    int
	smoke   bool
	workers int
}

func main() {
	measure.Main()
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ctqcompact:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) (err error) {
	var o options
	fs := flag.NewFlagSet("ctqcompact", flag.ContinueOnError)
	fs.IntVar(&o.events, "events", 200000, "events in the generated archive (no duplicates, so answers must be identical before and after)")
	fs.DurationVar(&o.window, "window", 2*time.Hour, "delivery-time window of each incremental ingest run")
	fs.StringVar(&o.target, "target-size", "128MiB", "ctq compact --target-size")
	fs.StringVar(&o.work, "work", "", "work directory (default: a new temporary directory, removed after a passing run)")
	fs.StringVar(&o.out, "out", "", "results directory (default <repo>/bench/results; -smoke: <work>/results)")
	fs.IntVar(&o.runs, "runs", 3, "measured runs per query of the suite")
	fs.IntVar(&o.workers, "workers", 0, "ctq compact --workers (0: one per CPU)")
	fs.BoolVar(&o.smoke, "smoke", false, "a few thousand events, one run per query")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.smoke {
		o.events, o.runs = 6000, 1
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	var tw *measure.TempWork
	o.work, tw, err = measure.WorkDir(o.work, "", o.smoke, "ctqcompact-")
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
	for _, d := range []string{o.work, o.out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	ctq := filepath.Join(o.work, "ctq")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "arrow_json_stdlib", "-o", ctq, "./cmd/ctq")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build ctq: %w\n%s", err, out)
	}

	// 1. Archive without duplicates: compaction must not change answers.
	archive := filepath.Join(o.work, "archive")
	gc := gen.DefaultConfig()
	gc.Seed, gc.Events, gc.Accounts, gc.Days, gc.DuplicateRate = 7, o.events, 3, 2, -1
	gc.OrgID = "o-a1b2c3d4e5"
	logf("generating %d events", o.events)
	if _, err := gen.WriteDir(ctx, gc, archive); err != nil {
		return err
	}

	// 2. Incremental ingest in delivery windows.
	lake := filepath.Join(o.work, "lake")
	start := gc.Start.Add(-24 * time.Hour)
	end := gc.Start.Add(time.Duration(gc.Days+2) * 24 * time.Hour)
	runs := 0
	t0 := time.Now()
	for lo := start; lo.Before(end); lo = lo.Add(o.window) {
		if _, err := exec.CommandContext(ctx, ctq, "ingest", archive, "--lake", lake, "--quiet",
			"--since", lo.Format(time.RFC3339), "--until", lo.Add(o.window).Format(time.RFC3339)).Output(); err != nil {
			return fmt.Errorf("ingest window %s: %w", lo.Format(time.RFC3339), exitDetail(err))
		}
		runs++
	}
	if _, err := exec.CommandContext(ctx, ctq, "ingest", archive, "--lake", lake, "--quiet").Output(); err != nil {
		return fmt.Errorf("final ingest: %w", exitDetail(err))
	}
	ingestWall := time.Since(t0)
	before, err := partitions(ctx, ctq, lake)
	if err != nil {
		return err
	}
	logf("ingested in %d runs (%.1fs): %s", runs+1, ingestWall.Seconds(), before.describe())

	// 3. Query suite before.
	suiteBefore := filepath.Join(o.work, "suite-before")
	qb, err := suite(ctx, root, ctq, archive, lake, suiteBefore, o.runs, nil)
	if err != nil {
		return err
	}

	// 4. Compact, measured.
	args = []string{"compact", "--lake", lake, "--json", "--target-size", o.target}
	if o.workers > 0 {
		args = append(args, "--workers", fmt.Sprint(o.workers))
	}
	// measure.Run, as every harness: wall, CPU and the peak RSS of the
	// ctq process alone (through the spawner), stderr kept for errors.
	use, stdout, err := measure.Run(exec.CommandContext(ctx, ctq, args...))
	if err != nil {
		return fmt.Errorf("ctq compact: %w", err)
	}
	wall, cpu, rss := use.Wall, use.CPU(), use.PeakRSSMiB
	var cres struct {
		Merged     int   `json:"merged"`
		FilesIn    int   `json:"filesIn"`
		FilesOut   int   `json:"filesOut"`
		EventsIn   int64 `json:"eventsIn"`
		EventsOut  int64 `json:"eventsOut"`
		Duplicates int64 `json:"duplicatesRemoved"`
		BytesIn    int64 `json:"bytesIn"`
		BytesOut   int64 `json:"bytesOut"`
	}
	if err := json.Unmarshal(stdout, &cres); err != nil {
		return fmt.Errorf("parse ctq compact --json: %w", err)
	}
	after, err := partitions(ctx, ctq, lake)
	if err != nil {
		return err
	}
	logf("compacted in %.2fs: %s", wall.Seconds(), after.describe())

	// 5. Query suite after, with the parameters of the first run.
	qa, err := suite(ctx, root, ctq, archive, lake, filepath.Join(o.work, "suite-after"), o.runs, qb)
	if err != nil {
		return err
	}

	// 6. Checks.
	var failures []string
	target, err := parseSize(o.target)
	if err != nil {
		return err
	}
	for k, p := range after.parts {
		limit := int((before.parts[k].Bytes + target - 1) / target)
		if p.Files > limit {
			failures = append(failures, fmt.Sprintf("%s: %d files after compaction, more than ceil(bytes before/target) = %d", k, p.Files, limit))
		}
	}
	if after.events != before.events {
		failures = append(failures, fmt.Sprintf("the lake held %d events before, %d after (the archive has no duplicates)", before.events, after.events))
	}
	for i, q := range qb.Queries {
		a := qa.Queries[i]
		if !q.Identical || !a.Identical {
			failures = append(failures, fmt.Sprintf("query %s: ctq and DuckDB differ (before %v, after %v)", q.ID, q.Identical, a.Identical))
		}
		if q.Count != a.Count {
			failures = append(failures, fmt.Sprintf("query %s: %d matches before compaction, %d after", q.ID, q.Count, a.Count))
		}
	}
	res := result{
		Command: "cd bench && go run ./cmd/ctqcompact " + strings.Join(args0(o), " "), Started: t0.UTC(),
		Machine: machineInfo(), Events: o.events, IngestRuns: runs + 1, Target: o.target,
		Before: before.summary(), After: after.summary(),
		Compact: compactFigures{Seconds: wall.Seconds(), CPUSeconds: cpu.Seconds(), PeakRSSMiB: rss,
			MiBPerSecond: float64(cres.BytesIn) / (1 << 20) / wall.Seconds(), EventsPerSecond: float64(cres.EventsIn) / wall.Seconds(),
			Merged: cres.Merged, FilesIn: cres.FilesIn, FilesOut: cres.FilesOut, EventsIn: cres.EventsIn, EventsOut: cres.EventsOut,
			Duplicates: cres.Duplicates, BytesIn: cres.BytesIn, BytesOut: cres.BytesOut},
		Failures: failures, Passed: len(failures) == 0,
	}
	for i, q := range qb.Queries {
		a := qa.Queries[i]
		res.Queries = append(res.Queries, queryFigures{ID: q.ID, Count: a.Count,
			CtqBefore: q.Ctq.BestWallSeconds, CtqAfter: a.Ctq.BestWallSeconds,
			DuckDBBefore: q.DuckDB.BestWallSeconds, DuckDBAfter: a.DuckDB.BestWallSeconds})
	}
	if err := res.write(o.out, o.work); err != nil {
		return err
	}
	fmt.Print(res.markdown())
	if len(failures) > 0 {
		return fmt.Errorf("%d checks failed:\n  %s", len(failures), strings.Join(failures, "\n  "))
	}
	return nil
}

func args0(o options) []string {
	if o.smoke {
		return []string{"-smoke"}
	}
	return []string{fmt.Sprintf("-events %d", o.events), "-target-size " + o.target}
}

// suite runs the ctqquery query suite over lake and reads its report.
func suite(ctx context.Context, root, ctq, archive, lake, out string, runs int, params *suiteReport) (*suiteReport, error) {
	args := []string{"run", "./cmd/ctqquery", "-ctq", ctq, "-archive", archive, "-lake", lake, "-out", out,
		"-jq=false", fmt.Sprintf("-runs=%d", runs), "-quiet-wait=0"}
	if params != nil {
		p := params.Params
		args = append(args, "-account", p.Account, "-region", p.Region, "-day", p.Day, "-event-id", p.EventID)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Join(root, "bench")
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		return nil, fmt.Errorf("query suite: %w\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(out, "query.json"))
	if err != nil {
		return nil, err
	}
	var r suiteReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(out, "query.json"), err)
	}
	return &r, nil
}

type suiteReport struct {
	Params struct {
		Account string `json:"account"`
		Region  string `json:"region"`
		Day     string `json:"day"`
		EventID string `json:"eventId"`
	} `json:"params"`
	Queries []struct {
		ID        string `json:"id"`
		Count     int64  `json:"count"`
		Identical bool   `json:"identical"`
		Ctq       struct {
			BestWallSeconds float64 `json:"bestWallSeconds"`
		} `json:"ctq"`
		DuckDB struct {
			BestWallSeconds float64 `json:"bestWallSeconds"`
		} `json:"duckdb"`
	} `json:"queries"`
}

// lakeState is the inventory of `ctq partitions`.
type lakeState struct {
	parts  map[string]partRow
	files  int
	events int64
	bytes  int64
}

type partRow struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Day     string `json:"day"`
	Files   int    `json:"files"`
	Events  int64  `json:"events"`
	Bytes   int64  `json:"bytes"`
}

func partitions(ctx context.Context, ctq, lake string) (*lakeState, error) {
	out, err := exec.CommandContext(ctx, ctq, "partitions", "--lake", lake, "--output", "json").Output()
	if err != nil {
		return nil, fmt.Errorf("ctq partitions: %w", exitDetail(err))
	}
	st := &lakeState{parts: map[string]partRow{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p partRow
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("parse ctq partitions: %w", err)
		}
		st.parts["account="+p.Account+"/region="+p.Region+"/day="+p.Day] = p
		st.files += p.Files
		st.events += p.Events
		st.bytes += p.Bytes
	}
	return st, nil
}

func (s *lakeState) describe() string {
	return fmt.Sprintf("%d partitions, %d files (%.1f per partition), %d events, %.1f MiB",
		len(s.parts), s.files, float64(s.files)/float64(max(1, len(s.parts))), s.events, float64(s.bytes)/(1<<20))
}

func (s *lakeState) summary() lakeSummary {
	maxFiles := 0
	for _, p := range s.parts {
		maxFiles = max(maxFiles, p.Files)
	}
	return lakeSummary{Partitions: len(s.parts), Files: s.files, MaxFilesPerPartition: maxFiles, Events: s.events, Bytes: s.bytes}
}

func exitDetail(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ctqcompact: "+format+"\n", args...)
}

// repoRoot finds the ctq repository root above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/ctq-dev/ctq\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/ctq-dev/ctq at or above the working directory")
		}
		dir = parent
	}
}

func parseSize(s string) (int64, error) {
	var n float64
	var unit string
	if _, err := fmt.Sscanf(s, "%f%s", &n, &unit); err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	m := map[string]float64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]
	if m == 0 {
		return 0, fmt.Errorf("size %q: use KiB, MiB or GiB", s)
	}
	return int64(n * m), nil
}

func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMiB = kb / 1024
		}
	}
	return m
}
