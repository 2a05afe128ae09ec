package query

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/parquet-go/parquet-go/encoding/delta"
)

// byteColumn is one string or JSON column of a row group as plain bytes:
// every row's value back to back in one buffer, with n+1 offsets, and a
// validity per row (nil: every row present). Null rows have empty spans.
//
// The raw record column and the JSON text columns are read this way,
// straight from their data pages: each page is decompressed once and its
// values are decoded into one buffer sized from the column chunk's
// metadata and recycled after the row group. The general Arrow path grows a
// builder by doubling instead, and copying, zeroing and collecting those
// buffers cost more than the decompression itself on a full column scan.
type byteColumn struct {
	data   []byte
	offs   []uint32
	valid  []bool
	pooled bool // data came from scanBuffers
}

func (c *byteColumn) Len() int { return len(c.offs) - 1 }

// Value returns row i's bytes; they alias the column's buffer.
func (c *byteColumn) Value(i int) []byte { return c.data[c.offs[i]:c.offs[i+1]] }

// IsNull reports whether row i has no value (the field or a parent absent).
func (c *byteColumn) IsNull(i int) bool { return c.valid != nil && !c.valid[i] }

// release returns the buffer to the pool; the column must not be used after.
func (c *byteColumn) release() {
	if c.pooled {
		scanBuffers.Free(c.data)
	}
	c.data, c.offs, c.valid, c.pooled = nil, nil, nil, false
}

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
// column. A parent group's absence makes the row null, as with leaf.
func (b *batch) bytes(path string) (*byteColumn, bool, error) {
	if c, ok := b.byteCols[path]; ok {
		return c, true, nil
	}
	col, ok := b.df.cols[path]
	if !ok {
		return nil, false, nil
	}
	c, ok, err := readBytePages(b.df, b.rg, col, b.n)
	if err != nil {
		return nil, false, fmt.Errorf("read %s of %s: %w", path, b.df.path, err)
	}
	if ok {
		if b.st != nil {
			b.st.ColumnsRead++
		}
	} else {
		// An encoding the page path does not decode: the general path.
		if c, err = b.bytesFromArrow(path); err != nil {
			return nil, false, err
		}
	}
	if c.Len() != b.n {
		c.release()
		return nil, false, fmt.Errorf("read %s of %s: %d values for %d rows", path, b.df.path, c.Len(), b.n)
	}
	if b.byteCols == nil {
		b.byteCols = map[string]*byteColumn{}
	}
	b.byteCols[path] = c
	return c, true, nil
}

// readBytePages decodes a non-repeated BYTE_ARRAY column chunk whose data
// pages are DELTA_LENGTH_BYTE_ARRAY encoded (what ctq writes for the raw
// record, the JSON text columns and the unique-valued id columns), version
// 2 pages when the column is optional. ok is false, with no error, for
// anything else: dictionary encoding, other encodings, version 1 pages of
// optional columns.
func readBytePages(df *dataFile, rg, col, rows int) (c *byteColumn, ok bool, err error) {
	sch := df.pf.MetaData().Schema.Column(col)
	maxDef := int(sch.MaxDefinitionLevel())
	if sch.PhysicalType() != parquet.Types.ByteArray || sch.MaxRepetitionLevel() != 0 {
		return nil, false, nil
	}
	rgr := df.pf.RowGroup(rg)
	cc, err := rgr.MetaData().ColumnChunk(col)
	if err != nil {
		return nil, false, err
	}
	if cc.HasDictionaryPage() {
		return nil, false, nil
	}
	// The uncompressed size bounds the values' bytes (it also counts page
	// headers, lengths and levels), so the buffer is allocated once.
	size := cc.TotalUncompressedSize()
	start, clen := cc.DataPageOffset(), cc.TotalCompressedSize()
	if size < 0 || size > 1<<32-1 || start < 0 || clen < 0 {
		return nil, false, nil
	}
	pr, err := chunkPageReader(df, cc, start, clen)
	if err != nil {
		return nil, false, err
	}
	defer closePages(pr)
	c = &byteColumn{data: scanBuffers.Allocate(int(size))[:0], offs: make([]uint32, 1, rows+1), pooled: true}
	if maxDef > 0 {
		c.valid = make([]bool, 0, rows)
	}
	ok, err = decodeBytePages(c, pr, rg, rows, maxDef)
	if !ok {
		c.release()
		return nil, false, err
	}
	return c, true, nil
}

