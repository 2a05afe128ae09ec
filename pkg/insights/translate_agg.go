package insights

import (
	"fmt"
	"strings"
)

// Translation of stats into GROUP BY (see translate.go).

// aggContext is the row side of a stats command while its items are
// translated: aggregate arguments read the rows, everything else reads the
// group (its keys and the items before).
type aggContext struct {
	scope  map[string]sqlVal
	record bool
}

// stats makes the relation a grouped subquery. Keys whose kind is known
// per row carry a second column with the kind, so that later stages
// compare, group and sort them as the evaluator does.
func (t *translator) stats(c *Stats, r *relation) *relation {
	t.nsub++
	sub := t.nsub
	rowScope, rowRecord := t.scope, t.record
	var sel, group []string
	groupScope := map[string]sqlVal{}
	outScope := map[string]sqlVal{}
	column := func(name string, v sqlVal, i int) {
		out := quoteIdent(name)
		switch v.kind {
		case sDyn:
			tag := quoteIdent(fmt.Sprintf("ctq_kind_%d_%d", sub, i))
			sel = append(sel, v.dyn.text+" AS "+out, v.dyn.tag()+" AS "+tag)
			outScope[name] = sqlVal{kind: sDyn, dyn: dynColumn(out, tag)}
		case sNull:
			sel = append(sel, "NULL AS "+out)
			outScope[name] = nullVal
		default:
			sel = append(sel, v.sql+" AS "+out)
			outScope[name] = sqlVal{kind: v.kind, sql: out}
		}
	}
	keys := make([]sqlVal, len(c.By))
	for i, k := range c.By {
		keys[i] = t.bounded(k.Expr, t.expr(k.Expr))
	}
	for i, k := range c.By {
		group = append(group, t.identity(keys[i])...)
		groupScope[k.Name] = keys[i]
		column(k.Name, keys[i], i)
	}
	t.scope, t.record = groupScope, false
	t.agg = &aggContext{scope: rowScope, record: rowRecord}
	for i, it := range c.Items {
		v := t.bounded(it.Expr, t.expr(it.Expr))
		groupScope[it.Name] = v
		column(it.Name, v, len(c.By)+i)
	}
	t.agg = nil
	s := fmt.Sprintf("SELECT %s FROM %s%s", strings.Join(sel, ", "), r.from, whereClause(r.where))
	if len(group) > 0 {
		s += " GROUP BY " + strings.Join(group, ", ")
	}
	t.scope, t.record = outScope, false
	out := &relation{from: fmt.Sprintf("(%s) AS t%d", s, sub), ordered: true}
	for _, k := range c.By {
		out.order = append(out.order, t.sortTerms(outScope[k.Name], false)...)
	}
	return out
}

// aggregate translates an aggregate call of a stats item.
func (t *translator) aggregate(c *Call) sqlVal {
	ctx := t.agg
	saved, savedRecord := t.scope, t.record
	t.agg, t.scope, t.record = nil, ctx.scope, ctx.record
	defer func() { t.agg, t.scope, t.record = ctx, saved, savedRecord }()
	var v sqlVal
	star := len(c.Args) == 0
	if !star {
		_, star = c.Args[0].(*Star)
	}
	if !star {
		v = t.expr(c.Args[0])
	}
	num := func(f string) sqlVal { return sqlVal{kind: sNum, sql: f} }
	switch c.Fn {
	case "count":
		switch {
		case star:
			return num("count(*)")
		case v.kind == sDyn:
			return num(fmt.Sprintf("count(CASE WHEN %s THEN 1 END)", present(v)))
		}
		return num(fmt.Sprintf("count(%s)", v.sql))
	case "count_distinct":
		if v.kind == sDyn {
			return num(fmt.Sprintf("count(DISTINCT %s || ':' || %s)", v.dyn.tag(), v.dyn.text))
		}
		return num(fmt.Sprintf("count(DISTINCT %s)", v.sql))
	case "sum", "avg":
		return num(fmt.Sprintf("%s(%s)", c.Fn, t.num(v)))
	case "stddev":
		n := t.num(v)
		return num(fmt.Sprintf("CASE WHEN count(%s) >= 2 THEN stddev_samp(%s) END", n, n))
	case "pct":
		n := t.num(v)
		p := c.Args[1].(*Literal).Val.Num
		idx := fmt.Sprintf("CAST(greatest(least(ceil(%s * count(%s)), count(%s)), 1) AS BIGINT)", sqlNumber(p/100), n, n)
		if t.duck() {
			return num(fmt.Sprintf("list_sort(list_filter(list(%s), x -> x IS NOT NULL))[%s]", n, idx))
		}
		return num(fmt.Sprintf("element_at(array_sort(filter(array_agg(%s), x -> x IS NOT NULL)), %s)", n, idx))
	case "min", "max", "sortsfirst", "sortslast":
		last := c.Fn == "max" || c.Fn == "sortslast"
		switch {
		case v.kind == sNum || v.kind == sTime:
			return sqlVal{kind: v.kind, sql: fmt.Sprintf("%s(%s)", map[bool]string{false: "min", true: "max"}[last], v.sql)}
		case v.kind == sStr && ctx.record:
			return t.textMinMax(v.sql, last, c.Fn == "min" || c.Fn == "max")
		}
		return t.fail(c.P, c.Name+" of a "+kindName(v.kind)+map[bool]string{true: "", false: " after stats"}[ctx.record]+
			" follows ctq's sort order (numbers by value, other text by digit runs), which has no SQL translation here; it translates on numbers, timestamps and record strings")
	case "earliest", "latest":
		if !ctx.record {
			return t.fail(c.P, c.Name+" after stats: the rows have no @timestamp")
		}
		return t.timeArg(c.Fn == "latest", v)
	}
	return t.fail(c.P, "aggregate "+c.Name+" has no SQL translation")
}

