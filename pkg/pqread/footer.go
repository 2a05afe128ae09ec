package pqread

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// decodeFooter decodes a footer (thrift compact protocol) into m, field by
// field: the fields FileMeta holds are read, every other one is skipped
// without being built. Every query opens hundreds of footers, and
// parquet-go's reflective decoder spent most of a selective query's CPU on
// them. Byte strings (names, statistics) alias b, which m keeps alive.
// A corrupt footer is an error naming the byte offset, never a panic or an
// allocation larger than b.
func decodeFooter(b []byte, m *FileMeta) (err error) {
	d := compactReader{b: b}
	defer func() {
		if err != nil {
			err = fmt.Errorf("footer byte %d: %w", d.pos, err)
		}
	}()
	return d.fileMeta(m)
}

// Compact protocol type codes.
const (
	ctStop   = 0
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

// maxNesting bounds how deep skip follows nested structures.
const maxNesting = 64

var errShort = errors.New("unexpected end of footer")

// compactReader reads thrift compact protocol values from b.
type compactReader struct {
	b   []byte
	pos int
}

func (d *compactReader) byte() (byte, error) {
	if d.pos >= len(d.b) {
		return 0, errShort
	}
	c := d.b[d.pos]
	d.pos++
	return c, nil
}

func (d *compactReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b[d.pos:])
	if n <= 0 {
		return 0, fmt.Errorf("bad varint")
	}
	d.pos += n
	return v, nil
}

func (d *compactReader) i64() (int64, error) {
	v, err := d.uvarint()
	return int64(v>>1) ^ -int64(v&1), err
}

func (d *compactReader) i32() (int32, error) {
	v, err := d.i64()
	if v != int64(int32(v)) {
		return 0, fmt.Errorf("i32 out of range: %d", v)
	}
	return int32(v), err
}

// binary returns a byte string; it aliases the footer.
func (d *compactReader) binary() ([]byte, error) {
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(d.b)-d.pos) {
		return nil, fmt.Errorf("byte string of %d bytes past the end", n)
	}
	s := d.b[d.pos : d.pos+int(n) : d.pos+int(n)]
	d.pos += int(n)
	return s, nil
}

// field reads a field header: its type and id (stop: typ == ctStop).
func (d *compactReader) field(last int16) (typ byte, id int16, err error) {
	c, err := d.byte()
	if err != nil || c == ctStop {
		return ctStop, 0, err
	}
	typ = c & 0x0f
	if delta := int16(c >> 4); delta != 0 {
		return typ, last + delta, nil
	}
	v, err := d.i64()
	return typ, int16(v), err
}

// list reads a list or set header: the element type and count. The count
// is bounded by the bytes left (every element takes at least one).
func (d *compactReader) list() (elem byte, n int, err error) {
	c, err := d.byte()
	if err != nil {
		return 0, 0, err
	}
	elem, size := c&0x0f, uint64(c>>4)
	if size == 15 {
		if size, err = d.uvarint(); err != nil {
			return 0, 0, err
		}
	}
	if size > uint64(len(d.b)-d.pos) {
		return 0, 0, fmt.Errorf("list of %d elements in %d bytes", size, len(d.b)-d.pos)
	}
	return elem, int(size), nil
}

// expect checks a field's type before it is read.
func expect(typ, want byte, what string) error {
	if typ != want {
		return fmt.Errorf("%s has type %d, not %d", what, typ, want)
	}
	return nil
}

// listOf reads a list field of struct elements into n calls of elem.
func (d *compactReader) listOf(typ byte, what string, elem func(i, n int) error) error {
	if err := expect(typ, ctList, what); err != nil {
		return err
	}
	et, n, err := d.list()
	if err != nil {
		return err
	}
	if n > 0 && et != ctStruct {
		return fmt.Errorf("%s: elements of type %d, not structs", what, et)
	}
	for i := 0; i < n; i++ {
		if err := elem(i, n); err != nil {
			return err
		}
	}
	return nil
}

