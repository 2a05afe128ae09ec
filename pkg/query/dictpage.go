package query

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/parquet-go/parquet-go/encoding/rle"
)

// dictColumn is a dictionary-encoded string column of one row group, read
// straight from its pages: the dictionary's values, and per row the index
// of its value or -1 when the row has none. A predicate runs once per
// dictionary entry and rows only index the result.
//
// Arrow's reader rebuilds every dictionary through a hash table and copies
// the values; for a column such as userAgent, with thousands of distinct
// values per file, that was a quarter of a query's CPU.
type dictColumn struct {
	values *byteColumn
	idx    []int32
}

// table runs test once per dictionary entry.
func (d *dictColumn) table(test func(string) bool) []bool {
	all := string(d.values.data) // one copy; entries are substrings of it
	t := make([]bool, d.values.Len())
	for i := range t {
		t[i] = test(all[d.values.offs[i]:d.values.offs[i+1]])
	}
	return t
}

// dict returns a dictionary-encoded string column of the row group, read on
// first use. ok is false when the file has no such column or the chunk is
// not entirely dictionary encoded; the caller then uses leaf.
func (b *batch) dict(path string) (*dictColumn, bool, error) {
	if d, ok := b.dictCols[path]; ok {
		return d, d != nil, nil
	}
	col, ok := b.df.cols[path]
	if !ok {
		return nil, false, nil
	}
	d, err := readDictColumn(b.df, b.rg, col, b.n)
	if err != nil {
		return nil, false, fmt.Errorf("read %s of %s: %w", path, b.df.path, err)
	}
	if b.dictCols == nil {
		b.dictCols = map[string]*dictColumn{}
	}
	b.dictCols[path] = d // nil: not readable this way, remembered
	if d == nil {
		return nil, false, nil
	}
	if b.st != nil {
		b.st.ColumnsRead++
	}
	return d, true, nil
}

// dictChunk returns the column chunk's metadata when it is a BYTE_ARRAY
// chunk (non-repeated unless repeated is true) whose data pages are all
// dictionary encoded, as its encoding statistics record.
func dictChunk(df *dataFile, rg, col int, repeated bool) (*metadata.ColumnChunkMetaData, bool, error) {
	sch := df.pf.MetaData().Schema.Column(col)
	if sch.PhysicalType() != parquet.Types.ByteArray || (sch.MaxRepetitionLevel() != 0 && !repeated) {
		return nil, false, nil
	}
	cc, err := df.pf.MetaData().RowGroup(rg).ColumnChunk(col)
	if err != nil {
		return nil, false, err
	}
	stats := cc.EncodingStats()
	if !cc.HasDictionaryPage() || len(stats) == 0 {
		return nil, false, nil
	}
	for _, s := range stats {
		if (s.PageType == file.PageTypeDataPage || s.PageType == file.PageTypeDataPageV2) &&
			s.Encoding != parquet.Encodings.RLEDict && s.Encoding != parquet.Encodings.PlainDict {
			return nil, false, nil
		}
	}
	if cc.DictionaryPageOffset() <= 0 || cc.DictionaryPageOffset() >= cc.DataPageOffset() || cc.TotalCompressedSize() < 0 {
		return nil, false, nil
	}
	return cc, true, nil
}

// chunkDictionary returns the distinct values of a column chunk when its
// dictionary page holds all of them. complete is false when that cannot be
// shown (no dictionary, a fallback to plain pages, no encoding
// statistics); the caller then reads the column. Only the dictionary page
// is read: a few hundred bytes for a column such as ctqNulls.
func chunkDictionary(df *dataFile, rg, col int) (values map[string]bool, complete bool, err error) {
	cc, ok, err := dictChunk(df, rg, col, true)
	if !ok || err != nil {
		return nil, false, err
	}
	start := cc.DictionaryPageOffset()
	pr, err := chunkPageReader(df, cc, start, cc.DataPageOffset()-start)
	if err != nil {
		return nil, false, err
	}
	defer closePages(pr)
	dv, err := readDictionaryPage(pr, rg)
	if err != nil || dv == nil {
		return nil, false, err
	}
	values = make(map[string]bool, dv.Len())
	for i := 0; i < dv.Len(); i++ {
		values[string(dv.Value(i))] = true
	}
	return values, true, nil
}

