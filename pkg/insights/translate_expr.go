package insights

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/schema"
)

// Translation of expressions into SQL (see translate.go). Every SQL value
// has a static kind that mirrors the Value kinds of the reference
// evaluator; values inside JSON text, whose kind is known only per row,
// carry the predicates that tell their kind (sqlDyn), and every operation
// on them is spelled out per kind with CASE.
//
// SQL NULL is the missing value. Conditions are made two-valued where the
// language wants it: a comparison with a missing operand is false, except
// != (and not like, not in), which is then true.

type sqlKind uint8

const (
	sNull sqlKind = iota // always missing
	sStr                 // VARCHAR
	sNum                 // DOUBLE or BIGINT
	sBool                // BOOLEAN
	sTime                // BIGINT epoch milliseconds
	sDyn                 // a value whose kind is known per row (JSON text)
)

// sqlVal is a translated expression.
type sqlVal struct {
	kind sqlKind
	sql  string   // the expression (not for sDyn)
	dyn  *sqlDyn  // sDyn
	lit  *Literal // the literal, when the expression is one
	// cond marks a condition that is never NULL (comparisons, and, or,
	// ispresent, ...).
	cond bool
}

// sqlDyn reads a value of per-row kind: Text is a scalar's text (an
// object's or array's JSON text), NULL when the value is null or missing;
// the predicates tell the kind.
type sqlDyn struct {
	text, isStr, isNum, isBool, isCont string
	str                                string // a scalar's text (the shorter expression, where the kind is known)
}

func dynOf(j *query.SQLJSON) *sqlDyn {
	return &sqlDyn{text: j.Text, str: j.Str, isStr: j.IsString, isNum: j.IsNum, isBool: j.IsBool, isCont: j.Container}
}

// dynColumn is a dynamic value held in a text column and a kind column.
func dynColumn(text, tag string) *sqlDyn {
	return &sqlDyn{text: text, str: text, isStr: tag + " = 's'", isNum: tag + " = 'n'", isBool: tag + " = 'b'", isCont: tag + " = 'o'"}
}

// tag is 's', 'n', 'b' or 'o' (object or array) by kind, NULL when missing.
func (d *sqlDyn) tag() string {
	return fmt.Sprintf("CASE WHEN %s THEN 's' WHEN %s THEN 'n' WHEN %s THEN 'b' WHEN %s THEN 'o' END", d.isStr, d.isNum, d.isBool, d.isCont)
}

var nullVal = sqlVal{kind: sNull, sql: "NULL"}

// views are the static values a dynamic value can be, with the condition
// under which it is each.
func (t *translator) views(v sqlVal) (conds []string, vals []sqlVal) {
	d := v.dyn
	return []string{d.isStr, d.isNum, d.isBool},
		[]sqlVal{
			{kind: sStr, sql: d.str},
			{kind: sNum, sql: fmt.Sprintf("TRY_CAST(%s AS DOUBLE)", d.str)},
			{kind: sBool, sql: fmt.Sprintf("(%s = 'true')", d.str)},
		}
}

// perKind builds f over v, spelled out per kind when v is dynamic; the
// result is NULL for null, objects and arrays.
func (t *translator) perKind(v sqlVal, f func(sqlVal) string) string {
	if v.kind != sDyn {
		return f(v)
	}
	conds, vals := t.views(v)
	var b strings.Builder
	b.WriteString("CASE")
	for i, c := range conds {
		fmt.Fprintf(&b, " WHEN %s THEN %s", c, f(vals[i]))
	}
	b.WriteString(" END")
	return b.String()
}

func (t *translator) expr(e Expr) sqlVal {
	switch x := e.(type) {
	case *FieldRef:
		return t.field(x)
	case *Literal:
		return t.literal(x)
	case *Call:
		if t.agg != nil && functions[x.Fn].agg {
			return t.aggregate(x)
		}
		if v, ok := t.scope[x.Text]; ok {
			return v
		}
		return t.call(x)
	case *Unary:
		if x.Op == "not" {
			return sqlVal{kind: sBool, sql: "NOT " + paren(t.truthy(t.expr(x.X)))}
		}
		return sqlVal{kind: sNum, sql: "-" + paren(t.arith(t.expr(x.X)))}
	case *Binary:
		return t.binary(x)
	case *MatchExpr:
		return t.match(x)
	case *InExpr:
		return t.in(x)
	}
	return t.fail(e.Pos(), "this expression has no SQL equivalent")
}

func (t *translator) literal(l *Literal) sqlVal {
	v := sqlVal{lit: l}
	switch l.Val.Kind {
	case KindString:
		if strings.ContainsRune(l.Val.Str, 0) {
			return t.fail(l.P, "the string holds a NUL character, which SQL strings cannot")
		}
		v.kind, v.sql = sStr, query.SQLString(l.Val.Str)
	case KindNumber:
		v.kind, v.sql = sNum, query.SQLNumber(l.Val.Num)
	case KindBool:
		v.kind, v.sql = sBool, strings.ToUpper(l.Val.Text())
	default:
		return nullVal
	}
	return v
}

