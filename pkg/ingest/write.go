package ingest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ctq-dev/ctq/pkg/schema"
)

// rowGroupRows is the number of rows per row group. At ~1.5 KB per CloudTrail
// record this is ~25 MB of JSON, a few MB compressed: small enough for
// eventTime statistics to prune a time window finely, large enough that
// per-row-group overhead (footer entries, bloom filters) stays negligible.
const rowGroupRows = 16384

type colKind uint8

const (
	cLeaf colKind = iota
	cTime
	cRaw
	cExact
	cExtra
	cSrcKey
	cSrcIdx
	cNulls
	cRes
)

// colPlan says how to produce one Parquet leaf column from a batch.
type colPlan struct {
	kind   colKind
	index  int
	leaf   *field // cLeaf
	member int    // cRes: index into resourceMembers
	// nulls[d] is a cLeaf's null value at definition level d: built once,
	// as every row of a mostly-absent column is one of them.
	nulls []parquet.Value
}

// lakeSchema and colPlans return the lake's Parquet schema and the
// writer's plan of its columns, built on first use.
var (
	lakeSchema = sync.OnceValue(ParquetSchema)
	colPlans   = sync.OnceValue(func() []colPlan { return planColumns(lakeSchema()) })
)

func planColumns(sch *parquet.Schema) []colPlan {
	byPath := map[string]*field{}
	for _, f := range tree().leaves {
		byPath[f.path] = f
	}
	var plans []colPlan
	for i, path := range sch.Columns() {
		p := colPlan{index: i}
		joined := strings.Join(path, ".")
		switch {
		case joined == schema.TimeColumn:
			p.kind = cTime
		case joined == schema.ColRaw:
			p.kind = cRaw
		case joined == schema.ColExact:
			p.kind = cExact
		case joined == schema.ColExtra:
			p.kind = cExtra
		case joined == schema.ColSourceKey:
			p.kind = cSrcKey
		case joined == schema.ColSourceIndex:
			p.kind = cSrcIdx
		case path[0] == schema.ColNulls:
			p.kind = cNulls
		case path[0] == "resources":
			p.kind = cRes
			p.member = -1
			for k, m := range resourceMembers() {
				if path[len(path)-1] == m {
					p.member = k
				}
			}
			if p.member < 0 {
				panic("BUG: unknown resources column " + joined)
			}
		default:
			f, ok := byPath[joined]
			if !ok {
				panic("BUG: no schema field for column " + joined)
			}
			p.kind, p.leaf = cLeaf, f
			for d := 0; d <= len(f.groups); d++ {
				p.nulls = append(p.nulls, null(0, d, i))
			}
		}
		plans = append(plans, p)
	}
	return plans
}

// FileStats summarises a written data file.
type FileStats struct {
	Rows             int64
	MinTime, MaxTime int64 // microseconds; valid when Rows > 0
	Ranges           map[string][2]string
	Inexact          int64
	Values           map[string][]string
	Dups             int64 // rows repeating the previous row's eventTime and eventID
}

// maxFileValues bounds a column's value set in the manifest: a file of one
// account, region and day rarely has more distinct event names; beyond it
// the set is omitted (unknown) to keep the manifest small.
const maxFileValues = 64

func leafByPath(path string) *field {
	for _, f := range tree().leaves {
		if f.path == path {
			return f
		}
	}
	panic("BUG: no leaf " + path)
}

func fileValues(b *batch, st *FileStats) {
	for _, name := range schema.ValueSetColumns {
		slot := leafByPath(name).slot
		set := map[string]struct{}{}
		var prev []byte // consecutive rows often repeat a value: skip the lookup
		for i := range b.rows {
			v := b.vals.at(i, slot)
			if !v.ok() {
				continue
			}
			val := b.bytes(v)
			if prev != nil && string(val) == string(prev) {
				continue
			}
			prev = val
			if _, ok := set[string(val)]; !ok {
				set[string(val)] = struct{}{}
				if len(set) > maxFileValues {
					break
				}
			}
		}
		if len(set) > maxFileValues {
			continue
		}
		vals := make([]string, 0, len(set))
		for s := range set {
			vals = append(vals, s)
		}
		sort.Strings(vals)
		if st.Values == nil {
			st.Values = map[string][]string{}
		}
		st.Values[name] = vals
	}
}

