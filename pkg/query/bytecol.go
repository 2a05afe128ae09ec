package query

import (
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go/format"

	"github.com/ctq-dev/ctq/pkg/pqread"
)

// byteColumn is one string or JSON column of a row group as plain bytes:
// every row's value back to back in one buffer, with n+1 offsets, and a
// validity per row (nil: every row present). Null rows have empty spans.
//
// The raw record column and the JSON text columns are read this way: each
// page is decompressed once and its values are decoded straight into one
// buffer sized from the column chunk's metadata and recycled after the row
// group (bufpool.go).
type byteColumn struct {
	data  []byte
	offs  []uint32
	valid []bool
	// kept: data is the column's own allocation, never reused, holding
	// only rows someone needs: a match may keep a row's bytes without a
	// copy.
	kept bool
}

func (c *byteColumn) Len() int { return len(c.offs) - 1 }

// Value returns row i's bytes; they alias the column's buffer.
func (c *byteColumn) Value(i int) []byte { return c.data[c.offs[i]:c.offs[i+1]] }

// IsNull reports whether row i has no value (the field or a parent absent).
func (c *byteColumn) IsNull(i int) bool { return c.valid != nil && !c.valid[i] }

// raw returns the raw record column of the row group, read on first use.
func (b *batch) raw() (*byteColumn, error) {
	c, ok, err := b.bytes(colRaw)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s has no %s column: not a ctq lake file", b.df.path, colRaw)
	}
	if c.valid != nil {
		for i := range c.valid {
			if !c.valid[i] {
				return nil, fmt.Errorf("column %s of %s: row %d has no record", colRaw, b.df.path, i)
			}
		}
	}
	return c, nil
}

// rawStreamBytes is the uncompressed size of a raw record chunk beyond
// which a filter evaluates it page by page (eachRawPage) instead of
// decoding the whole chunk into one buffer: a full row group of raw
// records is tens of MiB, and holding one per worker made a text search's
// memory grow with the largest row group of the lake.
var rawStreamBytes int64 = 8 << 20

// rawStreams reports whether the raw record column of the row group is
// large and not read yet, so that a filter should stream its pages.
func (b *batch) rawStreams() bool {
	if _, read := b.cols[colRaw]; read {
		return false
	}
	col, _, ok := b.df.leaf(colRaw)
	return ok && b.df.pf.Chunk(b.rg, col).TotalUncompressedSize > rawStreamBytes
}

