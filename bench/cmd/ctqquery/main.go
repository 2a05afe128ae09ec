// Command ctqquery benchmarks `ctq query --count` against DuckDB over the
// same lake files, and against zcat | jq over the source archive, on a suite
// of CloudTrail filter patterns. The three counts must agree for every
// query; any difference makes it exit non-zero. It writes
// results/query.json and results/query.md.
//
//	cd bench && go run ./cmd/ctqquery -archive /tmp/ctqbench/archive-1000000-events -lake /tmp/ctqquery/lake-1m
//	cd bench && go run ./cmd/ctqquery -smoke
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

const smokeEvents = 5000

// defaultArchive is where bench/cmd/ctqbench generates its 1M-event archive.
var defaultArchive = filepath.Join(os.TempDir(), "ctqbench", "archive-1000000-events")

type options struct {
	archive, lake, ctq, out, work string
	runs                          int
	jq, smoke                     bool
	suite                         string
	threads                       int
	quiet                         time.Duration
	only                          map[string]bool
	p                             params // overrides; empty fields are picked from the lake
	runsSet                       bool
}

func main() {
	measure.Main() // in a spawner process: run the measured command and exit
	// The hidden child mode runs one DuckDB statement in a fresh process.
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		if err := duckdbChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "ctqquery duckdb child:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ctqquery: FAIL:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) (err error) {
	var o options
	fs := flag.NewFlagSet("ctqquery", flag.ContinueOnError)
	fs.StringVar(&o.archive, "archive", "", "source archive directory (AWSLogs/... below it); generated with the 1M-event configuration if missing (default "+defaultArchive+"; -smoke: a fresh small archive in the work dir)")
	fs.StringVar(&o.lake, "lake", "", "lake directory; the archive is ingested into it with ctq when it has no _ctq/log (default <work>/lake-<archive name>)")
	fs.StringVar(&o.ctq, "ctq", "", "ctq binary (default: go build ./cmd/ctq from the repo root into the work dir)")
	fs.StringVar(&o.out, "out", "", "results directory (default <repo>/bench/results; -smoke: <work>/results)")
	fs.StringVar(&o.work, "work", "", "work directory for the default lake (default "+filepath.Join(os.TempDir(), "ctqquery")+"; -smoke: a fresh temporary directory, removed after a passing run)")
	fs.IntVar(&o.runs, "runs", 3, "measured runs of ctq and DuckDB per query, interleaved; the best is reported (-smoke: 1)")
	fs.BoolVar(&o.jq, "jq", true, "also count with zcat | jq over the archive (one run per query)")
	fs.BoolVar(&o.smoke, "smoke", false, "generate a small archive (a few thousand events) and run the whole suite once: for CI")
	fs.IntVar(&o.threads, "duckdb-threads", runtime.NumCPU(), "DuckDB threads (ctq uses one worker per CPU)")
	fs.DurationVar(&o.quiet, "quiet-wait", time.Minute, "before each measured run, wait up to this long for other processes to leave the CPUs idle (0: don't; -smoke: 0)")
	fs.StringVar(&o.suite, "suite", "filter", "which suite: filter (ctq query --count against SQL WHERE counts) or agg (ctq insights aggregations against SQL GROUP BY rows; results in agg.json and agg.md)")
	only := fs.String("only", "", "comma-separated query ids to run (default all)")
	fs.StringVar(&o.p.Account, "account", "", "account of the time-bounded query (default: the account x region with the most GetObject)")
	fs.StringVar(&o.p.Region, "region", "", "region of the time-bounded query (default: as -account)")
	fs.StringVar(&o.p.Day, "day", "", "day (yyyy-mm-dd) of the time-bounded query (default: the lake's middle day)")
	fs.StringVar(&o.p.EventID, "event-id", "", "eventID of the needle query (default: the smallest eventID in the lake)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "runs":
			o.runsSet = true
		}
	})
	if o.runs < 1 {
		return fmt.Errorf("-runs must be at least 1, got %d", o.runs)
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, id := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(id)] = true
		}
	}
	root, err := measure.RepoRoot()
	if err != nil {
		return err
	}
	if o.smoke {
		if !o.runsSet {
			o.runs = 1
		}
		o.quiet = 0
	}
	// A smoke run (CI) gets its own work directory, so that it never
	// touches the archive, lake or binary of another run on the machine.
	var tw *measure.TempWork
	o.work, tw, err = measure.WorkDir(o.work, filepath.Join(os.TempDir(), "ctqquery"), o.smoke, "ctqquery-smoke-")
	if err != nil {
		return err
	}
	defer func() { err = tw.Finish(err, logf) }()
	for _, p := range []*string{&o.archive, &o.lake, &o.ctq, &o.out, &o.work} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return fmt.Errorf("resolve path: %w", err)
			}
		}
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return fmt.Errorf("create work dir: %w", err)
	}
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "results")
		if o.smoke {
			o.out = filepath.Join(o.work, "results")
		}
	}

	rep := &report{Command: measure.ShellJoin(append([]string{"ctqquery"}, args...)), Started: time.Now().UTC(), Smoke: o.smoke,
		Runs: o.runs, DuckDBThreads: o.threads}

	// The archive.
	if o.smoke {
		if err := smokeArchive(ctx, &o, rep); err != nil {
			return err
		}
	} else {
		if o.archive == "" {
			o.archive = defaultArchive
		}
		if err := ensureArchive(ctx, o.archive, rep); err != nil {
			return err
		}
	}
	if o.lake == "" {
		o.lake = filepath.Join(o.work, "lake-"+filepath.Base(o.archive))
	}
	rep.Archive.Dir, rep.Lake.Dir = o.archive, o.lake
	rep.Reproduce = reproduceLine(o)

	// ctq.
	if o.ctq == "" {
		// A private build directory: another run may be executing the
		// binary it built in the work dir.
		dir, err := os.MkdirTemp(o.work, "ctq-build-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		logf("building ctq from %s", root)
		if o.ctq, err = measure.BuildCtq(ctx, root, dir); err != nil {
			return err
		}
		rep.CtqBuild.SourceNewest, rep.CtqBuild.SourceNewestFile = newestSource(root)
	}
	rep.CtqBinary = o.ctq
	if rep.CtqBuild.SHA256, err = fileSHA256(o.ctq); err != nil {
		return err
	}

	// The lake.
	if err := ensureLake(ctx, o.ctq, o.archive, o.lake, rep); err != nil {
		return err
	}
	if err := describeLake(ctx, o.lake, rep); err != nil {
		return err
	}
	logf("lake %s: %d rows, %d files, %d row groups, %.1f MB", o.lake, rep.Lake.Rows, rep.Lake.Files, rep.Lake.RowGroups, mb(rep.Lake.Bytes))

	// The suite.
	p, err := pickParams(ctx, o.lake, o.p)
	if err != nil {
		return err
	}
	rep.Params = p
	switch o.suite {
	case "filter":
	case "agg":
		return runAggSuite(ctx, &o, p)
	default:
		return fmt.Errorf("-suite %q: want filter or agg", o.suite)
	}
	var qs []query
	for _, q := range suite(p) {
		if o.only == nil || o.only[q.ID] {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return fmt.Errorf("-only %q selects no query", *only)
	}
	results := make([]*queryResult, len(qs))
	for i, q := range qs {
		results[i] = &queryResult{query: q, SQL: countSQL(o.lake, q.Where)}
		results[i].CtqCommand = measure.ShellJoin(ctqArgs("ctq", "query", q, o.lake, true))
		if o.jq {
			results[i].JQCommand = jqDisplay(o.archive, q)
		}
	}

	// Read the lake once so that every measured run sees a warm page cache.
	if err := warm(o.lake); err != nil {
		return err
	}

	// ctq explain: the pruning figures (one run, not measured).
	for _, r := range results {
		ex, err := runExplain(ctx, o.ctq, o.lake, r.query)
		if err != nil {
			return err
		}
		r.Explain = ex
	}

	// Measured rounds: every query, ctq and DuckDB alternately.
	err = interleave(ctx, &o, len(results), func(round, i int, tool string) error {
		r := results[i]
		var m measurement
		switch tool {
		case "ctq":
			cr, err := runCtqCount(ctx, o.ctq, o.lake, r.query)
			if err != nil {
				return err
			}
			m = cr
			r.Ctq.add(m)
		case "duckdb":
			dr, err := runDuckDB(ctx, r.SQL, o.threads)
			if err != nil {
				return err
			}
			m = measurement{Usage: dr.Usage, count: dr.child.Count, innerSeconds: dr.child.SQLSeconds}
			r.DuckDB.add(m)
			rep.DuckDBVersion = dr.child.Version
			rep.DuckDBThreadsSetting = dr.child.Threads
		}
		logf("round %d/%d %-4s %-6s %8.3fs  count %d", round, o.runs, r.ID, tool, m.Wall.Seconds(), m.count)
		return nil
	})
	if err != nil {
		return err
	}

	// jq: one run per query (it is two orders of magnitude slower).
	if o.jq {
		if rep.JQVersion, err = measure.ToolVersion(ctx, "jq", "--version"); err != nil {
			return err
		}
		for _, r := range results {
			m, err := runJQ(ctx, o.archive, r.query)
			if err != nil {
				return err
			}
			r.JQ = &runSet{}
			r.JQ.add(m)
			logf("jq   %-4s %8.3fs  count %d", r.ID, m.Wall.Seconds(), m.count)
		}
	}

	if rep.Machine, err = machineInfo(ctx, o.ctq); err != nil {
		return err
	}
	rep.Queries = results
	rep.finish()
	if err := rep.write(o.out, o.work); err != nil {
		return err
	}
	logf("wrote %s and %s", filepath.Join(o.out, "query.json"), filepath.Join(o.out, "query.md"))
	fmt.Println(rep.table())
	fmt.Println(rep.costTable())
	if len(rep.Failures) > 0 {
		return errors.New("counts differ:\n  " + strings.Join(rep.Failures, "\n  "))
	}
	logf("PASS: ctq, DuckDB%s agree on all %d queries", map[bool]string{true: " and jq", false: ""}[o.jq], len(results))
	return nil
}

// interleave runs the measured rounds: o.runs times, each of n queries with
// ctq and with DuckDB, the tool that goes first alternating between rounds,
// every run after waiting (up to o.quiet) for the machine to go quiet.
func interleave(ctx context.Context, o *options, n int, run func(round, i int, tool string) error) error {
	for round := 1; round <= o.runs; round++ {
		for i := range n {
			tools := []string{"ctq", "duckdb"}
			if round%2 == 0 {
				slices.Reverse(tools)
			}
			for _, tool := range tools {
				if _, err := measure.WaitQuiet(ctx, o.quiet, logf); err != nil {
					return err
				}
				if err := run(round, i, tool); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fileSHA256 identifies the measured ctq binary in the report.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// newestSource returns the modification time and path of the newest .go
// file of the ctq module (bench/ excluded): the state of the source the
// measured binary was built from.
func newestSource(root string) (time.Time, string) {
	var t time.Time
	var newest string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "bench" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			if fi, err := d.Info(); err == nil && fi.ModTime().After(t) {
				t = fi.ModTime()
				newest, _ = filepath.Rel(root, p)
			}
		}
		return nil
	})
	return t.UTC(), newest
}

// smokeArchive generates a fresh small archive (with digest and insight
// objects, which must not be counted) and uses a fresh lake for it.
func smokeArchive(ctx context.Context, o *options, rep *report) error {
	dir := filepath.Join(o.work, "smoke")
	if o.archive == "" {
		o.archive = filepath.Join(dir, "archive")
		if err := os.RemoveAll(o.archive); err != nil {
			return err
		}
		cfg := gen.DefaultConfig()
		cfg.Seed, cfg.Events = 20250314, smokeEvents
		cfg.Accounts, cfg.Days = 4, 2
		cfg.Regions = []string{"us-east-1", "eu-west-1"}
		cfg.Insight, cfg.Digest = true, true
		logf("generating %d events into %s", cfg.Events, o.archive)
		st, err := gen.WriteDir(ctx, cfg, o.archive)
		if err != nil {
			return fmt.Errorf("generate archive: %w", err)
		}
		rep.Archive.Generated = true
		rep.Archive.Events = st.Events
		rep.Archive.Objects = st.Objects
		rep.Archive.RawJSONBytes = st.RawBytes
		rep.Archive.GzipBytes = st.GzipBytes
	}
	if o.lake == "" {
		o.lake = filepath.Join(dir, "lake")
		if err := os.RemoveAll(o.lake); err != nil {
			return err
		}
	}
	return nil
}

// ensureArchive generates the 1M-event archive at dir if it is missing, with
// the configuration the ingest benchmark uses.
func ensureArchive(ctx context.Context, dir string, rep *report) error {
	if _, err := os.Stat(filepath.Join(dir, "AWSLogs")); err == nil {
		return sizeArchive(dir, rep)
	}
	cfg := gen.DefaultConfig()
	cfg.Seed, cfg.Events = 20250314, 1_000_000
	cfg.Accounts, cfg.Days = 20, 7
	cfg.Regions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"}
	logf("archive %s missing: generating %d events", dir, cfg.Events)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if _, err := gen.WriteDir(ctx, cfg, dir); err != nil {
		return fmt.Errorf("generate archive: %w", err)
	}
	rep.Archive.Generated = true
	return sizeArchive(dir, rep)
}

// sizeArchive records the archive's object count and gzip bytes, and its
// uncompressed size when the generator's parameters file is beside it.
func sizeArchive(dir string, rep *report) error {
	rep.Archive.Objects, rep.Archive.GzipBytes = 0, 0
	if b, err := os.ReadFile(dir + ".params.json"); err == nil {
		var p struct {
			Events       int   `json:"events"`
			RawJSONBytes int64 `json:"rawJsonBytes"`
		}
		if json.Unmarshal(b, &p) == nil {
			rep.Archive.Events, rep.Archive.RawJSONBytes = p.Events, p.RawJSONBytes
		}
	}
	return filepath.WalkDir(filepath.Join(dir, "AWSLogs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rep.Archive.Objects++
		rep.Archive.GzipBytes += fi.Size()
		return nil
	})
}

// ensureLake ingests the archive into the lake unless the lake already has
// a commit log.
func ensureLake(ctx context.Context, ctq, archive, lake string, rep *report) error {
	if fi, err := os.Stat(filepath.Join(lake, "_ctq", "log")); err == nil && fi.IsDir() {
		logf("reusing lake %s (it has _ctq/log)", lake)
		rep.Lake.Reused = true
		return nil
	}
	logf("ingesting %s into %s", archive, lake)
	cmd := exec.CommandContext(ctx, ctq, "ingest", archive, "--lake", lake, "--json")
	u, out, err := measure.Run(cmd)
	if err != nil {
		return fmt.Errorf("ctq ingest: %w", err)
	}
	var sum struct {
		Objects int64 `json:"objects"`
		Events  int64 `json:"events"`
	}
	if err := json.Unmarshal(out, &sum); err != nil {
		return fmt.Errorf("parse ctq ingest --json: %w; output %.300q", err, out)
	}
	rep.Lake.IngestSeconds = u.Wall.Seconds()
	rep.Lake.IngestedEvents = sum.Events
	logf("ingested %d objects, %d events in %.1fs", sum.Objects, sum.Events, u.Wall.Seconds())
	return nil
}

// describeLake checks that the Parquet files DuckDB's glob sees are exactly
// the lake's partition files, and records the lake's size.
func describeLake(ctx context.Context, lake string, rep *report) error {
	parts := map[string]bool{}
	err := filepath.WalkDir(lake, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(lake, p)
		if d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		if strings.HasPrefix(filepath.ToSlash(rel), "_ctq/") {
			return nil // staging and trash: outside the partition glob
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rep.Lake.Files++
		rep.Lake.Bytes += fi.Size()
		parts[filepath.Dir(rel)] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk lake: %w", err)
	}
	if rep.Lake.Files == 0 {
		return fmt.Errorf("lake %s holds no Parquet file", lake)
	}
	rep.Lake.Partitions = len(parts)
	glob := sqlString(filepath.ToSlash(filepath.Join(lake, lakeGlob)))
	r, err := duckRows(ctx, fmt.Sprintf(
		"SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s WHERE NOT ctqExact), (SELECT count(*) FROM (SELECT DISTINCT file_name, row_group_id FROM parquet_metadata(%s)))",
		lakeScan(lake), lakeScan(lake), glob))
	if err != nil {
		return err
	}
	row := r.Rows[0]
	rep.Lake.Rows, rep.Lake.InexactRows, rep.Lake.RowGroups = toInt(row[0]), toInt(row[1]), toInt(row[2])
	return nil
}

// pickParams fills the suite's data-dependent values that were not given:
// the account x region with the most GetObject events, the lake's middle
// day, and the smallest eventID.
func pickParams(ctx context.Context, lake string, p params) (params, error) {
	if p.Account == "" || p.Region == "" {
		where := ""
		if p.Account != "" {
			where = " AND account = " + sqlString(p.Account)
		}
		if p.Region != "" {
			where += " AND region = " + sqlString(p.Region)
		}
		r, err := duckRows(ctx, fmt.Sprintf("SELECT account, region FROM %s WHERE eventName = 'GetObject'%s GROUP BY ALL ORDER BY count(*) DESC, account, region LIMIT 1", lakeScan(lake), where))
		if err != nil {
			return p, err
		}
		if len(r.Rows) == 0 {
			return p, errors.New("pick parameters: the lake has no GetObject event in that account/region")
		}
		p.Account, p.Region = fmt.Sprint(r.Rows[0][0]), fmt.Sprint(r.Rows[0][1])
	}
	if p.Day == "" {
		r, err := duckRows(ctx, fmt.Sprintf("SELECT DISTINCT day FROM %s ORDER BY day", lakeScan(lake)))
		if err != nil {
			return p, err
		}
		p.Day = fmt.Sprint(r.Rows[len(r.Rows)/2][0])
	}
	if p.EventID == "" {
		r, err := duckRows(ctx, fmt.Sprintf("SELECT min(eventID) FROM %s", lakeScan(lake)))
		if err != nil {
			return p, err
		}
		p.EventID = fmt.Sprint(r.Rows[0][0])
	}
	logf("parameters: account %s, region %s, day %s, eventID %s", p.Account, p.Region, p.Day, p.EventID)
	return p, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int64:
		return x
	case json.Number:
		n, _ := x.Int64()
		return n
	}
	return -1
}

// warm reads every lake file once, so that the first measured run does not
// pay for the disk alone.
func warm(lake string) error {
	return filepath.WalkDir(lake, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(io.Discard, f)
		return err
	})
}

// reproduceLine is the command that reproduces this run from the repo root.
func reproduceLine(o options) string {
	cmd := "cd bench && go run ./cmd/ctqquery"
	if o.smoke {
		cmd += " -smoke"
	} else {
		cmd += " -archive " + measure.ShellQuote(o.archive) + " -lake " + measure.ShellQuote(o.lake)
	}
	if (o.smoke && o.runsSet) || (!o.smoke && o.runs != 3) {
		cmd += fmt.Sprintf(" -runs %d", o.runs)
	}
	if !o.jq {
		cmd += " -jq=false"
	}
	return cmd
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ctqquery: "+format+"\n", args...)
}

func mb(n int64) float64 { return float64(n) / 1e6 }
