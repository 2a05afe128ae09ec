package ingest

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/ctq-dev/ctq/pkg/schema"
)

// FileBuilder writes one lake data file from records that are already in the
// lake, given in (eventTime, eventID) order: compaction feeds it the original
// record bytes (ctqRaw) of the files it merges. Each record is decoded again,
// so the new file has exactly the columns, statistics, dictionaries and bloom
// filters ingest writes, in the current schema, whatever version of ctq wrote
// the inputs. Memory is bounded by one row group.
type FileBuilder struct {
	dec     *decoder
	b       *batch
	fw      fileWriter
	st      FileStats
	values  map[string]map[string]struct{} // nil entry: too many values
	lastKey []byte
	keyBuf  []byte
	rows    int64
	open    bool
}

// FileOptions are the choices of a FileBuilder's data file layout.
type FileOptions struct {
	// RawPageBytes is Config.RawPageBytes for the files built: 0 for the
	// default pages, else 4 KiB to 256 KiB.
	RawPageBytes int
}

// Validate reports options out of range.
func (o FileOptions) Validate() error {
	if o.RawPageBytes != 0 && (o.RawPageBytes < minRawPageBytes || o.RawPageBytes > pageBufferSize) {
		return fmt.Errorf("raw page size %d: want 0 (the default) or %d to %d bytes", o.RawPageBytes, minRawPageBytes, pageBufferSize)
	}
	return nil
}

// NewFileBuilder returns a builder; call Begin before adding records. The
// options must be valid (Validate).
func NewFileBuilder(o FileOptions) *FileBuilder {
	return &FileBuilder{dec: newDecoder(), b: newBatch(), fw: fileWriter{rawPageBytes: o.RawPageBytes}}
}

// ErrOrder is returned when records are not added in (eventTime, eventID)
// order.
var ErrOrder = errors.New("records out of (eventTime, eventID) order")

// Begin starts a new file on w.
func (fb *FileBuilder) Begin(w io.Writer) {
	fb.fw.begin(w)
	fb.b.reset()
	fb.st = FileStats{}
	fb.values = map[string]map[string]struct{}{}
	fb.lastKey = fb.lastKey[:0]
	fb.rows = 0
	fb.open = true
}

// Rows returns the number of records added to the current file.
func (fb *FileBuilder) Rows() int64 { return fb.rows }

// Add appends one record: its original bytes and its provenance (source
// object key and record index in it).
func (fb *FileBuilder) Add(raw []byte, srcKey string, srcIdx int) error {
	if !fb.open {
		return errors.New("FileBuilder.Add before Begin")
	}
	n, err := fb.dec.decode(raw)
	if err != nil {
		return fmt.Errorf("decode record %d of %s: %w", srcIdx, srcKey, err)
	}
	if n != len(raw) {
		return fmt.Errorf("record %d of %s: %d bytes after the record", srcIdx, srcKey, len(raw)-n)
	}
	fb.b.add(fb.dec, raw, srcKey, srcIdx)
	r := &fb.b.rows[len(fb.b.rows)-1]
	key := sortKey(fb.keyBuf[:0], fb.b, r)
	if fb.rows > 0 && string(key) < string(fb.lastKey) {
		return fmt.Errorf("record %d of %s: %w", srcIdx, srcKey, ErrOrder)
	}
	fb.lastKey, fb.keyBuf = key, fb.lastKey
	fb.rows++
	if len(fb.b.rows) >= rowGroupRows {
		return fb.flush()
	}
	return nil
}

// sortKey encodes (eventTime, eventID) so that byte order is row order.
func sortKey(dst []byte, b *batch, r *row) []byte {
	t := uint64(r.time) ^ (1 << 63) // signed to unsigned order
	for i := 7; i >= 0; i-- {
		dst = append(dst, byte(t>>(8*i)))
	}
	if r.eventID.ok() {
		dst = append(dst, b.bytes(r.eventID)...)
	}
	return dst
}

// flush writes the buffered rows as row groups and folds their statistics
// into the file's.
func (fb *FileBuilder) flush() error {
	b := fb.b
	if len(b.rows) == 0 {
		return nil
	}
	order := b.order()
	fb.merge(batchStats(b, order))
	if err := fb.fw.rowGroups(b, order); err != nil {
		return err
	}
	b.reset()
	return nil
}

func (fb *FileBuilder) merge(s FileStats) {
	st := &fb.st
	if st.Rows == 0 {
		st.MinTime, st.MaxTime = s.MinTime, s.MaxTime
	} else {
		st.MinTime, st.MaxTime = min(st.MinTime, s.MinTime), max(st.MaxTime, s.MaxTime)
	}
	st.Rows += s.Rows
	st.Inexact += s.Inexact
	st.Dups += s.Dups
	for name, r := range s.Ranges {
		if st.Ranges == nil {
			st.Ranges = map[string][2]string{}
		}
		cur, ok := st.Ranges[name]
		if !ok {
			st.Ranges[name] = r
			continue
		}
		st.Ranges[name] = [2]string{min(cur[0], r[0]), max(cur[1], r[1])}
	}
	for _, name := range schema.ValueSetColumns {
		set, seen := fb.values[name]
		if seen && set == nil {
			continue // already too many
		}
		vals, known := s.Values[name]
		if !known {
			fb.values[name] = nil
			continue
		}
		if set == nil {
			set = map[string]struct{}{}
			fb.values[name] = set
		}
		for _, v := range vals {
			set[v] = struct{}{}
		}
		if len(set) > maxFileValues {
			fb.values[name] = nil
		}
	}
}

// Close finishes the file and returns its statistics.
func (fb *FileBuilder) Close() (FileStats, error) {
	if !fb.open {
		return FileStats{}, errors.New("FileBuilder.Close before Begin")
	}
	fb.open = false
	if err := fb.flush(); err != nil {
		return fb.st, err
	}
	st := fb.st
	for _, name := range schema.ValueSetColumns {
		set := fb.values[name]
		if set == nil {
			continue
		}
		vals := make([]string, 0, len(set))
		for v := range set {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		if st.Values == nil {
			st.Values = map[string][]string{}
		}
		st.Values[name] = vals
	}
	return st, fb.fw.close()
}