// decodeBytePages appends the values of every page to c. The page reader
// panics on some corrupt page headers; that is reported as an error.
func decodeBytePages(c *byteColumn, pr file.PageReader, rg, rows, maxDef int) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("row group %d page at row %d: corrupt page (%v)", rg, c.Len(), r)
		}
	}()
	var vals []byte
	var offs []uint32
	var defs []uint8
	for pr.Next() {
		dp, ok, err := splitDataPage(pr.Page(), maxDef, defs)
		if err != nil {
			return false, fmt.Errorf("row group %d page at row %d: %w", rg, c.Len(), err)
		}
		if !ok {
			return false, nil
		}
		data, nvals, enc := dp.values, dp.rows, dp.enc
		defs = dp.defs
		if enc != parquet.Encodings.DeltaLengthByteArray {
			return false, nil
		}
		if c.Len()+nvals > rows {
			return false, fmt.Errorf("row group %d: more than %d values", rg, rows)
		}
		base := uint32(len(c.data))
		// Decode into the free tail of the column buffer: the values land
		// in place when they fit, as the chunk size promises.
		vals, offs, err = deltaLength.DecodeByteArray(c.data[len(c.data):], data, offs)
		if err != nil {
			return false, fmt.Errorf("row group %d page at row %d: %w", rg, c.Len(), err)
		}
		if uint64(base)+uint64(len(vals)) > 1<<32-1 {
			return false, nil
		}
		if n := len(c.data); len(vals) > 0 && len(vals) <= cap(c.data)-n && &c.data[:n+1][n] == &vals[0] {
			c.data = c.data[:n+len(vals)]
		} else {
			c.data = append(c.data, vals...)
		}
		if len(offs) == 0 {
			offs = append(offs, 0)
		}
		nv := len(offs) - 1 // values the page holds
		if maxDef == 0 {
			if nv != nvals {
				return false, fmt.Errorf("row group %d page at row %d: %d values for %d rows", rg, c.Len(), nv, nvals)
			}
			for _, o := range offs[1:] {
				c.offs = append(c.offs, base+o)
			}
			continue
		}
		v := 0
		for _, d := range defs {
			present := int(d) == maxDef
			c.valid = append(c.valid, present)
			if present {
				if v >= nv {
					return false, fmt.Errorf("row group %d page at row %d: levels promise more than %d values", rg, c.Len(), nv)
				}
				v++
			}
			c.offs = append(c.offs, base+offs[v])
		}
		if v != nv {
			return false, fmt.Errorf("row group %d page at row %d: %d values for %d present rows", rg, c.Len(), nv, v)
		}
	}
	if err := pr.Err(); err != nil {
		return false, err
	}
	return true, nil
}

var deltaLength = &delta.LengthByteArrayEncoding{}

// bytesFromArrow reads a column through the Arrow reader and copies it into
// a byteColumn.
func (b *batch) bytesFromArrow(path string) (*byteColumn, error) {
	arr, ok, err := b.leaf(path)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s has no %s column", b.df.path, path)
	}
	var get func(int) string
	switch a := arr.(type) {
	case *array.String, *array.Dictionary:
		get = stringGetter(a)
	case *array.Binary: // the JSON logical type reads as binary
		get = a.ValueString
	default:
		return nil, fmt.Errorf("column %s: unexpected type %s", path, arr.DataType())
	}
	c := &byteColumn{offs: make([]uint32, 1, arr.Len()+1)}
	if arr.NullN() > 0 {
		c.valid = make([]bool, arr.Len())
	}
	for i := 0; i < arr.Len(); i++ {
		if c.valid != nil {
			c.valid[i] = arr.IsValid(i)
		}
		if arr.IsValid(i) {
			c.data = append(c.data, get(i)...)
		}
		c.offs = append(c.offs, uint32(len(c.data)))
	}
	return c, nil
}
