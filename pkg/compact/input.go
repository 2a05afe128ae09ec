package compact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/pqread"
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
// columns compaction needs, through the same reader as queries
// (pkg/pqread). Memory is one read window and one page per column.
type cursor struct {
	path   string
	file   *pqread.File
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
// the column chunks read are fetched.
func openInput(ctx context.Context, lake *partition.Lake, f partition.File, cols []int) (*cursor, error) {
	key, err := lake.DataKey(ctx, f)
	if err != nil {
		return nil, err
	}
	ra, _, err := lake.Bucket().OpenReaderAt(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Path, err)
	}
	pf, err := pqread.Open(f.Path, ra, ra.Size(), nil, "")
	if err != nil {
		ra.Close()
		return nil, fmt.Errorf("open data file: %w", err)
	}
	c := &cursor{path: f.Path, file: pf, closer: ra, cols: cols, rg: -1}
	for _, ci := range cols {
		leaf, ok := pf.Column(columnNames[ci])
		if !ok {
			ra.Close()
			return nil, fmt.Errorf("data file %s has no column %s", f.Path, columnNames[ci])
		}
		c.leaf[ci] = leaf
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
		if c.rg >= c.file.NumRowGroups() {
			return io.EOF
		}
		for _, ci := range c.cols {
			cr, err := c.file.OpenChunk(c.rg, c.leaf[ci], inputReadBuffer, nil, nil)
			if err != nil {
				return fmt.Errorf("read %s: %w", c.path, err)
			}
			c.pages[ci] = &columnCursor{cr: cr, col: pqread.NewColumn(&c.file.Leaves[c.leaf[ci]])}
		}
	}
}

func (c *cursor) readRow() error {
	r := &c.rec
	for _, ci := range c.cols {
		col, i, err := c.pages[ci].next()
		if err != nil {
			if errors.Is(err, io.EOF) && ci != c.cols[0] {
				return fmt.Errorf("column %s ends before the others", columnNames[ci])
			}
			return err
		}
		null := col.Valid != nil && !col.Valid[i]
		switch ci {
		case colTime:
			r.time = 0
			if !null && i < len(col.Int64) {
				r.time = col.Int64[i]
			}
		case colID:
			r.hasID = !null
			r.id = append(r.id[:0], col.Value(i)...)
		case colRaw:
			r.raw = append(r.raw[:0], col.Value(i)...)
		case colSrc:
			// Consecutive rows mostly share the source key.
			if b := col.Value(i); !bytes.Equal(b, r.src) {
				r.src = append(r.src[:0], b...)
			}
		case colSrcIdx:
			r.srcIdx = 0
			if !null && i < len(col.Int32) {
				r.srcIdx = col.Int32[i]
			}
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

// columnCursor yields the values of one flat column chunk, decoding one
// page at a time.
type columnCursor struct {
	cr  *pqread.ChunkReader
	col *pqread.Column // the current page's values (and the chunk's dictionary)
	i   int
}

// next returns the column holding the next value and its index there; it
// is valid until the following call.
func (cc *columnCursor) next() (*pqread.Column, int, error) {
	for cc.i >= cc.col.Len() {
		cc.col.Truncate()
		cc.i = 0
		p, err := cc.cr.Next()
		if err != nil {
			return nil, 0, err
		}
		if err := cc.col.Append(p); err != nil {
			return nil, 0, err
		}
	}
	cc.i++
	return cc.col, cc.i - 1, nil
}

func (cc *columnCursor) close() { cc.cr.Release() }
