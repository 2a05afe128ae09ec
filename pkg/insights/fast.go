package insights

import (
	"strings"

	"github.com/ctq-dev/ctq/pkg/query"
)

// The fast path of stats: when every stage before the first stats is
// pushed whole into the scan or is a condition on typed columns the scan
// applies (aggFilters), and every key is a typed string column, a member
// of a JSON text column or bin() with a fixed period, and every item is one
// of count(*), count(f), count_distinct(f), min(@timestamp) and
// max(@timestamp) with f a typed string column, the lake scan computes the
// groups itself (query.Plan.Aggregate: grouping on dictionary codes per
// row group, per-worker partials merged once). Rows the scan cannot read
// exactly from typed columns come back as raw records and go through the
// reference evaluator; both results merge into the stats command's groups,
// and the rest of the pipeline runs as usual.

// aggSpec compiles a stats command for the scan, or reports false.
func aggSpec(c *Stats, maxGroups int) (query.AggSpec, bool) {
	spec := query.AggSpec{MaxGroups: maxGroups}
	for _, k := range c.By {
		switch x := k.Expr.(type) {
		case *FieldRef:
			if col, member, ok := jsonMember(x); ok {
				spec.Keys = append(spec.Keys, query.AggKey{Column: col, Member: member})
				continue
			}
			col, ok := typedColumn(x)
			if !ok {
				return spec, false
			}
			spec.Keys = append(spec.Keys, query.AggKey{Column: col})
		case *Call:
			if x.Fn != "bin" {
				return spec, false
			}
			d := x.Args[0].(*DurationLit).D
			if d.Unit > UnitWeek {
				return spec, false // calendar periods
			}
			key := query.AggKey{PeriodMs: d.N * unitMs[d.Unit]}
			if d.Unit == UnitWeek {
				key.OffsetMs = mondayOffsetMs
			}
			spec.Keys = append(spec.Keys, key)
		default:
			return spec, false
		}
	}
	for _, it := range c.Items {
		call, ok := it.Expr.(*Call)
		if !ok {
			return spec, false
		}
		var arg Expr
		if len(call.Args) > 0 {
			arg = call.Args[0]
		}
		f, isField := arg.(*FieldRef)
		switch call.Fn {
		case "count":
			if _, star := arg.(*Star); arg == nil || star {
				spec.Items = append(spec.Items, query.AggItem{Op: query.AggCount})
				continue
			}
			col, ok := typedColumn(f)
			if !isField || !ok {
				return spec, false
			}
			spec.Items = append(spec.Items, query.AggItem{Op: query.AggCountColumn, Column: col})
		case "count_distinct":
			col, ok := typedColumn(f)
			if !isField || !ok {
				return spec, false
			}
			spec.Items = append(spec.Items, query.AggItem{Op: query.AggCountDistinct, Column: col})
		case "min", "max":
			if !isField || len(f.Segs) != 1 || f.Segs[0].Name != FieldTimestamp {
				return spec, false
			}
			op := query.AggMinTime
			if call.Fn == "max" {
				op = query.AggMaxTime
			}
			spec.Items = append(spec.Items, query.AggItem{Op: op})
		default:
			return spec, false
		}
	}
	return spec, true
}

// jsonMember returns the JSON text column and member of a path such as
// requestParameters.bucketName: exactly one plain member below the column,
// so that no other reading of the path (a member with a dot in its name,
// an array index) can apply within the column.
func jsonMember(f *FieldRef) (col, member string, ok bool) {
	if len(f.Segs) != 2 || !query.AggJSONColumn(f.Segs[0].Name) {
		return "", "", false
	}
	for _, s := range f.Segs {
		if s.IsIndex || s.Quoted || s.Name == "" || strings.HasPrefix(s.Name, "@") || isDigitByte(s.Name[0]) || strings.ContainsAny(s.Name, ".*") {
			return "", "", false
		}
	}
	return f.Segs[0].Name, f.Segs[1].Name, true
}

// aggFilters compiles the stages before the first stats for the scan's
// aggregation: the pattern of the filters pushed whole (pushExpr) and
// of the { … } stages, and the conditions on typed columns that the
// aggregation applies to exact rows (aggPred). ok is false when some
// stage is neither, or a fields or display stage comes first.
func aggFilters(q *Query) (node query.Node, where []query.AggPred, ok bool) {
	var terms []query.Node
	var add func(e Expr) bool
	add = func(e Expr) bool {
		if b, isAnd := e.(*Binary); isAnd && b.Op == "and" {
			return add(b.L) && add(b.R)
		}
		if n, whole := pushExpr(e); n != nil && whole {
			terms = append(terms, n)
			return true
		}
		p, ok := aggPred(e)
		if ok {
			where = append(where, p)
		}
		return ok
	}
	for _, c := range q.Commands {
		if _, ok := c.(*Stats); ok {
			break
		}
		switch c := c.(type) {
		case *PatternFilter:
			terms = append(terms, c.Pattern.Root)
		case *Filter:
			if !add(c.Cond) {
				return nil, nil, false
			}
		default:
			return nil, nil, false
		}
	}
	return andOf(terms), where, true
}