// field reads a computed column, a system field or a record path.
func (t *translator) field(f *FieldRef) sqlVal {
	if v, ok := t.scope[f.Name]; ok {
		return v
	}
	if !t.record {
		return nullVal
	}
	if len(f.Segs) == 1 && strings.HasPrefix(f.Segs[0].Name, "@") {
		switch f.Segs[0].Name {
		case FieldTimestamp:
			return sqlVal{kind: sTime, sql: t.timestampMs()}
		case FieldMessage:
			return sqlVal{kind: sStr, sql: t.d.Ident(colRaw)}
		case FieldLogStream:
			acct, region := t.d.Ident("recipientAccountId"), t.d.Ident("awsRegion")
			return sqlVal{kind: sStr, sql: fmt.Sprintf("CASE WHEN %s IS NOT NULL OR %s IS NOT NULL THEN coalesce(%s, '') || '_CloudTrail_' || coalesce(%s, '') END", acct, region, acct, region)}
		case FieldLog:
			acct, src := t.d.Ident("recipientAccountId"), t.d.Ident(schema.ColSourceKey)
			return sqlVal{kind: sStr, sql: fmt.Sprintf("CASE WHEN %s IS NOT NULL OR %s IS NOT NULL THEN coalesce(%s, '') || ':' || coalesce(%s, '') END", acct, src, acct, src)}
		case FieldIngestionTime:
			return nullVal
		}
	}
	sel := query.Selector{}
	for _, s := range f.Segs {
		switch {
		case s.IsIndex:
			sel.Steps = append(sel.Steps, query.Step{Kind: query.StepIndex, Index: s.Index})
		case isDigits(s.Name) && len(s.Name) <= 9 && !s.Quoted:
			n, _ := strconv.Atoi(s.Name)
			sel.Steps = append(sel.Steps, query.Step{Kind: query.StepIndex, Index: n})
		default:
			sel.Steps = append(sel.Steps, query.Step{Kind: query.StepField, Name: s.Name})
		}
	}
	sf, err := t.d.Field(sel)
	if err != nil {
		return t.fail(f.P, err.Error())
	}
	if sf.JSON != nil {
		return sqlVal{kind: sDyn, dyn: dynOf(sf.JSON)}
	}
	switch sf.Type {
	case query.SQLBoolean:
		return sqlVal{kind: sBool, sql: sf.Column}
	case query.SQLTimestamp:
		return sqlVal{kind: sStr, sql: sf.Text} // eventTime reads as the record's text
	}
	return sqlVal{kind: sStr, sql: sf.Column}
}

// trunc is the function that drops a number's fraction.
func (t *translator) trunc() string {
	if t.duck() {
		return "trunc"
	}
	return "truncate"
}

// timestampMs is @timestamp: eventTime in epoch milliseconds.
func (t *translator) timestampMs() string {
	if t.duck() {
		return fmt.Sprintf("epoch_ms(%s)", t.d.Ident(colTime))
	}
	return fmt.Sprintf("date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', %s)", t.d.Ident(colTime))
}

// fullMatch is a whole-text regex match.
func (t *translator) fullMatch(text, re string) string {
	if t.duck() {
		return fmt.Sprintf("regexp_full_match(%s, %s)", text, query.SQLString(re))
	}
	return fmt.Sprintf("regexp_like(%s, %s)", text, query.SQLString(`\A(?:`+re+`)\z`))
}

// decimalRe is the text isDecimal accepts.
const decimalRe = `[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?`

// decimal is a string's numeric value when it is a decimal, else NULL.
func (t *translator) decimal(s string) string {
	return fmt.Sprintf("CASE WHEN %s THEN TRY_CAST(%s AS DOUBLE) END", t.fullMatch(s, decimalRe), s)
}

// num is a value as a number (numeric: numbers, booleans as 1/0, decimal
// strings), NULL otherwise.
func (t *translator) num(v sqlVal) string {
	switch v.kind {
	case sNum:
		return v.sql
	case sBool:
		return fmt.Sprintf("CAST(%s AS DOUBLE)", v.sql)
	case sStr:
		if v.lit != nil {
			if f, ok := v.lit.Val.numeric(); ok {
				return query.SQLNumber(f)
			}
			return "NULL"
		}
		return t.decimal(v.sql)
	case sDyn:
		return t.perKind(v, func(s sqlVal) string { return t.num(s) })
	}
	return "NULL"
}

