// Package pqread reads the lake's Parquet files by byte ranges, with
// parquet-go's format, thrift, compression and encoding packages (the stack
// that writes them): the footer, statistics, bloom filters and page index,
// and column chunks page by page, decoded into buffers the caller reuses.
// Queries and compaction both read through it.
package pqread

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go/bloom"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// File is an open Parquet file: its parsed footer and its leaf columns.
type File struct {
	Name   string
	Meta   *FileMeta
	Leaves []Leaf
	ra     io.ReaderAt
	size   int64
	byPath map[string]int
	// tail holds the file's last bytes [tailOff, size) as read by Open
	// (nil when the footer came from a cache): the page index is there.
	tail    []byte
	tailOff int64
}

// Leaf is one leaf column of the schema.
type Leaf struct {
	Path   string // dotted, e.g. "userIdentity.type", "ctqNulls.list.element"
	Type   format.Type
	MaxDef int
	MaxRep int
	// Unit is the unit of an INT64 TIMESTAMP column, 0 otherwise.
	Unit time.Duration
}

// footerTail is how much of a file's end Open reads first: the footer of a
// lake file fits in it, so opening costs one read.
const footerTail = 64 << 10

// Open reads the footer of a Parquet file of size bytes through ra. name
// is used in errors. With a non-nil cache, the file's end (footer, page
// indexes and bloom filters) is looked up and stored under key, which must
// identify one immutable version of the object.
func Open(name string, ra io.ReaderAt, size int64, cache *FooterCache, key string) (*File, error) {
	f := &File{Name: name, Meta: new(FileMeta), ra: ra, size: size}
	var footer []byte
	if cache != nil {
		if tail := cache.Get(key); int64(len(tail)) <= size {
			if footer, _, _ = tailFooter(tail, size); footer != nil {
				f.tail, f.tailOff = tail, size-int64(len(tail))
			}
		}
	}
	read := footer == nil
	if read {
		var err error
		if footer, f.tail, err = readFooter(ra, size); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		f.tailOff = size - int64(len(f.tail))
	}
	if err := decodeFooter(footer, f.Meta); err != nil {
		return nil, fmt.Errorf("%s: footer: %w", name, err)
	}
	if err := f.indexSchema(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range f.Meta.RowGroups {
		if n := len(f.Meta.RowGroups[i].Columns); n != len(f.Leaves) {
			return nil, fmt.Errorf("%s: row group %d has %d column chunks for %d columns", name, i, n, len(f.Leaves))
		}
	}
	if cache != nil && read {
		cache.Put(key, f.cachedTail(footer))
	}
	return f, nil
}

// readFooter returns the thrift-encoded FileMetaData at the end of a file,
// and the file's tail as read.
func readFooter(ra io.ReaderAt, size int64) (footer, tail []byte, err error) {
	if size < 12 {
		return nil, nil, fmt.Errorf("not a Parquet file: %d bytes", size)
	}
	n := min(size, footerTail)
	tail = make([]byte, n)
	if _, err := ra.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("read footer: %w", err)
	}
	footer, flen, err := tailFooter(tail, size)
	if err != nil || footer != nil {
		return footer, tail, err // the File keeps the tail
	}
	footer = make([]byte, flen)
	if _, err := ra.ReadAt(footer, size-8-flen); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("read footer: %w", err)
	}
	return footer, nil, nil
}

// tailFooter returns the footer in tail, the last bytes of a file of size
// bytes, and its length; the footer is nil (with no error) when tail does
// not hold all of it.
func tailFooter(tail []byte, size int64) (footer []byte, flen int64, err error) {
	n := int64(len(tail))
	if n < 8 || !bytes.Equal(tail[n-4:], []byte("PAR1")) {
		return nil, 0, fmt.Errorf("not a Parquet file: no PAR1 at the end")
	}
	flen = int64(binary.LittleEndian.Uint32(tail[n-8:]))
	if flen > size-12 {
		return nil, 0, fmt.Errorf("footer of %d bytes in a %d-byte file", flen, size)
	}
	if flen > n-8 {
		return nil, flen, nil
	}
	return tail[n-8-flen : n-8 : n-8], flen, nil
}

