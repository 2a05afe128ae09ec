package query

import (
	"fmt"

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
// read: the whole chunk when a filter already read it, or when the needed
// rows span every page; otherwise only the pages that hold needed rows,
// located through the offset index and fetched in coalesced, parallel
// ranges (page-level late materialisation). Other rows read as empty.
func (b *batch) rawFor(need *bitmap) (*byteColumn, error) {
	col, leaf, ok := b.df.leaf(colRaw)
	if _, read := b.cols[colRaw]; read || !ok || b.df.pf.Chunk(b.rg, col).DictionaryPageOffset > 0 {
		return b.raw()
	}
	oi, err := b.df.pf.OffsetIndex(b.rg, col)
	if err != nil || oi == nil || len(oi.PageLocations) < 2 {
		return b.raw() // no usable page index: read the chunk
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
		return b.raw()
	}
	cr, err := b.df.pf.OpenPages(b.rg, col, pick, scanBuffers)
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", colRaw, b.df.path, err)
	}
	defer cr.Release()
	c := pqread.NewColumn(leaf)
	for j, l := range pick {
		c.Skip(int(l.FirstRowIndex) - c.Len())
		p, err := cr.NextAt(j)
		if err == nil {
			err = c.Append(p)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s of %s: row group %d: %w", colRaw, b.df.path, b.rg, err)
		}
	}
	if c.Len() > b.n {
		return nil, fmt.Errorf("read %s of %s: row group %d: pages hold %d rows of %d", colRaw, b.df.path, b.rg, c.Len(), b.n)
	}
	c.Skip(b.n - c.Len())
	if b.st != nil {
		b.st.RawPages += int64(len(pick))
		b.st.RawPagesSkipped += int64(len(locs) - len(pick))
	}
	return &byteColumn{data: c.Data, offs: c.Offs, valid: c.Valid}, nil
}