func fileRanges(b *batch, st *FileStats) {
	for _, name := range schema.RangeColumns {
		slot := tree().top.byName[name].slot
		var lo, hi []byte
		seen := false
		for i := range b.rows {
			v := b.vals.at(i, slot)
			if !v.ok() {
				continue
			}
			s := b.bytes(v)
			if !seen || string(s) < string(lo) {
				lo = s
			}
			if !seen || string(s) > string(hi) {
				hi = s
			}
			seen = true
		}
		if seen {
			if st.Ranges == nil {
				st.Ranges = map[string][2]string{}
			}
			st.Ranges[name] = [2]string{string(lo), string(hi)}
		}
	}
	for i := range b.rows {
		if !b.rows[i].exact {
			st.Inexact++
		}
	}
}

// fileWriter writes batches as Parquet files. It keeps the Parquet writer
// and its buffers between files (one per worker), so writing a file does not
// allocate and clear megabytes of column buffers again.
type fileWriter struct {
	pw *parquet.Writer
	// sortDecl is the writer's own declaration of the sort order, captured
	// from the footer of the first file it wrote (see begin).
	sortDecl []format.SortingColumn
	vals     []parquet.Value
	view     view // a block of rows in write order (see block)
	// rawPageBytes, when positive, cuts the raw record column into pages
	// of about that many uncompressed bytes (see Config.RawPageBytes);
	// zero leaves it to the writer's page buffer, like every column.
	// rawPending is the size of the values of the raw page not ended yet.
	rawPageBytes, rawPending int
}

// view is a block of a batch's rows, copied in write order, with their
// value spans side by side (width a row). It shares the batch's arena,
// resources and keys.
type view struct {
	b     *batch
	rows  []row
	vals  []span
	width int
}

// writeBatch writes the batch's rows, sorted by eventTime, as one Parquet
// file to w.
func writeBatch(w io.Writer, b *batch) (FileStats, error) {
	var fw fileWriter
	return fw.write(w, b)
}

func (fw *fileWriter) write(w io.Writer, b *batch) (FileStats, error) {
	order := b.order()
	st := batchStats(b, order)
	fw.begin(w)
	if err := fw.rowGroups(b, order); err != nil {
		return st, err
	}
	return st, fw.close()
}

// batchStats summarises the rows of a batch; order is b.order().
func batchStats(b *batch, order []int32) FileStats {
	st := FileStats{Rows: int64(len(order))}
	if len(order) > 0 {
		st.MinTime, st.MaxTime = b.rows[order[0]].time, b.rows[order[len(order)-1]].time
	}
	fileRanges(b, &st)
	fileValues(b, &st)
	st.Dups = countDups(b, order)
	return st
}

// countDups counts rows that repeat the previous row's eventTime and
// eventID in order: duplicate deliveries of one event.
func countDups(b *batch, order []int32) int64 {
	var n int64
	for i := 1; i < len(order); i++ {
		p, r := &b.rows[order[i-1]], &b.rows[order[i]]
		if r.eventID.ok() && p.eventID.ok() && p.time == r.time && string(b.bytes(p.eventID)) == string(b.bytes(r.eventID)) {
			n++
		}
	}
	return n
}

// begin starts a new file on w.
func (fw *fileWriter) begin(w io.Writer) {
	if fw.pw == nil {
		fw.pw = parquet.NewWriter(w, WriterOptions(lakeSchema())...)
		return
	}
	fw.pw.Reset(w)
	// parquet-go (v0.32) gives every row group the writer's one slice of
	// sorting columns and clears the row groups' slices on Reset, which
	// zeroes the writer's declaration too: every file after the first
	// declared column 0 (addendum.originalEventID) as its sort key. The
	// declaration is put back through the slice captured from the first
	// file's footer, which shares that array.
	copy(fw.sortDecl, sortingColumns())
}