// arith is a value as an arithmetic operand: num, and timestamps as epoch
// milliseconds.
func (t *translator) arith(v sqlVal) string {
	if v.kind == sTime {
		return fmt.Sprintf("CAST(%s AS DOUBLE)", v.sql)
	}
	return t.num(v)
}

// scalarText is the canonical text of a scalar value, NULL for null,
// objects and arrays; pos names the expression for an error.
func (t *translator) scalarText(v sqlVal, pos int) string {
	switch v.kind {
	case sStr:
		return v.sql
	case sBool:
		return fmt.Sprintf("CAST(%s AS VARCHAR)", v.sql)
	case sNum:
		if v.lit != nil {
			return query.SQLString(formatNumber(v.lit.Val.Num))
		}
		t.fail(pos, "the text of a computed number differs between ctq and SQL")
	case sTime:
		t.fail(pos, "the text of a timestamp differs between ctq and SQL")
	case sDyn:
		return fmt.Sprintf("CASE WHEN NOT %s THEN %s END", paren(v.dyn.isCont), v.dyn.str)
	}
	return "NULL"
}

// truthy is a value as a condition, never NULL: null false, a number
// non-zero, a string non-empty; timestamps, objects and arrays true.
func (t *translator) truthy(v sqlVal) string {
	switch v.kind {
	case sBool:
		if v.cond {
			return v.sql
		}
		return fmt.Sprintf("coalesce(%s, FALSE)", v.sql)
	case sNum:
		return fmt.Sprintf("coalesce(%s <> 0, FALSE)", v.sql)
	case sStr:
		return fmt.Sprintf("coalesce(%s <> '', FALSE)", v.sql)
	case sTime:
		return v.sql + " IS NOT NULL"
	case sDyn:
		d := v.dyn
		return fmt.Sprintf("coalesce(CASE WHEN %s THEN %s <> '' WHEN %s THEN TRY_CAST(%s AS DOUBLE) <> 0 WHEN %s THEN %s = 'true' WHEN %s THEN TRUE END, FALSE)",
			d.isStr, d.str, d.isNum, d.str, d.isBool, d.str, d.isCont)
	}
	return "FALSE"
}

// present is "not null", never NULL.
func present(v sqlVal) string {
	switch v.kind {
	case sNull:
		return "FALSE"
	case sDyn:
		return v.dyn.text + " IS NOT NULL"
	}
	return v.sql + " IS NOT NULL"
}

// boolVal is a condition that is never NULL.
func boolVal(s string) sqlVal { return sqlVal{kind: sBool, sql: s, cond: true} }

var sqlCmp = map[string]string{"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (t *translator) binary(b *Binary) sqlVal {
	switch b.Op {
	case "and", "or":
		return boolVal(paren(t.truthy(t.expr(b.L))) + " " + strings.ToUpper(b.Op) + " " + paren(t.truthy(t.expr(b.R))))
	}
	l, r := t.expr(b.L), t.expr(b.R)
	if _, ok := sqlCmp[b.Op]; ok {
		return boolVal(t.compare(b, l, r))
	}
	x, y := t.arith(l), t.arith(r)
	switch b.Op {
	case "/":
		return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN %s <> 0 THEN CAST(%s AS DOUBLE) / %s END", y, x, y)}
	case "%":
		// math.Mod: the sign of the dividend.
		return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN %s <> 0 THEN %s - %s * %s(CAST(%s AS DOUBLE) / %s) END", y, x, y, t.trunc(), x, y)}
	case "^":
		fin := "is_finite"
		if t.duck() {
			fin = "isfinite"
		}
		p := fmt.Sprintf("power(%s, %s)", x, y)
		return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN %s(%s) THEN %s END", fin, p, p)}
	}
	return sqlVal{kind: sNum, sql: fmt.Sprintf("(%s %s %s)", x, b.Op, y)}
}

// compare translates = != < <= > >= under the comparison rule (compare.go):
// never NULL; a missing operand makes != true and the others false.
func (t *translator) compare(b *Binary, l, r sqlVal) string {
	c := t.cmpCore(b, l, r)
	if b.Op == "!=" {
		return fmt.Sprintf("NOT coalesce(%s, FALSE)", c)
	}
	return fmt.Sprintf("coalesce(%s, FALSE)", c)
}

// cmpCore is a comparison that is NULL when an operand is missing (for !=,
// the equality).
func (t *translator) cmpCore(b *Binary, l, r sqlVal) string {
	var c string
	if b.Op == "=" || b.Op == "!=" {
		c = t.perKind(l, func(x sqlVal) string {
			return t.perKind(r, func(y sqlVal) string { return t.equal(b, x, y) })
		})
	} else {
		c = t.perKind(l, func(x sqlVal) string {
			return t.perKind(r, func(y sqlVal) string { return t.order(b, x, y) })
		})
	}
	return c
}

