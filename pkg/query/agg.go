package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// Aggregation over the scan pipeline: a consumer that groups the selected
// rows of each row group by typed string columns and eventTime buckets and
// counts them, per worker, merged once at the end. It serves the fast path
// of Logs Insights' stats (package insights), which checks the query
// against the reference evaluator's answers.

// AggOp is an aggregate the scan computes per group.
type AggOp uint8

const (
	AggCount         AggOp = iota // rows
	AggCountColumn                // rows where Column has a value
	AggCountDistinct              // distinct values of Column
	AggMinTime                    // earliest eventTime, epoch ms
	AggMaxTime                    // latest eventTime, epoch ms
)

// AggItem is one aggregate. Column is a typed string column (AggColumn)
// for AggCountColumn and AggCountDistinct.
type AggItem struct {
	Op     AggOp
	Column string
}

// AggKey is a group key: a typed string column (AggColumn); or, with
// Member set, the string member Member of the JSON object in a JSON text
// column (AggJSONColumn), extracted only for the selected rows; or, with
// Column empty, eventTime floored to periods of PeriodMs counted from
// OffsetMs (epoch-aligned; weeks use the offset of a Monday).
//
// A JSON member key is null when the column is null, not an object, or
// has no such member (or the member is JSON null). A row whose member is
// not a string, whose text cannot be read, or whose lookup could also be
// answered by a top-level member named "<Column>.<Member>" (ctqExtra) is
// handed back like an inexact row.
type AggKey struct {
	Column             string
	Member             string
	PeriodMs, OffsetMs int64
}

// AggPred is a condition on a typed string column (AggColumn) that a row
// must meet to be aggregated: a null value passes when Null is set, a
// value when Test(value) is true. Test must be safe for concurrent use.
type AggPred struct {
	Column string
	Null   bool
	Test   func(string) bool
}

// AggSpec is an aggregation: the conditions on exact rows beyond the
// plan's pattern, keys, items and the bound on groups.
type AggSpec struct {
	Where []AggPred
	Keys  []AggKey
	Items []AggItem
	// MaxGroups bounds the groups of each worker and of the merged result;
	// it must be positive. Beyond it Aggregate fails with ErrAggGroups.
	MaxGroups int
}

// AggValue is a key value: Null, or Str for a column, or Ms (epoch ms) for
// an eventTime bucket.
type AggValue struct {
	Null bool
	Str  string
	Ms   int64
}

// ErrAggGroups is returned (wrapped, with the limit) when an aggregation
// makes more groups than AggSpec.MaxGroups.
var ErrAggGroups = errors.New("too many groups")

// AggColumn reports whether path is a typed string column that Aggregate
// can group by or count (top-level and userIdentity/tlsDetails leaves of
// the lake schema, eventTime excluded).
func AggColumn(path string) bool {
	return typedCols().leaves[path] && path != colTime && !typedCols().bools[path]
}

// AggJSONColumn reports whether path is a JSON text column
// (requestParameters, responseElements, additionalEventData, ...).
func AggJSONColumn(path string) bool { return typedCols().json[path] }

