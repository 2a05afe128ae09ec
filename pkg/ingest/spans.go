package ingest

// spanRows holds the value spans of a batch's rows: width spans per row,
// in blocks of spanBlockRows rows. Growing by whole blocks never copies
// the spans already stored, and blocks come back to a worker's spanPool
// when the batch is written, so a steady ingest allocates no spans at all.
// A single slice that doubled was the largest allocation of an ingest (as
// much as the record bytes themselves: 456 bytes a row) and cost its
// copies, the runtime's clearing of each new slice and the collections
// they caused.
type spanRows struct {
	blocks [][]span
	width  int       // spans a row: one per leaf slot of the schema
	pool   *spanPool // nil: blocks are allocated and dropped
}

// newSpanRows returns an empty spanRows whose blocks come from and go
// back to pool.
func newSpanRows(pool *spanPool) spanRows {
	return spanRows{width: len(tree().leaves), pool: pool}
}

const (
	spanBlockShift = 6
	spanBlockRows  = 1 << spanBlockShift // 64 rows, ~29 KB a block
	spanBlockMask  = spanBlockRows - 1
)

// spanBytes is the size of a span (two int32).
const spanBytes = 8

// row returns the spans of row i.
func (s *spanRows) row(i int) []span {
	o := (i & spanBlockMask) * s.width
	return s.blocks[i>>spanBlockShift][o : o+s.width : o+s.width]
}

// at returns the span of row i in slot.
func (s *spanRows) at(i, slot int) span {
	return s.blocks[i>>spanBlockShift][(i&spanBlockMask)*s.width+slot]
}

// add returns the spans of row i, the next row, to be filled in: every
// slot must be written, since a block may come back from the pool with
// the spans of earlier rows.
func (s *spanRows) add(i int) []span {
	if i>>spanBlockShift == len(s.blocks) {
		s.blocks = append(s.blocks, s.pool.get(spanBlockRows*s.width))
	}
	return s.row(i)
}

// truncate keeps the blocks that rows 0..rows-1 need and gives the others
// back to the pool.
func (s *spanRows) truncate(rows int) {
	keep := (rows + spanBlockMask) >> spanBlockShift
	for i := keep; i < len(s.blocks); i++ {
		s.pool.put(s.blocks[i])
		s.blocks[i] = nil
	}
	s.blocks = s.blocks[:keep]
}

// size is the memory the blocks hold.
func (s *spanRows) size() int { return len(s.blocks) * s.blockBytes() }

// blockBytes is the memory one block holds.
func (s *spanRows) blockBytes() int { return spanBlockRows * s.width * spanBytes }

// spanPool keeps free span blocks for the batches of one worker (no
// locking: a worker's batches are used by that worker only). It keeps at
// most limit bytes; beyond that, blocks are left to the collector.
type spanPool struct {
	free  [][]span
	limit int
}

// get returns a block of n spans (a free one if the pool has one: every
// block of a pool has the same size).
func (p *spanPool) get(n int) []span {
	if p != nil {
		if n := len(p.free); n > 0 {
			b := p.free[n-1]
			p.free[n-1] = nil
			p.free = p.free[:n-1]
			return b
		}
	}
	return make([]span, n)
}

func (p *spanPool) put(b []span) {
	if p != nil && (len(p.free)+1)*len(b)*spanBytes <= p.limit {
		p.free = append(p.free, b)
	}
}
