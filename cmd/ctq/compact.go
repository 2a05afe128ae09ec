package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/compact"
	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/partition"
)

const compactUsage = `ctq compact [flags]

Merges the small files of each partition into files of about --target-size,
rows sorted by eventTime, and removes duplicate events (same eventID). Each
partition's merge is one atomic commit: queries see the old files or the new
ones, never both. Replaced files move to the lake's trash (_ctq/trash/) and
are deleted by a later run once --retention has passed. A run interrupted at
any point is finished or undone by the next one.

--since/--until select partitions by day (eventTime); --accounts and
--regions narrow them.`

func cmdCompact(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("compact", flag.ContinueOnError)
	var lake, since, until, accounts, regions, target string
	var aws awsFlags
	var full, dryRun, jsonOut bool
	var retention time.Duration
	var workers int
	fs.StringVar(&lake, "lake", "", "lake location: DIR or s3://bucket/prefix (default $CTQ_LAKE, else the per-user lake)")
	aws.register(fs)
	fs.StringVar(&since, "since", "", "only partitions of days at or after this time")
	fs.StringVar(&until, "until", "", "only partitions of days before this time")
	fs.StringVar(&accounts, "accounts", "", "comma-separated account ids (default all)")
	fs.StringVar(&regions, "regions", "", "comma-separated regions (default all)")
	fs.StringVar(&target, "target-size", "128MiB", "size of the files compaction writes (e.g. 64MiB, 256MiB, 1GiB)")
	fs.BoolVar(&full, "full", false, "rewrite every partition with more than one file (also removes duplicates between large files)")
	fs.DurationVar(&retention, "retention", compact.DefaultRetention, "how long replaced files stay in the trash for queries that started before the commit")
	fs.IntVar(&workers, "workers", 0, "partitions merged at once (default: number of CPUs)")
	fs.BoolVar(&dryRun, "dry-run", false, "print the plan, change nothing")
	fs.BoolVar(&jsonOut, "json", false, "print the result as JSON on stdout")
	pos, err := parseCommandArgs(e, fs, args, compactUsage)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("compact: unexpected argument %q", pos[0])
	}
	cfg := compact.Config{Policy: partition.DefaultCompactionPolicy(), Retention: retention, Workers: workers, DryRun: dryRun}
	cfg.Policy.Full = full
	if cfg.Policy.TargetBytes, err = parseSize(target); err != nil {
		return usagef("--target-size: %v", err)
	}
	if err := cfg.Policy.Validate(); err != nil {
		return usagef("--target-size: %v", err)
	}
	now := time.Now()
	if cfg.Since, err = parseTimeBound(since, now); err != nil {
		return usagef("--since: %v", err)
	}
	if cfg.Until, err = parseTimeBound(until, now); err != nil {
		return usagef("--until: %v", err)
	}
	cfg.Accounts, cfg.Regions = splitList(accounts), splitList(regions)
	for _, a := range cfg.Accounts {
		if !layout.ValidAccount(a) {
			return usagef("--accounts: %q is not a 12-digit account id", a)
		}
	}
	if retention < 0 {
		return usagef("--retention %s: must not be negative", retention)
	}
	l, err := openLake(ctx, e, lake, &aws)
	if err != nil {
		return err
	}
	if _, err := readSnapshot(ctx, l); err != nil {
		return err
	}
	start := time.Now()
	res, err := compact.Run(ctx, l, cfg)
	if res == nil {
		return err
	}
	elapsed := time.Since(start)
	if jsonOut {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(compactJSON(res, elapsed, dryRun)); eerr != nil && err == nil {
			err = eerr
		}
	} else {
		writeCompactSummary(e, res, elapsed, dryRun)
	}
	return err
}

type compactReport struct {
	DryRun     bool            `json:"dryRun"`
	Planned    []compactGroup  `json:"planned"`
	Merged     int             `json:"merged"`
	Conflicts  int             `json:"conflicts"`
	FilesIn    int             `json:"filesIn"`
	FilesOut   int             `json:"filesOut"`
	EventsIn   int64           `json:"eventsIn"`
	EventsOut  int64           `json:"eventsOut"`
	Duplicates int64           `json:"duplicatesRemoved"`
	BytesIn    int64           `json:"bytesIn"`
	BytesOut   int64           `json:"bytesOut"`
	Seconds    float64         `json:"seconds"`
	Recovered  recoveredReport `json:"recovered"`
	Stray      []string        `json:"strayFiles,omitempty"`
}

