package query

import (
	"slices"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/pqread"
)

// Ranged reads of a remote file. On S3 every read is a request that costs
// a round trip, and a row group reads its columns one after another as the
// filters ask for them. For a file whose reader says requests cost
// (objstore.RequestCoster), a row group therefore plans its reads: at its
// first column chunk read, that chunk and the planned ones are fetched
// together (pqread.Fetch: nearby ranges merged, requests in parallel), and
// later reads of planned chunks decode from those buffers. The plan holds
//   - the columns each live rule's first filter and the scope's read
//     whatever the rows hold (filter.reads), and
//   - the columns every row group the worker evaluated so far read
//     (readProfile): the consumer's (eventTime and eventID for printed
//     matches) and the later filters'. A column leaves the profile at the
//     first row group that does not read it, so a wrong guess costs at
//     most one chunk per column and worker.
// Local files read each chunk with one pread when it is needed.

// coalesceFor returns how a row group of a file read through ra fetches
// its planned chunks, or nil when requests cost nothing (a local file: no
// plan). The merge gap is at most the request's cost.
func coalesceFor(ra objstore.ReaderAt) *pqread.Coalesce {
	rc, ok := ra.(objstore.RequestCoster)
	if !ok || rc.RequestCost() <= 0 {
		return nil
	}
	c := pqread.DefaultCoalesce
	c.Gap = min(c.Gap, rc.RequestCost())
	return &c
}

// pageCoalesce is how the raw pages that hold matches are fetched: on a
// remote file as its row groups' chunks; locally adjacent pages in one
// pread, one after another.
func (df *dataFile) pageCoalesce() pqread.Coalesce {
	if df.coalesce != nil {
		return *df.coalesce
	}
	return pqread.Coalesce{}
}

// readProfile is the set of columns every row group a worker evaluated so
// far read (of those that read any). One worker uses it.
type readProfile struct {
	seen bool
	cols map[string]bool
}

// observe narrows the profile to the columns the batch read.
func (p *readProfile) observe(b *batch) {
	if b.df.coalesce == nil || len(b.cols) == 0 {
		return
	}
	if !p.seen {
		p.seen, p.cols = true, make(map[string]bool, len(b.cols))
		for path := range b.cols {
			p.cols[path] = true
		}
		return
	}
	for path := range p.cols {
		if _, ok := b.cols[path]; !ok {
			delete(p.cols, path)
		}
	}
}

// planReads sets the batch's planned reads (see above) when its file is
// remote; live are the rules evaluated in the row group.
func (s *scanPlan) planReads(b *batch, live []int, prof *readProfile) {
	cfg := b.df.coalesce
	if cfg == nil {
		return
	}
	add := func(path string) {
		col, _, ok := b.df.leaf(path)
		if !ok {
			return
		}
		if slices.Contains(b.plan, col) {
			return
		}
		start, end, err := b.df.pf.ChunkRange(b.rg, col)
		if err != nil || (cfg.MaxRange > 0 && end-start > cfg.MaxRange) {
			return // read (and its error reported) on its own
		}
		b.plan = append(b.plan, col)
	}
	if s.scope != nil {
		s.scope.reads(b.meta, add)
	}
	for _, i := range live {
		s.rules[i].reads(b.meta, add)
	}
	for path := range prof.cols {
		add(path)
	}
}

// chunkBytes returns the bytes of column col's chunk when the batch
// fetched them, or nil: the caller then reads the chunk itself. The first
// chunk read of a row group with a plan fetches the plan with col added
// (a chunk too large to merge is read alone and leaves the plan pending).
func (b *batch) chunkBytes(col int) ([]byte, error) {
	start, end, err := b.df.pf.ChunkRange(b.rg, col)
	if err != nil {
		return nil, err
	}
	if cfg := b.df.coalesce; b.plan != nil && b.fetched == nil && (cfg.MaxRange <= 0 || end-start <= cfg.MaxRange) {
		rs := make([]pqread.Range, 0, len(b.plan)+1)
		rs = append(rs, pqread.Range{Off: start, End: end})
		for _, c := range b.plan {
			if c == col {
				continue
			}
			lo, hi, err := b.df.pf.ChunkRange(b.rg, c)
			if err != nil {
				return nil, err
			}
			rs = append(rs, pqread.Range{Off: lo, End: hi})
		}
		b.plan = nil
		if b.fetched, err = b.df.pf.Fetch(rs, *cfg, scanBuffers); err != nil {
			return nil, err
		}
	}
	return b.fetched.Slice(start, end), nil
}

// plannedBytes is chunkBytes for a read of part of a chunk (its
// dictionary page): it fetches the plan only when the plan holds col, so
// that the part is not read again with the chunk.
func (b *batch) plannedBytes(col int) ([]byte, error) {
	if b.fetched == nil && !slices.Contains(b.plan, col) {
		return nil, nil
	}
	return b.chunkBytes(col)
}
