package query

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

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
// filter narrows its own selection over the same batch. It runs the same
// scan pipeline as Plan, with one rule per pattern.
type MultiPlan struct {
	scan *scanPlan
	opts MultiOptions
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
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	s, err := newScanPlan(nodes, opts.Options)
	if err != nil {
		return nil, err
	}
	return &MultiPlan{scan: s, opts: opts}, nil
}

// Len returns the number of patterns.
func (m *MultiPlan) Len() int { return len(m.scan.rules) }

// Snapshot reads the lake's snapshot for one Run of this plan, as
// Plan.Snapshot does: it holds the files some pattern may match.
func (m *MultiPlan) Snapshot(ctx context.Context, lake *partition.Lake) (*partition.Snapshot, error) {
	return m.scan.snapshot(ctx, lake)
}

// Run evaluates every pattern over the snapshot's files and calls emit for
// each (pattern index, match). Calls to emit are serialized but not
// ordered across files; within one file, a pattern's matches come in
// (eventTime, eventID) order. emit may retain the match; its Raw may be
// shared with other patterns' matches of the same row and must not be
// modified. An error from emit stops the run (the scan stops after at most
// a few more row groups) and is returned.
func (m *MultiPlan) Run(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, emit func(pattern int, m Match) error) (*MultiStats, error) {
	st := &MultiStats{Matched: make([]int64, m.Len())}
	if m.Len() == 0 {
		return st, nil
	}
	tasks, err := m.scan.selectFiles(snap, &st.Stats)
	if err != nil || len(tasks) == 0 {
		return st, err
	}
	// One goroutine calls emit: the workers hand each row group's matches
	// over and scan on, instead of waiting on one another for a lock while
	// emit runs. Hand-overs are read in the order they were made, so a
	// file's matches stay in order.
	handed := make(chan *[]ruleMatch, 4*m.scan.workers)
	var emitErr atomic.Pointer[error]
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ms := range handed {
			for _, r := range *ms {
				if emitErr.Load() != nil {
					break // drain: the scan is stopping
				}
				st.Matched[r.rule]++
				if err := emit(r.rule, r.m); err != nil {
					failed := err // only this copy escapes, not every call's
					emitErr.Store(&failed)
				}
			}
			clear(*ms) // hold no match from the pool
			matchBufs.Put(ms)
		}
	}()
	sink := func(ms []ruleMatch) error {
		if err := emitErr.Load(); err != nil {
			return *err
		}
		buf, _ := matchBufs.Get().(*[]ruleMatch)
		if buf == nil {
			buf = new([]ruleMatch)
		}
		*buf = append((*buf)[:0], ms...)
		handed <- buf // never blocks for good: the goroutine drains until close
		return nil
	}
	err = m.scan.scan(ctx, lake, tasks, &st.Stats, func() consumer {
		return newMatchCollector(m.Len(), m.opts.RawPerFile, 0, sink)
	})
	close(handed)
	<-done
	if e := emitErr.Load(); e != nil && err == nil {
		err = *e // emit failed on the last matches: the scan had ended
	}
	return st, err
}

// matchBufs recycles the row groups' match lists handed to Run's emitter.
var matchBufs sync.Pool
