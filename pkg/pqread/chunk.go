package pqread

import (
	"bytes"
	"fmt"
	"io"
	"math/bits"

	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Page is one decompressed page of a column chunk. Its slices alias the
// chunk reader's buffers and are valid until the next call to Next.
type Page struct {
	Dict     bool // a dictionary page (Values are its PLAIN entries)
	Encoding format.Encoding
	// NumValues counts the page's levels (rows of a non-repeated column,
	// present and null), or a dictionary page's entries.
	NumValues int
	Defs      []uint8 // definition levels; nil when the column's max is 0
	Reps      []uint8 // repetition levels; nil when the column's max is 0
	Values    []byte  // encoded values of the present entries
}

// ChunkReader reads the pages of one column chunk in order. It fetches the
// chunk through the file's ReaderAt in windows (a query reads a chunk in
// one request; compaction streams it), or serves it from bytes fetched
// earlier (OpenChunk's pre, e.g. a slice of a Fetched), without a copy.
type ChunkReader struct {
	f      *File
	leaf   *Leaf
	cc     *ColumnMeta
	codec  compress.Codec // nil: uncompressed
	start  int64          // chunk byte range [start, end)
	end    int64
	pos    int64 // next page header
	window int
	buf    []byte // file bytes [bufOff, bufOff+len(buf))
	bufOff int64
	owned  bool // buf came from the pool
	pool   Pool
	body   []byte // decompression buffer
	page   Page
	seen   int64 // levels read
	hdr    format.PageHeader
	fetch  int64  // bytes fetched through the ReaderAt
	defs   []byte // level buffers from pool, reused across pages
	reps   []byte
	pages  *Fetched              // OpenPages: the fetched pages
	locs   []format.PageLocation // OpenPages: the pages to read
}

// Pool provides the byte buffers of chunk reads; Allocate returns a
// buffer of length size, Free takes it back.
type Pool interface {
	Allocate(size int) []byte
	Free(b []byte)
}

type heapPool struct{}

func (heapPool) Allocate(size int) []byte { return make([]byte, size) }
func (heapPool) Free([]byte)              {}

// ChunkRange returns the byte range of a column chunk: from its dictionary
// page (if any) to the end of its data pages.
func (f *File) ChunkRange(rg, col int) (start, end int64, err error) {
	cc := f.Chunk(rg, col)
	start = cc.DataPageOffset
	if d := cc.DictionaryPageOffset; d > 0 && d < start {
		start = d
	}
	end = start + cc.TotalCompressedSize
	if start < 4 || cc.TotalCompressedSize < 0 || end > f.size {
		return 0, 0, fmt.Errorf("row group %d column %s: chunk [%d, %d) outside a %d-byte file", rg, f.Leaves[col].Path, start, end, f.size)
	}
	return start, end, nil
}

// OpenChunk returns a reader of column col of row group rg. window is the
// most it fetches per request (<= 0: the whole chunk at once); pre, when
// not nil, holds the chunk's bytes already. pool (nil: the heap) provides
// its buffers; Release returns them.
func (f *File) OpenChunk(rg, col, window int, pre []byte, pool Pool) (*ChunkReader, error) {
	start, end, err := f.ChunkRange(rg, col)
	if err != nil {
		return nil, err
	}
	cc := f.Chunk(rg, col)
	if pool == nil {
		pool = heapPool{}
	}
	codec, err := codecOf(cc.Codec)
	if err != nil {
		return nil, fmt.Errorf("row group %d column %s: %w", rg, f.Leaves[col].Path, err)
	}
	c := &ChunkReader{f: f, leaf: &f.Leaves[col], cc: cc, codec: codec,
		start: start, end: end, pos: start, window: window, pool: pool}
	if window <= 0 || int64(window) > end-start {
		c.window = int(end - start)
	}
	if pre != nil {
		if int64(len(pre)) != end-start {
			return nil, fmt.Errorf("row group %d column %s: %d prefetched bytes for a %d-byte chunk", rg, c.leaf.Path, len(pre), end-start)
		}
		c.buf, c.bufOff = pre, start
	}
	return c, nil
}

// Fetched returns the bytes this reader fetched through the ReaderAt.
func (c *ChunkReader) Fetched() int64 { return c.fetch }

// ensure makes buf hold the file bytes [off, off+n), n clamped to the chunk.
func (c *ChunkReader) ensure(off int64, n int) error {
	if off+int64(n) > c.end {
		n = int(c.end - off)
	}
	if off >= c.bufOff && off+int64(n) <= c.bufOff+int64(len(c.buf)) {
		return nil
	}
	size := max(n, c.window)
	if off+int64(size) > c.end {
		size = int(c.end - off)
	}
	if c.owned {
		c.pool.Free(c.buf)
	}
	c.buf, c.bufOff, c.owned = c.pool.Allocate(size), off, true
	if _, err := c.f.ra.ReadAt(c.buf, off); err != nil && err != io.EOF {
		return fmt.Errorf("read [%d, %d): %w", off, off+int64(size), err)
	}
	c.fetch += int64(size)
	return nil
}

// Release returns the reader's buffers; the reader and its pages must not
// be used afterwards.
func (c *ChunkReader) Release() {
	if c.owned {
		c.pool.Free(c.buf)
	}
	for _, b := range [][]byte{c.body, c.defs, c.reps} {
		if b != nil {
			c.pool.Free(b)
		}
	}
	c.pages.Release()
	c.buf, c.body, c.defs, c.reps, c.owned, c.pages = nil, nil, nil, nil, false, nil
}

// levelBuf returns an empty buffer from *buf (taken from the pool when too
// small) for the levels of a page of n values whose encoded levels are
// src: its capacity is bounded by src, so a corrupt count cannot make the
// reader allocate more than the page can hold.
func (c *ChunkReader) levelBuf(buf *[]byte, n int, src []byte) []byte {
	size := min(n, 8*len(src)+8) + levelSlack
	if cap(*buf) < size {
		if *buf != nil {
			c.pool.Free(*buf)
		}
		*buf = c.pool.Allocate(size)
	}
	return (*buf)[:0]
}

// levelSlack is room for the decoder's last bit-packed group of 8 values
// past the page's count.
const levelSlack = 64

// Next returns the next page, or io.EOF after the last.
func (c *ChunkReader) Next() (*Page, error) {
	for {
		if c.pos >= c.end || c.seen >= c.cc.NumValues {
			return nil, io.EOF
		}
		p, skip, err := c.next()
		if err != nil {
			return nil, fmt.Errorf("column %s page at byte %d: %w", c.leaf.Path, c.pos, err)
		}
		if !skip {
			return p, nil
		}
	}
}

func (c *ChunkReader) next() (*Page, bool, error) {
	// Page headers are small (ctq writes no page statistics); a larger one
	// is read again with the rest of the chunk.
	hlen, err := c.header(4 << 10)
	if err != nil {
		if hlen, err = c.header(int(c.end - c.pos)); err != nil {
			return nil, false, fmt.Errorf("page header: %w", err)
		}
	}
	h := &c.hdr
	csize := int(h.CompressedPageSize)
	if csize < 0 || h.UncompressedPageSize < 0 || c.pos+int64(hlen)+int64(csize) > c.end {
		return nil, false, fmt.Errorf("page of %d bytes overruns the chunk", csize)
	}
	if int64(h.UncompressedPageSize) > max(c.cc.TotalUncompressedSize, 0) || h.UncompressedPageSize > maxPageSize {
		return nil, false, fmt.Errorf("page of %d bytes uncompressed in a chunk of %d", h.UncompressedPageSize, c.cc.TotalUncompressedSize)
	}
	body := c.pos + int64(hlen)
	if err := c.ensure(body, csize); err != nil {
		return nil, false, err
	}
	raw := c.buf[body-c.bufOff : body-c.bufOff+int64(csize)]
	c.pos = body + int64(csize)
	p := &c.page
	*p = Page{}
	switch h.Type {
	case format.DictionaryPage:
		d, ok := h.DictionaryPageHeader.Get()
		if !ok {
			return nil, false, fmt.Errorf("dictionary page without its header")
		}
		vals, err := c.decompress(raw, int(h.UncompressedPageSize))
		if err != nil {
			return nil, false, err
		}
		p.Dict, p.Encoding, p.NumValues, p.Values = true, d.Encoding, int(d.NumValues), vals
	case format.DataPage:
		d, ok := h.DataPageHeader.Get()
		if !ok {
			return nil, false, fmt.Errorf("data page without its header")
		}
		if err := c.checkCount(d.NumValues); err != nil {
			return nil, false, err
		}
		data, err := c.decompress(raw, int(h.UncompressedPageSize))
		if err != nil {
			return nil, false, err
		}
		p.Encoding, p.NumValues = d.Encoding, int(d.NumValues)
		if c.leaf.MaxRep > 0 {
			if p.Reps, data, err = c.levelsV1(&c.reps, data, c.leaf.MaxRep, p.NumValues); err != nil {
				return nil, false, fmt.Errorf("repetition levels: %w", err)
			}
		}
		if c.leaf.MaxDef > 0 {
			if p.Defs, data, err = c.levelsV1(&c.defs, data, c.leaf.MaxDef, p.NumValues); err != nil {
				return nil, false, fmt.Errorf("definition levels: %w", err)
			}
		}
		p.Values = data
	case format.DataPageV2:
		d, ok := h.DataPageHeaderV2.Get()
		if !ok {
			return nil, false, fmt.Errorf("data page without its header")
		}
		if err := c.checkCount(d.NumValues); err != nil {
			return nil, false, err
		}
		rl, dl := int(d.RepetitionLevelsByteLength), int(d.DefinitionLevelsByteLength)
		if rl < 0 || dl < 0 || rl+dl > len(raw) {
			return nil, false, fmt.Errorf("%d+%d bytes of levels in a %d-byte page", rl, dl, len(raw))
		}
		p.Encoding, p.NumValues = d.Encoding, int(d.NumValues)
		var err error
		if c.leaf.MaxRep > 0 {
			if p.Reps, err = levels(c.levelBuf(&c.reps, p.NumValues, raw[:rl]), raw[:rl], c.leaf.MaxRep, p.NumValues); err != nil {
				return nil, false, fmt.Errorf("repetition levels: %w", err)
			}
		}
		if c.leaf.MaxDef > 0 {
			if p.Defs, err = levels(c.levelBuf(&c.defs, p.NumValues, raw[rl:rl+dl]), raw[rl:rl+dl], c.leaf.MaxDef, p.NumValues); err != nil {
				return nil, false, fmt.Errorf("definition levels: %w", err)
			}
		}
		vals := raw[rl+dl:]
		if compressed, ok := d.IsCompressed.Get(); !ok || compressed {
			if vals, err = c.decompress(vals, int(h.UncompressedPageSize)-rl-dl); err != nil {
				return nil, false, err
			}
		}
		p.Values = vals
	default:
		return nil, true, nil // index pages and unknown kinds carry no values
	}
	if !p.Dict {
		c.seen += int64(p.NumValues)
	}
	return p, false, nil
}

// checkCount rejects a data page claiming more values than its chunk has
// left: levels run-length encode, so a few corrupt bytes could otherwise
// make the reader decode (and allocate) billions of them.
func (c *ChunkReader) checkCount(n int32) error {
	if n < 0 || int64(n) > c.cc.NumValues-c.seen {
		return fmt.Errorf("page of %d values where the chunk has %d left", n, c.cc.NumValues-c.seen)
	}
	return nil
}

// header decodes the page header at c.pos from up to n bytes; it returns
// the header's length.
func (c *ChunkReader) header(n int) (int, error) {
	if err := c.ensure(c.pos, n); err != nil {
		return 0, err
	}
	avail := c.buf[c.pos-c.bufOff:]
	if len(avail) > n {
		avail = avail[:n]
	}
	r := bytes.NewReader(avail)
	c.hdr = format.PageHeader{}
	if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(r)).Decode(&c.hdr); err != nil {
		return 0, err
	}
	return len(avail) - r.Len(), nil
}