// nullOr is NULL when any of vals is NULL, else the constant c.
func nullOr(c string, vals ...string) string {
	conds := make([]string, len(vals))
	for i, v := range vals {
		conds[i] = v + " IS NULL"
	}
	return fmt.Sprintf("CASE WHEN %s THEN NULL ELSE %s END", strings.Join(conds, " OR "), c)
}

// equal is equalValues of two static values: NULL when one is missing.
func (t *translator) equal(b *Binary, x, y sqlVal) string {
	if x.kind > y.kind {
		x, y = y, x
	}
	switch {
	case x.kind == sNull:
		return "NULL"
	case x.kind == y.kind && x.kind != sNum:
		return fmt.Sprintf("%s = %s", x.sql, y.sql)
	case x.kind == sNum && y.kind == sBool && x.lit != nil:
		switch x.lit.Val.Num {
		case 0, 1:
			return fmt.Sprintf("%s = %t", y.sql, x.lit.Val.Num == 1)
		}
		return nullOr("FALSE", y.sql)
	case x.kind == sNum && (y.kind == sNum || y.kind == sBool):
		return fmt.Sprintf("%s = %s", t.num(x), t.num(y))
	case x.kind == sStr && (y.kind == sNum || y.kind == sBool):
		// A decimal string compares numerically, anything else by text.
		if x.lit != nil {
			if _, ok := x.lit.Val.numeric(); ok {
				return fmt.Sprintf("%s = %s", t.num(x), t.num(y))
			}
			if y.kind == sNum {
				return nullOr("FALSE", y.sql) // a number's text is a decimal
			}
			return fmt.Sprintf("CAST(%s AS VARCHAR) = %s", y.sql, x.sql)
		}
		other := nullOr("FALSE", x.sql)
		if y.lit == nil {
			other = nullOr("FALSE", x.sql, y.sql)
		}
		if y.kind == sBool {
			other = fmt.Sprintf("%s = CAST(%s AS VARCHAR)", x.sql, y.sql)
		}
		return fmt.Sprintf("CASE WHEN %s THEN TRY_CAST(%s AS DOUBLE) = %s ELSE %s END", t.fullMatch(x.sql, decimalRe), x.sql, t.num(y), other)
	case x.kind == sNum && y.kind == sTime:
		return fmt.Sprintf("%s = %s(%s)", y.sql, t.trunc(), x.sql)
	case x.kind == sStr && y.kind == sTime:
		if ms, ok := t.timeLiteral(x); ok {
			return fmt.Sprintf("%s = %d", y.sql, ms)
		}
		if x.lit != nil {
			return nullOr("FALSE", y.sql)
		}
	}
	t.fail(b.P, fmt.Sprintf("comparing a %s with a %s has no faithful SQL translation", kindName(x.kind), kindName(y.kind)))
	return "NULL"
}

// order is an ordering comparison of two static values: NULL when one is
// missing; false when they cannot be ordered.
func (t *translator) order(b *Binary, x, y sqlVal) string {
	op := sqlCmp[b.Op]
	numeric := func(k sqlKind) bool { return k == sNum || k == sBool }
	switch {
	case x.kind == sNull || y.kind == sNull:
		return "NULL"
	case numeric(x.kind) && numeric(y.kind):
		return fmt.Sprintf("%s %s %s", t.num(x), op, t.num(y))
	case numeric(x.kind) && y.kind == sStr, x.kind == sStr && numeric(y.kind):
		// Numerically when the string is a decimal; a number and another
		// string are never ordered.
		return fmt.Sprintf("%s %s %s", t.num(x), op, t.num(y))
	case x.kind == sTime && y.kind == sTime:
		return fmt.Sprintf("%s %s %s", x.sql, op, y.sql)
	case x.kind == sTime && y.kind == sNum:
		return fmt.Sprintf("%s %s %s(%s)", x.sql, op, t.trunc(), y.sql)
	case x.kind == sNum && y.kind == sTime:
		return fmt.Sprintf("%s(%s) %s %s", t.trunc(), x.sql, op, y.sql)
	case x.kind == sTime && y.kind == sStr && y.lit != nil:
		if ms, ok := parseTimestamp(y.lit.Val.Str); ok {
			return fmt.Sprintf("%s %s %d", x.sql, op, ms)
		}
		return nullOr(strings.ToUpper(strconv.FormatBool(holds(b.Op, orderValues(Time(0), y.lit.Val)))), x.sql)
	case x.kind == sStr && y.kind == sTime && x.lit != nil:
		if ms, ok := parseTimestamp(x.lit.Val.Str); ok {
			return fmt.Sprintf("%d %s %s", ms, op, y.sql)
		}
		return nullOr(strings.ToUpper(strconv.FormatBool(holds(b.Op, orderValues(x.lit.Val, Time(0))))), y.sql)
	case x.kind == sStr && y.kind == sStr && y.lit != nil && x.lit == nil:
		return t.orderText(b.Op, x.sql, y.lit.Val.Str)
	case x.kind == sStr && y.kind == sStr && x.lit != nil && y.lit == nil:
		return t.orderText(flipOp[b.Op], y.sql, x.lit.Val.Str)
	case x.kind == sStr && y.kind == sStr:
		t.fail(b.P, "ordering two texts follows ctq's sort order (digit runs by value); it translates against a string literal only")
		return "NULL"
	}
	t.fail(b.P, fmt.Sprintf("ordering a %s and a %s has no faithful SQL translation", kindName(x.kind), kindName(y.kind)))
	return "NULL"
}