// Aggregate evaluates the plan's pattern over the lake snapshot and
// aggregates the selected rows by spec into one table: each worker fills
// its own, and the tables are merged once at the end (the smaller into the
// larger). Every table, the merged one included, is bounded by MaxGroups.
// Rows whose typed columns are inexact (ctqExact = false) are not
// aggregated: inexact receives their raw records (one call at a time; the
// bytes are valid only during the call) so that the caller evaluates them
// exactly.
func (p *Plan) Aggregate(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, spec AggSpec, inexact func(raw []byte) error) (*AggTable, *Stats, error) {
	if spec.MaxGroups <= 0 {
		return nil, nil, fmt.Errorf("aggregate: MaxGroups must be positive, not %d", spec.MaxGroups)
	}
	for _, k := range spec.Keys {
		if k.Column == "" && k.PeriodMs <= 0 {
			return nil, nil, fmt.Errorf("aggregate: eventTime key with period %d ms", k.PeriodMs)
		}
		if k.Member != "" && !AggJSONColumn(k.Column) {
			return nil, nil, fmt.Errorf("aggregate: %q is not a JSON text column", k.Column)
		}
		if k.Member == "" && k.Column != "" && !AggColumn(k.Column) {
			return nil, nil, fmt.Errorf("aggregate: %q is not a typed string column", k.Column)
		}
	}
	for _, w := range spec.Where {
		if !AggColumn(w.Column) || w.Test == nil {
			return nil, nil, fmt.Errorf("aggregate: condition on %q: not a typed string column, or no test", w.Column)
		}
	}
	for _, it := range spec.Items {
		if (it.Op == AggCountColumn || it.Op == AggCountDistinct) && !AggColumn(it.Column) {
			return nil, nil, fmt.Errorf("aggregate: %q is not a typed string column", it.Column)
		}
	}
	st := &Stats{}
	tasks, err := p.scan.selectFiles(snap, st)
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	var parts []*aggConsumer
	err = p.scan.scan(ctx, lake, tasks, st, func() consumer {
		c := newAggConsumer(&spec, func(raw []byte) error {
			mu.Lock()
			defer mu.Unlock()
			return inexact(raw)
		})
		mu.Lock()
		parts = append(parts, c)
		mu.Unlock()
		return c
	})
	if err != nil {
		return nil, st, err
	}
	out := newAggTable(&spec)
	for i, c := range parts {
		t := c.tab
		if t.Len() > out.Len() {
			out, t = t, out
		}
		if err := out.merge(t); err != nil {
			return nil, st, err
		}
		parts[i] = nil
	}
	out.freeze()
	return out, st, nil
}

// aggConsumer is one worker's partial aggregation.
type aggConsumer struct {
	spec    *AggSpec
	inexact func(raw []byte) error
	tab     *AggTable
	key     []byte
	// local caches the group of a combination of dictionary codes within
	// one row group, so that rows of a repeated combination skip building
	// and hashing the key (one lookup per combination per row group).
	local map[uint64]int32
	dense []int32
	// dvals maps, per count_distinct item, the dictionary codes of the
	// row group to interned values (+1; 0 not yet interned).
	dvals [][]int32
	// jsonKeys is set when a key is a JSON member (AggKey.Member).
	jsonKeys bool
	members  [][]jsonKeyValue // per key, per row of the batch
}

var _ consumer = (*aggConsumer)(nil)

func newAggConsumer(spec *AggSpec, inexact func([]byte) error) *aggConsumer {
	c := &aggConsumer{spec: spec, inexact: inexact, tab: newAggTable(spec),
		local: map[uint64]int32{}, dvals: make([][]int32, len(spec.Items)), members: make([][]jsonKeyValue, len(spec.Keys))}
	for _, k := range spec.Keys {
		c.jsonKeys = c.jsonKeys || k.Member != ""
	}
	return c
}

func (c *aggConsumer) startFile(*partition.File) {}

// maxLocalCode bounds the dictionary codes packed into a local cache key:
// 20 bits per key, so three keys fit in 64 bits with room for null.
const maxLocalCode = 1<<20 - 1

