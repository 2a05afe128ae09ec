package insights

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
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
	e.stream = q.Commands[:b]
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
	rows := e.rows
	ordered := false
	switch {
	case e.stats != nil:
		rows = e.stats.finish(&e.env)
		ordered = true
	case e.top != nil:
		rows = e.top.rows()
		ordered = e.top.anyOrder
	}
	for _, c := range e.rest {
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
	res := &Result{Columns: e.Columns(), Total: len(rows)}
	if e.top != nil && e.top.capOnly {
		// The buffer held the first KeepRows rows of a query without
		// limit; every row that reached it counts.
		res.Total = e.added
	}
	for _, w := range e.q.Warnings {
		res.Warnings = append(res.Warnings, w.String())
	}
	if e.noTime > 0 {
		res.Warnings = append(res.Warnings, strconv.Itoa(e.noTime)+" records have no parsable eventTime; their @timestamp is null")
	}
	res.Rows = make([][]Value, len(rows))
	for i, r := range rows {
		out := make([]Value, len(res.Columns))
		for j, name := range res.Columns {
			out[j] = e.column(r, name)
		}
		res.Rows[i] = out
	}
	return res, nil
}

// column reads an output column of a row.
func (e *Evaluator) column(r *row, name string) Value {
	if v, ok := r.cols[name]; ok {
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

// statsState holds the groups of one stats command.
type statsState struct {
	cmd       *Stats
	maxGroups int
	aggs      []*Call
	groups    map[string]*group
	order     []*group
	keyBuf    []byte
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
	st.keyBuf = st.keyBuf[:0]
	for i, k := range st.cmd.By {
		keys[i] = ev.eval(k.Expr, r)
		st.keyBuf = appendKey(st.keyBuf, keys[i])
	}
	g, ok := st.groups[string(st.keyBuf)]
	if !ok {
		if len(st.groups) >= st.maxGroups {
			return fmt.Errorf("%w: %q makes more than %d groups; narrow the query (filter, --since) or raise the group limit",
				ErrTooManyGroups, st.cmd.String(), st.maxGroups)
		}
		g = &group{keys: keys, accs: make([]accumulator, len(st.aggs))}
		for i, c := range st.aggs {
			g.accs[i] = newAccumulator(c)
		}
		st.groups[string(st.keyBuf)] = g
		st.order = append(st.order, g)
	}
	for _, a := range g.accs {
		a.add(ev, r)
	}
	return nil
}

// finish returns one row per group, ascending by keys (nulls last); a
// stats without by over no rows gives one row (count 0, other aggregates
// null).
func (st *statsState) finish(ev *env) []*row {
	if len(st.cmd.By) == 0 && len(st.order) == 0 {
		g := &group{accs: make([]accumulator, len(st.aggs))}
		for i, c := range st.aggs {
			g.accs[i] = newAccumulator(c)
		}
		st.order = append(st.order, g)
	}
	slices.SortStableFunc(st.order, func(a, b *group) int {
		for i := range a.keys {
			if c := sortCompare(a.keys[i], b.keys[i], false); c != 0 {
				return c
			}
		}
		return 0
	})
	rows := make([]*row, len(st.order))
	for gi, g := range st.order {
		r := &row{seq: gi, cols: make(map[string]Value, len(st.cmd.By)+len(st.cmd.Items))}
		for i, k := range st.cmd.By {
			r.cols[k.Name] = g.keys[i]
		}
		ev.aggs = make(map[*Call]Value, len(st.aggs))
		for i, c := range st.aggs {
			ev.aggs[c] = g.accs[i].result()
		}
		for _, it := range st.cmd.Items {
			r.cols[it.Name] = ev.eval(it.Expr, r)
		}
		ev.aggs = nil
		rows[gi] = r
	}
	return rows
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