var flipOp = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}

// orderText is `text op lit` in the sort order of spec §4.7 (compare.go):
// strings of digits after other texts, numerically and then by text;
// other texts run by run, as lists of chunks (chunks).
func (t *translator) orderText(op, text, lit string) string {
	digits := t.fullMatch(text, "[0-9]+")
	if isDigits(lit) {
		f, _ := String(lit).numeric()
		num, strict := query.SQLNumber(f), strings.TrimSuffix(op, "=")
		n := fmt.Sprintf("TRY_CAST(%s AS DOUBLE)", text)
		return fmt.Sprintf("CASE WHEN %s THEN %s %s %s OR (%s = %s AND %s %s %s) ELSE %s END",
			digits, n, strict, num, n, num, text, op, query.SQLString(lit), strings.ToUpper(strconv.FormatBool(holds(op, -1))))
	}
	return fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s %s %s END",
		digits, strings.ToUpper(strconv.FormatBool(holds(op, 1))), t.chunks(text), op, t.chunkList(lit))
}

// chunkList is chunks of a literal, as a SQL list.
func (t *translator) chunkList(s string) string {
	var parts []string
	for s != "" {
		var c string
		c, s = nextChunk(s)
		if isDigitByte(c[0]) {
			c = fmt.Sprintf("0%010d%s", len(c), c)
		}
		parts = append(parts, query.SQLString(c))
	}
	if t.duck() {
		return "CAST([" + strings.Join(parts, ", ") + "] AS VARCHAR[])"
	}
	return "CAST(ARRAY[" + strings.Join(parts, ", ") + "] AS ARRAY(VARCHAR))"
}

// timeLiteral reads a string literal that equals a timestamp: RFC 3339
// (compared chronologically), or a timestamp's text in the output layout
// (equal by text).
func (t *translator) timeLiteral(v sqlVal) (int64, bool) {
	if v.lit == nil || v.lit.Val.Kind != KindString {
		return 0, false
	}
	if ms, ok := parseTimestamp(v.lit.Val.Str); ok {
		return ms, true
	}
	if tm, err := time.Parse(TimeLayout, v.lit.Val.Str); err == nil && formatTime(tm.UnixMilli()) == v.lit.Val.Str {
		return tm.UnixMilli(), true
	}
	return 0, false
}

func kindName(k sqlKind) string {
	return [...]string{"missing value", "string", "number", "boolean", "timestamp", "JSON value"}[k]
}

// match is like / =~: a substring or an unanchored regex search of the
// value's text; a missing value does not match, so not like is true.
func (t *translator) match(m *MatchExpr) sqlVal {
	hit := t.matchCore(m)
	if m.Not {
		return boolVal(fmt.Sprintf("NOT coalesce(%s, FALSE)", hit))
	}
	return boolVal(fmt.Sprintf("coalesce(%s, FALSE)", hit))
}

// matchCore is the search of like / =~, NULL for a missing value.
func (t *translator) matchCore(m *MatchExpr) string {
	text := t.scalarText(t.expr(m.X), m.X.Pos())
	switch p := m.Pat.(type) {
	case *RegexLit:
		return t.d.RegexpSearch(text, p.Source)
	case *Literal:
		if strings.ContainsRune(p.Val.Str, 0) {
			t.fail(p.P, "the string holds a NUL character, which SQL strings cannot")
			return "NULL"
		}
		return t.d.Contains(text, p.Val.Str)
	}
	return "NULL"
}

// condition translates a filter condition for WHERE, where NULL drops a
// row as FALSE does: comparisons, like and in joined by and/or need no
// coalesce there, so they stay simple predicates that engines push into
// their Parquet readers.
func (t *translator) condition(e Expr) string {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "and", "or":
			return paren(t.condition(x.L)) + " " + strings.ToUpper(x.Op) + " " + paren(t.condition(x.R))
		case "=", "<", "<=", ">", ">=":
			return t.cmpCore(x, t.expr(x.L), t.expr(x.R))
		}
	case *MatchExpr:
		if !x.Not {
			return t.matchCore(x)
		}
	case *InExpr:
		if l, ok := x.List.(*ListLit); ok && !x.Not {
			if v := t.expr(x.X); v.kind == sStr && allStrings(l) {
				return fmt.Sprintf("%s IN (%s)", v.sql, t.literals(l))
			}
		}
	}
	return t.truthy(t.expr(e))
}