func (c *aggConsumer) consume(b *batch, sels []*bitmap) error {
	sel := sels[0]
	if sel == nil {
		return nil
	}
	if b.meta.inexact || len(c.spec.Where) > 0 || c.jsonKeys {
		// The pipeline owns sels: narrow a copy.
		own := getBitmap(b.n)
		defer putBitmap(own)
		own.copyFrom(sel)
		sel = own
	}
	if b.meta.inexact {
		if err := c.takeInexact(b, sel); err != nil {
			return err
		}
	}
	for i := range c.spec.Where {
		if err := keepWhere(b, &c.spec.Where[i], sel); err != nil {
			return err
		}
	}
	keys := make([]pageStrings, len(c.spec.Keys))
	keyOK := make([]bool, len(c.spec.Keys))
	members := make([][]jsonKeyValue, len(c.spec.Keys))
	var times timeColumn
	needTime := false
	packable := len(c.spec.Keys) <= 3
	for i, k := range c.spec.Keys {
		switch {
		case k.Member != "":
			packable = false
			vals, err := c.extractMember(b, k, sel)
			if err != nil {
				return err
			}
			members[i] = vals
			continue
		case k.Column == "":
			needTime = true
			continue
		}
		ps, ok, err := b.pageStrings(k.Column)
		if err != nil {
			return err
		}
		keys[i], keyOK[i] = ps, ok
		if ok && (ps.dict == nil || ps.dict.values.Len() > maxLocalCode) {
			packable = false
		}
	}
	cols := make([]pageStrings, len(c.spec.Items))
	colOK := make([]bool, len(c.spec.Items))
	for i, it := range c.spec.Items {
		switch it.Op {
		case AggCountColumn, AggCountDistinct:
			ps, ok, err := b.pageStrings(it.Column)
			if err != nil {
				return err
			}
			cols[i], colOK[i] = ps, ok
			if ok && ps.dict != nil && it.Op == AggCountDistinct {
				n := ps.dict.values.Len()
				c.dvals[i] = slices.Grow(c.dvals[i][:0], n)[:n]
				clear(c.dvals[i])
			}
		case AggMinTime, AggMaxTime:
			needTime = true
		}
	}
	if needTime {
		var err error
		if times, err = b.eventTimes(); err != nil {
			return err
		}
	}
	// A single dictionary key maps codes to groups through a dense array
	// (code+1, 0 for null), several through the map c.local. An eventTime
	// key packs its period's index relative to the row group's first
	// (base; +1, 0 for null); a row too far from it skips the cache.
	dense := packable && len(keys) == 1 && c.spec.Keys[0].Column != ""
	base := make([]int64, len(keys))
	baseSet := make([]bool, len(keys))
	if dense {
		n := 1
		if keyOK[0] {
			n += keys[0].dict.values.Len()
		}
		c.dense = slices.Grow(c.dense[:0], n)[:n]
		for i := range c.dense {
			c.dense[i] = -1
		}
	} else {
		clear(c.local)
	}
	t := c.tab
	var ferr error
	sel.forEach(func(r int) {
		if ferr != nil {
			return
		}
		ms, hasTime := int64(0), false
		if needTime {
			if us, ok := times.micros(r); ok {
				ms, hasTime = floorDiv(us, 1000), true
			}
		}
		var g int32
		var code uint64
		found, cache := false, packable
		if packable {
			for i, k := range c.spec.Keys {
				v := uint64(0)
				switch {
				case k.Column == "":
					if !hasTime {
						break
					}
					p := floorDiv(ms-k.OffsetMs, k.PeriodMs)
					if !baseSet[i] {
						base[i], baseSet[i] = p-maxLocalCode/2, true
					}
					if d := p - base[i]; d >= 0 && d < maxLocalCode {
						v = uint64(d + 1)
					} else {
						cache = false
					}
				case keyOK[i]:
					v = uint64(keys[i].dict.idx[r] + 1)
				}
				code = code<<21 | v
			}
			switch {
			case !cache:
			case dense:
				g = c.dense[code]
				found = g >= 0
			default:
				g, found = c.local[code]
			}
		}
		if !found {
			c.key = c.key[:0]
			for i, k := range c.spec.Keys {
				switch {
				case k.Member != "":
					if v := members[i][r]; v.null {
						c.key = append(c.key, aggKeyNull)
					} else {
						c.key = appendAggKey(c.key, AggValue{Str: v.str}, false)
					}
				case k.Column == "":
					v := AggValue{Null: true}
					if hasTime {
						v = AggValue{Ms: floorDiv(ms-k.OffsetMs, k.PeriodMs)*k.PeriodMs + k.OffsetMs}
					}
					c.key = appendAggKey(c.key, v, true)
				case !keyOK[i] || !keys[i].valid(r):
					c.key = append(c.key, aggKeyNull)
				default:
					c.key = appendAggKeyBytes(c.key, bytesOf(keys[i], r))
				}
			}
			if g, ferr = t.group(c.key, aggHash(c.key)); ferr != nil {
				return
			}
			switch {
			case dense:
				c.dense[code] = g
			case cache:
				c.local[code] = g
			}
		}
		for i, it := range c.spec.Items {
			switch it.Op {
			case AggCount:
				t.vals[i][g]++
			case AggCountColumn:
				if colOK[i] && cols[i].valid(r) {
					t.vals[i][g]++
				}
			case AggCountDistinct:
				if colOK[i] && cols[i].valid(r) {
					var v int32
					if d := cols[i].dict; d != nil {
						// One lookup per dictionary entry and row group.
						x := d.idx[r]
						if c.dvals[i][x] == 0 {
							if v, ferr = t.value(bytesOf(cols[i], r)); ferr != nil {
								return
							}
							c.dvals[i][x] = v + 1
						}
						v = c.dvals[i][x] - 1
					} else if v, ferr = t.value(bytesOf(cols[i], r)); ferr != nil {
						return
					}
					t.addDistinct(g, i, v)
				}
			case AggMinTime, AggMaxTime:
				if hasTime {
					t.addTime(g, i, ms)
				}
			}
		}
	})
	return ferr
}

