package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/schema"
)

// Options narrow and shape a query run.
type Options struct {
	Since, Until time.Time // eventTime bounds: Since <= t < Until; zero = unbounded
	Accounts     []string  // partition accounts (empty: all)
	Regions      []string  // partition regions (empty: all)
	Limit        int       // stop after this many matches; 0 = no limit
	CountOnly    bool      // count matches; do not read raw records or order them
	Workers      int       // files evaluated in parallel; 0 = GOMAXPROCS
	// Sources, when not nil, keeps only rows whose source object key
	// (AWSLogs/...) is in the set, e.g. the objects verified against the
	// trail's digests. An empty, non-nil set keeps nothing.
	Sources map[string]bool
}

// Match is one matching record.
type Match struct {
	Time    time.Time
	EventID string
	Raw     []byte // the record exactly as delivered
	File    string
}

// Stats are the pruning and evaluation figures of a run.
type Stats struct {
	Partitions        int   `json:"partitions"`
	PartitionsSkipped int   `json:"partitionsSkipped"`
	Files             int   `json:"files"`
	FilesSkipped      int   `json:"filesSkipped"`
	RowGroups         int64 `json:"rowGroups"`
	RowGroupsSkipped  int64 `json:"rowGroupsSkipped"`
	ColumnsRead       int64 `json:"columnChunksRead"`
	RowsEvaluated     int64 `json:"rowsEvaluated"`
	RowsInexact       int64 `json:"rowsFromRaw"`
	RowsMatched       int64 `json:"rowsMatched"`
}

func (s *Stats) add(o *Stats) {
	atomic.AddInt64(&s.RowGroups, o.RowGroups)
	atomic.AddInt64(&s.RowGroupsSkipped, o.RowGroupsSkipped)
	atomic.AddInt64(&s.ColumnsRead, o.ColumnsRead)
	atomic.AddInt64(&s.RowsEvaluated, o.RowsEvaluated)
	atomic.AddInt64(&s.RowsInexact, o.RowsInexact)
	atomic.AddInt64(&s.RowsMatched, o.RowsMatched)
}

// errLimit stops a run early once the limit is reached.
var errLimit = errors.New("limit reached")

// Plan is a compiled pattern with the run options.
type Plan struct {
	root filter
	node Node
	time *timeFilter
	src  *sourceFilter // nil: every source object
	opts Options

	whole *rawFilter // the whole pattern over raw records, for inexact rows
}

// NewPlan compiles a parsed pattern.
func NewPlan(n Node, opts Options) (*Plan, error) {
	root, err := compile(n)
	if err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	return &Plan{root: root, node: n, time: newTimeFilter(opts.Since, opts.Until), src: newSourceFilter(opts.Sources), opts: opts,
		whole: newRawFilter(n)}, nil
}

// Explain renders the plan.
func (p *Plan) Explain() string {
	var sb strings.Builder
	sb.WriteString("scan lake files from the manifest\n")
	sb.WriteString("  prune partitions and files: --accounts/--regions/--since/--until, and the pattern's\n")
	sb.WriteString("  " + strings.Join(schema.RangeColumns, " / ") + " / " + colTime + " constraints against per-file ranges and\n")
	sb.WriteString("  " + strings.Join(schema.ValueSetColumns, " / ") + " per-file value sets\n")
	sb.WriteString("  per row group: statistics, bloom filters, then columns read lazily, cheapest first\n")
	if p.time.active() {
		p.time.explain(&sb, "  ")
	}
	if p.src != nil {
		p.src.explain(&sb, "  ")
	}
	p.root.explain(&sb, "  ")
	sb.WriteString("  rows with ctqExact = false: whole pattern re-evaluated on the raw record\n")
	if !p.opts.CountOnly {
		sb.WriteString("  output: raw records of matching rows only, merged in (eventTime, eventID) order\n")
	}
	return sb.String()
}

