package insights

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The reference evaluator runs a query over decoded records the slow and
// obvious way: every stage over every row, string-keyed groups, exact
// sets, stable sorts. It is the oracle of the engine's differential tests
// and the evaluator Run uses for the rows the lake scan returns.
//
// Rows stream through the leading row-wise stages (filter, { … } patterns,
// fields, display) and, when the first blocking stage is stats, into its
// groups, so an aggregating query keeps one state per group, not the rows.
// From the first sort, dedup, limit or (second) stats on, rows are held in
// memory.

// EvalOptions configures an Evaluator.
type EvalOptions struct {
	// Now is the query start time for now(); zero means the time
	// NewEvaluator is called.
	Now time.Time
	// KeepRows, when positive and the query has no limit, keeps only the
	// first KeepRows result rows in memory (Result.Total still counts all):
	// the row cap of spec §2 applied while rows stream in.
	KeepRows int
	// MaxGroups bounds the groups of each stats command; 0 means
	// DefaultMaxGroups. Add fails with ErrTooManyGroups beyond it.
	MaxGroups int
	// Stream, when set, lets Result leave Result.Rows nil where it can
	// make each row as it is read (Result.Each): the groups of a stats
	// that ends the query, without a Value per cell in memory at once.
	Stream bool
	// Applied is the number of leading filter commands every record
	// passed before Add (a scan evaluated them exactly): they are not
	// evaluated again. Only filter and { … } commands are skipped.
	Applied int
}

// DefaultMaxGroups is the default bound on the groups of one stats
// command: about 1 KiB of state per group keeps the reference evaluator
// within a few hundred MiB.
const DefaultMaxGroups = 200_000

// ErrTooManyGroups is returned (wrapped, with the command and the limit)
// when a stats command makes more groups than EvalOptions.MaxGroups.
var ErrTooManyGroups = errors.New("too many groups")

// Evaluator evaluates one query over records added in input order. It is
// not safe for concurrent use.
type Evaluator struct {
	q       *Query
	opts    EvalOptions
	env     env
	stream  []Command   // leading row-wise stages
	rest    []Command   // the stages after the streaming part
	stats   *statsState // the first blocking stage, when it is stats
	top     *topN       // bounded row buffer when the order and count of the kept rows are known
	rows    []*row
	seq     int
	added   int // rows that passed the streaming stages
	noTime  int // records without a parsable eventTime
	columns []string
	done    bool // limit any N is full: later records cannot change the result
}

// NewEvaluator prepares q for evaluation.
func NewEvaluator(q *Query, opts EvalOptions) *Evaluator {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	e := &Evaluator{q: q, opts: opts, env: env{now: opts.Now}, columns: outputColumns(q)}
	b := len(q.Commands)
	for i, c := range q.Commands {
		switch c.(type) {
		case *Stats, *Sort, *Dedup, *Limit:
			b = i
		default:
			continue
		}
		break
	}
	skip := min(max(opts.Applied, 0), leadingFilters(q), b)
	e.stream = q.Commands[skip:b]
	e.rest = q.Commands[b:]
	if b < len(q.Commands) {
		if st, ok := q.Commands[b].(*Stats); ok {
			e.stats = newStatsState(st, opts.MaxGroups)
			e.rest = q.Commands[b+1:]
		}
	}
	if e.stats == nil {
		e.top = e.planTop(q.HasLimit())
	}
	return e
}

// planTop returns a bounded buffer when the rows kept are the first N of a
// known order: sort … | limit N, limit N (newest first), limit any N (the
// first N added), and the row cap of a query without limit that ends with
// at most one sort. Every other shape keeps all rows.
func (e *Evaluator) planTop(hasLimit bool) *topN {
	var sortCmd *Sort
	rest := e.rest
	if len(rest) > 0 {
		if s, ok := rest[0].(*Sort); ok {
			sortCmd, rest = s, rest[1:]
		}
	}
	n := 0
	anyOrder := false
	switch {
	case len(rest) > 0:
		lim, ok := rest[0].(*Limit)
		if !ok {
			return nil
		}
		n, anyOrder = lim.N, lim.Any && sortCmd == nil
	case !hasLimit && e.opts.KeepRows > 0:
		t := newTopN(e.opts.KeepRows, false, sortCmd, &e.env)
		t.capOnly = true
		return t
	default:
		return nil
	}
	return newTopN(n, anyOrder, sortCmd, &e.env)
}

