package query

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctq-dev/ctq/pkg/schema"

	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/pqread"
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
	// Footers, when not nil, caches data file footers on local disk: worth
	// it for a remote lake, where each footer costs a request.
	Footers *pqread.FooterCache
	// SourceKeys fills each Match's SourceKey (one more column read per
	// row group with matches).
	SourceKeys bool
}

// Match is one matching record.
type Match struct {
	Time    time.Time
	EventID string
	Raw     []byte // the record exactly as delivered
	File    string // the lake file that holds it
	// SourceKey is the key of the CloudTrail object the record was
	// delivered in (AWSLogs/...), with Options.SourceKeys.
	SourceKey string
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
	// RawPages and RawPagesSkipped count the pages of the raw record
	// column read and left unread when only matching rows' records were
	// needed (page-level late materialisation).
	RawPages int64 `json:"rawPages"`
	// PagesSkipped counts the pages of filter columns whose rows the page
	// index ruled out before any column was read.
	PagesSkipped    int64 `json:"pagesSkipped"`
	RawPagesSkipped int64 `json:"rawPagesSkipped"`
}

func (s *Stats) add(o *Stats) {
	atomic.AddInt64(&s.RowGroups, o.RowGroups)
	atomic.AddInt64(&s.RowGroupsSkipped, o.RowGroupsSkipped)
	atomic.AddInt64(&s.ColumnsRead, o.ColumnsRead)
	atomic.AddInt64(&s.RowsEvaluated, o.RowsEvaluated)
	atomic.AddInt64(&s.RowsInexact, o.RowsInexact)
	atomic.AddInt64(&s.RowsMatched, o.RowsMatched)
	atomic.AddInt64(&s.RawPages, o.RawPages)
	atomic.AddInt64(&s.PagesSkipped, o.PagesSkipped)
	atomic.AddInt64(&s.RawPagesSkipped, o.RawPagesSkipped)
}

// errLimit stops a run early once the limit is reached.
var errLimit = errors.New("limit reached")

// Plan is a compiled pattern with the run options: the one-rule case of
// the scan pipeline (pipeline.go).
type Plan struct {
	scan *scanPlan
	node Node
	opts Options
}

// NewPlan compiles a parsed pattern.
func NewPlan(n Node, opts Options) (*Plan, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	s, err := newScanPlan([]Node{n}, opts)
	if err != nil {
		return nil, err
	}
	return &Plan{scan: s, node: n, opts: opts}, nil
}

// Explain renders the plan.
func (p *Plan) Explain() string {
	var sb strings.Builder
	sb.WriteString("scan lake files from the manifest\n")
	prune := "one filter tree prunes files (manifest: partitions, " + strings.Join(append([]string{colTime}, schema.RangeColumns...), ", ") +
		" ranges, " + strings.Join(schema.ValueSetColumns, " / ") + " value sets), row groups (statistics, bloom filters) and rows"
	writeWrapped(&sb, "  ", prune, 92)
	sb.WriteString("  per row group: columns read lazily, cheapest first\n")
	p.scan.explain(&sb, "  ")
	if !p.opts.CountOnly {
		sb.WriteString("  output: raw records of matching rows only, merged in (eventTime, eventID) order\n")
	}
	return sb.String()
}

// Snapshot reads the lake's snapshot for one Run of this plan: the plan
// judges each file as the manifest is decoded, so the snapshot holds only
// the files the pattern and options may match, and the query's memory does
// not grow with the lake's manifest. The snapshot must be passed to this
// plan's next Run (or Aggregate) and to nothing else.
func (p *Plan) Snapshot(ctx context.Context, lake *partition.Lake) (*partition.Snapshot, error) {
	return p.scan.snapshot(ctx, lake)
}

// Run evaluates the plan over the lake snapshot and calls emit for each
// match, in (eventTime, eventID) order unless CountOnly. It returns the
// figures of the run.
func (p *Plan) Run(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, emit func(Match) error) (*Stats, error) {
	st := &Stats{}
	tasks, err := p.scan.selectFiles(snap, st)
	if err != nil || len(tasks) == 0 {
		return st, err
	}
	if p.opts.CountOnly {
		err = p.scan.scan(ctx, lake, tasks, st, func() consumer { return countConsumer{} })
	} else {
		emitted := 0
		err = p.runOrdered(ctx, lake, tasks, st, func(m Match) error {
			if p.opts.Limit > 0 && emitted >= p.opts.Limit {
				return errLimit
			}
			emitted++
			return emit(m)
		})
	}
	if errors.Is(err, errLimit) {
		err = nil
	}
	return st, err
}

