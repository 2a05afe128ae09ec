package query

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/parquet-go/parquet-go/format"
)

// rowGroupMeta answers pruning questions about one row group from the
// file footer and its bloom filters, without reading any data page.
type rowGroupMeta struct {
	df      *dataFile
	rg      int
	rows    int
	inexact bool // some row has ctqExact = false: typed values may not tell the whole truth
}

func newRowGroupMeta(df *dataFile, rg int) *rowGroupMeta {
	m := &rowGroupMeta{df: df, rg: rg, rows: df.pf.NumRows(rg), inexact: true}
	if st := m.stats(colExact); st != nil && len(st.MinValue) == 1 {
		m.inexact = st.MinValue[0] == 0 // the minimum of ctqExact is false
	}
	return m
}

func (m *rowGroupMeta) numRows() int { return m.rows }

// stats returns the column chunk's statistics, nil when the file has no
// such column.
func (m *rowGroupMeta) stats(path string) *format.Statistics {
	col, _, ok := m.df.leaf(path)
	if !ok {
		return nil
	}
	return &m.df.pf.Chunk(m.rg, col).Statistics
}

// hasBounds reports whether statistics carry a min and max.
func hasBounds(st *format.Statistics) bool {
	return st != nil && st.MinValue != nil && st.MaxValue != nil
}

// stringRange returns the [min, max] of a string column's non-null values.
// They alias the footer (every rule asks, in every row group): a caller
// compares them and must not retain them.
func (m *rowGroupMeta) stringRange(path string) (lo, hi string, ok bool) {
	st := m.stats(path)
	if !hasBounds(st) {
		return "", "", false
	}
	return unsafe.String(unsafe.SliceData(st.MinValue), len(st.MinValue)), unsafe.String(unsafe.SliceData(st.MaxValue), len(st.MaxValue)), true
}

// allNull reports whether statistics prove every value of the column null.
func (m *rowGroupMeta) allNull(path string) bool {
	st := m.stats(path)
	return st != nil && st.NullCount == int64(m.rows) && !hasBounds(st)
}

// noNulls reports whether statistics prove every row has a value.
func (m *rowGroupMeta) noNulls(path string) bool {
	st := m.stats(path)
	return st != nil && hasBounds(st) && st.NullCount == 0
}

// timeRange returns the [min, max] of the eventTime column in microseconds.
func (m *rowGroupMeta) timeRange() (lo, hi int64, ok bool) {
	st := m.stats(colTime)
	if !hasBounds(st) || len(st.MinValue) != 8 || len(st.MaxValue) != 8 {
		return 0, 0, false
	}
	return int64(binary.LittleEndian.Uint64(st.MinValue)), int64(binary.LittleEndian.Uint64(st.MaxValue)), true
}

// bloomMayContain consults the column's bloom filter: false means the value
// is certainly absent from the row group.
func (m *rowGroupMeta) bloomMayContain(path, v string) bool {
	col, _, ok := m.df.leaf(path)
	if !ok {
		return true
	}
	return m.df.pf.BloomMayContain(m.rg, col, []byte(v))
}

// pageBounds is the page index of one column chunk: per page, its first
// row and its statistics.
type pageBounds struct {
	first []int64
	ci    *format.ColumnIndex
}

// prunePagesBy clears the rows of the column's pages for which keep (given
// the page's null flag and [min, max]) is false, and counts those pages in
// Stats.PagesSkipped. Without a page index it clears nothing.
func (b *batch) prunePagesBy(path string, sel *bitmap, keep func(null bool, lo, hi []byte) bool) error {
	pb, ok := b.pageIndex[path]
	if !ok {
		col, _, found := b.df.leaf(path)
		if found {
			ci, err := b.df.pf.ColumnIndex(b.rg, col)
			if err != nil {
				return fmt.Errorf("%s: %w", b.df.path, err)
			}
			oi, err := b.df.pf.OffsetIndex(b.rg, col)
			if err != nil {
				return fmt.Errorf("%s: %w", b.df.path, err)
			}
			if ci != nil && oi != nil && len(ci.NullPages) == len(oi.PageLocations) &&
				len(ci.MinValues) == len(ci.NullPages) && len(ci.MaxValues) == len(ci.NullPages) {
				pb = &pageBounds{ci: ci}
				for _, l := range oi.PageLocations {
					pb.first = append(pb.first, l.FirstRowIndex)
				}
			}
		}
		if b.pageIndex == nil {
			b.pageIndex = map[string]*pageBounds{}
		}
		b.pageIndex[path] = pb
	}
	if pb == nil {
		return nil
	}
	for k := range pb.first {
		lo, hi := int(pb.first[k]), b.n
		if k+1 < len(pb.first) {
			hi = int(pb.first[k+1])
		}
		if lo < 0 || lo > hi || hi > b.n {
			return fmt.Errorf("%s: row group %d: page %d of %s covers rows [%d, %d) of %d", b.df.path, b.rg, k, path, lo, hi, b.n)
		}
		if keep(pb.ci.NullPages[k], pb.ci.MinValues[k], pb.ci.MaxValues[k]) || !sel.anyIn(lo, hi) {
			continue
		}
		sel.clearRange(lo, hi)
		if b.st != nil {
			b.st.PagesSkipped++
		}
	}
	return nil
}
