package query

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go/format"

	"github.com/ctq-dev/ctq/pkg/pqread"
)

// dictColumn is a dictionary-encoded string column of one row group: the
// dictionary's values, and per row the index of its value or -1 when the
// row has none. A predicate runs once per dictionary entry and rows only
// index the result.
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

// tableInto is table with the result in dst's buffer when it is large
// enough, and without copying the dictionary: test must not retain its
// argument, which aliases the batch's buffers.
func (d *dictColumn) tableInto(dst []bool, test func(string) bool) []bool {
	all := unsafe.String(unsafe.SliceData(d.values.data), len(d.values.data))
	t := slices.Grow(dst[:0], d.values.Len())[:d.values.Len()]
	for i := range t {
		t[i] = test(all[d.values.offs[i]:d.values.offs[i+1]])
	}
	return t
}

// dict returns a dictionary-encoded string column of the row group, read on
// first use. ok is false when the file has no such column or the chunk is
// not entirely dictionary encoded; the caller then uses bytes.
func (b *batch) dict(path string) (*dictColumn, bool, error) {
	c, ok, err := b.column(path)
	if err != nil || !ok || !c.Dictionary() {
		return nil, false, err
	}
	return &dictColumn{values: &byteColumn{data: c.Dict.Data, offs: c.Dict.Offs}, idx: c.Idx}, true, nil
}

// chunkDictionary returns the distinct values of a column chunk when its
// dictionary page holds all of them. complete is false when that cannot be
// shown (no dictionary, a fallback to plain pages, no encoding
// statistics); the caller then reads the column. Only the dictionary page
// is read: a few hundred bytes for a column such as ctqNulls. pre, when
// not nil, holds the whole chunk already.
func chunkDictionary(df *dataFile, rg, col int, pre []byte) (values map[string]bool, complete bool, err error) {
	cc := df.pf.Chunk(rg, col)
	if df.pf.Leaves[col].Type != format.ByteArray || cc.DictionaryPageOffset <= 0 || cc.DictionaryPageOffset >= cc.DataPageOffset || len(cc.EncodingStats) == 0 {
		return nil, false, nil
	}
	for _, s := range cc.EncodingStats {
		if (s.PageType == format.DataPage || s.PageType == format.DataPageV2) &&
			s.Encoding != format.RLEDictionary && s.Encoding != format.PlainDictionary {
			return nil, false, nil
		}
	}
	// The window covers the dictionary page: it is all that is fetched.
	cr, err := df.pf.OpenChunk(rg, col, int(cc.DataPageOffset-cc.DictionaryPageOffset), pre, scanBuffers)
	if err != nil {
		return nil, false, err
	}
	defer cr.Release()
	p, err := cr.Next()
	if errors.Is(err, io.EOF) || (err == nil && !p.Dict) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("row group %d: %w", rg, err)
	}
	c := pqread.NewColumn(&df.pf.Leaves[col])
	if err := c.Append(p); err != nil {
		return nil, false, fmt.Errorf("row group %d: %w", rg, err)
	}
	values = make(map[string]bool, c.Dict.Len())
	for i := 0; i < c.Dict.Len(); i++ {
		values[string(c.Dict.Value(i))] = true
	}
	return values, true, nil
}