// sortingColumns returns the sort order every file declares: eventTime,
// ascending (rows are sorted by (eventTime, eventID); eventID is a
// tie-break readers need not know about).
var sortingColumns = sync.OnceValue(func() []format.SortingColumn {
	for i, p := range lakeSchema().Columns() {
		if len(p) == 1 && p[0] == schema.TimeColumn {
			return []format.SortingColumn{{ColumnIdx: int32(i)}}
		}
	}
	panic("BUG: no eventTime column")
})

// rowGroups writes the batch's rows in the given order as row groups of at
// most rowGroupRows rows.
func (fw *fileWriter) rowGroups(b *batch, order []int32) error {
	vals := fw.vals
	defer func() {
		// The values point into the batch's arena. Stale entries beyond len
		// would keep arenas that the worker has since dropped or regrown
		// alive for as long as this writer lives: clear the whole buffer.
		clear(vals[:cap(vals)])
		fw.vals = vals[:0]
		fw.view.b = nil
	}()
	plans := colPlans()
	for lo := 0; lo < len(order); lo += rowGroupRows {
		hi := min(lo+rowGroupRows, len(order))
		cws := fw.pw.ColumnWriters()
		for blo := lo; blo < hi; blo += blockRows {
			v := fw.block(b, order[blo:min(blo+blockRows, hi)])
			for i := range plans {
				p := &plans[i]
				vals = appendColumn(vals[:0], v, p)
				if p.kind == cRaw && fw.rawPageBytes > 0 {
					var err error
					if fw.rawPending, err = writePaged(cws[p.index], vals, fw.rawPageBytes, fw.rawPending); err != nil {
						return fmt.Errorf("write column %d: %w", p.index, err)
					}
					continue
				}
				if _, err := cws[p.index].WriteRowValues(vals); err != nil {
					return fmt.Errorf("write column %d: %w", p.index, err)
				}
			}
		}
		fw.rawPending = 0 // the row group's end ends its pages
		if err := fw.pw.Flush(); err != nil {
			return fmt.Errorf("commit row group: %w", err)
		}
	}
	return nil
}

// writePaged writes the values of a byte-array column, ending a page
// whenever the values since the last page end reach pageBytes. pending is
// the size of the values cw holds for the page not ended yet (a page may
// start in one block of rows and end in the next); the new one is
// returned.
func writePaged(cw *parquet.ColumnWriter, vals []parquet.Value, pageBytes, pending int) (int, error) {
	lo := 0
	for i := range vals {
		pending += len(vals[i].ByteArray())
		if pending < pageBytes {
			continue
		}
		if _, err := cw.WriteRowValues(vals[lo : i+1]); err != nil {
			return 0, err
		}
		if err := cw.Flush(); err != nil {
			return 0, err
		}
		lo, pending = i+1, 0
	}
	_, err := cw.WriteRowValues(vals[lo:])
	return pending, err
}

// blockRows is how many rows are handed to the column writers at a time.
// A block's values (blockRows x 57 spans, ~450 KB) stay in the CPU cache
// while every column reads its slot from them.
const blockRows = 1024

// block copies the rows of b named by rows, in that order, into fw.view
// and returns the view. Writing reads the batch column by column; in
// eventTime order the rows of a batch are scattered, and reading one slot
// per scattered row missed the cache on nearly every value.
func (fw *fileWriter) block(b *batch, rows []int32) *view {
	v := &fw.view
	v.b, v.width = b, b.vals.width
	v.rows, v.vals = v.rows[:0], v.vals[:0]
	for _, ri := range rows {
		v.rows = append(v.rows, b.rows[ri])
		v.vals = append(v.vals, b.vals.row(int(ri))...)
	}
	return v
}

// close finishes the file (footer, page index, bloom filters).
func (fw *fileWriter) close() error {
	if err := fw.pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	if fw.sortDecl == nil {
		if md := fw.pw.File().Metadata(); len(md.RowGroups) > 0 && slices.Equal(md.RowGroups[0].SortingColumns, sortingColumns()) {
			fw.sortDecl = md.RowGroups[0].SortingColumns
		}
	}
	return nil
}

