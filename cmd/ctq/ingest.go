package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const ingestLong = `Ingests a CloudTrail archive into the lake.

SOURCE is s3://bucket[/prefix], file:///abs/dir or a directory holding a copy of
the bucket. ctq finds [prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
below it, lists each level in parallel and ingests only objects not yet in the
lake's manifest. Digest files and other prefixes are not ingested as events.
--since/--until name an event-time window: objects delivered from --since to
--until plus --max-delivery-delay are read, whole, so every event of the
window delivered within that delay is ingested (the summary counts the
events outside the window that came along).
On a terminal a progress bar shows on stderr; a summary follows (--output json
prints it as JSON on stdout).`

func init() { addCommand(10, "ingest", newIngestCmd) }

// ingestFlags are the flags of one ingest (also used by demo and watch).
type ingestFlags struct {
	lf               lakeFlags
	win              windowFlags
	parts            partitionFlags
	out              outputFlags
	insight, network bool
	shard            string
	workers          int
	maxRecord        int
	commitEvery      time.Duration
	maxDelay         time.Duration
	memory           int
	verify           bool
	publicKeys       string
	rawPage          rawPageFlag
}

// defaultIngestFlags are the flags' defaults, for callers without a command line.
func defaultIngestFlags() ingestFlags {
	d := ingest.DefaultConfig()
	return ingestFlags{maxDelay: d.MaxDeliveryDelay, maxRecord: d.MaxRecordBytes, commitEvery: d.CommitInterval, memory: d.MemoryPerWorker, out: outputFlags{def: "table", formats: []string{"table", "json"}}}
}

func newIngestCmd(e *env) *cobra.Command {
	f := defaultIngestFlags()
	c := &cobra.Command{
		Use:     "ingest SOURCE",
		Short:   "ingest a CloudTrail archive (s3:// or a local copy) into the lake",
		Long:    ingestLong,
		GroupID: "lake",
		Args:    exactArgs(1, "SOURCE"),
		RunE: func(c *cobra.Command, args []string) error {
			_, err := ingestSource(c.Context(), e, &f, args[0])
			return err
		},
	}
	f.lf.register(c)
	f.win.register(c, "events")
	durationFlag(c, &f.maxDelay, "max-delivery-delay", f.maxDelay, "longest delay between an event and the delivery of its log object: objects delivered up to this long after --until are read too")
	f.parts.register(c, &f.lf, e)
	f.out.register(c, "table", "table", "json")
	f.out.jsonAlias(c)
	fs := c.Flags()
	fs.BoolVar(&f.insight, "include-insight", false, "also ingest CloudTrail-Insight events")
	fs.BoolVar(&f.network, "include-network-activity", false, "also ingest CloudTrail-NetworkActivity events")
	fs.StringVar(&f.shard, "shard", "", "ingest only shard i of n (i/n, 0-based), split by account x region x day")
	fs.IntVar(&f.workers, "workers", 0, "decode/write workers (default: number of CPUs)")
	fs.IntVar(&f.maxRecord, "max-record-size", f.maxRecord, "records larger than this many bytes are reported and skipped (1 KiB to 256 MiB)")
	durationFlag(c, &f.commitEvery, "commit-interval", f.commitEvery, "longest time between commits (work since the last commit is redone after a crash)")
	fs.IntVar(&f.memory, "memory-per-worker", f.memory, "bytes of decoded records a worker buffers before writing files (1 MiB to 1 GiB)")
	fs.BoolVar(&f.verify, "verify", false, "hash each object while ingesting and validate it against the trail's digests (verdict per object in the manifest)")
	fs.StringVar(&f.publicKeys, "public-keys", "", "with --verify: file with the output of 'aws cloudtrail list-public-keys' (needed for a local copy or an S3-compatible endpoint)")
	f.rawPage.register(c)
	return c
}