// runOrdered scans files cluster by cluster (files whose time ranges
// overlap), merges each cluster's matches in (eventTime, eventID) order and
// emits them, so results stream in order and --limit stops early.
func (p *Plan) runOrdered(ctx context.Context, lake *partition.Lake, tasks []scanTask, st *Stats, emit func(Match) error) error {
	for start := 0; start < len(tasks); {
		end := start + 1
		hi := tasks[start].file.MaxTime
		for end < len(tasks) && !tasks[end].file.MinTime.After(hi) {
			if tasks[end].file.MaxTime.After(hi) {
				hi = tasks[end].file.MaxTime
			}
			end++
		}
		if err := p.runCluster(ctx, lake, tasks[start:end], st, emit); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// heldBudget bounds the match records an ordered run holds for one merge.
// A cluster is every file whose time range overlaps another's: on an
// organization trail, a day of every account and region, whose matches a
// broad printed query would otherwise hold until the day is merged.
var heldBudget int64 = 256 << 20

// matchOverhead is what a held match costs beyond its record's bytes.
const matchOverhead = 160

// errOverBudget stops the scan of a cluster whose matches exceed
// heldBudget; nothing of it has been emitted then.
var errOverBudget = errors.New("held matches over budget")

// runCluster scans a cluster and emits its matches in order. A cluster
// whose matches would exceed heldBudget is scanned again in time windows,
// each merged and emitted before the next, sized from the density of the
// matches seen until the budget ran out: a selective query reads each
// cluster once, a broad one holds about half the budget at a time.
func (p *Plan) runCluster(ctx context.Context, lake *partition.Lake, tasks []scanTask, st *Stats, emit func(Match) error) error {
	var held, rows atomic.Int64
	whole := &Stats{}
	err := p.runWindow(ctx, lake, window{scan: p.scan, tasks: tasks}, whole, emit, &held, &rows)
	if !errors.Is(err, errOverBudget) {
		st.add(whole)
		return err
	}
	// The aborted scan's figures are dropped: the windows count the reads
	// that give the output.
	var total int64
	for _, t := range tasks {
		total += t.file.Rows
	}
	// Rows of the row groups that had matches: the density is overstated,
	// the windows smaller than they need be.
	seen := max(rows.Load(), 1)
	expect := float64(held.Load()) * float64(total) / float64(seen)
	n := int64(expect/float64(heldBudget/2)) + 1
	for _, w := range p.scan.windows(tasks, (total+n-1)/n) {
		// Not bounded again: a window denser than the estimate is held
		// whole rather than failing the query.
		if err := p.runWindow(ctx, lake, w, st, emit, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// runWindow scans a window of a cluster and emits its matches in order.
// held counts the bytes of the matches held, rows the rows of the row
// groups that gave them (nil: not counted).
func (p *Plan) runWindow(ctx context.Context, lake *partition.Lake, w window, st *Stats, emit func(Match) error, held, rows *atomic.Int64) error {
	var mu sync.Mutex
	var cs []*matchCollector
	err := w.scan.scan(ctx, lake, w.tasks, st, func() consumer {
		c := newMatchCollector(1, -1, p.opts.Limit, nil)
		c.sourceKeys = p.opts.SourceKeys
		c.held, c.heldRows = held, rows
		mu.Lock()
		cs = append(cs, c)
		mu.Unlock()
		return c
	})
	if err != nil {
		return err
	}
	var lists [][]ruleMatch
	for _, c := range cs {
		lists = append(lists, c.out)
	}
	for _, m := range mergeMatches(lists) {
		if err := emit(m); err != nil {
			return err
		}
	}
	return nil
}

// window is a part of a cluster that an ordered run holds and merges at
// once: its files, and the plan that scans them (the query's, or with a
// time window in its scope).
type window struct {
	scan  *scanPlan
	tasks []scanTask
}

// windows splits a cluster of files into time windows of about perWindow
// rows each, in time order, led by a window of the rows without an
// eventTime (they sort first). Each window reads only the row groups and
// pages its time range overlaps; a small cluster is one window.
func (s *scanPlan) windows(tasks []scanTask, perWindow int64) []window {
	var rows, l, h int64 // the timed rows lie in [l, h)
	for i, t := range tasks {
		rows += t.file.Rows
		lo, hi := t.file.MinTime.UnixMicro(), t.file.MaxTime.UnixMicro()+1
		if lo <= 0 {
			// Rows without an eventTime count as the epoch in the
			// manifest; the file's timed rows lie in its partition day.
			day, err := t.file.Partition().DayStart()
			if err != nil {
				return []window{{scan: s, tasks: tasks}}
			}
			lo = day.UnixMicro()
		}
		if i == 0 || lo < l {
			l = lo
		}
		if i == 0 || hi > h {
			h = hi
		}
	}
	n := (rows + perWindow - 1) / max(perWindow, 1)
	if n <= 1 || l <= 0 || h-l < n {
		return []window{{scan: s, tasks: tasks}}
	}
	n = min(n, 4096)
	out := []window{s.window(tasks, untimedFilter{})}
	for i := int64(0); i < n; i++ {
		since, until := l+(h-l)*i/n, l+(h-l)*(i+1)/n
		out = append(out, s.window(tasks, &timeFilter{since: since, until: until}))
	}
	return out
}

// window returns the plan s with f added to its scope, and the tasks whose
// files f may match.
func (s *scanPlan) window(tasks []scanTask, f filter) window {
	ws := *s
	ws.sel = nil
	if s.scope == nil {
		ws.scope = f
	} else {
		ws.scope = newAnd([]filter{s.scope, f})
	}
	var kept []scanTask
	for _, t := range tasks {
		if f.fileMayMatch(&t.file) {
			kept = append(kept, t)
		}
	}
	return window{scan: &ws, tasks: kept}
}

// mergeMatches merges the workers' match lists in (eventTime, eventID)
// order.
func mergeMatches(lists [][]ruleMatch) []Match {
	var all []Match
	for _, l := range lists {
		for _, m := range l {
			all = append(all, m.m)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].Time.Equal(all[j].Time) {
			return all[i].Time.Before(all[j].Time)
		}
		return all[i].EventID < all[j].EventID
	})
	return all
}

// writeWrapped writes text as lines of at most width bytes (a longer word
// stands alone), each starting with indent.
func writeWrapped(sb *strings.Builder, indent, text string, width int) {
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			sb.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	sb.WriteString(line + "\n")
}
