package query

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// MultiOptions shape a run of several patterns together.
type MultiOptions struct {
	Options
	// RawPerFile bounds, per pattern and per file, how many matches carry
	// the raw record (the first ones in file order, which is (eventTime,
	// eventID) order). The rest have Raw nil: the raw column is the most
	// expensive to read, and callers that keep a few samples per pattern
	// need no more. Because every file contributes its earliest matches,
	// the overall earliest RawPerFile matches of a pattern always have Raw.
	// Negative means every match carries Raw; 0 means none does.
	RawPerFile int
}

// MultiPlan evaluates several compiled patterns in one pass over the lake:
// each file is opened once, each row group's columns are read at most once
// (the union of what the patterns need, loaded lazily), and every pattern's
// filter narrows its own selection over the same batch.
type MultiPlan struct {
	plans []*Plan
	opts  MultiOptions
}

// MultiStats are the figures of a multi-pattern run: the shared scan
// figures (RowsMatched counts rows that matched any pattern) and the
// matches of each pattern.
type MultiStats struct {
	Stats
	Matched []int64 `json:"matched"`
}

// NewMultiPlan compiles the patterns. The Limit and CountOnly options do not
// apply to a multi-pattern run and must be zero.
func NewMultiPlan(nodes []Node, opts MultiOptions) (*MultiPlan, error) {
	if opts.Limit != 0 || opts.CountOnly {
		return nil, fmt.Errorf("multi-pattern run: Limit and CountOnly are not supported")
	}
	m := &MultiPlan{opts: opts}
	for i, n := range nodes {
		p, err := NewPlan(n, opts.Options)
		if err != nil {
			return nil, fmt.Errorf("pattern %d: %w", i, err)
		}
		m.plans = append(m.plans, p)
	}
	return m, nil
}

// Len returns the number of patterns.
func (m *MultiPlan) Len() int { return len(m.plans) }

