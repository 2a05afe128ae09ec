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
// is used in errors. With a non-nil cache, the footer bytes are looked up
// and stored under key (which must identify one immutable version of the
// object).
func Open(name string, ra io.ReaderAt, size int64, cache *FooterCache, key string) (*File, error) {
	f := &File{Name: name, Meta: new(FileMeta), ra: ra, size: size}
	var footer []byte
	if cache != nil {
		footer = cache.Get(key)
	}
	if footer == nil {
		var err error
		if footer, f.tail, err = readFooter(ra, size); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		f.tailOff = size - int64(len(f.tail))
		if cache != nil {
			cache.Put(key, footer)
		}
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
	if !bytes.Equal(tail[n-4:], []byte("PAR1")) {
		return nil, nil, fmt.Errorf("not a Parquet file: no PAR1 at the end")
	}
	flen := int64(binary.LittleEndian.Uint32(tail[n-8:]))
	if flen > size-12 {
		return nil, nil, fmt.Errorf("footer of %d bytes in a %d-byte file", flen, size)
	}
	if flen <= n-8 {
		return tail[n-8-flen : n-8 : n-8], tail, nil // the File keeps the tail
	}
	footer = make([]byte, flen)
	if _, err := ra.ReadAt(footer, size-8-flen); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("read footer: %w", err)
	}
	return footer, nil, nil
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