// Run evaluates the plan over the lake snapshot and calls emit for each
// match, in (eventTime, eventID) order unless CountOnly. It returns the
// figures of the run.
func (p *Plan) Run(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, emit func(Match) error) (*Stats, error) {
	st := &Stats{}
	files := p.selectFiles(snap, st)
	if len(files) == 0 {
		return st, nil
	}
	var emitted atomic.Int64
	var mu sync.Mutex
	limited := func(m Match) error {
		if p.opts.Limit > 0 && emitted.Load() >= int64(p.opts.Limit) {
			return errLimit
		}
		emitted.Add(1)
		mu.Lock()
		defer mu.Unlock()
		return emit(m)
	}
	var err error
	if p.opts.CountOnly {
		err = p.runCount(ctx, lake, files, st)
	} else {
		err = p.runOrdered(ctx, lake, files, st, limited)
	}
	if errors.Is(err, errLimit) {
		err = nil
	}
	return st, err
}

// selectFiles prunes partitions and files using the manifest alone.
func (p *Plan) selectFiles(snap *partition.Snapshot, st *Stats) []partition.File {
	parts := map[partition.Key]bool{}
	var out []partition.File
	for _, f := range snap.SortedFiles() {
		k := f.Partition()
		keep := p.partitionWanted(k) && p.fileWanted(f)
		parts[k] = parts[k] || keep
		st.Files++
		if !keep {
			st.FilesSkipped++
			continue
		}
		out = append(out, f)
	}
	for _, used := range parts {
		st.Partitions++
		if !used {
			st.PartitionsSkipped++
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].MinTime.Before(out[j].MinTime) })
	return out
}

func (p *Plan) partitionWanted(k partition.Key) bool {
	if len(p.opts.Accounts) > 0 && !slices.Contains(p.opts.Accounts, k.Account) {
		return false
	}
	if len(p.opts.Regions) > 0 && !slices.Contains(p.opts.Regions, k.Region) {
		return false
	}
	// A partition day holds events of that UTC day only.
	day, err := time.Parse("2006-01-02", k.Day)
	if err != nil {
		return true
	}
	if !p.opts.Until.IsZero() && !day.Before(p.opts.Until) {
		return false
	}
	if !p.opts.Since.IsZero() && !day.Add(24*time.Hour).After(p.opts.Since) {
		return false
	}
	return true
}

func (p *Plan) fileWanted(f partition.File) bool {
	if f.Rows == 0 || (p.src != nil && len(p.src.keys) == 0) {
		return false
	}
	if p.time.active() && !(p.time.until == 0 || f.MinTime.UnixMicro() < p.time.until) {
		return false
	}
	if p.time.active() && !(p.time.since == 0 || f.MaxTime.UnixMicro() >= p.time.since) {
		return false
	}
	if f.Inexact > 0 {
		return true
	}
	return fileMayMatch(p.node, f)
}

// fileMayMatch checks the pattern's constraints on awsRegion,
// recipientAccountId and eventTime against a file's manifest ranges.
func fileMayMatch(n Node, f partition.File) bool {
	switch n := n.(type) {
	case *And:
		for _, t := range n.Terms {
			if !fileMayMatch(t, f) {
				return false
			}
		}
		return true
	case *Or:
		for _, t := range n.Terms {
			if fileMayMatch(t, f) {
				return true
			}
		}
		return false
	case *Compare:
		if n.Op != OpEq {
			return true
		}
		if t := classify(n.Sel); t.kind == tTyped && f.Values != nil {
			if vals, ok := f.Values[t.col]; ok {
				// The file's complete set of values: = matches a non-null value.
				match := valueMatcher(n.Val)
				for _, v := range vals {
					if match(v) {
						return true
					}
				}
				return false
			}
		}
		if len(n.Sel.Steps) != 1 || n.Sel.Steps[0].Kind != StepField {
			return true
		}
		name := n.Sel.Steps[0].Name
		if name == colTime {
			return timeLiteralMayMatch(n.Val, f)
		}
		lit, exact := exactLiteral(n.Val)
		if !exact || f.Ranges == nil {
			return true
		}
		if !isRangeColumn(name) {
			return true
		}
		r, ok := f.Ranges[name]
		if !ok {
			return false // no row of the file has the field
		}
		return lit >= r[0] && lit <= r[1]
	}
	return true
}