// Run evaluates every pattern over the snapshot's files and calls emit for
// each (pattern index, match). Calls to emit are serialized but not
// ordered across files; within one file, a pattern's matches come in
// (eventTime, eventID) order. emit may retain the match; its Raw may be
// shared with other patterns' matches of the same row and must not be
// modified.
func (m *MultiPlan) Run(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, emit func(pattern int, m Match) error) (*MultiStats, error) {
	st := &MultiStats{Matched: make([]int64, len(m.plans))}
	if len(m.plans) == 0 {
		return st, nil
	}
	files, wanted := m.selectFiles(snap, &st.Stats)
	if len(files) == 0 {
		return st, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	matched := make([]atomic.Int64, len(m.plans))
	next := make(chan int)
	var wg sync.WaitGroup
	workers := m.plans[0].opts.Workers
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := m.scanFile(ctx, lake, files[i], wanted[i], &st.Stats)
				if err == nil {
					mu.Lock()
					for _, r := range res {
						matched[r.pattern].Add(1)
						if err = emit(r.pattern, r.m); err != nil {
							break
						}
					}
					mu.Unlock()
				} else {
					err = fmt.Errorf("file %s: %w", files[i].Path, err)
				}
				if err != nil {
					cancel(err)
					return
				}
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
	for i := range matched {
		st.Matched[i] = matched[i].Load()
	}
	if err := context.Cause(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// selectFiles keeps the files any pattern may match (partitions, time and
// the manifest's per-file ranges and value sets) and, per file, the
// patterns that may match it.
func (m *MultiPlan) selectFiles(snap *partition.Snapshot, st *Stats) ([]partition.File, [][]int) {
	parts := map[partition.Key]bool{}
	var out []partition.File
	var wanted [][]int
	for _, f := range snap.SortedFiles() {
		k := f.Partition()
		var ws []int
		if m.plans[0].partitionWanted(k) {
			for i, p := range m.plans {
				if p.fileWanted(f) {
					ws = append(ws, i)
				}
			}
		}
		keep := len(ws) > 0
		parts[k] = parts[k] || keep
		st.Files++
		if !keep {
			st.FilesSkipped++
			continue
		}
		out = append(out, f)
		wanted = append(wanted, ws)
	}
	for _, used := range parts {
		st.Partitions++
		if !used {
			st.PartitionsSkipped++
		}
	}
	// Largest first: a long file started last would leave a worker idle.
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return out[idx[a]].Bytes > out[idx[b]].Bytes })
	sf, sw := make([]partition.File, len(out)), make([][]int, len(out))
	for i, j := range idx {
		sf[i], sw[i] = out[j], wanted[j]
	}
	return sf, sw
}

// multiMatch is one (pattern, match) result of a file.
type multiMatch struct {
	pattern int
	m       Match
}

// scanFile evaluates the wanted patterns over one file, reading each
// column chunk at most once per row group.
func (m *MultiPlan) scanFile(ctx context.Context, lake *partition.Lake, f partition.File, wanted []int, st *Stats) ([]multiMatch, error) {
	df, closer, err := openFile(ctx, lake, f)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	defer df.Close()
	local := &Stats{}
	defer st.add(local)
	rawLeft := make([]int, len(m.plans)) // raw records still wanted per pattern in this file
	for _, i := range wanted {
		rawLeft[i] = m.opts.RawPerFile
	}
	tf, sf := m.plans[0].time, m.plans[0].src
	var out []multiMatch
	sels := make([]*bitmap, len(m.plans))
	for rg := 0; rg < df.pf.NumRowGroups(); rg++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		meta := newRowGroupMeta(df, rg)
		local.RowGroups++
		if (tf.active() && !tf.mayMatch(meta)) || (sf != nil && !sf.mayMatch(meta)) {
			local.RowGroupsSkipped++
			continue
		}
		var live []int
		for _, i := range wanted {
			if m.plans[i].root.mayMatch(meta) {
				live = append(live, i)
			}
		}
		if len(live) == 0 {
			local.RowGroupsSkipped++
			continue
		}
		b := &batch{ctx: ctx, df: df, rg: rg, n: meta.numRows(), meta: meta, data: map[int]arrow.Array{}, st: local}
		ms, err := m.evalRowGroup(b, live, sels, rawLeft, local)
		b.release()
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// evalRowGroup runs each live pattern over one batch; columns loaded by one
// pattern stay cached in the batch for the next.
func (m *MultiPlan) evalRowGroup(b *batch, live []int, sels []*bitmap, rawLeft []int, st *Stats) ([]multiMatch, error) {
	st.RowsEvaluated += int64(b.n)
	var timeSel *bitmap // rows inside --since/--until (and Sources), computed once
	tf, sf := m.plans[0].time, m.plans[0].src
	union := newBitmap(b.n)
	hit := false
	for _, i := range live {
		p := m.plans[i]
		sel := newBitmap(b.n)
		sel.setAll()
		if err := p.root.apply(b, sel); err != nil {
			return nil, err
		}
		if b.meta.inexact {
			if err := p.inexactPass(b, sel, st); err != nil {
				return nil, err
			}
		}
		if (tf.active() || sf != nil) && !sel.isZero() {
			if timeSel == nil {
				timeSel = newBitmap(b.n)
				timeSel.setAll()
				if tf.active() {
					if err := tf.apply(b, timeSel); err != nil {
						return nil, err
					}
				}
				if sf != nil {
					if err := sf.apply(b, timeSel); err != nil {
						return nil, err
					}
				}
			}
			sel.and(timeSel)
		}
		if sel.isZero() {
			sels[i] = nil
			continue
		}
		sels[i] = sel
		union.or(sel)
		hit = true
	}
	if !hit {
		return nil, nil
	}
	st.RowsMatched += int64(union.count())
	return m.materialize(b, live, sels, union, rawLeft)
}

// materialize reads eventTime and eventID of the rows any pattern matched,
// and the raw record of the rows some pattern still wants it for.
func (m *MultiPlan) materialize(b *batch, live []int, sels []*bitmap, union *bitmap, rawLeft []int) ([]multiMatch, error) {
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
	needRaw := false
	for _, i := range live {
		if sels[i] != nil && rawLeft[i] != 0 {
			needRaw = true
		}
	}
	var raw *byteColumn
	if needRaw {
		if raw, err = b.raw(); err != nil {
			return nil, err
		}
	}
	// One Match per matching row (by position among the union's rows),
	// shared by the patterns it matched.
	pos := make([]int32, b.n)
	rows := make([]Match, 0, union.count())
	union.forEach(func(r int) {
		pos[r] = int32(len(rows))
		mt := Match{File: b.df.path, EventID: idAt(r)}
		if ts != nil && ts.IsValid(r) {
			mt.Time = ts.Value(r).ToTime(unit).UTC()
		}
		rows = append(rows, mt)
	})
	total := 0
	for _, i := range live {
		if sels[i] != nil {
			total += sels[i].count()
		}
	}
	out := make([]multiMatch, 0, total)
	for _, i := range live {
		sel := sels[i]
		if sel == nil {
			continue
		}
		sel.forEach(func(r int) {
			mt := &rows[pos[r]]
			if raw != nil && rawLeft[i] != 0 {
				if mt.Raw == nil {
					mt.Raw = bytes.Clone(raw.Value(r))
				}
				if rawLeft[i] > 0 {
					rawLeft[i]--
				}
				out = append(out, multiMatch{pattern: i, m: *mt})
				return
			}
			c := *mt
			c.Raw = nil
			out = append(out, multiMatch{pattern: i, m: c})
		})
		sels[i] = nil
	}
	return out, nil
}
