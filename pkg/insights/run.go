package insights

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// Config says what Run reads and how much it returns.
type Config struct {
	// Lake is the lake to query; it must be set.
	Lake *partition.Lake
	// Snapshot is the lake state to read; nil takes a fresh one.
	Snapshot *partition.Snapshot
	// Since and Until bound eventTime: Since <= t < Until; zero is
	// unbounded.
	Since, Until time.Time
	// Accounts and Regions keep only these partitions (empty: all).
	Accounts, Regions []string
	// Sources, when not nil, keeps only records from these source object
	// keys (the objects verified against the trail's digests).
	Sources map[string]bool
	// MaxRows caps the rows of a query without limit (spec §2); 0 lifts
	// the cap. Result.Total tells how many rows there were. Use
	// DefaultMaxRows for CloudWatch's cap.
	MaxRows int
	// Now is the query start for now(); zero means time.Now().
	Now time.Time
	// MaxGroups bounds the groups of each stats command; 0 means
	// DefaultMaxGroups. Beyond it Run fails with ErrTooManyGroups.
	MaxGroups int
	// NoScanAggregation turns off the scan's aggregation (the fast path of
	// stats), so that every record goes through the reference evaluator.
	NoScanAggregation bool
	// Workers is the number of lake files read in parallel; 0 means
	// GOMAXPROCS.
	Workers int
	// Stream lets Run return rows that are made as they are read
	// (EvalOptions.Stream): Result.Rows may be nil; use Result.Len and
	// Result.Each, or the writers.
	Stream bool
}

// Run evaluates q over the lake and returns its result. Records stream
// from the lake's scan pipeline in (eventTime, eventID) order into the
// reference evaluator; the leading { … } stages and the pushable parts of
// the leading filters (see pushdown) are evaluated by the scan, so they
// prune files, row groups and pages as in ctq query. Rows beyond
// cfg.MaxRows are dropped when q has no limit (Result.Total counts them).
func Run(ctx context.Context, cfg Config, q *Query) (*Result, error) {
	if cfg.Lake == nil {
		return nil, fmt.Errorf("insights: Config.Lake must be set")
	}
	if cfg.MaxRows < 0 {
		return nil, fmt.Errorf("insights: negative MaxRows %d", cfg.MaxRows)
	}
	snap := cfg.Snapshot
	if snap == nil {
		var err error
		if snap, err = cfg.Lake.Snapshot(ctx); err != nil {
			return nil, err
		}
	}
	node, complete := pushdown(q)
	plan, err := newPlan(node, cfg)
	if err != nil {
		return nil, err
	}
	opts := EvalOptions{Now: cfg.Now, MaxGroups: cfg.MaxGroups, Stream: cfg.Stream}
	if !q.HasLimit() {
		opts.KeepRows = cfg.MaxRows
	}
	ev := NewEvaluator(q, opts)
	fast := false
	if ev.stats != nil && !cfg.NoScanAggregation {
		spec, keysOK := aggSpec(ev.stats.cmd, ev.opts.MaxGroups)
		node, where, filtersOK := aggFilters(q)
		if fast = keysOK && filtersOK; fast {
			spec.Where = where
			aplan := plan
			if !complete || len(where) > 0 {
				if aplan, err = newPlan(node, cfg); err != nil {
					return nil, err
				}
			}
			if err := runAggregate(ctx, cfg, snap, aplan, spec, ev); err != nil {
				return nil, err
			}
		}
	}
	if !fast {
		if complete {
			// Every record the scan hands over passed the leading filters
			// exactly (inexact rows are decided on the raw record there).
			opts.Applied = leadingFilters(q)
			ev = NewEvaluator(q, opts)
		}
		_, err = plan.Run(ctx, cfg.Lake, snap, func(m query.Match) error {
			label := m.SourceKey // @log names the object the record was delivered in
			if label == "" {
				label = m.File
			}
			rec, err := DecodeRecord(m.Raw, label)
			if err != nil {
				return err
			}
			if err := ev.Add(rec); err != nil {
				return err
			}
			if ev.Done() {
				return errDone
			}
			return nil
		})
	}
	if err != nil && !errors.Is(err, errDone) {
		return nil, err
	}
	res, err := ev.Result()
	if err != nil {
		return nil, err
	}
	if !q.HasLimit() {
		res.Cap(cfg.MaxRows)
	}
	res.ScanAggregated = fast
	return res, nil
}

// newPlan prepares the scan of the pattern node with cfg's bounds.
func newPlan(node query.Node, cfg Config) (*query.Plan, error) {
	return query.NewPlan(node, query.Options{
		Since: cfg.Since, Until: cfg.Until, Accounts: cfg.Accounts, Regions: cfg.Regions,
		Sources: cfg.Sources, Workers: cfg.Workers, SourceKeys: true,
	})
}

// runAggregate computes the first stats in the scan and merges its groups,
// and the reference evaluation of the rows the scan hands back, into ev.
func runAggregate(ctx context.Context, cfg Config, snap *partition.Snapshot, plan *query.Plan, spec query.AggSpec, ev *Evaluator) error {
	tab, _, err := plan.Aggregate(ctx, cfg.Lake, snap, spec, func(raw []byte) error {
		rec, err := DecodeRecord(bytes.Clone(raw), "lake")
		if err != nil {
			return err
		}
		return ev.Add(rec)
	})
	if errors.Is(err, query.ErrAggGroups) {
		return fmt.Errorf("%w: %q makes more than %d groups; narrow the query (filter, --since) or raise the group limit (MaxGroups, default %d)",
			ErrTooManyGroups, ev.stats.cmd.String(), spec.MaxGroups, DefaultMaxGroups)
	}
	if err != nil {
		return err
	}
	return ev.stats.attachScan(tab, &spec)
}

// errDone stops the scan once the result cannot change.
var errDone = errors.New("result complete")

// HasLimit reports whether the query has a limit command (which lifts the
// default row cap).
func (q *Query) HasLimit() bool {
	for _, c := range q.Commands {
		if _, ok := c.(*Limit); ok {
			return true
		}
	}
	return false
}

// leadingFilters counts the filter and { … } commands a query starts with.
func leadingFilters(q *Query) int {
	n := 0
	for _, c := range q.Commands {
		switch c.(type) {
		case *Filter, *PatternFilter:
			n++
			continue
		}
		break
	}
	return n
}