func allStrings(l *ListLit) bool {
	for _, e := range l.Elems {
		if e.Val.Kind != KindString {
			return false
		}
	}
	return len(l.Elems) > 0
}

// literals is a list's elements as SQL literals.
func (t *translator) literals(l *ListLit) string {
	parts := make([]string, len(l.Elems))
	for i, e := range l.Elems {
		parts[i] = t.literal(e).sql
	}
	return strings.Join(parts, ", ")
}

// in is membership in a list literal: whole values under the comparison
// rule.
func (t *translator) in(n *InExpr) sqlVal {
	list, ok := n.List.(*ListLit)
	if !ok {
		return t.fail(n.List.Pos(), "membership in an array field has no SQL translation here; use a list literal")
	}
	x := t.expr(n.X)
	var c string
	if x.kind == sStr && allStrings(list) {
		c = fmt.Sprintf("coalesce(%s IN (%s), FALSE)", x.sql, t.literals(list))
	} else {
		eq := &Binary{Op: "=", P: n.P}
		var terms []string
		for _, e := range list.Elems {
			terms = append(terms, paren(t.compare(eq, x, t.literal(e))))
		}
		c = strings.Join(terms, " OR ")
		if len(terms) == 0 {
			c = "FALSE"
		}
	}
	if n.Not {
		return boolVal("NOT " + paren(c))
	}
	return boolVal(c)
}

// whitespace is the class of unicode.IsSpace.
const whitespace = `[\t\n\v\f\r\x{85}\p{Z}]`

