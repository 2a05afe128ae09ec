package query

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// timeFilter keeps rows whose eventTime lies in [since, until)
// (--since/--until). It prunes partitions by their day, files by their
// manifest eventTime range and row groups by the eventTime statistics, and
// applies to exact and inexact rows alike.
type timeFilter struct {
	since, until int64 // microseconds; 0 = unbounded
}

var _ filter = (*timeFilter)(nil)

func newTimeFilter(since, until time.Time) *timeFilter {
	f := &timeFilter{}
	if !since.IsZero() {
		f.since = since.UnixMicro()
	}
	if !until.IsZero() {
		f.until = until.UnixMicro()
	}
	return f
}

func (f *timeFilter) active() bool { return f.since != 0 || f.until != 0 }
func (f *timeFilter) cost() int    { return costTyped }

func (f *timeFilter) in(us int64) bool {
	return (f.since == 0 || us >= f.since) && (f.until == 0 || us < f.until)
}

func (f *timeFilter) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%seventTime in [%s, %s)  [eventTime statistics]\n", indent, fmtBound(f.since, "-inf"), fmtBound(f.until, "+inf"))
}

func fmtBound(us int64, none string) string {
	if us == 0 {
		return none
	}
	return time.UnixMicro(us).UTC().Format(time.RFC3339)
}

func (f *timeFilter) fileMayMatch(file *partition.File) bool {
	// A partition day holds events of that UTC day only.
	if day, err := file.Partition().DayStart(); err == nil {
		lo, hi := day.UnixMicro(), day.Add(24*time.Hour).UnixMicro()
		if (f.until != 0 && lo >= f.until) || (f.since != 0 && hi <= f.since) {
			return false
		}
	}
	return (f.until == 0 || file.MinTime.UnixMicro() < f.until) && (f.since == 0 || file.MaxTime.UnixMicro() >= f.since)
}

func (f *timeFilter) mayMatch(rg *rowGroupMeta) bool {
	lo, hi, ok := rg.timeRange()
	if !ok {
		return true
	}
	return (f.until == 0 || lo < f.until) && (f.since == 0 || hi >= f.since)
}

func (f *timeFilter) apply(b *batch, sel *bitmap) error {
	if f.holdsRowGroup(b.meta) {
		return nil // every row is in range: no need to look at them
	}
	arr, ok, err := b.leaf(colTime)
	if err != nil {
		return err
	}
	if !ok {
		return (&constFilter{}).apply(b, sel)
	}
	ts, ok := arr.(*array.Timestamp)
	if !ok {
		return fmt.Errorf("column %s: unexpected type %s", colTime, arr.DataType())
	}
	unit := ts.DataType().(*arrow.TimestampType).Unit
	sel.keep(func(i int) bool {
		return ts.IsValid(i) && f.in(ts.Value(i).ToTime(unit).UnixMicro())
	})
	return nil
}

// holdsRowGroup reports whether the statistics prove every row of the row
// group in range: an eventTime in every row, its minimum and maximum
// within [since, until).
func (f *timeFilter) holdsRowGroup(rg *rowGroupMeta) bool {
	if _, leaf, ok := rg.df.leaf(colTime); !ok || leaf.Unit != time.Microsecond {
		return false // statistics are read as microseconds
	}
	lo, hi, ok := rg.timeRange()
	return ok && rg.noNulls(colTime) && f.in(lo) && f.in(hi)
}

// prunePages clears the rows of eventTime pages outside [since, until).
func (f *timeFilter) prunePages(b *batch, sel *bitmap) error {
	if f.holdsRowGroup(b.meta) {
		return nil // no page can fall outside: the page index is not read
	}
	return b.prunePagesBy(colTime, sel, func(null bool, lo, hi []byte) bool {
		if null || len(lo) != 8 || len(hi) != 8 {
			return !null
		}
		l, h := int64(binary.LittleEndian.Uint64(lo)), int64(binary.LittleEndian.Uint64(hi))
		return (f.until == 0 || l < f.until) && (f.since == 0 || h >= f.since)
	})
}

// reads: eventTime, unless the statistics hold every row in range.
func (f *timeFilter) reads(rg *rowGroupMeta, add func(string)) {
	if !f.holdsRowGroup(rg) {
		add(colTime)
	}
}

// untimedFilter keeps the rows without an eventTime. An ordered run that
// splits a cluster of files by time (Plan.runOrdered) reads them first,
// where they sort, since no time window holds them.
type untimedFilter struct{}

var _ filter = untimedFilter{}

func (untimedFilter) cost() int                         { return costTyped }
func (untimedFilter) fileMayMatch(*partition.File) bool { return true }
func (untimedFilter) mayMatch(rg *rowGroupMeta) bool    { return !rg.noNulls(colTime) }
func (untimedFilter) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%seventTime NOT EXISTS  [eventTime statistics]\n", indent)
}
func (untimedFilter) prunePages(*batch, *bitmap) error { return nil }
func (untimedFilter) reads(_ *rowGroupMeta, add func(string)) {
	add(colTime)
}

func (untimedFilter) apply(b *batch, sel *bitmap) error {
	arr, ok, err := b.leaf(colTime)
	if err != nil || !ok {
		return err // no eventTime column: every row is untimed
	}
	sel.keep(arr.IsNull)
	return nil
}