// skip skips a value of type typ.
func (d *compactReader) skip(typ byte, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("nested deeper than %d", maxNesting)
	}
	switch typ {
	case ctTrue, ctFalse:
		return nil
	case ctByte:
		_, err := d.byte()
		return err
	case ctI16, ctI32, ctI64:
		_, err := d.uvarint()
		return err
	case ctDouble:
		if len(d.b)-d.pos < 8 {
			return errShort
		}
		d.pos += 8
		return nil
	case ctBinary:
		_, err := d.binary()
		return err
	case ctList, ctSet:
		et, n, err := d.list()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if et == ctTrue || et == ctFalse {
				_, err = d.byte() // a boolean element is one byte
			} else {
				err = d.skip(et, depth+1)
			}
			if err != nil {
				return err
			}
		}
		return nil
	case ctMap:
		n, err := d.uvarint()
		if err != nil || n == 0 {
			return err
		}
		if n > uint64(len(d.b)-d.pos) {
			return fmt.Errorf("map of %d entries in %d bytes", n, len(d.b)-d.pos)
		}
		kv, err := d.byte()
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			for _, t := range []byte{kv >> 4, kv & 0x0f} {
				if t == ctTrue || t == ctFalse {
					_, err = d.byte()
				} else {
					err = d.skip(t, depth+1)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	case ctStruct:
		return d.structFields(depth+1, func(typ byte, _ int16) (bool, error) { return false, nil })
	}
	return fmt.Errorf("unknown type %d", typ)
}

// structFields reads a struct's fields up to its stop: fn reads the fields
// it knows (returning true) and the rest are skipped. The decoders of the
// footer's many column chunks use the same loop written out (fieldLoop),
// without a closure per struct.
func (d *compactReader) structFields(depth int, fn func(typ byte, id int16) (bool, error)) error {
	var l fieldLoop
	for l.next(d, depth) {
		done, err := fn(l.typ, l.id)
		l.done(d, done, err)
	}
	return l.err
}

// fieldLoop iterates over a struct's fields:
//
//	var l fieldLoop
//	for l.next(d, depth) { switch l.id { ... }; l.done(d, handled, err) }
//	return l.err
type fieldLoop struct {
	depth int
	typ   byte
	id    int16
	last  int16
	err   error
}

// next reads the next field header; false at the struct's stop or on an
// error (l.err).
func (l *fieldLoop) next(d *compactReader, depth int) bool {
	if l.err != nil {
		return false
	}
	if depth > maxNesting {
		l.err = fmt.Errorf("nested deeper than %d", maxNesting)
		return false
	}
	l.depth = depth
	l.typ, l.id, l.err = d.field(l.last)
	if l.err != nil || l.typ == ctStop {
		return false
	}
	l.last = l.id
	return true
}

// done records the outcome of a field: err (wrapped with the field id),
// or, when the field was not handled, skips it.
func (l *fieldLoop) done(d *compactReader, handled bool, err error) {
	switch {
	case err != nil:
		l.err = fmt.Errorf("field %d: %w", l.id, err)
	case !handled:
		l.err = d.skip(l.typ, l.depth)
	}
}

func (d *compactReader) fileMeta(m *FileMeta) error {
	var l fieldLoop
	for l.next(d, 0) {
		var err error
		handled := true
		switch typ, id := l.typ, l.id; id {
		case 1:
			if err = expect(typ, ctI32, "version"); err == nil {
				m.Version, err = d.i32()
			}
		case 2:
			err = d.listOf(typ, "schema", func(i, n int) error {
				if i == 0 {
					m.Schema = make(thrift.Slice[format.SchemaElement], n)
				}
				return d.schemaElement(&m.Schema[i])
			})
		case 3:
			if err = expect(typ, ctI64, "num_rows"); err == nil {
				m.NumRows, err = d.i64()
			}
		case 4:
			err = d.listOf(typ, "row_groups", func(i, n int) error {
				if i == 0 {
					m.RowGroups = make(thrift.Slice[RowGroupMeta], n)
				}
				return d.rowGroup(&m.RowGroups[i])
			})
		default:
			handled = false
		}
		l.done(d, handled, err)
	}
	return l.err
}