// aggPred compiles a condition on one typed string column whose answer
// depends only on the column's value (missing and JSON null alike):
// ispresent, isempty, isblank, like and =~, != a string that does not
// read as a number, and not of those.
func aggPred(e Expr) (query.AggPred, bool) {
	switch x := e.(type) {
	case *Unary:
		if x.Op != "not" {
			break
		}
		p, ok := aggPred(x.X)
		if !ok {
			break
		}
		test := p.Test
		return query.AggPred{Column: p.Column, Null: !p.Null, Test: func(s string) bool { return !test(s) }}, true
	case *Call:
		if len(x.Args) != 1 {
			break
		}
		f, isField := x.Args[0].(*FieldRef)
		col, ok := typedColumn(f)
		if !isField || !ok {
			break
		}
		switch x.Fn {
		case "ispresent":
			return query.AggPred{Column: col, Test: func(string) bool { return true }}, true
		case "isempty":
			return query.AggPred{Column: col, Null: true, Test: func(s string) bool { return s == "" }}, true
		case "isblank":
			return query.AggPred{Column: col, Null: true, Test: func(s string) bool { return strings.TrimSpace(s) == "" }}, true
		}
	case *MatchExpr:
		f, isField := x.X.(*FieldRef)
		col, ok := typedColumn(f)
		if !isField || !ok {
			break
		}
		var hit func(string) bool
		switch p := x.Pat.(type) {
		case *RegexLit:
			hit = p.Re.MatchString
		case *Literal:
			if p.Val.Kind != KindString {
				return query.AggPred{}, false
			}
			sub := p.Val.Str
			hit = func(s string) bool { return strings.Contains(s, sub) }
		default:
			return query.AggPred{}, false
		}
		not := x.Not
		return query.AggPred{Column: col, Null: not, Test: func(s string) bool { return hit(s) != not }}, true
	case *Binary:
		if x.Op != "!=" {
			break
		}
		f, lit := fieldAndString(x.L, x.R)
		if f == nil {
			f, lit = fieldAndString(x.R, x.L)
		}
		col, ok := typedColumn(f)
		if f == nil || !ok || isDecimal(lit) {
			break
		}
		return query.AggPred{Column: col, Null: true, Test: func(s string) bool { return s != lit }}, true
	}
	return query.AggPred{}, false
}

// typedColumn returns the lake column of a field the scan can aggregate.
func typedColumn(f *FieldRef) (string, bool) {
	if f == nil || selector(f) == nil {
		return "", false
	}
	names := make([]string, len(f.Segs))
	for i, s := range f.Segs {
		names[i] = s.Name
	}
	col := strings.Join(names, ".")
	return col, query.AggColumn(col)
}

// scanGroups are the groups the lake scan computed for the first stats
// (query.AggTable), read in place: keys and aggregates become Values only
// as rows are output. Groups that rows handed back by the scan also
// reached are folded into the evaluator's groups (folded).
type scanGroups struct {
	tab    *query.AggTable
	spec   *query.AggSpec
	folded []bool // by table group; nil when none is
}

// key returns key k of table group g.
func (sc *scanGroups) key(g, k int) Value {
	switch v := sc.tab.Key(g, k); {
	case v.Null:
		return Null
	case sc.spec.Keys[k].Column == "":
		return Time(v.Ms)
	default:
		return String(v.Str)
	}
}

// item returns the aggregate of item i of table group g.
func (sc *scanGroups) item(g, i int) Value {
	v, ok := sc.tab.Value(g, i)
	switch sc.spec.Items[i].Op {
	case query.AggMinTime, query.AggMaxTime:
		if !ok {
			return Null
		}
		return Time(v)
	}
	return Number(float64(v))
}

// find returns the table group of key values, or false: values the scan
// cannot make (a number, say) are in no table group.
func (sc *scanGroups) find(keys []Value) (int, bool) {
	vals := make([]query.AggValue, len(keys))
	for i, v := range keys {
		switch {
		case v.IsNull():
			vals[i] = query.AggValue{Null: true}
		case sc.spec.Keys[i].Column == "" && v.Kind == KindTime:
			vals[i] = query.AggValue{Ms: v.Ms}
		case sc.spec.Keys[i].Column != "" && v.Kind == KindString:
			vals[i] = query.AggValue{Str: v.Str}
		default:
			return 0, false
		}
	}
	return sc.tab.Find(vals)
}

// attachScan adds the scan's groups to the stats state. A table group with
// the key of a group the evaluator made (from rows the scan handed back)
// is folded into that group: counts add up, distinct values unite, times
// take the min or max.
func (st *statsState) attachScan(tab *query.AggTable, spec *query.AggSpec) error {
	sc := &scanGroups{tab: tab, spec: spec}
	into := map[int]*group{} // table group -> the evaluator's group
	for _, g := range st.order {
		if tg, ok := sc.find(g.keys); ok {
			into[tg] = g
		}
	}
	if len(into) > 0 {
		sc.folded = make([]bool, tab.Len())
	}
	for tg, g := range into {
		sc.folded[tg] = true
		for i, acc := range g.accs {
			switch a := acc.(type) {
			case *countAcc:
				v, _ := tab.Value(tg, i)
				a.n += v
			case *minMaxAcc:
				if v, ok := tab.Value(tg, i); ok {
					a.addValue(Time(v))
				}
			case *distinctAcc:
				// below, in one pass over the item's pairs
			default:
				panic("BUG: no scan merge for accumulator " + spec.Items[i].Column)
			}
		}
	}
	for i, it := range spec.Items {
		if it.Op == query.AggCountDistinct && len(into) > 0 {
			tab.ForEachDistinct(i, func(tg int, v string) {
				if g := into[tg]; g != nil {
					g.accs[i].(*distinctAcc).seen.add(String(v).key())
				}
			})
		}
	}
	tab.DropIndex()
	st.scan = sc
	if len(st.order)+tab.Len()-len(into) > st.maxGroups {
		return st.tooManyGroups()
	}
	return nil
}