// eachRawPage decodes the raw record column one page at a time into one
// reused column and calls fn with the row index of the page's first row.
// The column's bytes are valid only during the call.
func (b *batch) eachRawPage(fn func(first int, c *pqread.Column) error) error {
	col, leaf, ok := b.df.leaf(colRaw)
	if !ok {
		return fmt.Errorf("%s has no %s column: not a ctq lake file", b.df.path, colRaw)
	}
	if err := b.ctx.Err(); err != nil {
		return err
	}
	c := newScanColumn(leaf) // recycled: its page buffers outlive the row group
	defer scanColumns.Put(c)
	first := 0
	err := b.readChunk(col, c, func() error {
		if c.Dictionary() {
			c.Plain()
		}
		if first+c.Len() > b.n {
			return fmt.Errorf("row group %d: pages hold more than %d rows", b.rg, b.n)
		}
		for i, v := range c.Valid {
			if !v {
				return fmt.Errorf("row %d has no record", first+i)
			}
		}
		if err := fn(first, c); err != nil {
			return err
		}
		first += c.Len()
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s of %s: %w", colRaw, b.df.path, err)
	}
	if first != b.n {
		return fmt.Errorf("read %s of %s: row group %d: %d values for %d rows", colRaw, b.df.path, b.rg, first, b.n)
	}
	if b.st != nil {
		b.st.ColumnsRead++
	}
	return nil
}

// rawRows reads every page of the raw record column in turn and keeps the
// records of the rows of need (other rows read as empty): memory holds
// one page and the needed records, not the row group's records.
func (b *batch) rawRows(need *bitmap) (*byteColumn, error) {
	out := b.neededRecords(need)
	err := b.eachRawPage(func(first int, c *pqread.Column) error {
		return out.add(b, first, c)
	})
	if err != nil {
		return nil, err
	}
	return out.done(b.n), nil
}

// recordArena collects the needed records of a row group, page by page,
// into one buffer that the matches printed from it share: memory holds
// one page and the needed records, not the pages that hold them.
type recordArena struct {
	col  *byteColumn
	need *bitmap
	next int // the first row whose offset is not set yet
}

func (b *batch) neededRecords(need *bitmap) *recordArena {
	out := &byteColumn{offs: make([]uint32, b.n+1), kept: true}
	if col, _, ok := b.df.leaf(colRaw); ok && b.n > 0 {
		// The chunk's uncompressed size bounds its records' bytes: sized
		// for the needed share, the buffer seldom grows (growing a
		// buffer of tens of MiB record by record was most of a printed
		// full scan's time).
		if size := b.df.pf.Chunk(b.rg, col).TotalUncompressedSize; size > 0 && size < math.MaxUint32 {
			out.data = make([]byte, 0, int(size*int64(need.count())/int64(b.n))+64<<10)
		}
	}
	return &recordArena{col: out, need: need}
}

// add keeps the needed records of a decoded page whose first row is
// first; rows before it that no page held read as empty.
func (a *recordArena) add(b *batch, first int, c *pqread.Column) error {
	if first < a.next || first+c.Len() > b.n {
		return fmt.Errorf("column %s of %s: row group %d: a page holds rows [%d, %d) after row %d of %d", colRaw, b.df.path, b.rg, first, first+c.Len(), a.next, b.n)
	}
	out := a.col
	for r := a.next; r < first; r++ {
		out.offs[r+1] = uint32(len(out.data))
	}
	for i := range c.Len() {
		r := first + i
		if a.need.get(r) {
			if c.Valid != nil && !c.Valid[i] {
				return fmt.Errorf("column %s of %s: row group %d: row %d has no record", colRaw, b.df.path, b.rg, r)
			}
			out.data = append(out.data, c.Value(i)...)
			if len(out.data) > math.MaxUint32 {
				return fmt.Errorf("column %s of %s: row group %d: records exceed 4 GiB", colRaw, b.df.path, b.rg)
			}
		}
		out.offs[r+1] = uint32(len(out.data))
	}
	a.next = first + c.Len()
	return nil
}

// done returns the column, the rows after the last page empty.
func (a *recordArena) done(n int) *byteColumn {
	for r := a.next; r < n; r++ {
		a.col.offs[r+1] = uint32(len(a.col.data))
	}
	a.next = n
	return a.col
}

// bytes returns a non-repeated string or JSON column (by dotted path) of the
// row group, read on first use; ok is false when the file has no such
// column. A parent group's absence makes the row null.
func (b *batch) bytes(path string) (*byteColumn, bool, error) {
	c, ok, err := b.column(path)
	if err != nil || !ok {
		return nil, ok, err
	}
	if !b.df.stringLeaf(path) {
		return nil, false, fmt.Errorf("column %s of %s: not a string column", path, b.df.path)
	}
	if c.Dictionary() {
		c.Plain()
	}
	return &byteColumn{data: c.Data, offs: c.Offs, valid: c.Valid}, true, nil
}

// rawFor returns the raw record column with at least the rows of need
// read: the whole chunk when a filter already read it; every page in turn
// when a filter's planned read fetched it; otherwise only the pages that
// hold needed rows, located through the offset index and
// fetched in coalesced, parallel ranges (page-level late
// materialisation), or, when the needed rows span every page, every page
// in turn with only the needed records kept. Other rows read as empty.
func (b *batch) rawFor(need *bitmap) (*byteColumn, error) {
	col, leaf, ok := b.df.leaf(colRaw)
	if _, read := b.cols[colRaw]; read || !ok || b.df.pf.Chunk(b.rg, col).DictionaryPageOffset > 0 {
		return b.raw()
	}
	oi, err := b.df.pf.OffsetIndex(b.rg, col)
	if err != nil || oi == nil || len(oi.PageLocations) < 2 || b.held(col) != nil {
		return b.rawRows(need) // no usable page index, or the chunk at hand: every page
	}
	locs := oi.PageLocations
	var pick []format.PageLocation
	for k, l := range locs {
		end := b.n
		if k+1 < len(locs) {
			end = int(locs[k+1].FirstRowIndex)
		}
		if lo := int(l.FirstRowIndex); lo < 0 || lo > end || end > b.n {
			return nil, fmt.Errorf("column %s of %s: row group %d: page %d covers rows [%d, %d) of %d", colRaw, b.df.path, b.rg, k, lo, end, b.n)
		}
		if need.anyIn(int(l.FirstRowIndex), end) {
			pick = append(pick, l)
		}
	}
	if len(pick) == len(locs) {
		return b.rawRows(need)
	}
	cr, err := b.df.pf.OpenPages(b.rg, col, pick, b.df.pageCoalesce(), scanBuffers)
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", colRaw, b.df.path, err)
	}
	defer cr.Release()
	c := newScanColumn(leaf) // one page at a time
	defer scanColumns.Put(c)
	out := b.neededRecords(need)
	for j, l := range pick {
		c.Reset()
		p, err := cr.NextAt(j)
		if err == nil {
			err = c.Append(p)
		}
		if err == nil {
			err = out.add(b, int(l.FirstRowIndex), c)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s of %s: row group %d: %w", colRaw, b.df.path, b.rg, err)
		}
	}
	if b.st != nil {
		b.st.RawPages += int64(len(pick))
		b.st.RawPagesSkipped += int64(len(locs) - len(pick))
	}
	return out.done(b.n), nil
}