// textMinMax is min/max (numeric) or sortsFirst/sortsLast of strings:
// when every value is a decimal number (and numeric is set), the value of
// the smallest or largest number, ties to the first in input order;
// otherwise the first or last value in the sort order of spec §4.7.
func (t *translator) textMinMax(x string, last, numeric bool) sqlVal {
	digits := t.fullMatch(x, "[0-9]+")
	var empty string
	argMin, argMax := "min_by", "max_by"
	if t.duck() {
		argMin, argMax, empty = "arg_min", "arg_max", "CAST([] AS VARCHAR[])"
	} else {
		empty = "CAST(ARRAY[] AS ARRAY(VARCHAR))"
	}
	// The order of §4.7 as one ROW: number values after other texts, by
	// value and then text; other texts by their chunks.
	key := fmt.Sprintf("CASE WHEN %s IS NOT NULL THEN ROW(%s, CASE WHEN %s THEN TRY_CAST(%s AS DOUBLE) ELSE 0 END, CASE WHEN %s THEN %s ELSE %s END, %s) END",
		x, digits, digits, x, digits, empty, t.chunks(x), x)
	fn := argMin
	if last {
		fn = argMax
	}
	ordered := fmt.Sprintf("%s(%s, %s)", fn, x, key)
	if !numeric {
		return sqlVal{kind: sStr, sql: ordered}
	}
	n := fmt.Sprintf("TRY_CAST(%s AS DOUBLE)", x)
	if last {
		n = "-" + n
	}
	numKey := fmt.Sprintf("CASE WHEN %s IS NOT NULL THEN ROW(%s, %s) END", x, n, t.inputKey())
	return sqlVal{kind: sStr, sql: fmt.Sprintf("CASE WHEN bool_and(%s) THEN %s(%s, %s) ELSE %s END", t.fullMatch(x, decimalRe), argMin, x, numKey, ordered)}
}

// inputKey is a text that sorts records in input order: (eventTime,
// eventID), records without eventTime first.
func (t *translator) inputKey() string {
	ts := fmt.Sprintf("lpad(CAST(%s AS VARCHAR), 20, '0')", t.timestampMs())
	if t.duck() {
		ts = fmt.Sprintf("lpad(CAST(epoch_us(%s) AS VARCHAR), 20, '0')", t.d.Ident(colTime))
	}
	return fmt.Sprintf("coalesce(%s, '') || coalesce(%s, '')", ts, t.d.Ident(colID))
}

// timeArg is earliest/latest: the value of the row with the smallest or
// largest (eventTime, eventID), among rows where the value is present.
func (t *translator) timeArg(latest bool, v sqlVal) sqlVal {
	// Records without eventTime lose to those with one: their key is NULL.
	key := fmt.Sprintf("CASE WHEN %s AND %s IS NOT NULL THEN %s END", present(v), t.d.Ident(colTime), t.inputKey())
	fn := map[[2]bool]string{{true, false}: "arg_min", {true, true}: "arg_max", {false, false}: "min_by", {false, true}: "max_by"}[[2]bool{t.duck(), latest}]
	pick := func(x string) string { return fmt.Sprintf("%s(%s, %s)", fn, x, key) }
	switch v.kind {
	case sNull:
		return nullVal
	case sDyn:
		return sqlVal{kind: sDyn, dyn: dynColumn(pick(v.dyn.text), pick(v.dyn.tag()))}
	}
	return sqlVal{kind: v.kind, sql: pick(v.sql)}
}