// call translates a scalar function of spec §3.2.
func (t *translator) call(c *Call) sqlVal {
	arg := func(i int) sqlVal { return t.expr(c.Args[i]) }
	switch c.Fn {
	case "ispresent":
		return boolVal(present(arg(0)))
	case "isempty", "isblank":
		v := arg(0)
		var text string // the value when it is a string
		switch v.kind {
		case sNum, sBool, sTime:
			return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN %s THEN 0 ELSE 1 END", present(v))}
		case sDyn:
			text = fmt.Sprintf("CASE WHEN %s THEN %s END", v.dyn.isStr, v.dyn.str)
		default:
			text = v.sql
		}
		cond := text + " = ''"
		if c.Fn == "isblank" {
			cond = t.fullMatch(text, whitespace+"*")
		}
		return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN NOT %s OR coalesce(%s, FALSE) THEN 1 ELSE 0 END", paren(present(v)), cond)}
	case "coalesce":
		var parts []string
		var kind sqlKind
		for i := range c.Args {
			v := arg(i)
			if v.kind == sNull {
				continue
			}
			if v.kind == sDyn || (kind != sNull && v.kind != kind) {
				return t.fail(c.P, "coalesce of values of different kinds has no SQL type")
			}
			kind = v.kind
			parts = append(parts, v.sql)
		}
		if len(parts) == 0 {
			return nullVal
		}
		return sqlVal{kind: kind, sql: "coalesce(" + strings.Join(parts, ", ") + ")"}
	case "greatest", "least":
		nums := make([]string, len(c.Args))
		for i := range c.Args {
			nums[i] = t.num(arg(i))
		}
		fn := map[bool]string{true: "max", false: "min"}[c.Fn == "greatest"]
		if t.duck() {
			return sqlVal{kind: sNum, sql: fmt.Sprintf("list_%s(list_filter([%s], x -> x IS NOT NULL))", fn, strings.Join(nums, ", "))}
		}
		return sqlVal{kind: sNum, sql: fmt.Sprintf("array_%s(filter(ARRAY[%s], x -> x IS NOT NULL))", fn, strings.Join(nums, ", "))}
	case "abs", "ceil", "floor":
		return sqlVal{kind: sNum, sql: fmt.Sprintf("%s(%s)", c.Fn, t.num(arg(0)))}
	case "log":
		n := t.num(arg(0))
		return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN %s > 0 THEN ln(%s) END", n, n)}
	case "sqrt":
		n := t.num(arg(0))
		return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN %s >= 0 THEN sqrt(%s) END", n, n)}
	case "toupper", "tolower":
		fn := map[bool]string{true: "upper", false: "lower"}[c.Fn == "toupper"]
		return sqlVal{kind: sStr, sql: fmt.Sprintf("%s(%s)", fn, t.scalarText(arg(0), c.Args[0].Pos()))}
	case "strlen":
		return sqlVal{kind: sNum, sql: fmt.Sprintf("length(%s)", t.scalarText(arg(0), c.Args[0].Pos()))}
	case "trim", "ltrim", "rtrim":
		s := t.scalarText(arg(0), c.Args[0].Pos())
		class := whitespace
		if len(c.Args) == 2 {
			if t.duck() {
				return sqlVal{kind: sStr, sql: fmt.Sprintf("%s(%s, %s)", c.Fn, s, t.scalarText(arg(1), c.Args[1].Pos()))}
			}
			cut, ok := c.Args[1].(*Literal)
			if !ok || cut.Val.Kind != KindString || cut.Val.Str == "" {
				return t.fail(c.Args[1].Pos(), c.Name+"'s characters must be a non-empty string literal for "+t.d.String())
			}
			var b strings.Builder
			for _, r := range cut.Val.Str {
				fmt.Fprintf(&b, `\x{%x}`, r)
			}
			class = "[" + b.String() + "]"
		}
		re := map[string]string{"trim": `^` + class + `+|` + class + `+$`, "ltrim": `^` + class + `+`, "rtrim": class + `+$`}[c.Fn]
		if t.duck() {
			return sqlVal{kind: sStr, sql: fmt.Sprintf("regexp_replace(%s, %s, '', 'g')", s, query.SQLString(re))}
		}
		re = strings.ReplaceAll(strings.ReplaceAll(re, "^", `\A`), "$", `\z`)
		return sqlVal{kind: sStr, sql: fmt.Sprintf("regexp_replace(%s, %s, '')", s, query.SQLString(re))}
	case "substr":
		return t.substr(c)
	case "replace":
		find, ok := c.Args[1].(*Literal)
		if !ok || find.Val.Text() == "" {
			return t.fail(c.Args[1].Pos(), "replace needs a non-empty literal to find (SQL replaces an empty string differently)")
		}
		return sqlVal{kind: sStr, sql: fmt.Sprintf("replace(%s, %s, %s)", t.scalarText(arg(0), c.Args[0].Pos()),
			t.scalarText(arg(1), c.Args[1].Pos()), t.scalarText(arg(2), c.Args[2].Pos()))}
	case "strcontains":
		s, sub := t.scalarText(arg(0), c.Args[0].Pos()), t.scalarText(arg(1), c.Args[1].Pos())
		if len(c.Args) == 3 {
			ci, ok := c.Args[2].(*Literal)
			if !ok {
				return t.fail(c.Args[2].Pos(), "strcontains' third argument must be a literal")
			}
			if ci.Val.Truthy() && ci.Val.Text() != "false" {
				s, sub = "lower("+s+")", "lower("+sub+")"
			}
		}
		return sqlVal{kind: sNum, sql: fmt.Sprintf("CASE WHEN strpos(%s, %s) > 0 THEN 1 WHEN %s IS NOT NULL AND %s IS NOT NULL THEN 0 END", s, sub, s, sub)}
	case "concat":
		parts := make([]string, len(c.Args))
		for i := range c.Args {
			v := arg(i)
			if v.kind == sDyn {
				return t.fail(c.Args[i].Pos(), "concat of a value inside JSON text (it may be an object, which ctq prints with sorted keys)")
			}
			parts[i] = t.scalarText(v, c.Args[i].Pos())
		}
		return sqlVal{kind: sStr, sql: "(" + strings.Join(parts, " || ") + ")"}
	case "isvalidip", "isvalidipv4", "isvalidipv6":
		s := t.scalarText(arg(0), c.Args[0].Pos())
		re := map[string]string{"isvalidip": ipv4Re + "|" + ipv6Re, "isvalidipv4": ipv4Re, "isvalidipv6": ipv6Re}[c.Fn]
		return boolVal(fmt.Sprintf("coalesce(%s, FALSE)", t.fullMatch(s, re)))
	case "isipinsubnet", "isipv4insubnet", "isipv6insubnet":
		return t.inSubnet(c)
	case "bin":
		if !t.record {
			return t.fail(c.P, "bin() after stats")
		}
		return sqlVal{kind: sTime, sql: t.floorTime(t.timestampMs(), c.Args[0].(*DurationLit).D)}
	case "datefloor", "dateceil":
		v := arg(0)
		if v.kind != sTime {
			return t.fail(c.Args[0].Pos(), "datefloor and dateceil translate only on timestamps (@timestamp, bin, min/max of them)")
		}
		d := c.Args[1].(*DurationLit).D
		if c.Fn == "datefloor" {
			return sqlVal{kind: sTime, sql: t.floorTime(v.sql, d)}
		}
		return sqlVal{kind: sTime, sql: t.ceilTime(v.sql, d)}
	case "now":
		if t.duck() {
			return sqlVal{kind: sNum, sql: "floor(epoch(current_timestamp))"}
		}
		return sqlVal{kind: sNum, sql: "floor(to_unixtime(current_timestamp))"}
	case "frommillis":
		n := t.num(arg(0))
		return sqlVal{kind: sTime, sql: fmt.Sprintf("CASE WHEN abs(%s) <= 1e15 THEN CAST(floor(%s) AS BIGINT) END", n, n)}
	case "tomillis":
		v := arg(0)
		if v.kind != sTime {
			return t.fail(c.Args[0].Pos(), "toMillis translates only on timestamps")
		}
		return sqlVal{kind: sNum, sql: v.sql}
	}
	return t.fail(c.P, "function "+c.Name+" has no SQL translation")
}

