package query

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/pqread"
)

// The scan pipeline: every reader of the lake (query, count, explain,
// detections, watch, aggregations) runs this one path.
//
//	manifest ──selectFiles──> files any rule may match (filter.fileMayMatch), per file the rules
//	file     ──scanFile─────> per row group: scope and rules' mayMatch (footer, bloom filters)
//	row group ─evalRowGroup─> scope.apply, then per live rule apply into its own bitmap
//	          ──consumer────> consume(batch, selections): print, count, per-rule matches, aggregate
//	files in parallel: scan runs one worker per core, each with its own consumer
//
// A single pattern is the one-rule case.

// scanPlan is the compiled filter tree of a run: the scope every row must
// pass (partitions, --since/--until, source objects) and one patternFilter
// per rule.
type scanPlan struct {
	scope   filter // nil: every row is in scope
	rules   []*patternFilter
	workers int
	footers *pqread.FooterCache
	all     []int      // 0..len(rules)-1, shared by the files every rule may match
	sel     *selection // of the snapshot the plan read, until a run takes it
}

// selection is what the plan's file filter decided while the manifest was
// read (snapshot): the rules that may match each file it kept.
type selection struct {
	snap  *partition.Snapshot
	rules map[string][]int
}

// newScanPlan compiles the rules and the options' scope.
func newScanPlan(nodes []Node, opts Options) (*scanPlan, error) {
	s := &scanPlan{workers: opts.Workers, footers: opts.Footers}
	var scope []filter
	if len(opts.Accounts) > 0 || len(opts.Regions) > 0 {
		scope = append(scope, &partitionFilter{accounts: opts.Accounts, regions: opts.Regions})
	}
	if tf := newTimeFilter(opts.Since, opts.Until); tf.active() {
		scope = append(scope, tf)
	}
	if sf := newSourceFilter(opts.Sources); sf != nil {
		scope = append(scope, sf)
	}
	switch len(scope) {
	case 0:
	case 1:
		s.scope = scope[0]
	default:
		s.scope = newAnd(scope)
	}
	for i, n := range nodes {
		p, err := newPatternFilter(n)
		if err != nil {
			if len(nodes) > 1 {
				err = fmt.Errorf("pattern %d: %w", i, err)
			}
			return nil, err
		}
		s.rules = append(s.rules, p)
		s.all = append(s.all, i)
	}
	return s, nil
}

// explain renders the scope and the rules' trees.
func (s *scanPlan) explain(sb *strings.Builder, indent string) {
	if s.scope != nil {
		s.scope.explain(sb, indent)
	}
	for i, r := range s.rules {
		in := indent
		if len(s.rules) > 1 {
			fmt.Fprintf(sb, "%spattern %d:\n", indent, i)
			in += "  "
		}
		r.explain(sb, in)
	}
}

// scanTask is one file to scan and the rules that may match it.
type scanTask struct {
	file  partition.File
	rules []int
}

// fileRules returns the rules that may match f from the manifest alone:
// none when the scope rules the file out.
func (s *scanPlan) fileRules(f *partition.File) []int {
	if f.Rows == 0 || (s.scope != nil && !s.scope.fileMayMatch(f)) {
		return nil
	}
	var rules []int
	for i, r := range s.rules {
		if r.fileMayMatch(f) {
			rules = append(rules, i)
		}
	}
	if len(rules) == len(s.all) {
		return s.all
	}
	return rules
}

// snapshot reads the lake's snapshot through the plan's file filter: each
// file is judged by fileRules as the manifest is decoded, and the snapshot
// keeps the files some rule may match, without their value sets and
// ranges (the scan needs neither). A query's memory then holds the files
// it scans, not the lake's manifest. The next selectFiles of that
// snapshot uses the decisions.
func (s *scanPlan) snapshot(ctx context.Context, lake *partition.Lake) (*partition.Snapshot, error) {
	rules := map[string][]int{}
	snap, err := lake.FilteredSnapshot(ctx, func(f *partition.File) bool {
		r := s.fileRules(f)
		if len(r) == 0 {
			delete(rules, f.Path)
			return false
		}
		rules[f.Path] = r
		f.Values, f.Ranges = nil, nil
		return true
	})
	if err != nil {
		return nil, err
	}
	s.sel = &selection{snap: snap, rules: rules}
	return snap, nil
}

// selectFiles keeps the files the scope admits and some rule may match,
// from the manifest alone, in eventTime order. A snapshot this plan read
// (snapshot) was judged while it was read, and only once: a filtered
// snapshot read for another plan, or selected before, is an error.
func (s *scanPlan) selectFiles(snap *partition.Snapshot, st *Stats) ([]scanTask, error) {
	var judged map[string][]int
	if snap.Filtered() {
		if s.sel == nil || s.sel.snap != snap {
			return nil, errors.New("the lake snapshot was read through another plan's file filter")
		}
		judged = s.sel.rules
	}
	s.sel = nil // the scan does not keep the snapshot alive
	parts := map[partition.Key]bool{}
	var out []scanTask
	for _, f := range snap.SortedFiles() {
		k := f.Partition()
		var rules []int
		if judged != nil {
			rules = judged[f.Path]
		} else {
			rules = s.fileRules(&f)
		}
		keep := len(rules) > 0
		parts[k] = parts[k] || keep
		st.Files++
		if !keep {
			st.FilesSkipped++
			continue
		}
		// The scan needs no value sets or ranges: without them in the
		// tasks, the manifest's value sets can be collected once the
		// caller drops the snapshot, so a query's live memory does not
		// grow with the lake's manifest.
		f.Values, f.Ranges = nil, nil
		out = append(out, scanTask{file: f, rules: rules})
	}
	for p := range snap.Dropped {
		k, _ := partition.ParseDir(p)
		parts[k] = parts[k] || false
		st.Files++
		st.FilesSkipped++
	}
	for _, used := range parts {
		st.Partitions++
		if !used {
			st.PartitionsSkipped++
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].file.MinTime.Before(out[j].file.MinTime) })
	return out, nil
}