// timeLiteralMayMatch handles `$.eventTime = "2024-03-01T10:00:00Z"` and
// date prefixes such as `$.eventTime = "2024-03-01*"`.
func timeLiteralMayMatch(v Value, f partition.File) bool {
	if v.Kind != ValString || v.Suffix {
		return true
	}
	var lo, hi time.Time
	switch {
	case !v.Prefix:
		t, err := time.Parse("2006-01-02T15:04:05Z", v.Str)
		if err != nil {
			return true
		}
		lo, hi = t, t
	case len(v.Str) >= 10:
		d, err := time.Parse("2006-01-02", v.Str[:10])
		if err != nil {
			return true
		}
		lo, hi = d, d.Add(24*time.Hour-time.Microsecond)
	default:
		return true
	}
	return !f.MaxTime.Before(lo) && !f.MinTime.After(hi)
}

// openFile opens a lake file for reading: a local file directly, an S3
// object fetched into memory.
func openFile(ctx context.Context, lake *partition.Lake, f partition.File) (*dataFile, io.Closer, error) {
	// A compaction that commits while the query runs moves the files it
	// replaced to the trash: a file found under one key can be gone from it
	// a moment later, so its key is looked up again once.
	df, c, err := openFileOnce(ctx, lake, f)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, objstore.ErrNotExist) {
		df, c, err = openFileOnce(ctx, lake, f)
	}
	return df, c, err
}

func openFileOnce(ctx context.Context, lake *partition.Lake, f partition.File) (*dataFile, io.Closer, error) {
	key, err := lake.DataKey(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	var r parquet.ReaderAtSeeker
	var closer io.Closer = io.NopCloser(nil)
	if l, ok := lake.Bucket().(*objstore.Local); ok {
		fh, err := os.Open(filepath.Join(l.Root(), filepath.FromSlash(key)))
		if err != nil {
			return nil, nil, err
		}
		r, closer = fh, fh
	} else {
		rc, _, err := lake.Bucket().Open(ctx, key)
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", key, err)
		}
		r = bytes.NewReader(data)
	}
	df, err := openDataFile(f.Path, r)
	if err != nil {
		closer.Close()
		return nil, nil, err
	}
	return df, closer, nil
}

// scanFile evaluates the plan over one file and returns its matches in file
// order (which is (eventTime, eventID) order), or only counts them.
func (p *Plan) scanFile(ctx context.Context, lake *partition.Lake, f partition.File, st *Stats) ([]Match, error) {
	df, closer, err := openFile(ctx, lake, f)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	defer df.Close()
	local := &Stats{}
	defer st.add(local)
	var out []Match
	for rg := 0; rg < df.pf.NumRowGroups(); rg++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		meta := newRowGroupMeta(df, rg)
		local.RowGroups++
		if (p.time.active() && !p.time.mayMatch(meta)) || (p.src != nil && !p.src.mayMatch(meta)) || !p.root.mayMatch(meta) {
			local.RowGroupsSkipped++
			continue
		}
		b := &batch{ctx: ctx, df: df, rg: rg, n: meta.numRows(), meta: meta, data: map[int]arrow.Array{}, st: local}
		ms, err := p.evalRowGroup(b, local)
		b.release()
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
		if p.opts.Limit > 0 && len(out) >= p.opts.Limit && !p.opts.CountOnly {
			break // later row groups of this file sort after these
		}
	}
	return out, nil
}

func (p *Plan) evalRowGroup(b *batch, st *Stats) ([]Match, error) {
	sel := newBitmap(b.n)
	sel.setAll()
	st.RowsEvaluated += int64(b.n)
	if err := p.root.apply(b, sel); err != nil {
		return nil, err
	}
	if b.meta.inexact {
		if err := p.inexactPass(b, sel, st); err != nil {
			return nil, err
		}
	}
	if p.time.active() && !sel.isZero() {
		if err := p.time.apply(b, sel); err != nil {
			return nil, err
		}
	}
	if p.src != nil && !sel.isZero() {
		if err := p.src.apply(b, sel); err != nil {
			return nil, err
		}
	}
	n := sel.count()
	st.RowsMatched += int64(n)
	if n == 0 {
		return nil, nil
	}
	if p.opts.CountOnly {
		return nil, nil // counted in st.RowsMatched
	}
	return p.materialize(b, sel)
}