// Columns returns the output column names: the by keys and items of the
// last stats, the union of fields, or the last display; @timestamp and
// @message when the query has none of them.
func (e *Evaluator) Columns() []string { return slices.Clone(e.columns) }

// outputColumns derives the output columns from the commands.
func outputColumns(q *Query) []string {
	var cols []string
	add := func(items []Item) {
		for _, it := range items {
			if !slices.Contains(cols, it.Name) {
				cols = append(cols, it.Name)
			}
		}
	}
	for _, c := range q.Commands {
		switch c := c.(type) {
		case *Fields:
			add(c.Items)
		case *Display:
			cols = nil
			add(c.Items)
		case *Stats:
			cols = nil
			add(c.By)
			add(c.Items)
		}
	}
	if cols == nil {
		cols = []string{FieldTimestamp, FieldMessage}
	}
	return cols
}

// Add evaluates the streaming stages for one record. rec must not be
// modified while the Evaluator is in use. The only error is
// ErrTooManyGroups (wrapped); the Evaluator must not be used after an
// error.
func (e *Evaluator) Add(rec *Record) error {
	r := &row{rec: rec, seq: e.seq}
	e.seq++
	if recordTime(rec).IsNull() {
		e.noTime++
	}
	for _, c := range e.stream {
		if !e.rowStage(c, r) {
			return nil
		}
	}
	e.added++
	switch {
	case e.stats != nil:
		return e.stats.add(&e.env, r)
	case e.top != nil:
		e.top.add(r)
		e.done = e.top.full() && e.top.anyOrder
	default:
		e.rows = append(e.rows, r)
	}
	return nil
}

// Done reports that later records cannot change the result (limit any N
// has its N rows), so the caller may stop reading.
func (e *Evaluator) Done() bool { return e.done }

// rowStage applies a row-wise stage to one row; false drops the row.
func (e *Evaluator) rowStage(c Command, r *row) bool {
	switch c := c.(type) {
	case *Filter:
		return e.env.eval(c.Cond, r).Truthy()
	case *PatternFilter:
		return matchPattern(c, r)
	case *Fields:
		e.setItems(c.Items, r)
	case *Display:
		e.setItems(c.Items, r)
	}
	return true
}

func (e *Evaluator) setItems(items []Item, r *row) {
	vals := make([]Value, len(items))
	for i, it := range items {
		vals[i] = e.env.eval(it.Expr, r)
	}
	for i, it := range items {
		r.set(it.Name, vals[i])
	}
}

// Result finishes the evaluation and returns the result rows: all of them,
// or with EvalOptions.KeepRows the first KeepRows (Total counts all). The
// only error is ErrTooManyGroups (wrapped). The Evaluator must not be used
// afterwards.
func (e *Evaluator) Result() (*Result, error) {
	if e.stats != nil && len(e.rest) == 0 {
		return e.statsResult(), nil
	}
	rows := e.rows
	rest := e.rest
	ordered := false
	switch {
	case e.stats != nil:
		rows, rest = e.statsRows()
		ordered = true
	case e.top != nil:
		rows = e.top.rows()
		ordered = e.top.anyOrder
	}
	for _, c := range rest {
		switch c := c.(type) {
		case *Stats:
			st := newStatsState(c, e.opts.MaxGroups)
			for _, r := range rows {
				if err := st.add(&e.env, r); err != nil {
					return nil, err
				}
			}
			rows = st.finish(&e.env)
			ordered = true
		case *Sort:
			e.sortRows(c, rows)
			ordered = true
		case *Dedup:
			if !ordered {
				e.defaultOrder(rows)
				ordered = true
			}
			rows = e.dedup(c, rows)
		case *Limit:
			if !ordered && !c.Any {
				e.defaultOrder(rows)
			}
			ordered = true
			if len(rows) > c.N {
				rows = rows[:c.N]
			}
		default:
			kept := rows[:0]
			for _, r := range rows {
				if e.rowStage(c, r) {
					kept = append(kept, r)
				}
			}
			rows = kept
		}
	}
	if !ordered {
		e.defaultOrder(rows)
	}
	total := len(rows)
	if e.top != nil && e.top.capOnly {
		// The buffer held the first KeepRows rows of a query without
		// limit; every row that reached it counts.
		total = e.added
	}
	res := e.newResult(total, len(rows))
	for i, r := range rows {
		e.output(r, res.Rows[i])
	}
	return res, nil
}