// substr with literal start and length (0-based, clamped).
func (t *translator) substr(c *Call) sqlVal {
	s := t.scalarText(t.expr(c.Args[0]), c.Args[0].Pos())
	lit := func(i int) (int, bool) {
		l, ok := c.Args[i].(*Literal)
		if !ok {
			return 0, false
		}
		f, ok := l.Val.numeric()
		if !ok {
			return 0, false
		}
		return clampInt(f, 0, math.MaxInt32), true
	}
	start, ok := lit(1)
	if !ok {
		return t.fail(c.Args[1].Pos(), "substr translates only with number literals for start and length")
	}
	if len(c.Args) == 2 {
		return sqlVal{kind: sStr, sql: fmt.Sprintf("substr(%s, %d)", s, start+1)}
	}
	n, ok := lit(2)
	if !ok {
		return t.fail(c.Args[2].Pos(), "substr translates only with number literals for start and length")
	}
	return sqlVal{kind: sStr, sql: fmt.Sprintf("substr(%s, %d, %d)", s, start+1, n)}
}

// IPv4 and IPv6 addresses as net/netip parses them (no leading zeros in
// IPv4 octets; IPv6 with an optional embedded IPv4 and zone).
const (
	ipv4Octet = `(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])`
	ipv4Re    = ipv4Octet + `(\.` + ipv4Octet + `){3}`
	h16       = `[0-9A-Fa-f]{1,4}`
	ls32      = `(` + h16 + `:` + h16 + `|` + ipv4Re + `)`
	ipv6Core  = `((` + h16 + `:){6}` + ls32 +
		`|::(` + h16 + `:){5}` + ls32 +
		`|(` + h16 + `)?::(` + h16 + `:){4}` + ls32 +
		`|((` + h16 + `:){0,1}` + h16 + `)?::(` + h16 + `:){3}` + ls32 +
		`|((` + h16 + `:){0,2}` + h16 + `)?::(` + h16 + `:){2}` + ls32 +
		`|((` + h16 + `:){0,3}` + h16 + `)?::` + h16 + `:` + ls32 +
		`|((` + h16 + `:){0,4}` + h16 + `)?::` + ls32 +
		`|((` + h16 + `:){0,5}` + h16 + `)?::` + h16 +
		`|((` + h16 + `:){0,6}` + h16 + `)?::)`
	ipv6Re = ipv6Core + `(%[^%]+)?`
)

// inSubnet translates isIpInSubnet with a literal CIDR: IPv4 by the
// address's value in every dialect; IPv6 with Trino's IPADDRESS type.
func (t *translator) inSubnet(c *Call) sqlVal {
	lit, ok := c.Args[1].(*Literal)
	if !ok {
		return t.fail(c.Args[1].Pos(), "the subnet must be a string literal")
	}
	s := t.scalarText(t.expr(c.Args[0]), c.Args[0].Pos())
	p, err := netip.ParsePrefix(lit.Val.Text())
	if err != nil || (c.Fn == "isipv6insubnet" && p.Addr().Is4()) || (c.Fn == "isipv4insubnet" && !p.Addr().Is4()) {
		return boolVal("FALSE") // as ctq: no address is in it
	}
	if p.Addr().Is4() {
		p = p.Masked()
		b := p.Addr().As4()
		lo := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		hi := lo + (uint64(1) << (32 - p.Bits())) - 1
		val := fmt.Sprintf("CAST(split_part(%s, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(%s, '.', 2) AS BIGINT) * 65536 + CAST(split_part(%s, '.', 3) AS BIGINT) * 256 + CAST(split_part(%s, '.', 4) AS BIGINT)", s, s, s, s)
		return boolVal(fmt.Sprintf("coalesce(CASE WHEN %s THEN %s BETWEEN %d AND %d END, FALSE)", t.fullMatch(s, ipv4Re), val, lo, hi))
	}
	if t.duck() {
		return t.fail(c.P, "IPv6 subnets need Trino's IPADDRESS type; DuckDB's core has none")
	}
	noZone := `(?:` + ipv6Core + `)`
	return boolVal(fmt.Sprintf("coalesce(CASE WHEN %s THEN contains(%s, CAST(%s AS IPADDRESS)) END, FALSE)",
		t.fullMatch(s, noZone), query.SQLString(p.String()), s))
}

func paren(s string) string { return query.SQLParen(s) }
