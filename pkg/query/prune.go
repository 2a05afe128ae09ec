package query

import (
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// rowGroupMeta answers pruning questions about one row group from the
// file footer and its bloom filters, without reading any data page.
type rowGroupMeta struct {
	df      *dataFile
	rg      int
	md      *metadata.RowGroupMetaData
	inexact bool // some row has ctqExact = false: typed values may not tell the whole truth
}

func newRowGroupMeta(df *dataFile, rg int) *rowGroupMeta {
	m := &rowGroupMeta{df: df, rg: rg, md: df.pf.MetaData().RowGroup(rg), inexact: true}
	if st := m.stats(colExact); st != nil {
		if bs, ok := st.(*metadata.BooleanStatistics); ok && bs.HasMinMax() {
			m.inexact = !bs.Min()
		}
	}
	return m
}

func (m *rowGroupMeta) numRows() int { return int(m.md.NumRows()) }

func (m *rowGroupMeta) stats(path string) metadata.TypedStatistics {
	col, ok := m.df.cols[path]
	if !ok {
		return nil
	}
	cc, err := m.md.ColumnChunk(col)
	if err != nil {
		return nil
	}
	if set, err := cc.StatsSet(); err != nil || !set {
		return nil
	}
	st, err := cc.Statistics()
	if err != nil {
		return nil
	}
	return st
}

// stringRange returns the [min, max] of a string column's non-null values.
func (m *rowGroupMeta) stringRange(path string) (lo, hi string, ok bool) {
	st, _ := m.stats(path).(*metadata.ByteArrayStatistics)
	if st == nil || !st.HasMinMax() {
		return "", "", false
	}
	return string(st.Min()), string(st.Max()), true
}

// allNull reports whether statistics prove every value of the column null.
func (m *rowGroupMeta) allNull(path string) bool {
	st := m.stats(path)
	return st != nil && st.HasNullCount() && st.NullCount() == m.md.NumRows() && !st.HasMinMax()
}

// timeRange returns the [min, max] of the eventTime column in microseconds.
func (m *rowGroupMeta) timeRange() (lo, hi int64, ok bool) {
	st, _ := m.stats("eventTime").(*metadata.Int64Statistics)
	if st == nil || !st.HasMinMax() {
		return 0, 0, false
	}
	return st.Min(), st.Max(), true
}

// bloomMayContain consults the column's bloom filter: false means the value
// is certainly absent from the row group.
func (m *rowGroupMeta) bloomMayContain(path, v string) bool {
	col, ok := m.df.cols[path]
	if !ok || m.df.blooms == nil {
		return true
	}
	rgr, err := m.df.blooms.RowGroup(m.rg)
	if err != nil || rgr == nil {
		return true
	}
	bf, err := rgr.GetColumnBloomFilter(col)
	if err != nil || bf == nil {
		return true
	}
	return bf.CheckHash(bf.Hasher().Sum64([]byte(v)))
}
