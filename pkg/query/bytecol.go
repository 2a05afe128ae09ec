package query

import (
	"fmt"
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
