package insights

import (
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
}

// Evaluator evaluates one query over records added in input order. It is
// not safe for concurrent use.
type Evaluator struct {
	q       *Query
	env     env
	stream  []Command   // leading row-wise stages
	rest    []Command   // the stages after the streaming part
	stats   *statsState // the first blocking stage, when it is stats
	rows    []*row
	seq     int
	noTime  int // records without a parsable eventTime
	columns []string
}

// NewEvaluator prepares q for evaluation.
func NewEvaluator(q *Query, opts EvalOptions) *Evaluator {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	e := &Evaluator{q: q, env: env{now: opts.Now}, columns: outputColumns(q)}
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
			e.stats = newStatsState(st)
			e.rest = q.Commands[b+1:]
		}
	}
	return e
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
// modified while the Evaluator is in use.
func (e *Evaluator) Add(rec *Record) {
	r := &row{rec: rec, seq: e.seq}
	e.seq++
	if recordTime(rec).IsNull() {
		e.noTime++
	}
	for _, c := range e.stream {
		if !e.rowStage(c, r) {
			return
		}
	}
	if e.stats != nil {
		e.stats.add(&e.env, r)
		return
	}
	e.rows = append(e.rows, r)
}

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

// Result finishes the evaluation and returns every result row (no row cap;
// see Result.Cap). The Evaluator must not be used afterwards.
func (e *Evaluator) Result() *Result {
	rows := e.rows
	ordered := false
	if e.stats != nil {
		rows = e.stats.finish(&e.env)
		ordered = true
	}
	for _, c := range e.rest {
		switch c := c.(type) {
		case *Stats:
			st := newStatsState(c)
			for _, r := range rows {
				st.add(&e.env, r)
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
	return res
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
	cmd    *Stats
	aggs   []*Call
	groups map[string]*group
	order  []*group
	keyBuf []byte
}

type group struct {
	keys []Value
	accs []accumulator
}

func newStatsState(c *Stats) *statsState {
	st := &statsState{cmd: c, groups: map[string]*group{}}
	for _, it := range c.Items {
		walkExpr(it.Expr, func(x Expr) {
			if call, ok := x.(*Call); ok && functions[call.Fn].agg {
				st.aggs = append(st.aggs, call)
			}
		})
	}
	return st
}

func (st *statsState) add(ev *env, r *row) {
	keys := make([]Value, len(st.cmd.By))
	st.keyBuf = st.keyBuf[:0]
	for i, k := range st.cmd.By {
		keys[i] = ev.eval(k.Expr, r)
		st.keyBuf = appendKey(st.keyBuf, keys[i])
	}
	g, ok := st.groups[string(st.keyBuf)]
	if !ok {
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
func Evaluate(q *Query, recs []*Record, opts EvalOptions) *Result {
	e := NewEvaluator(q, opts)
	for _, r := range recs {
		e.Add(r)
	}
	return e.Result()
}
