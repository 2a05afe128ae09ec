package ingest

import (
	"bytes"
	"slices"
	"sync"
	"time"

	"github.com/ctq-dev/ctq/pkg/schema"
)

// row is one decoded record inside a batch. Spans point into batch.arena.
type row struct {
	raw     span
	extra   span
	time    int64
	hasTime bool
	exact   bool
	hasRes  bool
	groups  uint32
	nulls   nullSet
	resOff  int32
	resN    int32
	src     int32 // index into batch.keys
	srcIdx  int32 // record index in the source object
	eventID span
}

// batch accumulates the rows of one partition until they are written as a
// Parquet file. Record bytes are copied once into arena; all typed values are
// spans into it, so a row costs no allocation of its own.
type batch struct {
	arena arena
	rows  []row
	vals  spanRows // the value spans of each row
	res   []resource
	keys  [][]byte // source object keys, as the Parquet values take them
	keyIx map[string]int32
}

func newBatch() *batch { return newPooledBatch(nil) }

// newPooledBatch returns a batch whose span blocks come from and go back
// to pool.
func newPooledBatch(pool *spanPool) *batch {
	return &batch{keyIx: map[string]int32{}, vals: newSpanRows(pool)}
}

// size is the memory the batch holds, for flush decisions.
func (b *batch) size() int {
	return b.arena.size() + cap(b.rows)*int(rowSize) + b.vals.size() + cap(b.res)*24
}

const rowSize = 96 // approximate bytes per row struct, for size accounting

func (b *batch) reset() {
	b.arena.reset()
	b.rows = b.rows[:0]
	b.vals.truncate(0)
	b.res = b.res[:0]
	clear(b.keys)
	b.keys = b.keys[:0]
	clear(b.keyIx)
}

// add copies the decoder's current record into the batch.
func (b *batch) add(dc *decoder, rec []byte, srcKey string, srcIdx int) {
	d := &dc.d
	base, dst := b.arena.alloc(len(rec) + len(dc.scratch))
	copy(dst[copy(dst, rec):], dc.scratch)
	shift := func(s span) span {
		if s.n >= 0 {
			s.off += base
		}
		return s
	}
	vals := b.vals.add(len(b.rows))
	leaves := tree().leaves
	for i, v := range d.vals[:len(vals)] {
		if leaves[i].kind != kBool {
			v = shift(v)
		}
		vals[i] = v
	}
	ki, ok := b.keyIx[srcKey]
	if !ok {
		ki = int32(len(b.keys))
		b.keys = append(b.keys, []byte(srcKey))
		b.keyIx[srcKey] = ki
	}
	r := row{
		raw:     span{base, int32(len(rec))},
		extra:   shift(d.extra),
		time:    d.time,
		hasTime: d.hasTime,
		exact:   d.exact,
		hasRes:  d.hasRes,
		groups:  d.groups,
		nulls:   d.nulls,
		resOff:  int32(len(b.res)),
		resN:    int32(len(d.res)),
		src:     ki,
		srcIdx:  int32(srcIdx),
		eventID: shift(d.vals[eventIDSlot()]),
	}
	for _, rs := range d.res {
		for k := range rs {
			rs[k] = shift(rs[k])
		}
		b.res = append(b.res, rs)
	}
	b.rows = append(b.rows, r)
}

// eventIDSlot returns the value slot of eventID.
var eventIDSlot = sync.OnceValue(func() int { return tree().top.byName[schema.IDColumn].slot })

func (b *batch) bytes(s span) []byte { return b.arena.bytes(s.off, s.n) }

// order returns row indexes sorted by eventTime, ties by eventID, then by
// arrival, so files are sorted the way queries stream results.
func (b *batch) order() []int32 {
	idx := make([]int32, len(b.rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(x, y int32) int {
		rx, ry := &b.rows[x], &b.rows[y]
		if rx.time != ry.time {
			if rx.time < ry.time {
				return -1
			}
			return 1
		}
		var ex, ey []byte
		if rx.eventID.ok() {
			ex = b.bytes(rx.eventID)
		}
		if ry.eventID.ok() {
			ey = b.bytes(ry.eventID)
		}
		return bytes.Compare(ex, ey)
	})
	return idx
}

// dayCache remembers the partition day of the last timestamp it formatted:
// the records of an object nearly always fall on one day.
type dayCache struct {
	lo, hi int64 // [lo, hi): the microseconds of day
	day    string
}

const microsPerDay = 24 * 60 * 60 * 1_000_000

func (c *dayCache) of(us int64) string {
	if c.day == "" || us < c.lo || us >= c.hi {
		c.lo = us - ((us%microsPerDay)+microsPerDay)%microsPerDay
		c.hi = c.lo + microsPerDay
		c.day = dayOfMicros(us)
	}
	return c.day
}

// dayOfMicros formats a microsecond timestamp as a partition day.
func dayOfMicros(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02")
}
