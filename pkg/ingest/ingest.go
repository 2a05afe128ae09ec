// Package ingest turns CloudTrail log archives (S3 or a local copy with the
// same layout) into the partitioned Parquet lake of package partition.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ctq-dev/ctq/internal/scratch"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// Run ingests every new object of cfg.Source into cfg.Lake. It returns a
// result describing the run even when it also returns an error; committed
// work is never undone, and an interrupted run is completed by the next one.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	res := &Result{}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	lake := cfg.Lake
	snap, err := lake.Snapshot(ctx)
	if err != nil {
		return res, err
	}
	run, err := lake.BeginRun(ctx, "ingest")
	if err != nil {
		return res, err
	}
	defer func() { _ = run.End(context.WithoutCancel(ctx)) }()
	rst, err := lake.Recover(ctx, snap, run.ID())
	res.Recovered, res.OrphansRemoved = rst.Published, rst.Removed+rst.Temps
	if err != nil {
		return res, err
	}

	in := &ingester{cfg: &cfg, lake: lake, run: run, snap: snap, rep: &reporter{}}
	if cfg.TempDir == "" {
		in.tmpDir = os.TempDir()
	} else {
		in.tmpDir = cfg.TempDir
	}
	// Scratch files of killed runs (of any lake) on this host.
	swept, err := scratch.Sweep(in.tmpDir)
	res.OrphansRemoved += len(swept)
	if err != nil {
		return res, err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	units := make(chan unit, 64)
	// The lister reads a copy: the committer updates snap while it lists.
	listSnap := &partition.Snapshot{Sources: maps.Clone(snap.Sources), Days: maps.Clone(snap.Days)}
	lst := &lister{cfg: &cfg, src: cfg.Source, snap: listSnap, out: units, rep: in.rep, sem: make(chan struct{}, cfg.ListConcurrency)}
	flushes := make(chan flushResult, cfg.Workers)
	var wg sync.WaitGroup

	// Listing feeds units to the workers as day prefixes complete.
	counted := make(chan unit, 64)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(counted)
		go func() {
			if err := lst.run(ctx); err != nil {
				cancel(err)
			}
		}()
		for u := range units {
			in.rep.listed.Add(int64(len(u.objects)))
			for _, o := range u.objects {
				in.rep.listedBytes.Add(o.Size)
			}
			select {
			case counted <- u:
			case <-ctx.Done():
			}
		}
		in.rep.listingDone.Store(true)
	}()

	var wwg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		w := in.newWorker(i)
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			if err := w.loop(ctx, counted, flushes); err != nil {
				cancel(err)
			}
		}()
	}
	go func() { wwg.Wait(); close(flushes) }()

	// Progress ticker.
	stopProgress := make(chan struct{})
	if cfg.OnProgress != nil && cfg.ProgressEvery > 0 {
		go func() {
			t := time.NewTicker(cfg.ProgressEvery)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-t.C:
					cfg.OnProgress(in.rep.progress(start))
				}
			}
		}()
	}

	// The committer runs here: it collects flushed files and the objects they
	// complete, and commits them at most every CommitInterval.
	commitErr := in.commitLoop(ctx, flushes)
	if commitErr != nil {
		// Stop the pipeline first, then drain what workers still hand over
		// (nothing more will be committed) so none of them blocks.
		cancel(commitErr)
		for f := range flushes {
			in.discard(context.WithoutCancel(ctx), f.files)
		}
	}
	close(stopProgress)
	wg.Wait()
	if commitErr == nil && ctx.Err() == nil {
		// Readers replay the log from the newest checkpoint; a missing
		// checkpoint only makes them slower, so a failure is a warning.
		if err := lake.MaybeCheckpoint(ctx, in.snap); err != nil {
			in.rep.problem(Problem{Key: lake.String(), Msg: fmt.Sprintf("write manifest checkpoint: %v", err), Warning: true})
		}
	}

	in.fillResult(res, start)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return res, cause
	}
	if err := ctx.Err(); err != nil && commitErr == nil {
		if cause := context.Cause(ctx); cause != nil {
			return res, cause
		}
		return res, err
	}
	return res, commitErr
}

type ingester struct {
	cfg     *Config
	lake    *partition.Lake
	run     *partition.Run
	snap    *partition.Snapshot
	rep     *reporter
	tmpDir  string
	commits int
}

func (in *ingester) fillResult(res *Result, start time.Time) {
	r := in.rep
	res.Objects = r.objects.Load()
	res.ObjectsSkipped = r.skipped.Load()
	res.ObjectsPartial = r.partial.Load()
	res.ObjectsInvalid = r.invalid.Load()
	res.ObjectsFailed = r.failed.Load()
	res.Events = r.events.Load()
	res.EventsInWindow = r.inWindow.Load()
	res.EventsOutsideWindow = res.Events - res.EventsInWindow
	res.BytesRead = r.bytes.Load()
	res.BytesDecompressed = r.decompressed.Load()
	res.BytesWritten = r.written.Load()
	res.Files = r.files.Load()
	res.Commits = in.commits
	r.mu.Lock()
	res.Partitions = len(r.parts)
	res.Problems = append([]Problem(nil), r.problems...)
	res.ProblemsDropped = r.dropped
	r.mu.Unlock()
	res.ElapsedSeconds = time.Since(start).Seconds()
}