// decompress returns src decompressed into the reader's body buffer.
func (c *ChunkReader) decompress(src []byte, size int) ([]byte, error) {
	if c.codec == nil {
		return src, nil
	}
	if size < 0 {
		return nil, fmt.Errorf("negative page size %d", size)
	}
	if cap(c.body) < size {
		if c.body != nil {
			c.pool.Free(c.body)
		}
		c.body = c.pool.Allocate(size)
	}
	out, err := c.codec.Decode(c.body[:0], src)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if len(out) > 0 && len(c.body) > 0 && &out[0] != &c.body[:1][0] {
		// The codec grew its own buffer: the page was larger than declared.
		return nil, fmt.Errorf("page decompresses to more than the %d bytes its header declares", size)
	}
	return out, nil
}

// maxPageSize bounds a page's uncompressed size (ctq writes pages of a
// few hundred KiB): a corrupt header cannot make a reader allocate more.
const maxPageSize = 256 << 20

// levels decodes n RLE/bit-packed levels with the given maximum.
func levels(dst, src []byte, maxLevel, n int) ([]uint8, error) {
	if n < 0 {
		return nil, fmt.Errorf("%d levels", n)
	}
	enc := rle.Encoding{BitWidth: bits.Len(uint(maxLevel))}
	if err := checkRLE(src, enc.BitWidth, n); err != nil {
		return nil, err
	}
	out, err := enc.DecodeLevels(dst[:0], src)
	if err != nil {
		return nil, err
	}
	if len(out) < n {
		return nil, fmt.Errorf("%d levels for %d values", len(out), n)
	}
	out = out[:n]
	for _, l := range out {
		if int(l) > maxLevel {
			return nil, fmt.Errorf("level %d above the maximum %d", l, maxLevel)
		}
	}
	return out, nil
}

// levelsV1 decodes the length-prefixed levels at the start of a version 1
// page into a buffer of *buf and returns the rest of the page.
func (c *ChunkReader) levelsV1(buf *[]byte, data []byte, maxLevel, n int) ([]uint8, []byte, error) {
	if len(data) < 4 {
		return nil, nil, fmt.Errorf("page ends before its levels")
	}
	l := int(uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24)
	if l < 0 || l > len(data)-4 {
		return nil, nil, fmt.Errorf("%d bytes of levels in a %d-byte page", l, len(data))
	}
	src := data[4 : 4+l]
	out, err := levels(c.levelBuf(buf, n, src), src, maxLevel, n)
	return out, data[4+l:], err
}