// newResult returns a result of total rows with n empty rows (one
// allocation for all their values), the columns and the warnings.
func (e *Evaluator) newResult(total, n int) *Result {
	res := &Result{Columns: e.Columns(), Total: total}
	for _, w := range e.q.Warnings {
		res.Warnings = append(res.Warnings, w.String())
	}
	if e.noTime > 0 {
		res.Warnings = append(res.Warnings, strconv.Itoa(e.noTime)+" records have no parsable eventTime; their @timestamp is null")
	}
	w := len(res.Columns)
	slab := make([]Value, n*w)
	res.Rows = make([][]Value, n)
	for i := range res.Rows {
		res.Rows[i] = slab[i*w : (i+1)*w : (i+1)*w]
	}
	return res
}

// output reads the output columns of r into out.
func (e *Evaluator) output(r *row, out []Value) {
	for j, name := range e.columns {
		out[j] = e.column(r, name)
	}
}

// statsResult is the result of a query whose last stage is its first
// stats: each group goes straight into its result row, and with KeepRows
// only the first KeepRows groups do.
func (e *Evaluator) statsResult() *Result {
	st := e.stats
	st.finishGroups()
	ids := st.sorted()
	n := len(ids)
	if e.opts.KeepRows > 0 && !e.q.HasLimit() {
		n = min(n, e.opts.KeepRows)
	}
	// A scan group's cells come straight from the table: src says which
	// key or item sets each column (the last of that name, as row.set).
	src := make([]int, len(e.columns))
	for j, name := range e.columns {
		src[j] = -1
		for k, by := range st.cmd.By {
			if by.Name == name {
				src[j] = k
			}
		}
		for i, it := range st.cmd.Items {
			if it.Name == name {
				src[j] = len(st.cmd.By) + i
			}
		}
	}
	var r row
	row := func(i int, dst []Value) {
		id := int(ids[i])
		if g := id - len(st.order); g >= 0 {
			for j, s := range src {
				switch {
				case s < 0:
				case s < len(st.cmd.By):
					dst[j] = st.scan.key(g, s)
				default:
					dst[j] = st.scan.item(g, s-len(st.cmd.By))
				}
			}
			return
		}
		r.cols = r.cols[:0]
		st.fill(&e.env, id, &r)
		e.output(&r, dst)
	}
	if e.opts.Stream {
		res := e.newResult(len(ids), 0)
		res.stream, res.streamLen = row, n
		return res
	}
	res := e.newResult(len(ids), n)
	for i := range n {
		row(i, res.Rows[i])
	}
	return res
}

// statsRows returns the rows of the first stats and the stages left:
// when the next stages are sort … | limit N or limit N, the first N rows
// in their order (statsState.top), with those stages done.
func (e *Evaluator) statsRows() ([]*row, []Command) {
	rest := e.rest
	var s *Sort
	if len(rest) > 0 {
		if c, ok := rest[0].(*Sort); ok {
			s, rest = c, rest[1:]
		}
	}
	if len(rest) > 0 {
		if lim, ok := rest[0].(*Limit); ok {
			return e.stats.top(&e.env, s, lim.N), rest[1:]
		}
	}
	return e.stats.finish(&e.env), e.rest
}

// column reads an output column of a row.
func (e *Evaluator) column(r *row, name string) Value {
	if v, ok := r.col(name); ok {
		return v
	}
	if r.rec != nil {
		if v, ok := systemField(r.rec, name); ok {
			return v
		}
	}
	return Null
}

