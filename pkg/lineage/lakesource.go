package lineage

import (
	"context"
	"fmt"
	"time"

	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// LakeSource is an EventSource over a lake snapshot: each lookup is one
// run of the query engine, so it prunes files by their eventName value sets
// and row groups by the bloom filter on userIdentity.accessKeyId. It is not
// safe for concurrent use (Stats).
type LakeSource struct {
	Lake *partition.Lake
	Snap *partition.Snapshot
	// Options are the base options of every run (Accounts, Regions,
	// Sources, Workers). Their Since and Until narrow every lookup's
	// window; Limit and CountOnly are ignored.
	Options query.Options
	// Stats add up the engine's figures over all lookups.
	Stats query.Stats
}

var _ EventSource = (*LakeSource)(nil)

// Events implements EventSource.
func (s *LakeSource) Events(ctx context.Context, pattern string, since, until time.Time, fn func(raw []byte) error) error {
	p, err := query.Parse(pattern, query.ParseOptions{})
	if err != nil {
		return fmt.Errorf("lineage: pattern %q: %w", pattern, err)
	}
	opts := s.Options
	opts.Limit, opts.CountOnly = 0, false
	if !since.IsZero() && (opts.Since.IsZero() || since.After(opts.Since)) {
		opts.Since = since
	}
	if !until.IsZero() && (opts.Until.IsZero() || until.Before(opts.Until)) {
		opts.Until = until
	}
	plan, err := query.NewPlan(p.Root, opts)
	if err != nil {
		return fmt.Errorf("lineage: pattern %q: %w", pattern, err)
	}
	st, err := plan.Run(ctx, s.Lake, s.Snap, func(m query.Match) error { return fn(m.Raw) })
	if st != nil {
		s.Stats.Files += st.Files
		s.Stats.FilesSkipped += st.FilesSkipped
		s.Stats.RowGroups += st.RowGroups
		s.Stats.RowGroupsSkipped += st.RowGroupsSkipped
		s.Stats.RowsEvaluated += st.RowsEvaluated
		s.Stats.RowsMatched += st.RowsMatched
	}
	return err
}
