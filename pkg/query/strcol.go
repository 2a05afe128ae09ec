package query

import "github.com/apache/arrow-go/v18/parquet"

// String columns as the filters see them: read from their pages when the
// page decoders handle the chunk (dictColumn, byteColumn), through Arrow
// otherwise.

// stringLeaf reports whether path is a non-repeated string (BYTE_ARRAY)
// column of the file: the columns the page readers may decode.
func (df *dataFile) stringLeaf(path string) bool {
	col, ok := df.cols[path]
	if !ok || df.pf == nil { // no Parquet reader: columns come as Arrow arrays only
		return false
	}
	c := df.pf.MetaData().Schema.Column(col)
	return c.PhysicalType() == parquet.Types.ByteArray && c.MaxRepetitionLevel() == 0
}

// pageStrings is a string column of a row group read from its pages:
// exactly one of dict and plain is set.
type pageStrings struct {
	dict  *dictColumn
	plain *byteColumn
}

func (ps pageStrings) valid(i int) bool {
	if ps.dict != nil {
		return ps.dict.idx[i] >= 0
	}
	return !ps.plain.IsNull(i)
}

// pageStrings reads a string column from its pages, dictionary-encoded or
// plain. ok is false when the column is missing, is not a non-repeated
// string column, or has pages only Arrow decodes; the caller then uses leaf.
func (b *batch) pageStrings(path string) (pageStrings, bool, error) {
	if !b.df.stringLeaf(path) {
		return pageStrings{}, false, nil
	}
	d, ok, err := b.dict(path)
	if err != nil || ok {
		return pageStrings{dict: d}, ok, err
	}
	c, ok, err := b.bytes(path)
	return pageStrings{plain: c}, ok, err
}

// keepStringColumn keeps the rows of a string column whose value passes
// test; on a dictionary the test runs once per entry. handled is false when
// the column cannot be read from its pages; the caller then uses leaf.
func (b *batch) keepStringColumn(path string, test func(string) bool, sel *bitmap) (handled bool, err error) {
	ps, ok, err := b.pageStrings(path)
	if err != nil || !ok {
		return err != nil, err
	}
	if d := ps.dict; d != nil {
		t := d.table(test)
		sel.keep(func(i int) bool { x := d.idx[i]; return x >= 0 && t[x] })
		return true, nil
	}
	c := ps.plain
	sel.keep(func(i int) bool { return !c.IsNull(i) && test(string(c.Value(i))) })
	return true, nil
}

// present returns whether each row has a value in a string column, or ok =
// false when the column cannot be read from its pages.
func (b *batch) present(path string) (valid func(int) bool, ok bool, err error) {
	ps, ok, err := b.pageStrings(path)
	if err != nil || !ok {
		return nil, false, err
	}
	return ps.valid, true, nil
}

// stringAt returns a reader of a string column's values ("" for null or a
// missing column), from its pages when it can and through Arrow otherwise.
func (b *batch) stringAt(path string) (func(int) string, error) {
	if _, ok := b.df.cols[path]; !ok {
		return func(int) string { return "" }, nil
	}
	ps, ok, err := b.pageStrings(path)
	if err != nil {
		return nil, err
	}
	switch {
	case ok && ps.dict != nil:
		d := ps.dict
		all := string(d.values.data)
		return func(i int) string {
			if x := d.idx[i]; x >= 0 {
				return all[d.values.offs[x]:d.values.offs[x+1]]
			}
			return ""
		}, nil
	case ok:
		return func(i int) string { return string(ps.plain.Value(i)) }, nil
	}
	arr, _, err := b.leaf(path)
	if err != nil {
		return nil, err
	}
	return stringGetter(arr), nil
}
