package pqread

import (
	"fmt"
	"io"
	"sync"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// OffsetIndex returns the page locations of a column chunk from the page
// index (one ranged read); nil, with no error, when the file has none.
func (f *File) OffsetIndex(rg, col int) (*format.OffsetIndex, error) {
	cc := &f.Meta.RowGroups[rg].Columns[col]
	off, n := cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)
	if off <= 0 || n <= 0 {
		return nil, nil
	}
	if off+n > f.size {
		return nil, fmt.Errorf("row group %d column %s: offset index [%d, %d) outside a %d-byte file", rg, f.Leaves[col].Path, off, off+n, f.size)
	}
	b := make([]byte, n)
	if _, err := f.ra.ReadAt(b, off); err != nil && err != io.EOF {
		return nil, fmt.Errorf("row group %d column %s: offset index: %w", rg, f.Leaves[col].Path, err)
	}
	oi := new(format.OffsetIndex)
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), b, oi); err != nil {
		return nil, fmt.Errorf("row group %d column %s: offset index: %w", rg, f.Leaves[col].Path, err)
	}
	return oi, nil
}

// Coalescing of page reads: ranges closer than rangeGap are fetched as one
// (a request costs more than a few KiB of transfer), and at most
// rangeParallel requests run at once.
const (
	rangeGap      = 64 << 10
	rangeParallel = 8
)

// span is a fetched byte range of the file.
type span struct {
	off  int64
	data []byte
}

// OpenPages returns a reader of some data pages of a column chunk without
// a dictionary page: locs, in file order, from OffsetIndex. Their byte
// ranges are fetched up front, adjacent ones coalesced into one request,
// the requests in parallel. Next returns the pages in order.
func (f *File) OpenPages(rg, col int, locs []format.PageLocation, pool Pool) (*ChunkReader, error) {
	c, err := f.OpenChunk(rg, col, 0, nil, pool)
	if err != nil {
		return nil, err
	}
	if c.cc.DictionaryPageOffset > 0 {
		return nil, fmt.Errorf("row group %d column %s: page reads need a chunk without a dictionary", rg, c.leaf.Path)
	}
	type rng struct{ lo, hi int64 }
	var rs []rng
	for i, l := range locs {
		lo, hi := l.Offset, l.Offset+int64(l.CompressedPageSize)
		if lo < c.start || hi > c.end || l.CompressedPageSize < 0 || (i > 0 && lo < locs[i-1].Offset) {
			return nil, fmt.Errorf("row group %d column %s: page location [%d, %d) outside its chunk", rg, c.leaf.Path, lo, hi)
		}
		if n := len(rs); n > 0 && lo-rs[n-1].hi <= rangeGap {
			rs[n-1].hi = max(rs[n-1].hi, hi)
			continue
		}
		rs = append(rs, rng{lo, hi})
	}
	spans := make([]span, len(rs))
	for i, r := range rs {
		spans[i] = span{off: r.lo, data: make([]byte, r.hi-r.lo)}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(spans))
	sem := make(chan struct{}, rangeParallel)
	for i := range spans {
		s := &spans[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := f.ra.ReadAt(s.data, s.off); err != nil && err != io.EOF {
				errs[i] = fmt.Errorf("read [%d, %d): %w", s.off, s.off+int64(len(s.data)), err)
			}
		}()
		c.fetch += int64(len(s.data))
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("row group %d column %s: %w", rg, c.leaf.Path, err)
		}
	}
	c.spans, c.locs = spans, locs
	return c, nil
}

// NextAt returns the page at the i-th location given to OpenPages.
func (c *ChunkReader) NextAt(i int) (*Page, error) {
	if i < 0 || i >= len(c.locs) {
		return nil, fmt.Errorf("column %s: no page location %d", c.leaf.Path, i)
	}
	l := c.locs[i]
	for _, s := range c.spans {
		if l.Offset >= s.off && l.Offset+int64(l.CompressedPageSize) <= s.off+int64(len(s.data)) {
			c.buf, c.bufOff, c.owned = s.data, s.off, false
			break
		}
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
