package query

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// dataFile is one open Parquet file of the lake.
type dataFile struct {
	path   string
	ra     objstore.ReaderAt // the object, read by ranges
	src    parquet.ReaderAtSeeker
	pf     *file.Reader
	fr     *pqarrow.FileReader
	cols   map[string]int // leaf column index by dotted path ("userIdentity.type", "ctqNulls.list.element")
	dict   map[int]bool   // leaf columns whose chunks are dictionary encoded
	blooms *metadata.BloomFilterReader
}

// openDataFile opens a Parquet file for column reads. The dataFile owns ra:
// Close closes it.
func openDataFile(path string, ra objstore.ReaderAt) (*dataFile, error) {
	r := io.NewSectionReader(ra, 0, ra.Size())
	pf, err := file.NewParquetReader(r)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sch := pf.MetaData().Schema
	df := &dataFile{path: path, ra: ra, src: r, pf: pf, cols: make(map[string]int, sch.NumColumns()), dict: map[int]bool{}}
	for i := 0; i < sch.NumColumns(); i++ {
		c := sch.Column(i)
		df.cols[c.Path()] = i
		// When a column goes through the Arrow reader, dictionary arrays are
		// requested for non-repeated string columns; list elements are read plain.
		if pf.NumRowGroups() > 0 && c.PhysicalType() == parquet.Types.ByteArray && c.MaxRepetitionLevel() == 0 {
			if cc, err := pf.MetaData().RowGroup(0).ColumnChunk(i); err == nil && cc.HasDictionaryPage() {
				df.dict[i] = true
			}
		}
	}
	df.blooms = pf.GetBloomFilterReader()
	return df, nil
}

// arrow returns the file's Arrow reader, made on first use: building its
// schema manifest costs about as much as a small column read, and scans
// that only read byte columns (raw records, JSON text) never need it.
func (df *dataFile) arrow() (*pqarrow.FileReader, error) {
	if df.fr != nil {
		return df.fr, nil
	}
	props := pqarrow.ArrowReadProperties{BatchSize: 1 << 20}
	for i := range df.dict {
		props.SetReadDict(i, true)
	}
	fr, err := pqarrow.NewFileReader(df.pf, props, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", df.path, err)
	}
	df.fr = fr
	return fr, nil
}

func (df *dataFile) Close() error {
	err := df.pf.Close()
	if cerr := df.ra.Close(); err == nil {
		err = cerr
	}
	return err
}

// batch is one row group being evaluated. Columns are read on first use.
type batch struct {
	ctx  context.Context
	df   *dataFile
	rg   int
	n    int
	meta *rowGroupMeta
	data map[int]arrow.Array
	st   *Stats

	byteCols map[string]*byteColumn // columns read by bytes, by path
	dictCols map[string]*dictColumn // columns read by dict, by path (nil: not dictionary encoded)

	nullsRead bool            // the ctqNulls dictionary was looked at
	nullPaths map[string]bool // every path some row has as JSON null; nil: unknown
}

func (b *batch) release() {
	for _, a := range b.data {
		a.Release()
	}
	for _, c := range b.byteCols {
		c.release()
	}
	b.byteCols = nil
}

// leaf returns the array of a leaf column (by dotted path) for the row group,
// with the validity of its enclosing groups folded in: a row is valid only
// if the value and all its parents are present. ok is false when the file
// has no such column.
func (b *batch) leaf(path string) (arrow.Array, bool, error) {
	col, ok := b.df.cols[path]
	if !ok {
		return nil, false, nil
	}
	if a, ok := b.data[col]; ok {
		return a, true, nil
	}
	if b.data == nil {
		b.data = map[int]arrow.Array{}
	}
	fr, err := b.df.arrow()
	if err != nil {
		return nil, false, err
	}
	rr, err := fr.GetRecordReader(b.ctx, []int{col}, []int{b.rg})
	if err != nil {
		return nil, false, fmt.Errorf("read %s of %s: %w", path, b.df.path, err)
	}
	defer rr.Release()
	var parts []arrow.Array
	for rr.Next() {
		rec := rr.Record()
		if rec == nil || rec.NumCols() != 1 || rec.Column(0) == nil {
			break // rr.Err says why
		}
		parts = append(parts, extractLeaf(rec.Column(0), b.df.leafSteps(col)))
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		for _, p := range parts {
			p.Release()
		}
		return nil, false, fmt.Errorf("read %s of %s: %w", path, b.df.path, err)
	}
	var a arrow.Array
	switch len(parts) {
	case 0:
		return nil, false, fmt.Errorf("read %s of %s: no data", path, b.df.path)
	case 1:
		a = parts[0]
	default:
		a, err = array.Concatenate(parts, memory.DefaultAllocator)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			return nil, false, err
		}
	}
	if a.Len() != b.n {
		a.Release()
		return nil, false, fmt.Errorf("read %s of %s: %d values for %d rows", path, b.df.path, a.Len(), b.n)
	}
	b.data[col] = a
	if b.st != nil {
		b.st.ColumnsRead++
	}
	return a, true, nil
}

// leafSteps returns the struct field names from the top-level field down to
// the leaf, skipping list levels (the list array itself is the leaf then).
func (df *dataFile) leafSteps(col int) []string {
	path := df.pf.MetaData().Schema.Column(col).ColumnPath()
	var steps []string
	for i := 1; i < len(path); i++ {
		if path[i] == "list" {
			break
		}
		steps = append(steps, path[i])
	}
	return steps
}

// extractLeaf walks struct fields by name and returns the leaf with parent
// nulls folded into its validity. The result is a new reference.
func extractLeaf(a arrow.Array, steps []string) arrow.Array {
	cur := a
	cur.Retain()
	for _, name := range steps {
		st, ok := cur.(*array.Struct)
		if !ok {
			break
		}
		idx, ok := st.DataType().(*arrow.StructType).FieldIdx(name)
		if !ok {
			break
		}
		child := st.Field(idx)
		next := foldNulls(st, child)
		cur.Release()
		cur = next
	}
	return cur
}

// foldNulls returns child with the parent's nulls applied (a new reference).
func foldNulls(parent, child arrow.Array) arrow.Array {
	if parent.NullN() == 0 {
		child.Retain()
		return child
	}
	data := child.Data()
	n, off := child.Len(), data.Offset()
	bits := make([]byte, (off+n+7)/8) // validity is indexed from the data's offset
	nulls := 0
	for i := 0; i < n; i++ {
		if parent.IsValid(i) && child.IsValid(i) {
			j := off + i
			bits[j/8] |= 1 << (j % 8)
		} else {
			nulls++
		}
	}
	bufs := append([]*memory.Buffer{memory.NewBufferBytes(bits)}, data.Buffers()[1:]...)
	nd := array.NewData(data.DataType(), n, bufs, data.Children(), nulls, data.Offset())
	if d := data.Dictionary(); d != nil {
		nd.SetDictionary(d)
	}
	out := array.MakeFromData(nd)
	nd.Release()
	return out
}
