package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/compact"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const compactLong = `Merges the small files of each partition into files of about --target-size,
rows sorted by eventTime, and removes duplicate events (same eventID). Each
partition's merge is one atomic commit: queries see the old files or the new
ones, never both. Replaced files move to the lake's trash (_ctq/trash/) and
are deleted by a later run once --retention has passed. A run interrupted at
any point is finished or undone by the next one.

--since-day/--until-day select partitions by their day (the eventTime day);
--accounts and --regions narrow them. --dry-run prints each planned merge
with its reason.`

func init() { addCommand(12, "compact", newCompactCmd) }

type compactFlags struct {
	lf        lakeFlags
	days      windowFlags
	parts     partitionFlags
	out       outputFlags
	target    string
	full      bool
	dryRun    bool
	retention time.Duration
	workers   int
	rawPage   rawPageFlag
}

func newCompactCmd(e *env) *cobra.Command {
	var f compactFlags
	c := &cobra.Command{
		Use:     "compact",
		Short:   "merge each partition's small files into large ones and remove duplicate events",
		Long:    compactLong,
		GroupID: "lake",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCompact(c.Context(), e, &f)
		},
	}
	f.lf.register(c)
	f.days.registerNamed(c, "since-day", "until-day", "partitions of days")
	f.days.deprecatedAliases(c, "since", "until")
	f.parts.register(c, &f.lf, e)
	f.out.register(c, "table", "table", "json")
	f.out.jsonAlias(c)
	fs := c.Flags()
	fs.StringVar(&f.target, "target-size", "128MiB", "size of the files compaction writes (e.g. 64MiB, 256MiB, 1GiB)")
	fs.BoolVar(&f.full, "full", false, "rewrite every partition with more than one file (also removes duplicates between large files)")
	durationFlag(c, &f.retention, "retention", compact.DefaultRetention, "how long replaced files stay in the trash for queries that started before the commit")
	fs.IntVar(&f.workers, "workers", 0, "partitions merged at once (default: number of CPUs)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan with the reason for each merge, change nothing")
	f.rawPage.register(c)
	return c
}

func runCompact(ctx context.Context, e *env, f *compactFlags) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	cfg := compact.Config{Policy: partition.DefaultCompactionPolicy(), Retention: f.retention, Workers: f.workers, DryRun: f.dryRun}
	cfg.Policy.Full = f.full
	if cfg.RawPageBytes, err = f.rawPage.bytes(); err != nil {
		return err
	}
	if cfg.Policy.TargetBytes, err = parseSize(f.target); err != nil {
		return usagef("--target-size: %v", err)
	}
	if err := cfg.Policy.Validate(); err != nil {
		return usagef("--target-size: %v", err)
	}
	if cfg.Since, cfg.Until, err = f.days.resolve(time.Now()); err != nil {
		return err
	}
	if err := f.parts.validate(); err != nil {
		return err
	}
	cfg.Accounts, cfg.Regions = f.parts.accounts, f.parts.regions
	if f.retention < 0 {
		return usagef("--retention %s: must not be negative", f.retention)
	}
	l, err := f.lf.open(ctx, e)
	if err != nil {
		return err
	}
	if _, err := readSnapshot(ctx, l); err != nil {
		return err
	}
	var bar *progress
	if !f.dryRun {
		bar = newProgress(e, f.out.quiet || output == "json", -1, false, "compacting")
		merged := 0
		cfg.Hook = func(step string, g partition.MergeGroup) error {
			if step == compact.StepTrashed {
				merged++
				bar.update(int64(merged), -1, fmt.Sprintf("compacting: %d partitions merged, last %s", merged, g.Partition.Dir()))
			}
			return nil
		}
	}
	start := time.Now()
	res, err := compact.Run(ctx, l, cfg)
	bar.done()
	if res == nil {
		return err
	}
	elapsed := time.Since(start)
	if output == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(compactJSON(res, cfg.Policy, elapsed, f.dryRun)); eerr != nil && err == nil {
			err = eerr
		}
	} else {
		writeCompactSummary(e, res, cfg.Policy, elapsed, f.dryRun)
	}
	return err
}

// mergeReason says why the plan merges a group's files.
func mergeReason(g partition.MergeGroup, p partition.CompactionPolicy) string {
	if p.Full {
		return fmt.Sprintf("--full: the partition has %d files", len(g.Inputs))
	}
	done := int64(float64(p.TargetBytes) * p.DoneFraction)
	var small int
	var dups int64
	for _, f := range g.Inputs {
		if f.Bytes < done {
			small++
		}
		dups += f.Dups
	}
	var why []string
	if small >= 2 {
		why = append(why, fmt.Sprintf("%d files are under %s (%.0f%% of --target-size)", small, humanBytes(done), p.DoneFraction*100))
	}
	if dups > 0 {
		why = append(why, fmt.Sprintf("%d duplicate events to remove", dups))
	}
	if len(why) == 0 {
		why = append(why, "merging")
	}
	if big := len(g.Inputs) - small; big > 0 && small >= 2 {
		why = append(why, fmt.Sprintf("%d larger files join so the partition ends with %d files", big, g.Outputs))
	}
	return strings.Join(why, "; ")
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
	Reason    string `json:"reason"`
}

type recoveredReport struct {
	Published int `json:"published"`
	Orphans   int `json:"orphansRemoved"`
	Trashed   int `json:"replacedFilesTrashed"`
	Purged    int `json:"trashPurged"`
}

func compactJSON(res *compact.Result, p partition.CompactionPolicy, elapsed time.Duration, dryRun bool) compactReport {
	r := compactReport{
		DryRun: dryRun, Merged: res.Merged, Conflicts: res.Conflicts, FilesIn: res.FilesIn, FilesOut: res.FilesOut,
		EventsIn: res.RowsIn, EventsOut: res.RowsOut, Duplicates: res.Duplicates, BytesIn: res.BytesIn, BytesOut: res.BytesOut,
		Seconds: elapsed.Seconds(), Stray: res.Cleanup.Stray,
		Recovered: recoveredReport{Published: res.Recovered.Published, Orphans: res.Recovered.Removed, Trashed: res.Cleanup.Trashed, Purged: res.Cleanup.Purged},
		Planned:   []compactGroup{},
	}
	for _, g := range res.Plan {
		r.Planned = append(r.Planned, compactGroup{Partition: g.Partition.Dir(), Files: len(g.Inputs), Events: g.Rows, Bytes: g.Bytes, Outputs: g.Outputs, Reason: mergeReason(g, p)})
	}
	return r
}

func writeCompactSummary(e *env, res *compact.Result, p partition.CompactionPolicy, elapsed time.Duration, dryRun bool) {
	w := e.stdout
	if dryRun {
		var files int
		var bytes int64
		for _, g := range res.Plan {
			fmt.Fprintf(w, "%s: merge %d files (%s, %d events) into %d: %s\n", g.Partition.Dir(), len(g.Inputs), humanBytes(g.Bytes), g.Rows, g.Outputs, mergeReason(g, p))
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
		fmt.Fprintf(e.stderr, "warning: %s is in a partition directory but in no commit; left alone\n", termtext.Escape(s))
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