// schemaElement reads the schema fields pqread uses: type, repetition,
// name, children and a TIMESTAMP logical type's unit.
func (d *compactReader) schemaElement(el *format.SchemaElement) error {
	var l fieldLoop
	for l.next(d, 1) {
		var err error
		handled := true
		var v int32
		switch typ, id := l.typ, l.id; id {
		case 1:
			if err = expect(typ, ctI32, "type"); err == nil {
				v, err = d.i32()
				el.Type = thrift.Null[format.Type]{V: format.Type(v), Valid: true}
			}
		case 3:
			if err = expect(typ, ctI32, "repetition_type"); err == nil {
				v, err = d.i32()
				el.RepetitionType = thrift.Null[format.FieldRepetitionType]{V: format.FieldRepetitionType(v), Valid: true}
			}
		case 4:
			var s []byte
			if err = expect(typ, ctBinary, "name"); err == nil {
				s, err = d.binary()
				el.Name = string(s)
			}
		case 5:
			if err = expect(typ, ctI32, "num_children"); err == nil {
				v, err = d.i32()
				el.NumChildren = thrift.Null[int32]{V: v, Valid: true}
			}
		case 10:
			if err = expect(typ, ctStruct, "logicalType"); err == nil {
				err = d.logicalType(el)
			}
		default:
			handled = false
		}
		l.done(d, handled, err)
	}
	return l.err
}

// logicalType reads the LogicalType union, keeping TIMESTAMP (member 8)
// with its unit.
func (d *compactReader) logicalType(el *format.SchemaElement) error {
	return d.structFields(2, func(typ byte, id int16) (bool, error) {
		if id != 8 || typ != ctStruct {
			return false, nil
		}
		ts := &format.TimestampType{}
		err := d.structFields(3, func(typ byte, id int16) (bool, error) {
			switch {
			case id == 1 && (typ == ctTrue || typ == ctFalse):
				ts.IsAdjustedToUTC = typ == ctTrue
				return true, nil
			case id == 2 && typ == ctStruct:
				return true, d.structFields(4, func(typ byte, id int16) (bool, error) {
					switch id {
					case 1:
						ts.Unit.Value = &format.MilliSeconds{}
					case 2:
						ts.Unit.Value = &format.MicroSeconds{}
					case 3:
						ts.Unit.Value = &format.NanoSeconds{}
					}
					return false, nil // the member is an empty struct: skip it
				})
			}
			return false, nil
		})
		el.LogicalType.Value = ts
		return true, err
	})
}

func (d *compactReader) rowGroup(rg *RowGroupMeta) error {
	var l fieldLoop
	for l.next(d, 1) {
		var err error
		handled := true
		switch typ, id := l.typ, l.id; id {
		case 1:
			err = d.listOf(typ, "columns", func(i, n int) error {
				if i == 0 {
					rg.Columns = make(thrift.Slice[ColumnChunkMeta], n)
				}
				return d.columnChunk(&rg.Columns[i])
			})
		case 2:
			if err = expect(typ, ctI64, "total_byte_size"); err == nil {
				rg.TotalByteSize, err = d.i64()
			}
		case 3:
			if err = expect(typ, ctI64, "num_rows"); err == nil {
				rg.NumRows, err = d.i64()
			}
		default:
			handled = false
		}
		l.done(d, handled, err)
	}
	return l.err
}

func (d *compactReader) columnChunk(cc *ColumnChunkMeta) error {
	var l fieldLoop
	for l.next(d, 2) {
		var err error
		handled := true
		switch typ, id := l.typ, l.id; id {
		case 2:
			err = d.i64Field(typ, "file_offset", &cc.FileOffset)
		case 3:
			if err = expect(typ, ctStruct, "meta_data"); err == nil {
				err = d.columnMeta(&cc.MetaData)
			}
		case 4:
			err = d.i64Field(typ, "offset_index_offset", &cc.OffsetIndexOffset)
		case 5:
			err = d.i32Field(typ, "offset_index_length", &cc.OffsetIndexLength)
		case 6:
			err = d.i64Field(typ, "column_index_offset", &cc.ColumnIndexOffset)
		case 7:
			err = d.i32Field(typ, "column_index_length", &cc.ColumnIndexLength)
		default:
			handled = false
		}
		l.done(d, handled, err)
	}
	return l.err
}