// scan runs the tasks on the worker pool, largest file first (a long file
// started last would leave the other workers idle). newConsumer is called
// once per worker; the consumer it returns sees only that worker's row
// groups. The first error stops the scan and is returned.
func (s *scanPlan) scan(ctx context.Context, lake *partition.Lake, tasks []scanTask, st *Stats, newConsumer func() consumer) error {
	order := make([]int, len(tasks))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return tasks[order[a]].file.Bytes > tasks[order[b]].file.Bytes })
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(s.workers, len(tasks)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConsumer()
			prof := &readProfile{}
			for i := range next {
				if err := s.scanFile(ctx, lake, &tasks[i], c, prof, st); err != nil {
					cancel(fmt.Errorf("file %s: %w", tasks[i].file.Path, err))
					return
				}
			}
		}()
	}
	for _, i := range order {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// scanFile evaluates the task's rules over one file, row group by row
// group, and hands every row group with a selected row to c. prof is the
// worker's profile of the columns its row groups read (prefetch.go).
func (s *scanPlan) scanFile(ctx context.Context, lake *partition.Lake, t *scanTask, c consumer, prof *readProfile, st *Stats) error {
	df, err := openFile(ctx, lake, t.file, s.footers)
	if err != nil {
		return err
	}
	defer df.Close()
	local := &Stats{}
	defer st.add(local)
	c.startFile(&t.file)
	sels := make([]*bitmap, len(s.rules))
	live := make([]int, 0, len(t.rules))
	for rg := 0; rg < df.pf.NumRowGroups(); rg++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		meta := newRowGroupMeta(df, rg)
		local.RowGroups++
		live = live[:0]
		if s.scope == nil || s.scope.mayMatch(meta) {
			for _, i := range t.rules {
				if s.rules[i].mayMatch(meta) {
					live = append(live, i)
				}
			}
		}
		if len(live) == 0 {
			local.RowGroupsSkipped++
			continue
		}
		b := &batch{ctx: ctx, df: df, rg: rg, n: meta.numRows(), meta: meta, st: local}
		s.planReads(b, live, prof)
		hit, err := s.evalRowGroup(b, live, sels)
		if err == nil && hit {
			b.startConsume(prof)
			err = c.consume(b, sels)
		}
		for i, sel := range sels {
			putBitmap(sel)
			sels[i] = nil
		}
		prof.observe(b)
		b.release()
		if errors.Is(err, errFileDone) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// evalRowGroup evaluates the scope, then each live rule on its own copy of
// the scope's selection, into sels (nil: the rule selected no row). The
// batch keeps the columns one rule read for the next. It reports whether
// any rule selected a row.
func (s *scanPlan) evalRowGroup(b *batch, live []int, sels []*bitmap) (bool, error) {
	b.st.RowsEvaluated += int64(b.n)
	scope := getBitmap(b.n)
	defer putBitmap(scope)
	scope.setAll()
	if s.scope != nil {
		if err := s.scope.prunePages(b, scope); err != nil {
			return false, err
		}
		if err := s.scope.apply(b, scope); err != nil {
			return false, err
		}
		if scope.isZero() {
			return false, nil
		}
	}
	union := getBitmap(b.n)
	defer putBitmap(union)
	for _, i := range live {
		sel := getBitmap(b.n)
		sel.copyFrom(scope)
		err := s.rules[i].prunePages(b, sel)
		if err == nil && !sel.isZero() {
			err = s.rules[i].apply(b, sel)
		}
		if err != nil {
			putBitmap(sel)
			return false, err
		}
		if sel.isZero() {
			putBitmap(sel)
			continue
		}
		sels[i] = sel
		union.or(sel)
	}
	n := union.count()
	b.st.RowsMatched += int64(n)
	return n > 0, nil
}

// openFile opens a lake file for ranged reads. A compaction that commits
// while the query runs moves the files it replaced to the trash: a file
// found under one key can be gone from it a moment later, so its key is
// looked up again once.
func openFile(ctx context.Context, lake *partition.Lake, f partition.File, footers *pqread.FooterCache) (*dataFile, error) {
	df, err := openFileOnce(ctx, lake, f, footers)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, objstore.ErrNotExist) {
		df, err = openFileOnce(ctx, lake, f, footers)
	}
	return df, err
}

// openFileOnce opens the file under its published key, or when that is
// gone, where the lake says it is now (staging or trash): one request for
// the usual case instead of a lookup and an open.
func openFileOnce(ctx context.Context, lake *partition.Lake, f partition.File, footers *pqread.FooterCache) (*dataFile, error) {
	key := f.Path
	ra, info, err := lake.Bucket().OpenReaderAt(ctx, key)
	if errors.Is(err, objstore.ErrNotExist) {
		if key, err = lake.DataKey(ctx, f); err != nil {
			return nil, err
		}
		ra, info, err = lake.Bucket().OpenReaderAt(ctx, key)
	}
	if err != nil {
		return nil, err
	}
	// Data files are immutable: key, size and ETag name one version.
	version := fmt.Sprintf("%s\x00%s\x00%d\x00%s", lake.Bucket(), key, info.Size, info.ETag)
	df, err := openDataFile(f.Path, ra, footers, version)
	if err != nil {
		ra.Close()
		return nil, err
	}
	return df, nil
}
