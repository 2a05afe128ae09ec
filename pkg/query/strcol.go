package query

import (
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go/format"
)

// String columns as the filters see them: dictionary codes when every page
// of the chunk is dictionary encoded (dictColumn), values otherwise
// (byteColumn).

// stringLeaf reports whether path is a non-repeated string (BYTE_ARRAY)
// column of the file.
func (df *dataFile) stringLeaf(path string) bool {
	_, l, ok := df.leaf(path)
	return ok && l.Type == format.ByteArray && l.MaxRep == 0
}

// pageStrings is a string column of a row group: exactly one of dict and
// plain is set.
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

// pageStrings reads a string column, dictionary-encoded or plain. ok is
// false when the column is missing or not a non-repeated string column.
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
// test; on a dictionary the test runs once per entry. test must not retain
// its argument. handled is false when the column is not a string column of
// the file.
func (b *batch) keepStringColumn(path string, test func(string) bool, sel *bitmap) (handled bool, err error) {
	ps, ok, err := b.pageStrings(path)
	if err != nil || !ok {
		return err != nil, err
	}
	if d := ps.dict; d != nil {
		t, _ := dictTables.Get().(*[]bool)
		if t == nil {
			t = new([]bool)
		}
		*t = d.tableInto(*t, test)
		sel.keepIndexed(d.idx, *t)
		dictTables.Put(t)
		return true, nil
	}
	c := ps.plain
	sel.keep(func(i int) bool { return !c.IsNull(i) && test(string(c.Value(i))) })
	return true, nil
}

// dictTables recycles the per-entry results of keepStringColumn: a pack
// of rules computes one per rule, dictionary column and row group.
var dictTables sync.Pool

// present returns whether each row has a value in a string column, or ok =
// false when the column is not a string column of the file.
func (b *batch) present(path string) (valid func(int) bool, ok bool, err error) {
	ps, ok, err := b.pageStrings(path)
	if err != nil || !ok {
		return nil, false, err
	}
	return ps.valid, true, nil
}

// stringAt returns a reader of a string column's values ("" for null or a
// missing column).
func (b *batch) stringAt(path string) (func(int) string, error) {
	ps, ok, err := b.pageStrings(path)
	if err != nil || !ok {
		return func(int) string { return "" }, err
	}
	if d := ps.dict; d != nil {
		all := string(d.values.data)
		return func(i int) string {
			if x := d.idx[i]; x >= 0 {
				return all[d.values.offs[x]:d.values.offs[x+1]]
			}
			return ""
		}, nil
	}
	return func(i int) string { return string(ps.plain.Value(i)) }, nil
}

// stringsOf sets out[r] to the value of a string column at each row r of
// rows ("" for null), the values copied into one allocation: they outlive
// the batch. Entries of out for other rows, and every entry when the file
// has no such column, are left alone. out must have an entry per row of
// the batch.
func (b *batch) stringsOf(path string, rows *bitmap, out []string) error {
	ps, ok, err := b.pageStrings(path)
	if err != nil || !ok {
		return err
	}
	value := func(r int) []byte {
		if d := ps.dict; d != nil {
			if x := d.idx[r]; x >= 0 {
				return d.values.Value(int(x))
			}
			return nil
		}
		return ps.plain.Value(r) // empty when null
	}
	size := 0
	rows.forEach(func(r int) { size += len(value(r)) })
	arena := make([]byte, 0, size) // never grows: the strings below alias it
	rows.forEach(func(r int) {
		v := value(r)
		if len(v) == 0 {
			out[r] = ""
			return
		}
		start := len(arena)
		arena = append(arena, v...)
		out[r] = unsafe.String(&arena[start], len(v))
	})
	return nil
}
