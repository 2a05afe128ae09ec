package query

import (
	"encoding/binary"

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
func (m *rowGroupMeta) stringRange(path string) (lo, hi string, ok bool) {
	st := m.stats(path)
	if !hasBounds(st) {
		return "", "", false
	}
	return string(st.MinValue), string(st.MaxValue), true
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