// defaultOrder is the order without sort or stats: @timestamp descending,
// ties in input order, null timestamps last.
func (e *Evaluator) defaultOrder(rows []*row) {
	slices.SortStableFunc(rows, func(a, b *row) int {
		return sortCompare(e.env.timestamp(a), e.env.timestamp(b), true)
	})
}

func (e *Evaluator) sortRows(c *Sort, rows []*row) {
	keys := make(map[*row][]Value, len(rows))
	for _, r := range rows {
		k := make([]Value, len(c.Keys))
		for i, sk := range c.Keys {
			k[i] = e.env.eval(sk.Expr, r)
		}
		keys[r] = k
	}
	slices.SortStableFunc(rows, func(a, b *row) int {
		ka, kb := keys[a], keys[b]
		for i, sk := range c.Keys {
			if x := sortCompare(ka[i], kb[i], sk.Desc); x != 0 {
				return x
			}
		}
		return 0
	})
}

// dedup keeps the first row of each combination of values; rows with a
// null in any of the fields are all kept.
func (e *Evaluator) dedup(c *Dedup, rows []*row) []*row {
	seen := map[string]bool{}
	kept := rows[:0]
	for _, r := range rows {
		var key []byte
		null := false
		for _, f := range c.Fields {
			v := e.env.field(r, f)
			if v.IsNull() {
				null = true
				break
			}
			key = appendKey(key, v)
		}
		if !null {
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
		}
		kept = append(kept, r)
	}
	return kept
}

// appendKey appends v's identity (kind and canonical text), length-prefixed
// so that tuples of keys cannot collide.
func appendKey(dst []byte, v Value) []byte {
	k := v.key()
	dst = strconv.AppendInt(dst, int64(len(k)), 10)
	dst = append(dst, ':')
	return append(dst, k...)
}

// statsState holds the groups of one stats command: the evaluator's own
// (order, from rows added) and, on Run's fast path, the groups the lake
// scan computed (scan). A group has an id: its index in order, or
// len(order) plus its index in the scan's table; ids are the creation
// order that breaks ties of the key order.
type statsState struct {
	cmd       *Stats
	maxGroups int
	aggs      []*Call
	groups    map[string]*group
	order     []*group
	keyBuf    []byte
	scan      *scanGroups
}

type group struct {
	keys []Value
	accs []accumulator
}

func newStatsState(c *Stats, maxGroups int) *statsState {
	st := &statsState{cmd: c, maxGroups: maxGroups, groups: map[string]*group{}}
	for _, it := range c.Items {
		walkExpr(it.Expr, func(x Expr) {
			if call, ok := x.(*Call); ok && functions[call.Fn].agg {
				st.aggs = append(st.aggs, call)
			}
		})
	}
	return st
}

func (st *statsState) add(ev *env, r *row) error {
	keys := make([]Value, len(st.cmd.By))
	for i, k := range st.cmd.By {
		keys[i] = ev.eval(k.Expr, r)
	}
	g, err := st.groupFor(keys)
	if err != nil {
		return err
	}
	for _, a := range g.accs {
		a.add(ev, r)
	}
	return nil
}

// groupFor returns the group of the key values, adding it.
func (st *statsState) groupFor(keys []Value) (*group, error) {
	st.keyBuf = st.keyBuf[:0]
	for _, k := range keys {
		st.keyBuf = appendKey(st.keyBuf, k)
	}
	g, ok := st.groups[string(st.keyBuf)]
	if !ok {
		if len(st.groups) >= st.maxGroups {
			return nil, st.tooManyGroups()
		}
		g = st.newGroup(keys)
		st.groups[string(st.keyBuf)] = g
		st.order = append(st.order, g)
	}
	return g, nil
}

func (st *statsState) newGroup(keys []Value) *group {
	g := &group{keys: keys, accs: make([]accumulator, len(st.aggs))}
	for i, c := range st.aggs {
		g.accs[i] = newAccumulator(c)
	}
	return g
}

