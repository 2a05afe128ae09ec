package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/pqread"
)

// dataFile is one open Parquet file of the lake, read by ranges.
type dataFile struct {
	path     string
	ra       objstore.ReaderAt
	pf       *pqread.File
	coalesce *pqread.Coalesce // a remote file's ranged reads; nil: local (prefetch.go)
}

// openDataFile reads a file's footer (from cache when it holds the footer
// of this object version). The dataFile owns ra: Close closes it.
func openDataFile(path string, ra objstore.ReaderAt, cache *pqread.FooterCache, version string) (*dataFile, error) {
	pf, err := pqread.Open(path, ra, ra.Size(), cache, version)
	if err != nil {
		return nil, err
	}
	return &dataFile{path: path, ra: ra, pf: pf, coalesce: coalesceFor(ra)}, nil
}

func (df *dataFile) Close() error { return df.ra.Close() }

// leaf returns the file's leaf column with the dotted path.
func (df *dataFile) leaf(path string) (int, *pqread.Leaf, bool) {
	i, ok := df.pf.Column(path)
	if !ok {
		return 0, nil, false
	}
	return i, &df.pf.Leaves[i], true
}

// batch is one row group being evaluated. Columns are read on first use
// and kept until release.
type batch struct {
	ctx  context.Context
	df   *dataFile
	rg   int
	n    int
	meta *rowGroupMeta
	st   *Stats

	cols   map[string]*pqread.Column // decoded columns by path
	pooled []*pqread.Column          // columns whose Data came from scanBuffers
	arrays map[string]arrow.Array    // Arrow views of typed columns, by path

	pageIndex map[string]*pageBounds // page indexes read for pruning, by path (nil: none)

	nullsRead bool            // the ctqNulls dictionary was looked at
	nullPaths map[string]bool // every path some row has as JSON null; nil: unknown

	// Planned reads of a remote file (prefetch.go).
	plan      []int             // columns whose chunks the next chunk read fetches with it
	fetched   []*pqread.Fetched // the chunks fetched so
	consuming bool              // the consumer has the batch
	consumed  []string          // columns the consumer read first
}

func (b *batch) release() {
	for _, a := range b.arrays {
		a.Release()
	}
	for _, c := range b.pooled {
		scanBuffers.Free(c.Data)
		c.Data = nil
	}
	for _, c := range b.cols {
		scanColumns.Put(c)
	}
	for _, fe := range b.fetched {
		fe.Release()
	}
	b.arrays, b.cols, b.pooled, b.plan, b.fetched = nil, nil, nil, nil, nil
}

// scanColumns recycles the decoded columns of released batches: their
// level, index and offset buffers serve the next row group's columns
// instead of growing anew for each.
var scanColumns sync.Pool

// newScanColumn returns an empty column for leaf, recycled when one is.
func newScanColumn(leaf *pqread.Leaf) *pqread.Column {
	c, _ := scanColumns.Get().(*pqread.Column)
	if c == nil {
		return pqread.NewColumn(leaf)
	}
	c.Leaf = leaf
	c.Reset()
	return c
}

// column returns the decoded column chunk of the row group, read on first
// use; ok is false when the file has no such column.
func (b *batch) column(path string) (*pqread.Column, bool, error) {
	if c, ok := b.cols[path]; ok {
		return c, true, nil
	}
	col, leaf, ok := b.df.leaf(path)
	if !ok {
		return nil, false, nil
	}
	if err := b.ctx.Err(); err != nil {
		return nil, false, err
	}
	c := newScanColumn(leaf)
	cc := b.df.pf.Chunk(b.rg, col)
	if leaf.Type == format.ByteArray && cc.DictionaryPageOffset <= 0 && cc.TotalUncompressedSize > 0 && cc.TotalUncompressedSize < 1<<32 {
		// The uncompressed size bounds the values' bytes (it also counts
		// page headers, lengths and levels): one buffer, decoded in place.
		c.Data = scanBuffers.Allocate(int(cc.TotalUncompressedSize))[:0]
		b.pooled = append(b.pooled, c)
	}
	if err := b.readChunk(col, c, nil); err != nil {
		return nil, false, fmt.Errorf("read %s of %s: %w", path, b.df.path, err)
	}
	if rows := c.Rows(); rows != b.n {
		return nil, false, fmt.Errorf("read %s of %s: row group %d: %d values for %d rows", path, b.df.path, b.rg, rows, b.n)
	}
	if b.cols == nil {
		b.cols = map[string]*pqread.Column{}
	}
	b.cols[path] = c
	if b.consuming {
		b.consumed = append(b.consumed, path)
	}
	if b.st != nil {
		b.st.ColumnsRead++
	}
	return c, true, nil
}

// readChunk decodes every page of a column chunk of the row group into
// c: from the bytes the batch fetched with its planned reads, else with
// one ranged read of the chunk. With page set, c holds one page at a time
// (reset before each) and page is called once each page is decoded.
func (b *batch) readChunk(col int, c *pqread.Column, page func() error) error {
	rg := b.rg
	pre, err := b.chunkBytes(col)
	if err != nil {
		return fmt.Errorf("row group %d: %w", rg, err)
	}
	cr, err := b.df.pf.OpenChunk(rg, col, 0, pre, scanBuffers)
	if err != nil {
		return err
	}
	defer cr.Release()
	for {
		p, err := cr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("row group %d: %w", rg, err)
		}
		if page != nil {
			c.Reset()
		}
		if err := c.Append(p); err != nil {
			return fmt.Errorf("row group %d page at row %d: %w", rg, c.Len(), err)
		}
		if page != nil {
			if err := page(); err != nil {
				return err
			}
		}
	}
}

// leaf returns a typed (boolean or timestamp) leaf column of the row group
// as an Arrow array, with nulls where the value or an enclosing group is
// absent; ok is false when the file has no such column.
func (b *batch) leaf(path string) (arrow.Array, bool, error) {
	if a, ok := b.arrays[path]; ok {
		return a, true, nil
	}
	c, ok, err := b.column(path)
	if err != nil || !ok {
		return nil, ok, err
	}
	var a arrow.Array
	switch {
	case c.Leaf.MaxRep > 0:
		return nil, false, fmt.Errorf("column %s of %s: repeated, not a typed leaf", path, b.df.path)
	case c.Leaf.Type == format.Boolean:
		bld := array.NewBooleanBuilder(memory.DefaultAllocator)
		bld.AppendValues(c.Bool, c.Valid)
		a = bld.NewArray()
		bld.Release()
	case c.Leaf.Type == format.Int64 && c.Leaf.Unit != 0:
		bld := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrowUnit(c.Leaf.Unit), TimeZone: "UTC"})
		bld.AppendValues(unsafe.Slice((*arrow.Timestamp)(unsafe.Pointer(unsafe.SliceData(c.Int64))), len(c.Int64)), c.Valid)
		a = bld.NewArray()
		bld.Release()
	default:
		return nil, false, fmt.Errorf("column %s of %s: unsupported type %s", path, b.df.path, c.Leaf.Type)
	}
	if b.arrays == nil {
		b.arrays = map[string]arrow.Array{}
	}
	b.arrays[path] = a
	return a, true, nil
}

func arrowUnit(d time.Duration) arrow.TimeUnit {
	switch d {
	case time.Millisecond:
		return arrow.Millisecond
	case time.Nanosecond:
		return arrow.Nanosecond
	case time.Second:
		return arrow.Second
	}
	return arrow.Microsecond
}
