package query

import (
	"bytes"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// consumer is what the scan pipeline hands evaluated row groups to: the
// print, count and per-rule consumers of this package, and aggregations.
//
// Contracts:
//   - Concurrency: scanPlan.scan makes one consumer per worker (its
//     newConsumer argument) and calls it from that worker only, so a
//     consumer needs no locking of its own state. Results of the workers'
//     consumers are merged by the caller after scan returns (or, for
//     streaming consumers, through a sink the caller synchronizes).
//   - startFile is called before the first row group of each file the
//     worker scans; a consumer that keeps per-file state resets it there.
//   - consume is called once per row group in which some rule selected a
//     row, in row-group order within a file. sels has one entry per rule of
//     the plan: the rows rule i selected, or nil when it selected none (or
//     was pruned for this row group). The pipeline owns the bitmaps and the
//     batch: consume must not modify sels or retain them or b after it
//     returns. Returning errFileDone skips the rest of the file; any other
//     error stops the scan.
//   - Reading the batch: columns load on first use and stay cached for the
//     row group, whoever read them first (a filter or the consumer).
//     b.eventTimes() gives eventTime in microseconds; b.dict(path) gives a
//     dictionary-encoded string column as dictionary values plus one code
//     per row (-1: null), the form to group by without hashing strings per
//     row; b.bytes(path) gives any other non-repeated string or JSON column
//     as one buffer with offsets; b.stringAt(path) reads either per row;
//     b.leaf(path) gives any leaf column (booleans, lists) as an Arrow
//     array; b.raw() gives the raw records. Values alias the batch's
//     buffers and must be copied to outlive consume.
type consumer interface {
	startFile(f *partition.File)
	consume(b *batch, sels []*bitmap) error
}

// errFileDone, returned by consume, skips the rest of the current file.
var errFileDone = errors.New("file done")

// countConsumer consumes nothing: the pipeline's Stats.RowsMatched is the
// count.
type countConsumer struct{}

func (countConsumer) startFile(*partition.File)       {}
func (countConsumer) consume(*batch, []*bitmap) error { return nil }

// ruleMatch is one match of a rule (its index in the plan).
type ruleMatch struct {
	rule int
	m    Match
}

// matchCollector turns selections into Matches: the eventTime and eventID
// of each selected row, and the raw record for the first rawPerFile
// matches of each rule in each file (negative: every match). It serves
// `ctq query` (one rule, every record, ordered afterwards) and
// detections (MultiPlan.Run, samples only).
type matchCollector struct {
	rawPerFile int
	fileLimit  int                     // stop a file after this many matches of rule 0; 0: no limit
	sink       func([]ruleMatch) error // receives each row group's matches; nil: kept in out
	rawLeft    []int
	inFile     int
	out        []ruleMatch
	pos        []int32 // scratch of materialize: row -> index in rows, -1: none yet
	rows       []Match
	ids        []string // scratch of materialize: eventID by row
	sourceKeys bool     // fill Match.SourceKey
	srcs       []string // scratch of materialize: source key by row
	// held, when set, counts the bytes of the matches held in out across
	// the run's collectors (errOverBudget past heldBudget); heldRows
	// counts the rows of the row groups that gave them.
	held, heldRows *atomic.Int64
}

func newMatchCollector(rules, rawPerFile, fileLimit int, sink func([]ruleMatch) error) *matchCollector {
	return &matchCollector{rawPerFile: rawPerFile, fileLimit: fileLimit, sink: sink, rawLeft: make([]int, rules)}
}

func (c *matchCollector) startFile(*partition.File) {
	for i := range c.rawLeft {
		c.rawLeft[i] = c.rawPerFile
	}
	c.inFile = 0
}

func (c *matchCollector) consume(b *batch, sels []*bitmap) error {
	if left := c.fileLimit - c.inFile; c.fileLimit > 0 && len(sels) == 1 && sels[0] != nil && sels[0].count() > left {
		// Rows are in (eventTime, eventID) order within a file: only the
		// first matches left can be among the first fileLimit, and only
		// they are materialised (a limited query over a full scan read
		// every record of each file's first row group).
		first := getBitmap(b.n)
		defer putBitmap(first)
		first.copyFrom(sels[0])
		first.keepFirst(max(left, 0))
		sels = []*bitmap{first}
	}
	start := len(c.out)
	if err := c.materialize(b, sels); err != nil {
		return err
	}
	c.inFile += len(c.out) - start
	if c.held != nil && len(c.out) > start {
		var n int64
		for i := start; i < len(c.out); i++ {
			n += int64(len(c.out[i].m.Raw)) + matchOverhead
		}
		if c.heldRows != nil {
			c.heldRows.Add(int64(b.n))
		}
		if c.held.Add(n) > heldBudget {
			return errOverBudget
		}
	}
	if c.sink != nil {
		err := c.sink(c.out)
		c.out = c.out[:0]
		if err != nil {
			return err
		}
	}
	if c.fileLimit > 0 && c.inFile >= c.fileLimit {
		return errFileDone // later row groups of the file sort after these
	}
	return nil
}

// eventIDs fills c.ids with the eventID of each row of rows. A few
// matches of a row group that all get their raw record take it from the
// records: the eventID column is random text that does not compress, so a
// selective printed query would otherwise fetch more of it than of the
// records' pages. A record whose eventID is not a plain string member
// sends the row group back to the column.
func (c *matchCollector) eventIDs(b *batch, rows, need *bitmap, raw *byteColumn) error {
	if cap(c.ids) < b.n {
		c.ids = make([]string, b.n)
	}
	c.ids = c.ids[:b.n]
	clear(c.ids) // no string of an earlier row group stays reachable
	_, read := b.cols[colID]
	if n := rows.count(); !read && raw != nil && sparseIDRows > 0 && n*sparseIDRows < b.n && need.count() == n {
		exact := true
		rows.forEach(func(r int) {
			if v, _, ok := memberValue(raw.Value(r), colID); ok && exact {
				c.ids[r] = v.str // "" for a null or missing eventID, as the column
			} else {
				exact = false
			}
		})
		if exact {
			return nil
		}
		clear(c.ids)
	}
	return b.stringsOf(colID, rows, c.ids)
}

// sparseIDRows: a row group with fewer than one match in sparseIDRows
// rows, all printed, takes their eventIDs from the raw records (0: never).
var sparseIDRows = 8

// materialize appends the matches of every rule: one Match per selected
// row, shared by the rules that selected it (its Raw too).
func (c *matchCollector) materialize(b *batch, sels []*bitmap) error {
	times, err := b.eventTimes()
	if err != nil {
		return err
	}
	// The eventIDs of every selected row, in one allocation.
	rows := getBitmap(b.n)
	defer putBitmap(rows)
	for _, sel := range sels {
		if sel != nil {
			rows.or(sel)
		}
	}
	if c.sourceKeys {
		c.srcs = slices.Grow(c.srcs[:0], b.n)[:b.n]
		clear(c.srcs)
		if err := b.stringsOf(colSourceKey, rows, c.srcs); err != nil {
			return err
		}
	}
	// The rows that may get their raw record: only their pages are read
	// unless a filter read the whole column already.
	var need *bitmap
	for i, sel := range sels {
		if sel != nil && c.rawLeft[i] != 0 {
			if need == nil {
				need = getBitmap(b.n)
				defer putBitmap(need)
			}
			need.or(sel)
		}
	}
	var raw *byteColumn
	if need != nil {
		if raw, err = b.rawFor(need); err != nil {
			return err
		}
	}
	if err := c.eventIDs(b, rows, need, raw); err != nil {
		return err
	}
	// With several rules, a row's Match is made once (c.rows, found
	// through c.pos) and shared.
	multi := len(sels) > 1
	if multi {
		if cap(c.pos) < b.n {
			c.pos = make([]int32, b.n)
		}
		c.pos = c.pos[:b.n]
		for i := range c.pos {
			c.pos[i] = -1
		}
		c.rows = c.rows[:0]
	}
	var one Match
	row := func(r int) *Match {
		if multi && c.pos[r] >= 0 {
			return &c.rows[c.pos[r]]
		}
		m := Match{File: b.df.path, EventID: c.ids[r]}
		if c.sourceKeys {
			m.SourceKey = c.srcs[r]
		}
		if us, ok := times.micros(r); ok {
			m.Time = time.UnixMicro(us).UTC()
		}
		if !multi {
			one = m
			return &one
		}
		c.pos[r] = int32(len(c.rows))
		c.rows = append(c.rows, m)
		return &c.rows[len(c.rows)-1]
	}
	for i, sel := range sels {
		if sel == nil {
			continue
		}
		sel.forEach(func(r int) {
			m := row(r)
			if raw != nil && c.rawLeft[i] != 0 {
				if m.Raw == nil {
					if v := raw.Value(r); raw.kept && c.rawLeft[i] < 0 {
						// Every needed record is kept: the matches share
						// the buffer that holds them.
						m.Raw = v[:len(v):len(v)]
					} else {
						// A few samples must not pin all the records.
						m.Raw = bytes.Clone(v)
					}
				}
				if c.rawLeft[i] > 0 {
					c.rawLeft[i]--
				}
				c.out = append(c.out, ruleMatch{rule: i, m: *m})
				return
			}
			cp := *m
			cp.Raw = nil
			c.out = append(c.out, ruleMatch{rule: i, m: cp})
		})
	}
	return nil
}

// timeColumn is the eventTime column of a batch.
type timeColumn struct {
	ts   *array.Timestamp // nil: the file has no eventTime column
	unit arrow.TimeUnit
}

// micros returns row i's eventTime in microseconds; ok is false when the
// row has none.
func (t timeColumn) micros(i int) (int64, bool) {
	if t.ts == nil || !t.ts.IsValid(i) {
		return 0, false
	}
	v := int64(t.ts.Value(i))
	switch t.unit {
	case arrow.Microsecond:
		return v, true
	case arrow.Millisecond:
		return v * 1000, true
	case arrow.Second:
		return v * 1000000, true
	case arrow.Nanosecond:
		return v / 1000, true
	}
	return 0, false
}

// eventTimes returns the batch's eventTime column, read on first use.
func (b *batch) eventTimes() (timeColumn, error) {
	arr, ok, err := b.leaf(colTime)
	if err != nil || !ok {
		return timeColumn{}, err
	}
	ts, _ := arr.(*array.Timestamp)
	if ts == nil {
		return timeColumn{}, nil
	}
	return timeColumn{ts: ts, unit: ts.DataType().(*arrow.TimestampType).Unit}, nil
}