// inexactPass re-evaluates the whole pattern on the raw record for rows whose
// typed columns are not exact.
func (p *Plan) inexactPass(b *batch, sel *bitmap, st *Stats) error {
	arr, ok, err := b.leaf(colExact)
	if err != nil || !ok {
		return err
	}
	exact, ok := arr.(*array.Boolean)
	if !ok {
		return fmt.Errorf("column %s: unexpected type %s", colExact, arr.DataType())
	}
	var raw *byteColumn
	for i := 0; i < b.n; i++ {
		if exact.Value(i) {
			continue
		}
		if raw == nil {
			if raw, err = b.raw(); err != nil {
				return err
			}
		}
		st.RowsInexact++
		if p.whole.matchRecord(raw.Value(i)) {
			sel.set(i)
		} else {
			sel.clear(i)
		}
	}
	return nil
}

// materialize reads eventTime, eventID and the raw record of matching rows.
func (p *Plan) materialize(b *batch, sel *bitmap) ([]Match, error) {
	raw, err := b.raw()
	if err != nil {
		return nil, err
	}
	tsArr, _, err := b.leaf(colTime)
	if err != nil {
		return nil, err
	}
	idAt, err := b.stringAt(colID)
	if err != nil {
		return nil, err
	}
	ts, _ := tsArr.(*array.Timestamp)
	var unit arrow.TimeUnit
	if ts != nil {
		unit = ts.DataType().(*arrow.TimestampType).Unit
	}
	out := make([]Match, 0, sel.count())
	sel.forEach(func(i int) {
		m := Match{Raw: bytes.Clone(raw.Value(i)), File: b.df.path}
		if ts != nil && ts.IsValid(i) {
			m.Time = ts.Value(i).ToTime(unit).UTC()
		}
		m.EventID = idAt(i)
		out = append(out, m)
	})
	return out, nil
}

// stringGetter reads a (possibly dictionary-encoded) string column; null
// and missing values read as "".
func stringGetter(a arrow.Array) func(int) string {
	switch x := a.(type) {
	case *array.String:
		return func(i int) string {
			if x.IsNull(i) {
				return ""
			}
			return x.Value(i)
		}
	case *array.Dictionary:
		d, ok := x.Dictionary().(*array.String)
		if !ok {
			break
		}
		ix := dictIndexGetter(x.Indices())
		return func(i int) string {
			if x.IsNull(i) {
				return ""
			}
			return d.Value(ix(i))
		}
	}
	return func(int) string { return "" }
}

// runCount evaluates every file in parallel and only counts.
func (p *Plan) runCount(ctx context.Context, lake *partition.Lake, files []partition.File, st *Stats) error {
	_, err := p.parallel(ctx, lake, files, st)
	return err
}

// parallel scans files with the worker pool and returns each file's matches.
func (p *Plan) parallel(ctx context.Context, lake *partition.Lake, files []partition.File, st *Stats) ([][]Match, error) {
	results := make([][]Match, len(files))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < p.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ms, err := p.scanFile(ctx, lake, files[i], st)
				if err != nil {
					cancel(fmt.Errorf("file %s: %w", files[i].Path, err))
					return
				}
				results[i] = ms
			}
		}()
	}
	for i := range files {
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
		return nil, err
	}
	return results, ctx.Err()
}

// runOrdered scans files cluster by cluster (files whose time ranges
// overlap), merges each cluster's matches in (eventTime, eventID) order and
// emits them, so results stream in order and --limit stops early.
func (p *Plan) runOrdered(ctx context.Context, lake *partition.Lake, files []partition.File, st *Stats, emit func(Match) error) error {
	for start := 0; start < len(files); {
		end := start + 1
		hi := files[start].MaxTime
		for end < len(files) && !files[end].MinTime.After(hi) {
			if files[end].MaxTime.After(hi) {
				hi = files[end].MaxTime
			}
			end++
		}
		res, err := p.parallel(ctx, lake, files[start:end], st)
		if err != nil {
			return err
		}
		for _, m := range mergeMatches(res) {
			if err := emit(m); err != nil {
				return err
			}
		}
		start = end
	}
	return nil
}

// mergeMatches merges per-file sorted match lists.
func mergeMatches(lists [][]Match) []Match {
	var all []Match
	for _, l := range lists {
		all = append(all, l...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].Time.Equal(all[j].Time) {
			return all[i].Time.Before(all[j].Time)
		}
		return all[i].EventID < all[j].EventID
	})
	return all
}
