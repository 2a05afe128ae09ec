package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/objstore"
)

const ingestUsage = `ctq ingest SOURCE [flags]

SOURCE is s3://bucket[/prefix], file:///abs/dir or a directory holding a copy of
the bucket. ctq finds [prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
below it, lists each level in parallel and ingests only objects not yet in the
lake's manifest. Digest files and other prefixes are not ingested as events.
--since/--until select objects by delivery time (the file name's timestamp):
RFC 3339, a date, or a duration ago (90m, 24h, 7d).`

type ingestFlags struct {
	lake              string
	aws               awsFlags
	since, until      string
	accounts, regions string
	insight, network  bool
	shard             string
	workers           int
	maxRecord         int
	quiet, jsonOut    bool
	commitEvery       time.Duration
	memory            int
	verify            bool
	publicKeys        string
}

func (f *ingestFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.lake, "lake", "", "lake location: DIR or s3://bucket/prefix (default $CTQ_LAKE, else the per-user lake)")
	f.aws.register(fs)
	fs.StringVar(&f.since, "since", "", "only objects delivered at or after this time")
	fs.StringVar(&f.until, "until", "", "only objects delivered before this time")
	fs.StringVar(&f.accounts, "accounts", "", "comma-separated account ids to ingest (default all)")
	fs.StringVar(&f.regions, "regions", "", "comma-separated regions to ingest (default all)")
	fs.BoolVar(&f.insight, "include-insight", false, "also ingest CloudTrail-Insight events")
	fs.BoolVar(&f.network, "include-network-activity", false, "also ingest CloudTrail-NetworkActivity events")
	fs.StringVar(&f.shard, "shard", "", "ingest only shard i of n (i/n, 0-based), split by account x region x day")
	fs.IntVar(&f.workers, "workers", 0, "decode/write workers (default: number of CPUs)")
	fs.IntVar(&f.maxRecord, "max-record-size", 32<<20, "records larger than this many bytes are reported and skipped (1 KiB to 256 MiB)")
	fs.DurationVar(&f.commitEvery, "commit-interval", 15*time.Second, "longest time between commits (work since the last commit is redone after a crash)")
	fs.IntVar(&f.memory, "memory-per-worker", 40<<20, "bytes of decoded records a worker buffers before writing files (1 MiB to 1 GiB)")
	fs.BoolVar(&f.verify, "verify", false, "hash each object while ingesting and validate it against the trail's digests (verdict per object in the manifest)")
	fs.StringVar(&f.publicKeys, "public-keys", "", "with --verify: file with the output of 'aws cloudtrail list-public-keys' (needed for a local copy or an S3-compatible endpoint)")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&f.jsonOut, "json", false, "print the summary as JSON on stdout")
}

func cmdIngest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var f ingestFlags
	f.register(fs)
	pos, err := parseCommandArgs(e, fs, args, ingestUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("ingest: want exactly one SOURCE, got %d arguments; see 'ctq ingest --help'", len(pos))
	}
	_, err = ingestSource(ctx, e, &f, pos[0])
	return err
}

// ingestSource runs one ingest and prints its summary.
func ingestSource(ctx context.Context, e *env, f *ingestFlags, source string) (*ingest.Result, error) {
	cfg := ingest.DefaultConfig()
	now := time.Now()
	var err error
	if cfg.Since, err = parseTimeBound(f.since, now); err != nil {
		return nil, usagef("--since: %v", err)
	}
	if cfg.Until, err = parseTimeBound(f.until, now); err != nil {
		return nil, usagef("--until: %v", err)
	}
	cfg.Accounts, cfg.Regions = splitList(f.accounts), splitList(f.regions)
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
	loc, err := objstore.ParseLocation(source)
	if err != nil {
		return nil, usagef("source: %v", err)
	}
	if cfg.Source, err = openBucket(ctx, loc, f.aws.options()); err != nil {
		return nil, fmt.Errorf("open source %s: %w", source, err)
	}
	if cfg.Lake, err = openLake(ctx, e, f.lake, &f.aws); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	var keys integrity.KeySource
	if f.verify {
		if keys, err = keySource(loc, &f.aws, f.publicKeys, cfg.Since, cfg.Until); err != nil {
			return nil, err
		}
		cfg.HashSources = true
	}
	var bar *progressBar
	if !f.quiet && !f.jsonOut && isTerminal(e.stderr) {
		bar = &progressBar{w: e.stderr}
		cfg.OnProgress = bar.update
	}
	res, runErr := ingest.Run(ctx, cfg)
	if bar != nil {
		bar.clear()
	}
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
		case f.jsonOut:
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			out := struct {
				*ingest.Result
				Verify *verifyResult `json:"verify,omitempty"`
			}{res, vr}
			if err := enc.Encode(out); err != nil {
				return res, err
			}
		case !f.quiet:
			printSummary(e.stderr, res, cfg.Lake.String())
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
		return res, &faultsError{fmt.Sprintf("integrity verification failed: %d problem(s) (run 'ctq validate' for the full report)", len(failures))}
	}
	if res.HasFaults() {
		return res, &faultsError{fmt.Sprintf("%d object(s) had faults: %d partial, %d invalid, %d unreadable (retried next run)",
			res.ObjectsPartial+res.ObjectsInvalid+res.ObjectsFailed, res.ObjectsPartial, res.ObjectsInvalid, res.ObjectsFailed)}
	}
	return res, nil
}

func printSummary(w io.Writer, r *ingest.Result, lake string) {
	shown := 0
	for _, p := range r.Problems {
		if shown == 50 {
			fmt.Fprintf(w, "... and %d more problems (use --json for all)\n", len(r.Problems)-shown+r.ProblemsDropped)
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
		fmt.Fprintf(w, "%s: %s%s: %s\n", level, sanitize(p.Key), loc, sanitize(p.Msg))
		shown++
	}
	rate := 0.0
	if r.ElapsedSeconds > 0 {
		rate = float64(r.Events) / r.ElapsedSeconds
	}
	fmt.Fprintf(w, "ingested %d objects (%d already in the lake) into %s\n", r.Objects, r.ObjectsSkipped, sanitize(lake))
	fmt.Fprintf(w, "  events       %d (%.0f events/s)\n", r.Events, rate)
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

// progressBar draws ingest progress on a terminal.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (p *progressBar) update(pr ingest.Progress) {
	const width = 24
	frac := 0.0
	if pr.BytesListed > 0 {
		frac = float64(pr.Bytes) / float64(pr.BytesListed)
	}
	if frac > 1 {
		frac = 1
	}
	filled := int(frac * width)
	bar := strings.Repeat("#", filled) + strings.Repeat("-", width-filled)
	secs := pr.Elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(pr.Events) / secs
	}
	eta := "?"
	if pr.ListingDone && pr.Bytes > 0 && frac < 1 {
		left := time.Duration(float64(pr.Elapsed) * (1 - frac) / frac)
		eta = left.Round(time.Second).String()
	} else if pr.ListingDone && frac >= 1 {
		eta = "0s"
	}
	listed := strconv.FormatInt(pr.ObjectsListed, 10)
	if !pr.ListingDone {
		listed += "+"
	}
	fmt.Fprintf(p.w, "\r[%s] %d/%s objects  %s/%s  %.0f events/s  ETA %s   ", bar, pr.Objects, listed,
		humanBytes(pr.Bytes), humanBytes(pr.BytesListed), rate, eta)
	p.drawn = true
}

func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", 100))
	}
}