type compactGroup struct {
	Partition string `json:"partition"`
	Files     int    `json:"files"`
	Events    int64  `json:"events"`
	Bytes     int64  `json:"bytes"`
	Outputs   int    `json:"outputs"`
}

type recoveredReport struct {
	Published int `json:"published"`
	Orphans   int `json:"orphansRemoved"`
	Trashed   int `json:"replacedFilesTrashed"`
	Purged    int `json:"trashPurged"`
}

func compactJSON(res *compact.Result, elapsed time.Duration, dryRun bool) compactReport {
	r := compactReport{
		DryRun: dryRun, Merged: res.Merged, Conflicts: res.Conflicts, FilesIn: res.FilesIn, FilesOut: res.FilesOut,
		EventsIn: res.RowsIn, EventsOut: res.RowsOut, Duplicates: res.Duplicates, BytesIn: res.BytesIn, BytesOut: res.BytesOut,
		Seconds: elapsed.Seconds(), Stray: res.Cleanup.Stray,
		Recovered: recoveredReport{Published: res.Recovered.Published, Orphans: res.Recovered.Removed, Trashed: res.Cleanup.Trashed, Purged: res.Cleanup.Purged},
		Planned:   []compactGroup{},
	}
	for _, g := range res.Plan {
		r.Planned = append(r.Planned, compactGroup{Partition: g.Partition.Dir(), Files: len(g.Inputs), Events: g.Rows, Bytes: g.Bytes, Outputs: g.Outputs})
	}
	return r
}

func writeCompactSummary(e *env, res *compact.Result, elapsed time.Duration, dryRun bool) {
	w := e.stdout
	if dryRun {
		var files int
		var bytes int64
		for _, g := range res.Plan {
			fmt.Fprintf(w, "%s: merge %d files (%s, %d events) into %d\n", g.Partition.Dir(), len(g.Inputs), humanBytes(g.Bytes), g.Rows, g.Outputs)
			files += len(g.Inputs)
			bytes += g.Bytes
		}
		fmt.Fprintf(w, "plan: %d partitions, %d files, %s (dry run: nothing changed)\n", len(res.Plan), files, humanBytes(bytes))
		return
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(res.BytesIn) / s / (1 << 20)
	}
	fmt.Fprintf(w, "compacted %d partitions: %d files -> %d, %d events -> %d (%d duplicates removed), %s -> %s in %s (%.1f MiB/s)\n",
		res.Merged, res.FilesIn, res.FilesOut, res.RowsIn, res.RowsOut, res.Duplicates,
		humanBytes(res.BytesIn), humanBytes(res.BytesOut), elapsed.Round(time.Millisecond), rate)
	if res.Conflicts > 0 {
		fmt.Fprintf(w, "%d partitions skipped: a concurrent compaction changed them first\n", res.Conflicts)
	}
	rc, cl := res.Recovered, res.Cleanup
	if rc.Published+rc.Removed+cl.Trashed > 0 {
		fmt.Fprintf(w, "recovered from an interrupted run: %d files published, %d orphaned staging files removed, %d replaced files moved to the trash\n", rc.Published, rc.Removed, cl.Trashed)
	}
	if cl.Purged > 0 {
		fmt.Fprintf(w, "purged %d files from the trash\n", cl.Purged)
	}
	for _, s := range cl.Stray {
		fmt.Fprintf(e.stderr, "warning: %s is in a partition directory but in no commit; left alone\n", sanitize(s))
	}
}

// parseSize parses a byte size: a number with an optional unit (B, KB, MB,
// GB, KiB, MiB, GiB; K/M/G are binary).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 128MiB)", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "kb": 1e3, "m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (use KiB, MiB, GiB, KB, MB or GB)", s, t[i:])
	}
	return int64(v * mult), nil
}