func (d *compactReader) columnMeta(cm *ColumnMeta) error {
	var l fieldLoop
	for l.next(d, 3) {
		var err error
		handled := true
		var v int32
		switch typ, id := l.typ, l.id; id {
		case 1:
			err = d.i32Field(typ, "type", &v)
			cm.Type = format.Type(v)
		case 4:
			err = d.i32Field(typ, "codec", &v)
			cm.Codec = format.CompressionCodec(v)
		case 5:
			err = d.i64Field(typ, "num_values", &cm.NumValues)
		case 6:
			err = d.i64Field(typ, "total_uncompressed_size", &cm.TotalUncompressedSize)
		case 7:
			err = d.i64Field(typ, "total_compressed_size", &cm.TotalCompressedSize)
		case 9:
			err = d.i64Field(typ, "data_page_offset", &cm.DataPageOffset)
		case 10:
			err = d.i64Field(typ, "index_page_offset", &cm.IndexPageOffset)
		case 11:
			err = d.i64Field(typ, "dictionary_page_offset", &cm.DictionaryPageOffset)
		case 12:
			if err = expect(typ, ctStruct, "statistics"); err == nil {
				err = d.statistics(&cm.Statistics)
			}
		case 13:
			var et byte
			var n int
			if err = expect(typ, ctList, "encoding_stats"); err == nil {
				et, n, err = d.list()
			}
			if err == nil && n > 0 && et != ctStruct {
				err = fmt.Errorf("encoding_stats: elements of type %d, not structs", et)
			}
			if err == nil && n > 0 {
				cm.EncodingStats = make(thrift.Slice[format.PageEncodingStats], n)
				for i := 0; i < n && err == nil; i++ {
					err = d.encodingStats(&cm.EncodingStats[i])
				}
			}
		case 14:
			err = d.i64Field(typ, "bloom_filter_offset", &cm.BloomFilterOffset)
		case 15:
			err = d.i32Field(typ, "bloom_filter_length", &cm.BloomFilterLength)
		default:
			handled = false
		}
		l.done(d, handled, err)
	}
	return l.err
}

func (d *compactReader) statistics(st *format.Statistics) error {
	var l fieldLoop
	for l.next(d, 4) {
		var err error
		handled := true
		switch typ, id := l.typ, l.id; id {
		case 1:
			err = d.binaryField(typ, "max", &st.Max)
		case 2:
			err = d.binaryField(typ, "min", &st.Min)
		case 3:
			err = d.i64Field(typ, "null_count", &st.NullCount)
		case 4:
			err = d.i64Field(typ, "distinct_count", &st.DistinctCount)
		case 5:
			err = d.binaryField(typ, "max_value", &st.MaxValue)
		case 6:
			err = d.binaryField(typ, "min_value", &st.MinValue)
		default:
			handled = false
		}
		l.done(d, handled, err)
	}
	return l.err
}

func (d *compactReader) encodingStats(es *format.PageEncodingStats) error {
	var l fieldLoop
	for l.next(d, 4) {
		var err error
		handled := true
		var v int32
		switch typ, id := l.typ, l.id; id {
		case 1:
			err = d.i32Field(typ, "page_type", &v)
			es.PageType = format.PageType(v)
		case 2:
			err = d.i32Field(typ, "encoding", &v)
			es.Encoding = format.Encoding(v)
		case 3:
			err = d.i32Field(typ, "count", &es.Count)
		default:
			handled = false
		}
		l.done(d, handled, err)
	}
	return l.err
}

func (d *compactReader) i64Field(typ byte, what string, v *int64) (err error) {
	if err = expect(typ, ctI64, what); err == nil {
		*v, err = d.i64()
	}
	return err
}

func (d *compactReader) i32Field(typ byte, what string, v *int32) (err error) {
	if err = expect(typ, ctI32, what); err == nil {
		*v, err = d.i32()
	}
	return err
}

func (d *compactReader) binaryField(typ byte, what string, v *[]byte) (err error) {
	if err = expect(typ, ctBinary, what); err == nil {
		*v, err = d.binary()
	}
	return err
}