// readDictColumn reads a whole dictionary-encoded chunk: nil, with no
// error, when it is not one.
func readDictColumn(df *dataFile, rg, col, rows int) (*dictColumn, error) {
	cc, ok, err := dictChunk(df, rg, col, false)
	if !ok || err != nil {
		return nil, err
	}
	pr, err := chunkPageReader(df, cc, cc.DictionaryPageOffset(), cc.TotalCompressedSize())
	if err != nil {
		return nil, err
	}
	defer closePages(pr)
	dv, err := readDictionaryPage(pr, rg)
	if err != nil || dv == nil {
		return nil, err
	}
	d := &dictColumn{values: dv, idx: make([]int32, 0, rows)}
	maxDef := int(df.pf.MetaData().Schema.Column(col).MaxDefinitionLevel())
	ok, err = decodeDictPages(d, pr, rg, rows, maxDef)
	if !ok || err != nil {
		return nil, err
	}
	if len(d.idx) != rows {
		return nil, fmt.Errorf("row group %d: %d values for %d rows", rg, len(d.idx), rows)
	}
	return d, nil
}

var dictIndexes = &rle.DictionaryEncoding{}

// decodeDictPages appends each data page's rows to d: ok is false, with no
// error, for pages it does not decode (version 1 pages of optional
// columns, other encodings).
func decodeDictPages(d *dictColumn, pr file.PageReader, rg, rows, maxDef int) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil { // corrupt page headers can panic the reader
			ok, err = false, fmt.Errorf("row group %d page at row %d: corrupt page (%v)", rg, len(d.idx), r)
		}
	}()
	nd := int32(d.values.Len())
	var defs []uint8
	var ix []int32
	for pr.Next() {
		dp, ok, err := splitDataPage(pr.Page(), maxDef, defs)
		if err != nil {
			return false, fmt.Errorf("row group %d page at row %d: %w", rg, len(d.idx), err)
		}
		if !ok {
			return false, nil
		}
		data, nvals, enc := dp.values, dp.rows, dp.enc
		defs = dp.defs
		if enc != parquet.Encodings.RLEDict && enc != parquet.Encodings.PlainDict {
			return false, nil
		}
		if len(d.idx)+nvals > rows {
			return false, fmt.Errorf("row group %d: more than %d values", rg, rows)
		}
		present := nvals
		if maxDef > 0 {
			present = 0
			for _, l := range defs {
				if int(l) == maxDef {
					present++
				}
			}
		}
		if present > 0 {
			if ix, err = dictIndexes.DecodeInt32(ix[:0], data); err != nil {
				return false, fmt.Errorf("row group %d page at row %d: indexes: %w", rg, len(d.idx), err)
			}
			if len(ix) < present {
				return false, fmt.Errorf("row group %d page at row %d: %d indexes for %d values", rg, len(d.idx), len(ix), present)
			}
			ix = ix[:present]
			for _, v := range ix {
				if v < 0 || v >= nd {
					return false, fmt.Errorf("row group %d page at row %d: index %d outside a dictionary of %d", rg, len(d.idx), v, nd)
				}
			}
		}
		if maxDef == 0 {
			d.idx = append(d.idx, ix[:present]...)
			continue
		}
		v := 0
		for _, l := range defs {
			if int(l) == maxDef {
				d.idx = append(d.idx, ix[v])
				v++
			} else {
				d.idx = append(d.idx, -1)
			}
		}
	}
	if err := pr.Err(); err != nil {
		return false, err
	}
	return true, nil
}

// readDictionaryPage reads the first page, which must be a PLAIN dictionary
// page, into a byteColumn; nil, with no error, when it is not one.
func readDictionaryPage(pr file.PageReader, rg int) (dv *byteColumn, err error) {
	defer func() {
		if r := recover(); r != nil { // corrupt page headers can panic the reader
			dv, err = nil, fmt.Errorf("row group %d: corrupt dictionary page (%v)", rg, r)
		}
	}()
	if !pr.Next() {
		return nil, pr.Err()
	}
	dp, ok := pr.Page().(*file.DictionaryPage)
	if !ok || (parquet.Encoding(dp.Encoding()) != parquet.Encodings.Plain && parquet.Encoding(dp.Encoding()) != parquet.Encodings.PlainDict) {
		return nil, nil
	}
	data, n := dp.Data(), int(dp.NumValues())
	if n < 0 || n > len(data)/4 {
		return nil, fmt.Errorf("row group %d: dictionary page of %d bytes claims %d values", rg, len(data), n)
	}
	dv = &byteColumn{data: make([]byte, 0, len(data)-4*n), offs: make([]uint32, 1, n+1)}
	for i := 0; i < n; i++ {
		if len(data) < 4 {
			return nil, fmt.Errorf("row group %d: dictionary page ends at value %d of %d", rg, i, n)
		}
		l := binary.LittleEndian.Uint32(data)
		if uint64(l) > uint64(len(data)-4) {
			return nil, fmt.Errorf("row group %d: dictionary value %d of %d bytes overruns the page", rg, i, l)
		}
		dv.data = append(dv.data, data[4:4+l]...)
		dv.offs = append(dv.offs, uint32(len(dv.data)))
		data = data[4+l:]
	}
	return dv, nil
}
