package insights

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/schema"
)

// Translation of a query into one SQL statement over the lake's table (the
// one `ctq ddl` creates) for Athena, Trino or DuckDB, with the answers of
// the reference evaluator:
//
//   - filter and { … } stages become WHERE clauses ({ … } through the
//     pattern translation of package query, inexact rows included);
//   - fields and display become expressions in the SELECT list;
//   - stats becomes GROUP BY in a subquery (a second stats groups that);
//   - sort, the order of stats output and the default order (@timestamp
//     descending, ties in the lake's order) become ORDER BY terms that
//     spell out the sort order of spec §4.7 (nulls last, digit runs by
//     value); limit becomes ORDER BY … LIMIT in a subquery; dedup a
//     row_number() window.
//
// Parts with no faithful SQL translation are collected into a
// *TranslateError that names each of them; no statement is returned then.
// What differs even in a translated statement is listed in docs/LANGUAGE.md
// ("Translating Insights queries to SQL").

// Lake columns the translation reads by name.
const (
	colRaw  = schema.ColRaw
	colTime = schema.TimeColumn
	colID   = schema.IDColumn
)

// TranslateOptions configure Translate.
type TranslateOptions struct {
	// Dialect is the SQL engine; it must be set.
	Dialect query.SQLDialect
	// Table is the lake's table as the statement names it, quoted as
	// needed (interop.QuoteTable); empty means "cloudtrail".
	Table string
	// TypedOnly translates { … } stages as query.SQLOptions.TypedOnly
	// does: without the raw-record evaluation of inexact rows.
	TypedOnly bool
	// Where, when not empty, is a SQL condition over the lake's columns
	// that every record must meet (time and partition bounds), ANDed
	// before the query's own filters.
	Where string
}

// TranslateError lists the parts of a query that have no faithful SQL
// translation, in the order they appear in the query.
type TranslateError struct {
	Query   string
	Dialect query.SQLDialect
	Parts   []UntranslatablePart
}

// UntranslatablePart is one part of a query that cannot be translated.
type UntranslatablePart struct {
	Pos int    // byte offset in the query
	Msg string // why
}

// Error lists every part with its column.
func (e *TranslateError) Error() string {
	parts := make([]string, len(e.Parts))
	for i, p := range e.Parts {
		line, col := e.asPattern(p).LineCol()
		where := "column " + strconv.Itoa(col)
		if strings.Contains(e.Query, "\n") {
			where = "line " + strconv.Itoa(line) + ", " + where
		}
		parts[i] = where + " (" + describeAt(e.Query, p.Pos) + "): " + p.Msg
	}
	return fmt.Sprintf("cannot translate the query to %s SQL: %s", e.Dialect, strings.Join(parts, "; "))
}

// Caret renders each part as the query line with a caret under it and the
// reason, one after the other.
func (e *TranslateError) Caret() string {
	parts := make([]string, len(e.Parts))
	for i, p := range e.Parts {
		parts[i] = e.asPattern(p).Caret()
	}
	return strings.Join(parts, "\n")
}

func (e *TranslateError) asPattern(p UntranslatablePart) *query.SyntaxError {
	return &query.SyntaxError{Pattern: e.Query, Pos: p.Pos, Msg: p.Msg}
}

// translator holds the state of one translation.
type translator struct {
	d         query.SQLDialect
	typedOnly bool
	errs      []UntranslatablePart
	scope     map[string]sqlVal // computed columns by name
	record    bool              // record fields are readable (before the first stats)
	agg       *aggContext       // set while a stats item is translated
	nsub      int               // subqueries made so far
}

func (t *translator) duck() bool { return t.d == query.DialectDuckDB }

// fail records an untranslatable part and returns a placeholder.
func (t *translator) fail(pos int, msg string) sqlVal {
	for _, e := range t.errs {
		if e.Pos == pos && e.Msg == msg {
			return nullVal
		}
	}
	t.errs = append(t.errs, UntranslatablePart{Pos: pos, Msg: msg})
	return nullVal
}

