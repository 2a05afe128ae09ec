package query

import (
	"slices"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/pqread"
)

// Ranged reads of a remote file. On S3 every read is a request that costs
// a round trip, and a row group reads its columns one after another as the
// filters, then the consumer, ask for them. For a file whose reader says
// requests cost (objstore.RequestCoster), a row group therefore plans its
// reads twice: at the first column chunk read of its evaluation, and at
// the first of its consumer's, that chunk and the planned ones are fetched
// together (pqread.Fetch: nearby ranges merged, requests in parallel), and
// later reads of planned chunks decode from those buffers. A plan holds
//   - for the evaluation, the columns the scope's first filter and each
//     live rule's read whatever the rows hold (filter.reads; a rule's
//     only once the scope leaves rows, which a row group whose statistics
//     admitted it nearly always does), and those the evaluation of every
//     row group the worker saw so far read (the later filters' columns);
//   - for the consumer, the columns it read in every row group it was
//     given so far (eventTime and eventID for printed matches).
// A column leaves the worker's profile at the first row group that does
// not read it, so a wrong guess costs at most one chunk per column and
// worker. Local files read each chunk with one pread when it is needed.

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

// readProfile is what the row groups a worker saw so far read: the
// columns every evaluation read (of those that read any), and the columns
// the consumer read every time it was given a row group. One worker uses
// it.
type readProfile struct {
	eval, consume colSet
}

// colSet is the columns every observed read set held.
type colSet struct {
	seen bool
	cols map[string]bool
}

// narrow keeps the columns read also holds; an empty read is no
// observation.
func (s *colSet) narrow(read []string) {
	if len(read) == 0 {
		return
	}
	if !s.seen {
		s.seen, s.cols = true, make(map[string]bool, len(read))
		for _, path := range read {
			s.cols[path] = true
		}
		return
	}
	for path := range s.cols {
		if !slices.Contains(read, path) {
			delete(s.cols, path)
		}
	}
}

// observe narrows the profile to the columns the batch read.
func (p *readProfile) observe(b *batch) {
	if b.df.coalesce == nil {
		return
	}
	var eval []string
	for path := range b.cols {
		if !slices.Contains(b.consumed, path) {
			eval = append(eval, path)
		}
	}
	p.eval.narrow(eval)
	if b.consuming {
		p.consume.narrow(b.consumed)
	}
}

// planReads sets the batch's plan for its evaluation (see above) when its
// file is remote; live are the rules evaluated in the row group.
func (s *scanPlan) planReads(b *batch, live []int, prof *readProfile) {
	if b.df.coalesce == nil {
		return
	}
	if s.scope != nil {
		s.scope.reads(b.meta, b.addPlan)
	}
	for _, i := range live {
		s.rules[i].reads(b.meta, b.addPlan)
	}
	for path := range prof.eval.cols {
		b.addPlan(path)
	}
}

// startConsume marks the batch as given to the consumer and plans the
// consumer's usual reads.
func (b *batch) startConsume(prof *readProfile) {
	b.consuming = true
	if b.df.coalesce == nil {
		return
	}
	b.plan = b.plan[:0]
	for path := range prof.consume.cols {
		b.addPlan(path)
	}
}

// addPlan adds a column to the plan unless the file lacks it, the batch
// read or fetched it, or its chunk is too large to merge (it is read on
// its own).
func (b *batch) addPlan(path string) {
	col, _, ok := b.df.leaf(path)
	if _, read := b.cols[path]; !ok || read || slices.Contains(b.plan, col) || b.held(col) != nil {
		return
	}
	start, end, err := b.df.pf.ChunkRange(b.rg, col)
	if cfg := b.df.coalesce; err != nil || (cfg.MaxRange > 0 && end-start > cfg.MaxRange) {
		return // read (and its error reported) on its own
	}
	b.plan = append(b.plan, col)
}

// held returns the bytes of column col's chunk when the batch fetched
// them, without fetching anything.
func (b *batch) held(col int) []byte {
	if len(b.fetched) == 0 {
		return nil
	}
	start, end, err := b.df.pf.ChunkRange(b.rg, col)
	if err != nil {
		return nil
	}
	for _, fe := range b.fetched {
		if p := fe.Slice(start, end); p != nil {
			return p
		}
	}
	return nil
}

// chunkBytes returns the bytes of column col's chunk when the batch
// fetched them, or nil: the caller then reads the chunk itself. The first
// chunk read after a plan was made fetches the plan with col added (a
// chunk too large to merge is read alone and leaves the plan pending).
func (b *batch) chunkBytes(col int) ([]byte, error) {
	start, end, err := b.df.pf.ChunkRange(b.rg, col)
	if err != nil {
		return nil, err
	}
	if cfg := b.df.coalesce; len(b.plan) > 0 && (cfg.MaxRange <= 0 || end-start <= cfg.MaxRange) {
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
		b.plan = b.plan[:0]
		fe, err := b.df.pf.Fetch(rs, *cfg, scanBuffers)
		if err != nil {
			return nil, err
		}
		b.fetched = append(b.fetched, fe)
	}
	return b.held(col), nil
}

// plannedBytes is chunkBytes for a read of part of a chunk (its
// dictionary page): it fetches the plan only when the plan holds col, so
// that the part is not read again with the chunk.
func (b *batch) plannedBytes(col int) ([]byte, error) {
	if len(b.fetched) == 0 && !slices.Contains(b.plan, col) {
		return nil, nil
	}
	return b.chunkBytes(col)
}
