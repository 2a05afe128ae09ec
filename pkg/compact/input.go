package compact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// record is one row of an input file, as compaction needs it. The byte
// slices stay valid until the cursor advances.
type record struct {
	time    int64
	id      []byte
	hasID   bool
	raw     []byte
	src     []byte
	srcIdx  int32
	ordinal int // input number, to break ties deterministically
}

// Column indexes into cursor.cols.
const (
	colTime = iota
	colID
	colRaw
	colSrc
	colSrcIdx
	numCols
)

var columnNames = [numCols]string{"eventTime", "eventID", ingest.ColRaw, ingest.ColSourceKey, ingest.ColSourceIndex}

// cursor streams the rows of one data file, page by page, reading only the
// columns compaction needs. Memory is one page per column.
type cursor struct {
	path   string
	file   *parquet.File
	closer io.Closer
	cols   []int // the columns read (indexes into columnNames)
	leaf   [numCols]int
	rg     int
	pages  [numCols]*columnCursor
	rec    record
	row    int64 // rows read so far
}

// inputReadBuffer is the read size of an input column: on S3 each read is
// one ranged GET, so it is large enough to keep requests few, and small
// enough that open inputs (a few columns each) stay a few MiB.
const inputReadBuffer = 1 << 20

// openInput opens a lake file for streaming, through ranged reads of the
// bucket (pread on local files, ranged GETs on S3): only the footer and
// the pages of the columns read are fetched.
func openInput(ctx context.Context, lake *partition.Lake, f partition.File, cols []int) (*cursor, error) {
	key, err := lake.DataKey(ctx, f)
	if err != nil {
		return nil, err
	}
	ra, _, err := lake.Bucket().OpenReaderAt(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Path, err)
	}
	pf, err := parquet.OpenFile(ra, ra.Size(), parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true), parquet.ReadBufferSize(inputReadBuffer))
	if err != nil {
		ra.Close()
		return nil, fmt.Errorf("open data file %s: %w", f.Path, err)
	}
	c := &cursor{path: f.Path, file: pf, closer: ra, cols: cols, rg: -1}
	for _, ci := range cols {
		leaf, ok := pf.Schema().Lookup(columnNames[ci])
		if !ok {
			ra.Close()
			return nil, fmt.Errorf("data file %s has no column %s", f.Path, columnNames[ci])
		}
		c.leaf[ci] = leaf.ColumnIndex
	}
	return c, nil
}

// next advances to the next row; it returns io.EOF after the last.
func (c *cursor) next() error {
	for {
		if c.rg >= 0 {
			err := c.readRow()
			if err == nil {
				c.row++
				return nil
			}
			if !errors.Is(err, io.EOF) {
				return fmt.Errorf("read %s row %d: %w", c.path, c.row, err)
			}
			c.closePages()
		}
		c.rg++
		if c.rg >= len(c.file.RowGroups()) {
			return io.EOF
		}
		chunks := c.file.RowGroups()[c.rg].ColumnChunks()
		for _, ci := range c.cols {
			c.pages[ci] = &columnCursor{pages: chunks[c.leaf[ci]].Pages()}
		}
	}
}

func (c *cursor) readRow() error {
	r := &c.rec
	for _, ci := range c.cols {
		v, err := c.pages[ci].next()
		if err != nil {
			if errors.Is(err, io.EOF) && ci != c.cols[0] {
				return fmt.Errorf("column %s ends before the others", columnNames[ci])
			}
			return err
		}
		switch ci {
		case colTime:
			r.time = 0
			if !v.IsNull() {
				r.time = v.Int64()
			}
		case colID:
			r.hasID = !v.IsNull()
			r.id = append(r.id[:0], v.ByteArray()...)
		case colRaw:
			r.raw = append(r.raw[:0], v.ByteArray()...)
		case colSrc:
			// Consecutive rows mostly share the source key.
			if b := v.ByteArray(); !bytes.Equal(b, r.src) {
				r.src = append(r.src[:0], b...)
			}
		case colSrcIdx:
			r.srcIdx = v.Int32()
		}
	}
	return nil
}

func (c *cursor) closePages() {
	for i, p := range c.pages {
		if p != nil {
			p.close()
			c.pages[i] = nil
		}
	}
}

func (c *cursor) close() error {
	c.closePages()
	return c.closer.Close()
}

// columnCursor yields the values of one flat column chunk, page by page.
type columnCursor struct {
	pages parquet.Pages
	page  parquet.Page
	vr    parquet.ValueReader
	buf   [256]parquet.Value
	i, n  int
}

// next returns the next value; it is valid until the following call.
func (cc *columnCursor) next() (parquet.Value, error) {
	for cc.i >= cc.n {
		if cc.vr != nil {
			n, err := cc.vr.ReadValues(cc.buf[:])
			cc.i, cc.n = 0, n
			if n > 0 {
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return parquet.Value{}, err
			}
			parquet.Release(cc.page)
			cc.page, cc.vr = nil, nil
		}
		p, err := cc.pages.ReadPage()
		if err != nil {
			return parquet.Value{}, err
		}
		cc.page, cc.vr = p, p.Values()
	}
	v := cc.buf[cc.i]
	cc.i++
	return v, nil
}

func (cc *columnCursor) close() {
	if cc.page != nil {
		parquet.Release(cc.page)
		cc.page = nil
	}
	cc.pages.Close()
}