// flushResult is what a worker hands to the committer after writing all its
// batches: the files, and the objects (and day marks) they complete.
type flushResult struct {
	files   []partition.File
	sources []partition.Source
	days    []partition.DayMark
}

func (in *ingester) commitLoop(ctx context.Context, flushes <-chan flushResult) error {
	var pending flushResult
	t := time.NewTicker(in.cfg.CommitInterval)
	defer t.Stop()
	commit := func() error {
		if len(pending.files) == 0 && len(pending.sources) == 0 {
			return nil
		}
		// Commit even when the run is being cancelled: the files are
		// complete, and committing them saves the next run the work.
		cctx := context.WithoutCancel(ctx)
		if err := in.commit(cctx, pending); err != nil {
			return err
		}
		pending = flushResult{}
		return nil
	}
	for {
		select {
		case f, ok := <-flushes:
			if !ok {
				return commit()
			}
			pending.files = append(pending.files, f.files...)
			pending.sources = append(pending.sources, f.sources...)
			pending.days = append(pending.days, f.days...)
		case <-t.C:
			if err := commit(); err != nil {
				return err
			}
		}
	}
}

func (in *ingester) commit(ctx context.Context, p flushResult) error {
	mine := make(map[string]bool, len(p.sources))
	for _, s := range p.sources {
		mine[s.Key] = true
	}
	// Another run may have committed some of these objects since this run
	// listed them; its commit is in the snapshot already if an earlier
	// commit of this run had to retry past it.
	for _, s := range p.sources {
		if prev, ok := in.snap.Sources[s.Key]; ok && prev.Status != statusRetry {
			err := fmt.Errorf("%w: another run ingested %s at the same time; this run stops without committing its copy (re-run to continue)",
				partition.ErrConflict, s.Key)
			in.discard(ctx, p.files)
			return err
		}
	}
	c := &partition.Commit{Operation: "ingest", RunID: in.run.ID(), Add: p.files, Sources: p.sources, Days: p.days}
	err := in.lake.Commit(ctx, in.snap, c, func(newer *partition.Commit) error {
		for _, s := range newer.Sources {
			if mine[s.Key] && s.Status != statusRetry {
				return fmt.Errorf("%w: run %s ingested %s at the same time; this run stops without committing its copy (re-run to continue)",
					partition.ErrConflict, newer.RunID, s.Key)
			}
		}
		return nil
	})
	if err != nil {
		// Only a conflict proves the entry was not written. Any other error
		// (a lost response, a failed directory sync) may hide a commit that
		// did land: the staged files stay for the next run's recovery, which
		// publishes them if they were committed and removes them if not.
		if errors.Is(err, partition.ErrConflict) {
			in.discard(ctx, p.files)
		}
		return err
	}
	in.commits++
	return in.lake.Publish(ctx, p.files)
}

// discard deletes staged files that will not be committed.
func (in *ingester) discard(ctx context.Context, files []partition.File) {
	for _, f := range files {
		_ = in.lake.Bucket().Delete(ctx, f.Staging)
	}
}

// statusRetry marks a source that failed transiently (never committed as
// such today; reserved so older entries can be retried).
const statusRetry = "retry"

// dataFileName names a new data file uniquely across runs and workers.
func dataFileName(runID string, worker, seq int) string {
	return "part-" + runID + "-" + strconv.Itoa(worker) + "-" + strconv.Itoa(seq) + ".parquet"
}

// writeFile writes a batch as a Parquet file into the run's staging area.
func (in *ingester) writeFile(ctx context.Context, fw *fileWriter, b *batch, pk partition.Key, name string) (partition.File, error) {
	staging := in.run.StagingKey(name)
	f := partition.File{Path: pk.Dir() + "/" + name, Staging: staging}
	// On a local lake the file is written in place under staging; on S3 it
	// is written to a temporary file and uploaded.
	out, err := objstore.CreateObjectFile(in.lake.Bucket(), staging, in.tmpDir)
	if err != nil {
		return f, fmt.Errorf("create data file: %w", err)
	}
	st, err := fw.write(out, b)
	if err != nil {
		out.Abort()
		return f, fmt.Errorf("write data file %s: %w", f.Path, err)
	}
	size, err := out.Commit(ctx)
	if err != nil {
		return f, fmt.Errorf("data file %s: %w", f.Path, err)
	}
	f.Rows, f.Bytes = st.Rows, size
	f.MinTime, f.MaxTime = time.UnixMicro(st.MinTime).UTC(), time.UnixMicro(st.MaxTime).UTC()
	f.Ranges, f.Inexact, f.Values, f.Dups = st.Ranges, st.Inexact, st.Values, st.Dups
	in.rep.files.Add(1)
	in.rep.written.Add(size)
	in.rep.partition(pk.Dir())
	return f, nil
}