// ingestSource runs one ingest and prints its summary.
func ingestSource(ctx context.Context, e *env, f *ingestFlags, source string) (*ingest.Result, error) {
	cfg := ingest.DefaultConfig()
	now := time.Now()
	var err error
	if cfg.Since, cfg.Until, err = f.win.resolve(now); err != nil {
		return nil, err
	}
	cfg.MaxDeliveryDelay = f.maxDelay
	output, err := f.out.format(e)
	if err != nil {
		return nil, err
	}
	jsonOut := output == "json"
	if err := f.parts.validate(); err != nil {
		return nil, err
	}
	cfg.Accounts, cfg.Regions = f.parts.accounts, f.parts.regions
	cfg.IncludeInsight, cfg.IncludeNetworkActivity = f.insight, f.network
	if f.shard != "" {
		i, n, ok := strings.Cut(f.shard, "/")
		si, err1 := strconv.Atoi(i)
		sn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
			return nil, usagef("--shard %q: want i/n with 0 <= i < n", f.shard)
		}
		cfg.Shard, cfg.Shards = si, sn
	}
	if f.workers > 0 {
		cfg.Workers = f.workers
	}
	cfg.MaxRecordBytes = f.maxRecord
	if f.commitEvery > 0 {
		cfg.CommitInterval = f.commitEvery
	}
	if f.memory > 0 {
		cfg.MemoryPerWorker = f.memory
	}
	if cfg.RawPageBytes, err = f.rawPage.bytes(); err != nil {
		return nil, err
	}
	loc, err := objstore.ParseLocation(source)
	if err != nil {
		return nil, usagef("source: %v", err)
	}
	if cfg.Source, err = openBucket(ctx, loc, f.lf.aws.options()); err != nil {
		return nil, fmt.Errorf("open source %s: %w", source, err)
	}
	if cfg.Lake, err = f.lf.open(ctx, e); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	var keys integrity.KeySource
	if f.verify {
		if keys, err = keySource(loc, &f.lf.aws, f.publicKeys, cfg.Since, cfg.Until); err != nil {
			return nil, err
		}
		cfg.HashSources = true
	}
	bar := newProgress(e, f.out.quiet || jsonOut, 0, true, "listing")
	if bar != nil {
		cfg.OnProgress = func(pr ingest.Progress) { bar.update(pr.Bytes, pr.BytesListed, ingestProgressText(pr)) }
	}
	res, runErr := ingest.Run(ctx, cfg)
	bar.done()
	// Verdicts are computed after the data is committed, from the hashes
	// the ingest recorded; an interrupted or failed run verifies nothing.
	var vr *verifyResult
	var failures []integrity.Item
	var verifyErr error
	if f.verify && runErr == nil && res != nil {
		r, fs, err := verifyIngested(ctx, cfg.Lake, cfg.Source, loc, keys, cfg.Accounts, cfg.Regions)
		if err != nil {
			verifyErr = fmt.Errorf("verify: %w", err)
		} else {
			r.Problems = fs
			vr, failures = &r, fs
		}
	}
	if res != nil {
		switch {
		case jsonOut:
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			out := struct {
				*ingest.Result
				Verify *verifyResult `json:"verify,omitempty"`
			}{res, vr}
			if err := enc.Encode(out); err != nil {
				return res, err
			}
		case !f.out.quiet:
			printSummary(e.stderr, res, cfg.Lake.String())
			printLakeTotals(ctx, e.stderr, cfg.Lake)
			if vr != nil {
				printVerify(e.stderr, *vr, failures)
			}
		}
	}
	if runErr != nil {
		return res, runErr
	}
	if verifyErr != nil {
		return res, verifyErr
	}
	if len(failures) > 0 {
		return res, integrityf("integrity verification failed: %d problem(s) (run 'ctq validate' for the full report)", len(failures))
	}
	if res.HasFaults() {
		return res, faultsf("%d object(s) had faults: %d partial, %d invalid, %d unreadable (retried next run)",
			res.ObjectsPartial+res.ObjectsInvalid+res.ObjectsFailed, res.ObjectsPartial, res.ObjectsInvalid, res.ObjectsFailed)
	}
	return res, nil
}

func printSummary(w io.Writer, r *ingest.Result, lake string) {
	shown := 0
	for _, p := range r.Problems {
		if shown == 50 {
			fmt.Fprintf(w, "... and %d more problems (use --output json for all)\n", len(r.Problems)-shown+r.ProblemsDropped)
			break
		}
		level := "error"
		switch {
		case p.Warning:
			level = "warning"
		case p.Retry:
			level = "retry"
		}
		loc := ""
		if p.Offset > 0 || p.Record > 0 {
			loc = fmt.Sprintf(" offset %d record %d", p.Offset, p.Record)
		}
		fmt.Fprintf(w, "%s: %s%s: %s\n", level, termtext.Escape(p.Key), loc, termtext.Escape(p.Msg))
		shown++
	}
	rate := 0.0
	if r.ElapsedSeconds > 0 {
		rate = float64(r.Events) / r.ElapsedSeconds
	}
	fmt.Fprintf(w, "ingested %d new objects into %s (%d listed objects were already in the lake)\n", r.Objects, termtext.Escape(lake), r.ObjectsSkipped)
	fmt.Fprintf(w, "  events       %d (%.0f events/s)\n", r.Events, rate)
	if r.EventsOutsideWindow > 0 {
		fmt.Fprintf(w, "  window       %d events in --since/--until, %d outside it in the same objects (objects are ingested whole)\n", r.EventsInWindow, r.EventsOutsideWindow)
	}
	fmt.Fprintf(w, "  read         %s compressed, %s JSON\n", humanBytes(r.BytesRead), humanBytes(r.BytesDecompressed))
	fmt.Fprintf(w, "  written      %s in %d files, %d partitions, %d commits\n", humanBytes(r.BytesWritten), r.Files, r.Partitions, r.Commits)
	if r.Recovered+r.OrphansRemoved > 0 {
		fmt.Fprintf(w, "  recovered    %d files of an interrupted run published, %d orphans removed\n", r.Recovered, r.OrphansRemoved)
	}
	if r.HasFaults() {
		fmt.Fprintf(w, "  faults       %d partial, %d invalid, %d unreadable\n", r.ObjectsPartial, r.ObjectsInvalid, r.ObjectsFailed)
	}
	fmt.Fprintf(w, "  elapsed      %.1fs\n", r.ElapsedSeconds)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ingestProgressText describes ingest progress for the bar.
func ingestProgressText(pr ingest.Progress) string {
	listed := strconv.FormatInt(pr.ObjectsListed, 10)
	if !pr.ListingDone {
		listed += "+"
	}
	rate := 0.0
	if secs := pr.Elapsed.Seconds(); secs > 0 {
		rate = float64(pr.Events) / secs
	}
	return fmt.Sprintf("%d/%s objects, %.0f events/s", pr.Objects, listed, rate)
}

// printLakeTotals says what the lake holds after a run: the run's own
// figures count only what its listing visited.
func printLakeTotals(ctx context.Context, w io.Writer, l *partition.Lake) {
	snap, err := l.Snapshot(ctx)
	if err != nil {
		fmt.Fprintf(w, "  lake         (not read: %s)\n", termtext.Escape(err.Error()))
		return
	}
	var events int64
	parts := map[partition.Key]bool{}
	for _, f := range snap.Files {
		events += f.Rows
		parts[f.Partition()] = true
	}
	fmt.Fprintf(w, "  lake holds   %d objects, %d events in %d partitions, %d files\n", len(snap.Sources), events, len(parts), len(snap.Files))
}
