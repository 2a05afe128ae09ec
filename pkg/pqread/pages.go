package pqread

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// OffsetIndex returns the page locations of a column chunk from the page
// index; nil, with no error, when the file has none.
func (f *File) OffsetIndex(rg, col int) (*format.OffsetIndex, error) {
	cc := &f.Meta.RowGroups[rg].Columns[col]
	oi := new(format.OffsetIndex)
	ok, err := f.readIndex(cc.OffsetIndexOffset, int64(cc.OffsetIndexLength), oi)
	if !ok || err != nil {
		return nil, wrapIndex(f, rg, col, "offset index", err)
	}
	return oi, nil
}

// ColumnIndex returns the per-page statistics of a column chunk from the
// page index; nil, with no error, when the file has none.
func (f *File) ColumnIndex(rg, col int) (*format.ColumnIndex, error) {
	cc := &f.Meta.RowGroups[rg].Columns[col]
	ci := new(format.ColumnIndex)
	ok, err := f.readIndex(cc.ColumnIndexOffset, int64(cc.ColumnIndexLength), ci)
	if !ok || err != nil {
		return nil, wrapIndex(f, rg, col, "column index", err)
	}
	return ci, nil
}

func wrapIndex(f *File, rg, col int, what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("row group %d column %s: %s: %w", rg, f.Leaves[col].Path, what, err)
}

// readIndex decodes the thrift structure at [off, off+n) into v: from the
// tail read when the file was opened when it holds the range (writers put
// the page index just before the footer), else with one ranged read. ok is
// false when there is no such structure.
func (f *File) readIndex(off, n int64, v any) (ok bool, err error) {
	if off <= 0 || n <= 0 {
		return false, nil
	}
	if off+n > f.size {
		return false, fmt.Errorf("[%d, %d) outside a %d-byte file", off, off+n, f.size)
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		return false, err
	}
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), b, v); err != nil {
		return false, err
	}
	return true, nil
}

// OpenPages returns a reader of some data pages of a column chunk without
// a dictionary page: locs, in file order, from OffsetIndex. Their byte
// ranges are fetched up front with Fetch, coalesced and in parallel as cfg
// says. NextAt returns the pages.
func (f *File) OpenPages(rg, col int, locs []format.PageLocation, cfg Coalesce, pool Pool) (*ChunkReader, error) {
	c, err := f.OpenChunk(rg, col, 0, nil, pool)
	if err != nil {
		return nil, err
	}
	if c.cc.DictionaryPageOffset > 0 {
		return nil, fmt.Errorf("row group %d column %s: page reads need a chunk without a dictionary", rg, c.leaf.Path)
	}
	rs := make([]Range, len(locs))
	for i, l := range locs {
		lo, hi := l.Offset, l.Offset+int64(l.CompressedPageSize)
		if lo < c.start || hi > c.end || l.CompressedPageSize < 0 || (i > 0 && lo < locs[i-1].Offset) {
			return nil, fmt.Errorf("row group %d column %s: page location [%d, %d) outside its chunk", rg, c.leaf.Path, lo, hi)
		}
		rs[i] = Range{lo, hi}
	}
	fe, err := f.Fetch(rs, cfg, c.pool)
	if err != nil {
		return nil, fmt.Errorf("row group %d column %s: %w", rg, c.leaf.Path, err)
	}
	c.fetch += fe.Bytes()
	c.pages, c.locs = fe, locs
	return c, nil
}

// NextAt returns the page at the i-th location given to OpenPages.
func (c *ChunkReader) NextAt(i int) (*Page, error) {
	if i < 0 || i >= len(c.locs) {
		return nil, fmt.Errorf("column %s: no page location %d", c.leaf.Path, i)
	}
	l := c.locs[i]
	if b := c.pages.Slice(l.Offset, l.Offset+int64(l.CompressedPageSize)); b != nil {
		c.buf, c.bufOff, c.owned = b, l.Offset, false
	}
	c.pos, c.end = l.Offset, l.Offset+int64(l.CompressedPageSize)
	for {
		p, skip, err := c.next()
		if err != nil {
			return nil, fmt.Errorf("column %s page at byte %d: %w", c.leaf.Path, l.Offset, err)
		}
		if skip {
			return nil, fmt.Errorf("column %s: no data page at byte %d", c.leaf.Path, l.Offset)
		}
		return p, nil
	}
}

// Skip appends n null (or, for a required column, empty or zero) entries:
// the rows of pages a caller did not read.
func (c *Column) Skip(n int) {
	for i := 0; i < n; i++ {
		if c.Leaf.MaxDef > 0 {
			c.Valid = append(c.Valid, false)
		}
		switch c.Leaf.Type {
		case format.ByteArray:
			if c.Dictionary() {
				c.Idx = append(c.Idx, -1)
				continue
			}
			if len(c.Offs) == 0 {
				c.Offs = append(c.Offs, 0)
			}
			c.Offs = append(c.Offs, c.Offs[len(c.Offs)-1])
		case format.Int64:
			c.Int64 = append(c.Int64, 0)
		case format.Int32:
			c.Int32 = append(c.Int32, 0)
		case format.Boolean:
			c.Bool = append(c.Bool, false)
		}
	}
	c.n += n
}