func null(rep, def, col int) parquet.Value { return parquet.Value{}.Level(rep, def, col) }

// appendColumn appends the values of one column for the given rows.
func appendColumn(dst []parquet.Value, v *view, p *colPlan) []parquet.Value {
	col, b := p.index, v.b
	switch p.kind {
	case cLeaf:
		f := p.leaf
		maxDef := len(f.groups) + 1
		slot, isBool := f.slot, f.kind == kBool
		vals, width, ar := v.vals, v.width, &b.arena
		for ri := range v.rows {
			s := vals[ri*width+slot]
			if s.ok() {
				var pv parquet.Value
				if isBool {
					pv = parquet.BooleanValue(s.off == 1)
				} else {
					pv = parquet.ByteArrayValue(ar.bytes(s.off, s.n))
				}
				dst = append(dst, pv.Level(0, maxDef, col))
				continue
			}
			r := &v.rows[ri]
			def := 0
			for _, gr := range f.groups {
				if r.groups&(1<<gr.group) == 0 {
					break
				}
				def++
			}
			dst = append(dst, p.nulls[def])
		}
	case cTime:
		for ri := range v.rows {
			r := &v.rows[ri]
			if r.hasTime {
				dst = append(dst, parquet.Int64Value(r.time).Level(0, 1, col))
			} else {
				dst = append(dst, null(0, 0, col))
			}
		}
	case cRaw:
		for ri := range v.rows {
			dst = append(dst, parquet.ByteArrayValue(b.bytes(v.rows[ri].raw)).Level(0, 0, col))
		}
	case cExact:
		for ri := range v.rows {
			dst = append(dst, parquet.BooleanValue(v.rows[ri].exact).Level(0, 0, col))
		}
	case cExtra:
		for ri := range v.rows {
			r := &v.rows[ri]
			if r.extra.ok() {
				dst = append(dst, parquet.ByteArrayValue(b.bytes(r.extra)).Level(0, 1, col))
			} else {
				dst = append(dst, null(0, 0, col))
			}
		}
	case cSrcKey:
		for ri := range v.rows {
			dst = append(dst, parquet.ByteArrayValue(b.keys[v.rows[ri].src]).Level(0, 0, col))
		}
	case cSrcIdx:
		for ri := range v.rows {
			dst = append(dst, parquet.Int32Value(v.rows[ri].srcIdx).Level(0, 0, col))
		}
	case cNulls:
		all, paths := tree().all, nodePathBytes()
		for ri := range v.rows {
			r := &v.rows[ri]
			if r.nulls.empty() {
				dst = append(dst, null(0, 0, col))
				continue
			}
			rep := 0
			for _, f := range all {
				if r.nulls.has(f.node) {
					dst = append(dst, parquet.ByteArrayValue(paths[f.node]).Level(rep, 2, col))
					rep = 1
				}
			}
		}
	case cRes:
		for ri := range v.rows {
			r := &v.rows[ri]
			switch {
			case !r.hasRes:
				dst = append(dst, null(0, 0, col))
			case r.resN == 0:
				dst = append(dst, null(0, 1, col))
			default:
				for k := int32(0); k < r.resN; k++ {
					rep := 0
					if k > 0 {
						rep = 1
					}
					s := b.res[r.resOff+k][p.member]
					if s.ok() {
						dst = append(dst, parquet.ByteArrayValue(b.bytes(s)).Level(rep, 3, col))
					} else {
						dst = append(dst, null(rep, 2, col))
					}
				}
			}
		}
	}
	return dst
}

// nodePathBytes returns each schema node's dotted path, by node id: the
// values of the nulls column.
var nodePathBytes = sync.OnceValue(func() [][]byte {
	all := tree().all
	out := make([][]byte, len(all))
	for _, f := range all {
		out[f.node] = []byte(f.path)
	}
	return out
})