func (st *statsState) tooManyGroups() error {
	return fmt.Errorf("%w: %q makes more than %d groups; narrow the query (filter, --since) or raise the group limit (MaxGroups, default %d)",
		ErrTooManyGroups, st.cmd.String(), st.maxGroups, DefaultMaxGroups)
}

// ids returns the number of group ids; an id the scan's groups folded
// into order (scanGroups.folded) names no group.
func (st *statsState) ids() int {
	n := len(st.order)
	if st.scan != nil {
		n += st.scan.tab.Len()
	}
	return n
}

// live reports whether id names a group.
func (st *statsState) live(id int) bool {
	return id < len(st.order) || st.scan.folded == nil || !st.scan.folded[id-len(st.order)]
}

// key returns key k of group id.
func (st *statsState) key(id, k int) Value {
	if id < len(st.order) {
		return st.order[id].keys[k]
	}
	return st.scan.key(id-len(st.order), k)
}

// compareGroups compares groups a and b in the output order of stats:
// ascending by keys (§4.7, nulls last), ties by id.
func (st *statsState) compareGroups(a, b int) int {
	for k := range st.cmd.By {
		if c := sortCompare(st.key(a, k), st.key(b, k), false); c != 0 {
			return c
		}
	}
	return cmp.Compare(a, b)
}

// finishGroups adds the one group of a stats without by over no rows
// (count 0, other aggregates null). No group is added afterwards.
func (st *statsState) finishGroups() {
	if len(st.cmd.By) == 0 && st.ids() == 0 {
		st.order = append(st.order, st.newGroup(nil))
	}
	st.groups = nil // let the index go
}

// sorted returns the ids of the groups in output order (compareGroups).
// Keys are encoded once into one buffer (appendSortKey) when they all can
// be, so that comparisons are byte comparisons.
func (st *statsState) sorted() []int32 {
	ids := make([]int32, 0, st.ids())
	for id := range st.ids() {
		if st.live(id) {
			ids = append(ids, int32(id))
		}
	}
	enc, offs, ok := st.encodeKeys(ids)
	if !ok {
		slices.SortFunc(ids, func(a, b int32) int { return st.compareGroups(int(a), int(b)) })
		return ids
	}
	// Each key's first 24 bytes as three numbers decide most comparisons
	// without touching the buffer (an IPv4 address or an ARN's account
	// part takes more than 16 once digit runs carry their length).
	type sortEntry struct {
		k0, k1, k2 uint64
		pos        int32
	}
	perm := make([]sortEntry, len(ids))
	for i := range perm {
		var p [24]byte
		copy(p[:], enc[offs[i]:offs[i+1]])
		perm[i] = sortEntry{binary.BigEndian.Uint64(p[:8]), binary.BigEndian.Uint64(p[8:16]), binary.BigEndian.Uint64(p[16:]), int32(i)}
	}
	perm = sortHalves(perm, func(a, b sortEntry) int {
		if a.k0 != b.k0 {
			return cmp.Compare(a.k0, b.k0)
		}
		if a.k1 != b.k1 {
			return cmp.Compare(a.k1, b.k1)
		}
		if a.k2 != b.k2 {
			return cmp.Compare(a.k2, b.k2)
		}
		if c := bytes.Compare(enc[offs[a.pos]:offs[a.pos+1]], enc[offs[b.pos]:offs[b.pos+1]]); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos) // positions ascend with ids
	})
	sorted := make([]int32, len(ids))
	for i, e := range perm {
		sorted[i] = ids[e.pos]
	}
	return sorted
}