// relation is the rows so far: a FROM item, its WHERE conditions and the
// current row order.
type relation struct {
	from    string
	where   []string
	order   []string // ORDER BY terms; valid when ordered
	ordered bool     // rows have an order (sort, stats, limit); else the default applies
}

// Translate returns one SQL statement that computes q's result over the
// lake's table: the output columns in order, named as ctq names them,
// timestamps as TIMESTAMP (UTC), values inside JSON text as text. A part
// with no faithful translation makes it return a *TranslateError naming
// every such part.
func Translate(q *Query, opts TranslateOptions) (string, error) {
	switch opts.Dialect {
	case query.DialectAthena, query.DialectTrino, query.DialectDuckDB:
	default:
		return "", fmt.Errorf("no SQL dialect chosen (%v)", opts.Dialect)
	}
	table := opts.Table
	if table == "" {
		table = `"cloudtrail"`
	}
	t := &translator{d: opts.Dialect, typedOnly: opts.TypedOnly, scope: map[string]sqlVal{}, record: true}
	r := &relation{from: table}
	if opts.Where != "" {
		r.where = append(r.where, opts.Where)
	}
	for _, c := range q.Commands {
		r = t.command(c, r)
	}
	out := t.output(q, r)
	if len(t.errs) > 0 {
		slices.SortStableFunc(t.errs, func(a, b UntranslatablePart) int { return a.Pos - b.Pos })
		return "", &TranslateError{Query: q.Source, Dialect: opts.Dialect, Parts: t.errs}
	}
	return out, nil
}

func (t *translator) command(c Command, r *relation) *relation {
	switch c := c.(type) {
	case *Filter:
		r.where = append(r.where, t.condition(c.Cond))
	case *PatternFilter:
		if !t.record {
			r.where = append(r.where, "FALSE") // rows after stats have no record
			break
		}
		w, err := c.Pattern.SQL(query.SQLOptions{Dialect: t.d, TypedOnly: t.typedOnly})
		if err != nil {
			t.fail(c.P, err.Error())
			break
		}
		r.where = append(r.where, w)
	case *Fields:
		t.setItems(c.Items)
	case *Display:
		t.setItems(c.Items)
	case *Sort:
		var terms []string
		for _, k := range c.Keys {
			terms = append(terms, t.sortTerms(t.expr(k.Expr), k.Desc)...)
		}
		prior := r.order
		if !r.ordered {
			prior = t.inputOrder()
		}
		r.order, r.ordered = append(terms, prior...), true
	case *Limit:
		if !r.ordered {
			r.order = t.defaultOrder()
			if c.Any {
				r.order = t.inputOrder()
			}
			r.ordered = true
		}
		r = t.wrap(r, "", fmt.Sprintf(" ORDER BY %s LIMIT %d", strings.Join(r.order, ", "), c.N))
	case *Dedup:
		return t.dedup(c, r)
	case *Stats:
		return t.stats(c, r)
	default:
		t.fail(c.Pos(), "this command has no SQL translation")
	}
	return r
}

// setItems adds computed columns; all items see the columns as they were
// before the command, as in the evaluator.
func (t *translator) setItems(items []Item) {
	vals := make([]sqlVal, len(items))
	for i, it := range items {
		vals[i] = t.bounded(it.Expr, t.expr(it.Expr))
	}
	for i, it := range items {
		t.scope[it.Name] = vals[i]
	}
}

// maxExprSQL bounds the SQL text of one computed column: columns are
// written out where they are used, so a chain of fields that each use the
// previous one twice doubles it at every step.
const maxExprSQL = 1 << 20

// bounded returns v, or a placeholder and an error for e when v's SQL
// text is longer than maxExprSQL.
func (t *translator) bounded(e Expr, v sqlVal) sqlVal {
	n := len(v.sql)
	if v.dyn != nil {
		n += len(v.dyn.text) + len(v.dyn.str) + len(v.dyn.isStr) + len(v.dyn.isNum) + len(v.dyn.isBool) + len(v.dyn.isCont)
	}
	if n > maxExprSQL {
		return t.fail(e.Pos(), fmt.Sprintf("the expression's SQL would be longer than %d bytes (a column is written out wherever it is used); simplify the query", maxExprSQL))
	}
	return v
}

