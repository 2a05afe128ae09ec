package partition

import "context"

// CommitsAfter returns the complete log entries with seq > after, in
// order: what changed in the lake since a reader last looked (e.g. the
// files a watcher has not evaluated yet).
func (l *Lake) CommitsAfter(ctx context.Context, after int64) ([]*Commit, error) {
	es, err := l.readCommits(ctx, after)
	if err != nil {
		return nil, err
	}
	out := make([]*Commit, len(es))
	for i, e := range es {
		out[i] = e.entry
	}
	return out, nil
}
