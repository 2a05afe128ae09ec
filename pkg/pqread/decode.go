package pqread

import (
	"fmt"
	"slices"

	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// Column accumulates the decoded values of a column's pages, one entry per
// level (a row, for a non-repeated column). Exactly one representation is
// filled, by the column's physical type: byte arrays as Data and Offs, or
// as Dict and Idx while every data page is dictionary encoded; Int64,
// Int32 or Bool otherwise. Null entries hold empty or zero values.
//
// The buffers are the caller's: Reset keeps them for the next chunk, and a
// caller may give Data a capacity up front (the chunk's uncompressed size
// bounds its values) so that values are decoded in place.
type Column struct {
	Leaf  *Leaf
	Valid []bool  // per entry: a value is present; nil when the column is required
	Defs  []uint8 // definition levels, kept for repeated columns only
	Reps  []uint8 // repetition levels, kept for repeated columns only

	Data []byte   // BYTE_ARRAY values back to back
	Offs []uint32 // entries+1 offsets into Data (when Dict is nil)

	Dict *Column // the dictionary's values, for a dictionary-encoded chunk
	Idx  []int32 // per entry: index into Dict, -1 for null

	Int64 []int64
	Int32 []int32
	Bool  []bool

	n     int      // entries
	spare *Column  // the previous chunk's dictionary, whose buffers the next one reuses
	ix    []int32  // scratch: dictionary indexes of a page
	offs  []uint32 // scratch: offsets of a page
	bits  []byte   // scratch: booleans of a page
	ints  []int64
	ints4 []int32
}

// NewColumn returns an empty column for leaf.
func NewColumn(leaf *Leaf) *Column { return &Column{Leaf: leaf} }

// Len returns the number of entries.
func (c *Column) Len() int { return c.n }

// Rows returns the number of rows: the entries of a non-repeated column,
// the entries that start a row (repetition level 0) of a repeated one.
func (c *Column) Rows() int {
	if c.Leaf.MaxRep == 0 {
		return c.n
	}
	n := 0
	for _, r := range c.Reps {
		if r == 0 {
			n++
		}
	}
	return n
}

// Reset empties the column for the next chunk, keeping its buffers.
func (c *Column) Reset() {
	c.n = 0
	c.Valid, c.Defs, c.Reps = c.Valid[:0], c.Defs[:0], c.Reps[:0]
	c.Data, c.Offs, c.Idx = c.Data[:0], c.Offs[:0], c.Idx[:0]
	c.Int64, c.Int32, c.Bool = c.Int64[:0], c.Int32[:0], c.Bool[:0]
	if c.Dict != nil {
		// Kept for the next chunk's dictionary: a high-cardinality
		// column's dictionary is most of its decoded bytes, and a fresh
		// one per row group is most of a scan's garbage.
		c.spare, c.Dict = c.Dict, nil
	}
	if c.Valid != nil && c.Leaf.MaxDef == 0 {
		c.Valid = nil
	}
}

// Dictionary reports whether a BYTE_ARRAY column is held as Dict and Idx
// (every data page so far was dictionary encoded) rather than Data and
// Offs.
func (c *Column) Dictionary() bool { return c.Dict != nil && len(c.Offs) == 0 }

// Truncate empties the entries, keeping the buffers and the dictionary:
// for a caller that decodes a chunk one page at a time.
func (c *Column) Truncate() {
	d, spare := c.Dict, c.spare
	c.Reset()
	c.Dict, c.spare = d, spare
}

// Value returns entry i of a BYTE_ARRAY column; it aliases the buffers.
func (c *Column) Value(i int) []byte {
	if c.Dictionary() {
		if x := c.Idx[i]; x >= 0 {
			return c.Dict.Value(int(x))
		}
		return nil
	}
	return c.Data[c.Offs[i]:c.Offs[i+1]]
}

// Append decodes one page into the column. A dictionary page must come
// before the data pages that use it.
func (c *Column) Append(p *Page) (err error) {
	defer func() {
		if r := recover(); r != nil { // decoders may panic on corrupt input
			err = fmt.Errorf("corrupt page at entry %d (%v)", c.n, r)
		}
	}()
	if p.Dict {
		return c.appendDictionary(p)
	}
	present := p.NumValues
	maxDef := c.Leaf.MaxDef
	if maxDef > 0 {
		present = 0
		n := len(c.Valid)
		c.Valid = slices.Grow(c.Valid, len(p.Defs))[:n+len(p.Defs)]
		valid := c.Valid[n:]
		for i, d := range p.Defs {
			ok := int(d) == maxDef
			valid[i] = ok
			if ok {
				present++
			}
		}
	}
	if c.Leaf.MaxRep > 0 {
		c.Defs = append(c.Defs, p.Defs...)
		c.Reps = append(c.Reps, p.Reps...)
	}
	dictEnc := p.Encoding == format.RLEDictionary || p.Encoding == format.PlainDictionary
	switch c.Leaf.Type {
	case format.ByteArray:
		if dictEnc {
			err = c.appendIndexes(p, present)
		} else {
			err = c.appendBytes(p, present)
		}
	case format.Int64, format.Int32, format.Boolean:
		err = c.appendFixed(p, present, dictEnc)
	default:
		err = fmt.Errorf("unsupported column type %s", c.Leaf.Type)
	}
	if err != nil {
		return err
	}
	c.n += p.NumValues
	return nil
}

func (c *Column) appendDictionary(p *Page) error {
	if p.Encoding != format.Plain && p.Encoding != format.PlainDictionary {
		return fmt.Errorf("dictionary page encoded %s", p.Encoding)
	}
	d := c.spare
	c.spare = nil
	if d == nil || d == c.Dict {
		d = &Column{Leaf: &Leaf{}}
	}
	d.Reset()
	*d.Leaf = Leaf{Path: c.Leaf.Path, Type: c.Leaf.Type, Unit: c.Leaf.Unit}
	pg := Page{Encoding: format.Plain, NumValues: p.NumValues, Values: p.Values}
	if err := d.Append(&pg); err != nil {
		return fmt.Errorf("dictionary: %w", err)
	}
	if d.n != p.NumValues {
		return fmt.Errorf("dictionary page of %d entries holds %d", p.NumValues, d.n)
	}
	c.Dict = d
	return nil
}

// appendInts appends a page of integers: decoded with enc, or looked up in
// dict through the indexes ix of a dictionary-encoded page. scratch holds
// the page's present values, dst the column's entries.
func appendInts[T int32 | int64](c *Column, p *Page, present int, ix []int32, dict []T, enc encoding.Encoding,
	decode func(encoding.Encoding, []T, []byte) ([]T, error), scratch, dst *[]T) error {
	vals := (*scratch)[:0]
	if ix != nil || enc == nil {
		for _, x := range ix {
			vals = append(vals, dict[x])
		}
	} else {
		if err := checkValues(p.Encoding, p.Values, present); err != nil {
			return err
		}
		var err error
		if vals, err = decode(enc, vals, p.Values); err != nil {
			return fmt.Errorf("values (%s): %w", p.Encoding, err)
		}
	}
	*scratch = vals
	if len(vals) < present {
		return fmt.Errorf("%d values for %d present entries", len(vals), present)
	}
	spread(c, p, dst, vals, 0)
	return nil
}

// spread appends the page's entries to *dst: its present values vals in
// order, null where a row's definition level is below the column's
// maximum. vals must hold every present value.
func spread[T int32 | int64](c *Column, p *Page, dst *[]T, vals []T, null T) {
	n := len(*dst)
	*dst = slices.Grow(*dst, p.NumValues)[:n+p.NumValues]
	out := (*dst)[n:]
	if c.Leaf.MaxDef == 0 {
		copy(out, vals[:p.NumValues])
		return
	}
	v, maxDef := 0, uint8(c.Leaf.MaxDef)
	for i, d := range p.Defs[:p.NumValues] {
		if d == maxDef {
			out[i] = vals[v]
			v++
		} else {
			out[i] = null
		}
	}
}

// each calls fn for each level of the page with the index of its value
// among the page's present values, or -1 for a null.
func (c *Column) each(p *Page, fn func(v int)) {
	if c.Leaf.MaxDef == 0 {
		for i := 0; i < p.NumValues; i++ {
			fn(i)
		}
		return
	}
	v := 0
	for _, d := range p.Defs {
		if int(d) == c.Leaf.MaxDef {
			fn(v)
			v++
		} else {
			fn(-1)
		}
	}
}

var dictIndexes = &rle.DictionaryEncoding{}

func (c *Column) pageIndexes(p *Page, present int) ([]int32, error) {
	if c.Dict == nil {
		return nil, fmt.Errorf("dictionary-encoded page without a dictionary")
	}
	if present == 0 {
		return nil, nil
	}
	if len(p.Values) == 0 {
		return nil, fmt.Errorf("no indexes for %d values", present)
	}
	if err := checkRLE(p.Values[1:], int(p.Values[0]), present); err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	ix, err := dictIndexes.DecodeInt32(c.ix[:0], p.Values)
	if err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	c.ix = ix
	if len(ix) < present {
		return nil, fmt.Errorf("%d indexes for %d values", len(ix), present)
	}
	nd := int32(c.Dict.n)
	for _, x := range ix[:present] {
		if x < 0 || x >= nd {
			return nil, fmt.Errorf("index %d outside a dictionary of %d", x, nd)
		}
	}
	return ix[:present], nil
}

// appendIndexes appends a dictionary-encoded BYTE_ARRAY page as indexes,
// or as values when the column already fell back to plain pages.
func (c *Column) appendIndexes(p *Page, present int) error {
	ix, err := c.pageIndexes(p, present)
	if err != nil {
		return err
	}
	if len(c.Offs) > 0 {
		// Earlier pages were plain: resolve these values.
		c.each(p, func(v int) {
			if v >= 0 {
				c.Data = append(c.Data, c.Dict.Value(int(ix[v]))...)
			}
			c.Offs = append(c.Offs, uint32(len(c.Data)))
		})
		return nil
	}
	spread(c, p, &c.Idx, ix, -1)
	return nil
}

// Plain turns a dictionary-held BYTE_ARRAY column into Data and Offs (for
// a chunk whose writer fell back from the dictionary to plain pages, or a
// caller that wants values).
func (c *Column) Plain() {
	if len(c.Offs) == 0 {
		c.Offs = append(c.Offs, 0)
	}
	for _, x := range c.Idx {
		if x >= 0 {
			c.Data = append(c.Data, c.Dict.Value(int(x))...)
		}
		c.Offs = append(c.Offs, uint32(len(c.Data)))
	}
	c.Idx = c.Idx[:0]
}

func (c *Column) appendBytes(p *Page, present int) error {
	if c.Dictionary() {
		c.Plain()
	}
	if len(c.Offs) == 0 {
		c.Offs = append(c.Offs, 0)
	}
	base := len(c.Data)
	if uint64(base) > 1<<32-1 {
		return fmt.Errorf("more than 4 GiB of values")
	}
	enc, err := encodingOf(p.Encoding)
	if err != nil {
		return err
	}
	if err := checkValues(p.Encoding, p.Values, present); err != nil {
		return err
	}
	// Decode into the free tail of Data: the values land in place when
	// they fit.
	vals, offs, err := enc.DecodeByteArray(c.Data[base:], p.Values, c.offs[:0])
	if err != nil {
		return fmt.Errorf("values (%s): %w", p.Encoding, err)
	}
	c.offs = offs
	if len(offs) == 0 {
		offs = append(offs, 0)
	}
	if nv := len(offs) - 1; nv != present {
		return fmt.Errorf("%d values for %d present entries", nv, present)
	}
	if n := len(c.Data); len(vals) > 0 && len(vals) <= cap(c.Data)-n && &c.Data[:n+1][n] == &vals[0] {
		c.Data = c.Data[:n+len(vals)]
	} else {
		c.Data = append(c.Data, vals...)
	}
	if uint64(len(c.Data)) > 1<<32-1 {
		return fmt.Errorf("more than 4 GiB of values")
	}
	b := uint32(base)
	n := len(c.Offs)
	c.Offs = slices.Grow(c.Offs, p.NumValues)[:n+p.NumValues]
	dst := c.Offs[n:]
	if c.Leaf.MaxDef == 0 {
		for i, o := range offs[1 : p.NumValues+1] {
			dst[i] = b + o
		}
		return nil
	}
	v, last, maxDef := 0, c.Offs[n-1], uint8(c.Leaf.MaxDef)
	for i, d := range p.Defs[:p.NumValues] {
		if d == maxDef {
			v++
			last = b + offs[v]
		}
		dst[i] = last
	}
	return nil
}

func (c *Column) appendFixed(p *Page, present int, dictEnc bool) error {
	var ix []int32
	if dictEnc {
		var err error
		if ix, err = c.pageIndexes(p, present); err != nil {
			return err
		}
	}
	enc, err := encodingOf(p.Encoding)
	if err != nil && !dictEnc {
		return err
	}
	switch c.Leaf.Type {
	case format.Int64:
		var dict []int64
		if c.Dict != nil {
			dict = c.Dict.Int64
		}
		return appendInts(c, p, present, ix, dict, enc, encoding.Encoding.DecodeInt64, &c.ints, &c.Int64)
	case format.Int32:
		var dict []int32
		if c.Dict != nil {
			dict = c.Dict.Int32
		}
		return appendInts(c, p, present, ix, dict, enc, encoding.Encoding.DecodeInt32, &c.ints4, &c.Int32)
	case format.Boolean:
		if dictEnc {
			return fmt.Errorf("dictionary-encoded booleans")
		}
		if err := checkValues(p.Encoding, p.Values, present); err != nil {
			return err
		}
		bits, err := enc.DecodeBoolean(c.bits[:0], p.Values)
		if err != nil {
			return fmt.Errorf("values (%s): %w", p.Encoding, err)
		}
		c.bits = bits
		if len(bits)*8 < present {
			return fmt.Errorf("%d values for %d present entries", len(bits)*8, present)
		}
		c.each(p, func(v int) {
			c.Bool = append(c.Bool, v >= 0 && bits[v>>3]&(1<<(v&7)) != 0)
		})
	}
	return nil
}
