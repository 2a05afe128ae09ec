// Package compact merges the small files of a lake's partitions into files
// near a target size, removing duplicate events, and commits each merge
// atomically. What to merge is decided by partition.PlanCompaction (pure);
// this package executes the plan.
package compact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ctq-dev/ctq/internal/scratch"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// Config selects what to compact and how.
type Config struct {
	Policy partition.CompactionPolicy
	// Since and Until limit compaction to partitions whose day overlaps
	// [Since, Until); zero means unbounded.
	Since, Until time.Time
	Accounts     []string // empty: all
	Regions      []string // empty: all
	// Retention is how long files removed by a compaction stay in the
	// lake's trash, where queries that started before the commit still
	// read them. Zero means DefaultRetention.
	Retention time.Duration
	Workers   int    // partitions merged at once; 0: GOMAXPROCS
	TempDir   string // for files of an object-store lake; "" = os.TempDir()
	// RawPageBytes is ingest.Config.RawPageBytes for the merged files.
	RawPageBytes int
	DryRun       bool // plan only
	// Hook, when set, is called after each step of each merge (see the
	// Step constants); an error stops the run at once, as a crash would.
	Hook func(step string, g partition.MergeGroup) error
}

// DefaultRetention keeps removed files for an hour: longer than any query
// of a running ctq takes to open its files.
const DefaultRetention = time.Hour

// Steps of one merge, in order, as passed to Config.Hook.
const (
	StepStaged    = "staged"    // new files written to the staging area
	StepCommitted = "committed" // the commit entry is in the log
	StepPublished = "published" // new files moved to their partition
	StepTrashed   = "trashed"   // replaced files moved to the trash
)

// Result reports a compaction run.
type Result struct {
	Plan       []partition.MergeGroup // the merges chosen
	Merged     int                    // merges committed
	Conflicts  int                    // merges skipped: a concurrent compaction took their files
	FilesIn    int
	FilesOut   int
	RowsIn     int64
	RowsOut    int64
	Duplicates int64
	BytesIn    int64
	BytesOut   int64
	Recovered  partition.RecoverStats
	Cleanup    CleanupStats
}

// job is the state of one run.
type job struct {
	ctx    context.Context
	cfg    Config
	lake   *partition.Lake
	run    *partition.Run
	tmpDir string

	mu   sync.Mutex // guards snap, seq, res
	snap *partition.Snapshot
	seq  int
	res  Result
}