// cachedTail returns what a FooterCache keeps of the file: its end from
// the first page index or bloom filter the tail read by Open holds (writers
// put them just before the footer), so a file opened from the cache prunes
// without requests; the footer and its trailer alone when Open read the
// footer apart from the tail.
func (f *File) cachedTail(footer []byte) []byte {
	if f.tail == nil {
		out := append(make([]byte, 0, len(footer)+8), footer...)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
		return append(out, "PAR1"...)
	}
	lo := f.size - 8 - int64(len(footer))
	for i := range f.Meta.RowGroups {
		for j := range f.Meta.RowGroups[i].Columns {
			cc := &f.Meta.RowGroups[i].Columns[j]
			for _, off := range []int64{cc.ColumnIndexOffset, cc.OffsetIndexOffset, cc.MetaData.BloomFilterOffset} {
				if off >= f.tailOff && off < lo {
					lo = off
				}
			}
		}
	}
	return f.tail[lo-f.tailOff:]
}

// indexSchema walks the flattened schema into leaves with their levels.
func (f *File) indexSchema() error {
	els := f.Meta.Schema
	if len(els) == 0 {
		return fmt.Errorf("empty schema")
	}
	f.byPath = map[string]int{}
	pos := 1
	var walk func(path []string, def, rep, children int) error
	walk = func(path []string, def, rep, children int) error {
		for c := 0; c < children; c++ {
			if pos >= len(els) {
				return fmt.Errorf("schema ends inside a group")
			}
			el := &els[pos]
			pos++
			d, r := def, rep
			if rt, ok := el.RepetitionType.Get(); ok {
				switch rt {
				case format.Optional:
					d++
				case format.Repeated:
					d++
					r++
				}
			}
			p := append(path[:len(path):len(path)], el.Name)
			if n, ok := el.NumChildren.Get(); ok && n > 0 {
				if err := walk(p, d, r, int(n)); err != nil {
					return err
				}
				continue
			}
			leaf := Leaf{Path: strings.Join(p, "."), MaxDef: d, MaxRep: r}
			leaf.Type, _ = el.Type.Get()
			if ts, ok := el.LogicalType.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
				leaf.Unit = ts.Unit.Value.Duration()
			}
			f.byPath[leaf.Path] = len(f.Leaves)
			f.Leaves = append(f.Leaves, leaf)
		}
		return nil
	}
	root, _ := els[0].NumChildren.Get()
	return walk(nil, 0, 0, int(root))
}

// Column returns the index of the leaf column with the dotted path.
func (f *File) Column(path string) (int, bool) {
	i, ok := f.byPath[path]
	return i, ok
}

// NumRowGroups returns the number of row groups.
func (f *File) NumRowGroups() int { return len(f.Meta.RowGroups) }

// NumRows returns the rows of row group rg.
func (f *File) NumRows(rg int) int { return int(f.Meta.RowGroups[rg].NumRows) }

// Chunk returns the metadata of column col in row group rg.
func (f *File) Chunk(rg, col int) *ColumnMeta {
	return &f.Meta.RowGroups[rg].Columns[col].MetaData
}

// Size returns the file's length in bytes.
func (f *File) Size() int64 { return f.size }

// BloomMayContain checks value against the column chunk's split-block bloom
// filter, reading one 32-byte block of it: false means the value is
// certainly absent. Without a filter (or on any read error) it answers true.
func (f *File) BloomMayContain(rg, col int, value []byte) bool {
	cc := f.Chunk(rg, col)
	off := cc.BloomFilterOffset
	if off <= 0 || off >= f.size {
		return true
	}
	// The header is a few bytes of thrift; 64 bytes hold it.
	hb := make([]byte, min(64, f.size-off))
	if _, err := f.ReadAt(hb, off); err != nil && err != io.EOF {
		return true
	}
	var h format.BloomFilterHeader
	r := bytes.NewReader(hb)
	if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(r)).Decode(&h); err != nil {
		return true
	}
	start := off + int64(len(hb)-r.Len())
	if h.NumBytes <= 0 || start+int64(h.NumBytes) > f.size {
		return true
	}
	ok, err := bloom.CheckSplitBlock(io.NewSectionReader(f, start, int64(h.NumBytes)), int64(h.NumBytes), bloom.XXH64{}.Sum64(value))
	return ok || err != nil
}

// ReadAt reads the file's bytes at off: from the tail read by Open when it
// holds them (bloom filters and the page index are written near the
// footer), else through the file's ReaderAt.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if f.tail != nil && off >= f.tailOff && off+int64(len(p)) <= f.size {
		return copy(p, f.tail[off-f.tailOff:]), nil
	}
	return f.ra.ReadAt(p, off)
}
