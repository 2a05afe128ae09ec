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

// keepStringColumn keeps the rows of a string column whose value passes
// test, reading the column from its pages (dictionary-encoded or plain).
// handled is false when the column is missing or is not a non-repeated
// string column; the caller then uses leaf.
func (b *batch) keepStringColumn(path string, test func(string) bool, sel *bitmap) (handled bool, err error) {
	if !b.df.stringLeaf(path) {
		return false, nil
	}
	d, ok, err := b.dict(path)
	if err != nil {
		return true, err
	}
	if ok {
		t := d.table(test)
		sel.keep(func(i int) bool { x := d.idx[i]; return x >= 0 && t[x] })
		return true, nil
	}
	c, ok, err := b.bytes(path)
	if err != nil || !ok {
		return err != nil, err
	}
	sel.keep(func(i int) bool { return !c.IsNull(i) && test(string(c.Value(i))) })
	return true, nil
}

// present returns whether each row has a value in a string column, or ok =
// false when the column is missing or is not a non-repeated string column.
func (b *batch) present(path string) (valid func(int) bool, ok bool, err error) {
	if !b.df.stringLeaf(path) {
		return nil, false, nil
	}
	d, ok, err := b.dict(path)
	if err != nil {
		return nil, false, err
	}
	if ok {
		return func(i int) bool { return d.idx[i] >= 0 }, true, nil
	}
	c, ok, err := b.bytes(path)
	if err != nil || !ok {
		return nil, false, err
	}
	return func(i int) bool { return !c.IsNull(i) }, true, nil
}

// stringAt returns a reader of a string column's values ("" for null or a
// missing column), from its pages when it can and through Arrow otherwise.
func (b *batch) stringAt(path string) (func(int) string, error) {
	if _, ok := b.df.cols[path]; !ok {
		return func(int) string { return "" }, nil
	}
	if b.df.stringLeaf(path) {
		d, ok, err := b.dict(path)
		if err != nil {
			return nil, err
		}
		if ok {
			all := string(d.values.data)
			return func(i int) string {
				if x := d.idx[i]; x >= 0 {
					return all[d.values.offs[x]:d.values.offs[x+1]]
				}
				return ""
			}, nil
		}
		c, ok, err := b.bytes(path)
		if err != nil {
			return nil, err
		}
		if ok {
			return func(i int) string { return string(c.Value(i)) }, nil
		}
	}
	arr, _, err := b.leaf(path)
	if err != nil {
		return nil, err
	}
	return stringGetter(arr), nil
}