// Run compacts the lake.
func Run(ctx context.Context, lake *partition.Lake, cfg Config) (*Result, error) {
	if cfg.Policy == (partition.CompactionPolicy{}) {
		cfg.Policy = partition.DefaultCompactionPolicy()
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if err := (ingest.FileOptions{RawPageBytes: cfg.RawPageBytes}).Validate(); err != nil {
		return nil, fmt.Errorf("compact: %w", err)
	}
	j := &job{ctx: ctx, cfg: cfg, lake: lake, tmpDir: cfg.TempDir}
	if j.tmpDir == "" {
		j.tmpDir = os.TempDir()
	}
	snap, err := lake.FilesSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	j.snap = snap
	j.res.Plan = partition.PlanCompaction(j.candidates(), cfg.Policy)
	if cfg.DryRun {
		return &j.res, nil
	}
	run, err := lake.BeginRun(ctx, "compact")
	if err != nil {
		return nil, err
	}
	j.run = run
	crashed := false
	defer func() {
		if !crashed {
			_ = run.End(context.WithoutCancel(ctx))
		}
	}()
	if j.res.Recovered, err = lake.Recover(ctx, snap, run.ID()); err != nil {
		return &j.res, err
	}
	if _, err = scratch.Sweep(j.tmpDir); err != nil { // files of killed runs on this host
		return &j.res, err
	}
	if j.res.Cleanup, err = cleanup(ctx, lake, snap, cfg.Retention, time.Now()); err != nil {
		return &j.res, err
	}
	err = j.mergeAll()
	if errors.Is(err, errHook) {
		crashed = true
	}
	return &j.res, err
}

// errHook marks an error returned by Config.Hook.
var errHook = errors.New("stopped by hook")

// candidates returns the live files of the partitions the config selects.
func (j *job) candidates() []partition.File {
	var out []partition.File
	for _, f := range j.snap.SortedFiles() {
		k := f.Partition()
		if len(j.cfg.Accounts) > 0 && !slices.Contains(j.cfg.Accounts, k.Account) {
			continue
		}
		if len(j.cfg.Regions) > 0 && !slices.Contains(j.cfg.Regions, k.Region) {
			continue
		}
		day, err := k.DayStart()
		if err != nil {
			continue
		}
		if !j.cfg.Since.IsZero() && !day.Add(24*time.Hour).After(j.cfg.Since) {
			continue
		}
		if !j.cfg.Until.IsZero() && !day.Before(j.cfg.Until) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// mergeAll runs the planned merges on cfg.Workers goroutines.
func (j *job) mergeAll() error {
	groups := make(chan partition.MergeGroup)
	errs := make(chan error, j.cfg.Workers)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(j.ctx)
	defer cancel()
	for range j.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fb := ingest.NewFileBuilder(ingest.FileOptions{RawPageBytes: j.cfg.RawPageBytes})
			for g := range groups {
				if err := j.mergeGroup(ctx, fb, g); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for _, g := range j.res.Plan {
		select {
		case groups <- g:
		case <-ctx.Done():
			break feed
		}
	}
	close(groups)
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	return j.ctx.Err()
}

// mergeGroup merges one group, commits it and retires its inputs.
func (j *job) mergeGroup(ctx context.Context, fb *ingest.FileBuilder, g partition.MergeGroup) error {
	hook := func(step string) error {
		if j.cfg.Hook == nil {
			return nil
		}
		if err := j.cfg.Hook(step, g); err != nil {
			return fmt.Errorf("%w: %w", errHook, err)
		}
		return nil
	}
	seen, err := j.otherIDs(ctx, g)
	if err != nil {
		return err
	}
	outs, rows, dups, err := j.merge(ctx, fb, g, seen)
	if err != nil {
		return err
	}
	if err := hook(StepStaged); err != nil {
		return err
	}
	inputs := make(map[string]bool, len(g.Inputs))
	remove := make([]string, 0, len(g.Inputs))
	for _, f := range g.Inputs {
		inputs[f.Path] = true
		remove = append(remove, f.Path)
	}
	c := &partition.Commit{Operation: "compact", RunID: j.run.ID(), Add: outs, Remove: remove}
	j.mu.Lock()
	err = j.lake.Commit(ctx, j.snap, c, func(newer *partition.Commit) error {
		for _, p := range newer.Remove {
			if inputs[p] {
				return fmt.Errorf("file %s was removed by commit %d: %w", p, newer.Seq, partition.ErrConflict)
			}
		}
		return nil
	})
	if err != nil {
		j.mu.Unlock()
		j.discard(outs)
		if errors.Is(err, partition.ErrConflict) {
			j.mu.Lock()
			j.res.Conflicts++
			j.mu.Unlock()
			return nil
		}
		return fmt.Errorf("commit compaction of %s: %w", g.Partition.Dir(), err)
	}
	j.res.Merged++
	j.res.FilesIn += len(g.Inputs)
	j.res.FilesOut += len(outs)
	j.res.RowsIn += g.Rows
	j.res.RowsOut += rows
	j.res.Duplicates += dups
	j.res.BytesIn += g.Bytes
	for _, f := range outs {
		j.res.BytesOut += f.Bytes
	}
	j.mu.Unlock()
	if err := hook(StepCommitted); err != nil {
		return err
	}
	// From here on the merge is durable; the remaining steps are repeated
	// by the next run's recovery if they are interrupted.
	if err := j.lake.Publish(context.WithoutCancel(ctx), outs); err != nil {
		return err
	}
	if err := hook(StepPublished); err != nil {
		return err
	}
	if err := trash(context.WithoutCancel(ctx), j.lake, remove); err != nil {
		return err
	}
	return hook(StepTrashed)
}

// merge writes the group's rows into new staged files of about the target
// size. Inputs that overlap in time more than maxFanIn deep are merged in
// rounds through intermediate files.
func (j *job) merge(ctx context.Context, fb *ingest.FileBuilder, g partition.MergeGroup, seen map[string]struct{}) (outs []partition.File, rows, dups int64, err error) {
	inputs := g.Inputs
	var temps []partition.File
	defer func() { j.discard(temps) }()
	for len(inputs) > maxFanIn && maxOverlap(inputs) > maxFanIn {
		sorted := append([]partition.File(nil), inputs...)
		slices.SortStableFunc(sorted, func(a, b partition.File) int { return a.MinTime.Compare(b.MinTime) })
		var next []partition.File
		for lo := 0; lo < len(sorted); lo += maxFanIn {
			chunk := sorted[lo:min(lo+maxFanIn, len(sorted))]
			w := &writer{j: j, pk: g.Partition, fb: fb, srcs: map[string]string{}}
			_, d, err := j.mergeInputs(ctx, chunk, nil, w)
			if err == nil {
				err = w.finish()
			}
			if err != nil {
				w.abort()
				return nil, 0, 0, err
			}
			dups += d
			temps = append(temps, w.files...)
			next = append(next, w.files...)
		}
		inputs = next
	}
	// The planned number of outputs, ceil(input bytes / target), share the
	// rows evenly: files come out balanced, and at most target-sized since
	// merged files compress at least as well as their inputs.
	perFile := int64(1)
	if g.Outputs > 0 {
		perFile = max(1, (g.Rows+int64(g.Outputs)-1)/int64(g.Outputs))
	}
	w := &writer{j: j, pk: g.Partition, fb: fb, rowsPerFile: perFile, final: true, srcs: map[string]string{}}
	rows, d, err := j.mergeInputs(ctx, inputs, seen, w)
	if err == nil {
		err = w.finish()
	}
	if err != nil {
		w.abort()
		return nil, 0, 0, err
	}
	return w.files, rows, dups + d, nil
}

// otherIDs returns the eventIDs of the partition's files that the group
// leaves alone, within the group's time range, so that a duplicate of one
// of their events is dropped from the merge.
func (j *job) otherIDs(ctx context.Context, g partition.MergeGroup) (map[string]struct{}, error) {
	in := map[string]bool{}
	lo, hi := g.Inputs[0].MinTime, g.Inputs[0].MaxTime
	for _, f := range g.Inputs {
		in[f.Path] = true
		if f.MinTime.Before(lo) {
			lo = f.MinTime
		}
		if f.MaxTime.After(hi) {
			hi = f.MaxTime
		}
	}
	j.mu.Lock()
	var others []partition.File
	for _, f := range j.snap.Files {
		if !in[f.Path] && f.Partition() == g.Partition && !f.MaxTime.Before(lo) && !f.MinTime.After(hi) {
			others = append(others, f)
		}
	}
	j.mu.Unlock()
	if len(others) == 0 {
		return nil, nil
	}
	seen := map[string]struct{}{}
	for _, f := range others {
		c, err := openInput(ctx, j.lake, f, []int{colTime, colID})
		if err != nil {
			return nil, err
		}
		for {
			err := c.next()
			if err != nil {
				c.close()
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, err
			}
			if c.rec.hasID && c.rec.time >= lo.UnixMicro() && c.rec.time <= hi.UnixMicro() {
				seen[string(c.rec.id)] = struct{}{}
			}
		}
	}
	return seen, nil
}

// discard deletes staged files that will not be committed.
func (j *job) discard(files []partition.File) {
	for _, f := range files {
		_ = j.lake.Bucket().Delete(context.WithoutCancel(j.ctx), f.Staging)
	}
}