// encodeKeys encodes the keys of the groups ids (appendSortKey) one after
// the other into enc, group p's at enc[offs[p]:offs[p+1]]; ok is false
// when a key cannot be encoded. Many groups are encoded as two halves at
// once: on a high-cardinality stats this is a third of the sort.
func (st *statsState) encodeKeys(ids []int32) (enc []byte, offs []int, ok bool) {
	encode := func(ids []int32, offs []int) (enc []byte, ok bool) {
		for p, id := range ids {
			for k := range st.cmd.By {
				if enc, ok = appendSortKey(enc, st.key(int(id), k)); !ok {
					return nil, false
				}
			}
			offs[p+1] = len(enc)
		}
		return enc, true
	}
	offs = make([]int, len(ids)+1)
	if len(ids) < 1<<15 || runtime.GOMAXPROCS(0) < 2 {
		enc, ok = encode(ids, offs)
		return enc, offs, ok
	}
	h := len(ids) / 2
	var enc2 []byte
	var ok2 bool
	offs2 := make([]int, len(ids)-h+1)
	var wg sync.WaitGroup
	wg.Go(func() { enc2, ok2 = encode(ids[h:], offs2) })
	enc, ok = encode(ids[:h], offs)
	wg.Wait()
	if !ok || !ok2 {
		return nil, nil, false
	}
	base := len(enc)
	enc = append(enc, enc2...)
	for i, o := range offs2[1:] {
		offs[h+1+i] = base + o
	}
	return enc, offs, true
}

// sortHalves sorts s by cmp, which must order every pair of distinct
// elements; a large s is sorted as two halves at once, then merged. It
// returns the sorted elements (s itself, or a new slice).
func sortHalves[T any](s []T, cmp func(a, b T) int) []T {
	if len(s) < 1<<15 || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(s, cmp)
		return s
	}
	a, b := s[:len(s)/2], s[len(s)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(a, cmp) })
	slices.SortFunc(b, cmp)
	wg.Wait()
	out := make([]T, 0, len(s))
	for len(a) > 0 && len(b) > 0 {
		if cmp(b[0], a[0]) < 0 {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// fill sets the output columns of group id on r: the keys, then the items.
func (st *statsState) fill(ev *env, id int, r *row) {
	for k, by := range st.cmd.By {
		r.set(by.Name, st.key(id, k))
	}
	if id >= len(st.order) {
		g := id - len(st.order)
		for i, it := range st.cmd.Items {
			r.set(it.Name, st.scan.item(g, i))
		}
		return
	}
	g := st.order[id]
	aggs := make(map[*Call]Value, len(st.aggs))
	for i, c := range st.aggs {
		aggs[c] = g.accs[i].result()
	}
	ev.aggs = aggs
	for _, it := range st.cmd.Items {
		r.set(it.Name, ev.eval(it.Expr, r))
	}
	ev.aggs = nil
}

// finish returns one row per group in output order.
func (st *statsState) finish(ev *env) []*row {
	st.finishGroups()
	ids := st.sorted()
	rows := make([]*row, len(ids))
	w := len(st.cmd.By) + len(st.cmd.Items)
	slab := make([]row, len(ids)) // one allocation for all rows and one for their columns
	cols := make([]column, len(ids)*w)
	for i, id := range ids {
		r := &slab[i]
		r.seq, r.cols = i, cols[i*w:i*w:(i+1)*w]
		st.fill(ev, int(id), r)
		rows[i] = r
	}
	return rows
}

// top returns the first n rows of the groups in the order of s (nil: the
// output order of stats), ties in output order, without making a row per
// group: a bounded heap over the groups (topN).
func (st *statsState) top(ev *env, s *Sort, n int) []*row {
	st.finishGroups()
	if s == nil {
		s = &Sort{}
	}
	t := newTopN(n, false, s, ev)
	t.tie = func(a, b *row) int { return st.compareGroups(a.seq, b.seq) }
	var r row
	for id := range st.ids() {
		if !st.live(id) {
			continue
		}
		r.seq, r.cols = id, r.cols[:0]
		st.fill(ev, id, &r)
		if t.admits(&r) {
			t.push(&row{seq: id, cols: slices.Clone(r.cols), order: slices.Clone(r.order)})
		}
	}
	return t.rows()
}

// Evaluate runs q over recs in input order with the reference evaluator.
func Evaluate(q *Query, recs []*Record, opts EvalOptions) (*Result, error) {
	e := NewEvaluator(q, opts)
	for _, r := range recs {
		if err := e.Add(r); err != nil {
			return nil, err
		}
		if e.Done() {
			break
		}
	}
	return e.Result()
}