// keepWhere keeps the rows of sel that meet w.
func keepWhere(b *batch, w *AggPred, sel *bitmap) error {
	ps, ok, err := b.pageStrings(w.Column)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		if !w.Null {
			sel.keep(func(int) bool { return false })
		}
	case ps.dict != nil:
		d := ps.dict
		t := d.table(w.Test)
		sel.keep(func(i int) bool {
			if x := d.idx[i]; x >= 0 {
				return t[x]
			}
			return w.Null
		})
	default:
		p := ps.plain
		sel.keep(func(i int) bool {
			if p.IsNull(i) {
				return w.Null
			}
			return w.Test(string(p.Value(i)))
		})
	}
	return nil
}

// takeInexact hands the raw records of the selected inexact rows to the
// caller and clears them from sel.
func (c *aggConsumer) takeInexact(b *batch, sel *bitmap) error {
	arr, ok, err := b.leaf(colExact)
	if err != nil {
		return err
	}
	var exact *array.Boolean
	if ok {
		if exact, ok = arr.(*array.Boolean); !ok {
			return fmt.Errorf("column %s: unexpected type %s", colExact, arr.DataType())
		}
	}
	return c.handBack(b, sel, func(r int) bool { return exact != nil && exact.IsValid(r) && exact.Value(r) })
}

// handBack hands the raw records of the rows of sel that fail keep to the
// caller and clears them from sel.
func (c *aggConsumer) handBack(b *batch, sel *bitmap, keep func(r int) bool) error {
	var raw *byteColumn // read only when a row is handed back
	var ferr error
	sel.keep(func(r int) bool {
		if keep(r) {
			return true
		}
		if raw == nil && ferr == nil {
			raw, ferr = b.raw()
		}
		if ferr == nil {
			ferr = c.inexact(raw.Value(r))
		}
		return false
	})
	return ferr
}

// bytesOf returns row r's value of a string column; the bytes alias the
// column's buffers.
func bytesOf(ps pageStrings, r int) []byte {
	if d := ps.dict; d != nil {
		x := d.idx[r]
		return d.values.data[d.values.offs[x]:d.values.offs[x+1]]
	}
	return ps.plain.Value(r)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