// wrap makes the relation a subquery: SELECT * (plus extra) FROM it WHERE
// … tail. Record columns stay readable by name, so expressions and order
// terms stay valid.
func (t *translator) wrap(r *relation, extra, tail string) *relation {
	t.nsub++
	sel := "*"
	if extra != "" {
		sel += ", " + extra
	}
	from := fmt.Sprintf("(SELECT %s FROM %s%s%s) AS t%d", sel, r.from, whereClause(r.where), tail, t.nsub)
	return &relation{from: from, order: r.order, ordered: r.ordered}
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	parts := make([]string, len(conds))
	for i, c := range conds {
		parts[i] = paren(c)
		if len(conds) == 1 {
			parts[i] = c
		}
	}
	return " WHERE " + strings.Join(parts, " AND ")
}

// dedup keeps the first row of each combination in the current order;
// rows with a missing value in any of the fields are all kept.
func (t *translator) dedup(c *Dedup, r *relation) *relation {
	if !r.ordered {
		r.order, r.ordered = t.defaultOrder(), true
	}
	var keys, nulls []string
	for _, f := range c.Fields {
		v := t.expr(f)
		keys = append(keys, t.identity(v)...)
		nulls = append(nulls, "NOT "+paren(present(v)))
	}
	rn := quoteIdent("ctq_rn")
	w := t.wrap(r, fmt.Sprintf("row_number() OVER (PARTITION BY %s ORDER BY %s) AS %s", strings.Join(keys, ", "), strings.Join(r.order, ", "), rn), "")
	w.where = []string{rn + " = 1 OR " + strings.Join(nulls, " OR ")}
	return w
}

// identity is the SQL values that identify a value the way the evaluator
// groups it (kind and text).
func (t *translator) identity(v sqlVal) []string {
	switch v.kind {
	case sDyn:
		return []string{v.dyn.text, v.dyn.tag()}
	case sNull:
		return []string{"NULL"}
	}
	return []string{v.sql}
}

// quoteIdent quotes a column name.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// output is the final SELECT: the output columns, in the row order.
func (t *translator) output(q *Query, r *relation) string {
	cols := outputColumns(q)
	sel := make([]string, len(cols))
	for i, name := range cols {
		v, ok := t.scope[name]
		if !ok {
			// The evaluator reads only computed columns and system fields
			// here.
			v = nullVal
			if _, system := systemField(&Record{}, name); system && t.record {
				v = t.field(&FieldRef{Segs: []segment{{Name: name}}, Name: name, P: 0})
			}
		}
		sel[i] = t.outputValue(v) + " AS " + quoteIdent(name)
	}
	order := r.order
	if !r.ordered {
		order = t.defaultOrder()
	}
	s := fmt.Sprintf("SELECT %s FROM %s%s", strings.Join(sel, ", "), r.from, whereClause(r.where))
	if len(order) > 0 {
		s += " ORDER BY " + strings.Join(order, ", ")
	}
	return s
}

// outputValue is a value as a result column: timestamps as TIMESTAMP,
// values inside JSON text as their text.
func (t *translator) outputValue(v sqlVal) string {
	switch v.kind {
	case sTime:
		return t.msToTimestamp(v.sql)
	case sDyn:
		return v.dyn.text
	}
	return v.sql
}

// inputOrder is the order records reach the evaluator: the lake's
// (eventTime, eventID) order, in which records without either come first.
func (t *translator) inputOrder() []string {
	return []string{t.d.Ident(colTime) + " ASC NULLS FIRST", t.d.Ident(colID) + " ASC NULLS FIRST"}
}

// defaultOrder is @timestamp descending, ties in input order, missing
// timestamps last.
func (t *translator) defaultOrder() []string {
	return append([]string{t.timestampMs() + " DESC NULLS LAST"}, t.inputOrder()...)
}
