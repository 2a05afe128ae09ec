package query

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Translation of a pattern into a SQL WHERE clause over the lake's table, for
// engines that read the lake directly (Athena, Trino's Hive connector,
// DuckDB). The clause follows the reference evaluator (reference.go):
//
//   - a typed leaf column is compared directly; SQL NULL (a missing field)
//     makes every comparison false, `!=` included, as the language wants;
//   - below a JSON text column (requestParameters, ...), in ctqExtra (unknown
//     top-level members) and for every other selector (array indexes and
//     wildcards outside JSON columns, groups), the value is extracted with
//     the engine's JSON functions: from the column's text, from ctqExtra, or
//     from the raw record (ctqRaw);
//   - IS NULL on a typed field reads ctqNulls, the list of typed paths whose
//     JSON value was null; NOT EXISTS is "NULL and not listed there";
//   - rows whose typed columns are inexact (ctqExact = false) are evaluated
//     from ctqRaw with JSON functions, as the engine does, unless
//     SQLOptions.TypedOnly is set.
//
// What SQL cannot reproduce exactly is documented in docs/LANGUAGE.md
// ("Translating patterns to SQL").

// SQLDialect is the SQL engine a pattern is translated for.
type SQLDialect uint8

const (
	DialectAthena SQLDialect = iota + 1 // Amazon Athena (engine version 3)
	DialectTrino                        // Trino, Hive connector
	DialectDuckDB                       // DuckDB
)

// ParseSQLDialect parses an engine name: athena, trino or duckdb.
func ParseSQLDialect(s string) (SQLDialect, error) {
	switch strings.ToLower(s) {
	case "athena":
		return DialectAthena, nil
	case "trino":
		return DialectTrino, nil
	case "duckdb":
		return DialectDuckDB, nil
	}
	return 0, fmt.Errorf("unknown SQL engine %q: want athena, trino or duckdb", s)
}

func (d SQLDialect) String() string {
	switch d {
	case DialectAthena:
		return "athena"
	case DialectTrino:
		return "trino"
	case DialectDuckDB:
		return "duckdb"
	}
	return fmt.Sprintf("SQLDialect(%d)", uint8(d))
}

// SQLOptions configure Pattern.SQL.
type SQLOptions struct {
	Dialect SQLDialect
	// TypedOnly leaves out the evaluation of inexact rows (ctqExact = false)
	// from the raw record: the clause is shorter and cheaper, and may differ
	// from ctq for those rows.
	TypedOnly bool
	// FromRaw evaluates every comparison from ctqRaw with JSON functions,
	// ignoring the typed columns: slow, but it needs only ctqRaw (and checks
	// the typed translation).
	FromRaw bool
}

// SQL translates the pattern into a boolean SQL expression over the lake's
// columns (a WHERE clause without the WHERE), for the table that `ctq ddl`
// creates. A construct the dialect cannot express is a *SyntaxError pointing
// at it.
func (p *Pattern) SQL(opts SQLOptions) (string, error) {
	switch opts.Dialect {
	case DialectAthena, DialectTrino, DialectDuckDB:
	default:
		return "", fmt.Errorf("no SQL dialect chosen (%v)", opts.Dialect)
	}
	g := &sqlGen{d: opts.Dialect, pat: p, raw: opts.FromRaw}
	typed, err := g.node(p.Root)
	if err != nil {
		return "", err
	}
	if opts.TypedOnly || opts.FromRaw || !usesColumns(p.Root) {
		return typed, nil
	}
	g.raw = true
	raw, err := g.node(p.Root)
	if err != nil {
		return "", err
	}
	exact := g.ident(colExact)
	return fmt.Sprintf("(%s AND %s) OR (NOT %s AND %s)", exact, paren(typed), exact, paren(raw)), nil
}

// usesColumns reports whether any comparison of n reads a column other than
// ctqRaw, i.e. whether inexact rows need their own evaluation.
func usesColumns(n Node) bool {
	switch n := n.(type) {
	case *And:
		for _, t := range n.Terms {
			if usesColumns(t) {
				return true
			}
		}
	case *Or:
		for _, t := range n.Terms {
			if usesColumns(t) {
				return true
			}
		}
	case *Compare:
		return classify(n.Sel).kind != tRaw
	}
	return false
}

type sqlGen struct {
	d   SQLDialect
	pat *Pattern
	raw bool // evaluate every comparison from ctqRaw
}

func (g *sqlGen) duck() bool { return g.d == DialectDuckDB }

func (g *sqlGen) node(n Node) (string, error) {
	switch n := n.(type) {
	case *MatchAll:
		return "TRUE", nil
	case *And:
		return g.join(n.Terms, " AND ")
	case *Or:
		return g.join(n.Terms, " OR ")
	case *Terms:
		return g.terms(n), nil
	case *Compare:
		return g.compare(n)
	}
	return "", fmt.Errorf("BUG: cannot translate %T", n)
}

func (g *sqlGen) join(terms []Node, sep string) (string, error) {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		s, err := g.node(t)
		if err != nil {
			return "", err
		}
		parts = append(parts, paren(s))
	}
	return strings.Join(parts, sep), nil
}

// paren wraps s in parentheses unless it is one operand already.
func paren(s string) string {
	if isAtom(s) {
		return s
	}
	return "(" + s + ")"
}

// isAtom reports whether s has no operator outside parentheses and quotes.
func isAtom(s string) bool {
	depth := 0
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			if c == '\'' {
				inStr = false
			}
		case c == '\'':
			inStr = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ' ' && depth == 0:
			return false
		}
	}
	return true
}

// errAt reports a construct the dialect cannot express, at the comparison.
func (g *sqlGen) errAt(c *Compare, format string, args ...any) error {
	pos := 0
	if g.pat != nil {
		pos = g.pat.positions[c]
	}
	src := ""
	if g.pat != nil {
		src = g.pat.Source
	}
	return &SyntaxError{Pattern: src, Pos: pos, Msg: fmt.Sprintf("cannot translate to %s SQL: ", g.d) + fmt.Sprintf(format, args...)}
}

// ident renders a dotted column path, each part quoted.
func (g *sqlGen) ident(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

// sqlString renders a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (g *sqlGen) terms(t *Terms) string {
	raw := g.ident(colRaw)
	in := func(tm Term) string {
		if tm.Re != nil {
			return g.regexp(raw, tm.Text)
		}
		return g.d.Contains(raw, tm.Text)
	}
	var parts []string
	for _, m := range t.Must {
		parts = append(parts, in(m))
	}
	for _, m := range t.Exclude {
		parts = append(parts, "NOT "+paren(in(m)))
	}
	if len(parts) == 0 {
		if len(t.Any) == 0 {
			return "TRUE"
		}
		var any []string
		for _, m := range t.Any {
			any = append(any, paren(in(m)))
		}
		return strings.Join(any, " OR ")
	}
	for i, p := range parts {
		parts[i] = paren(p)
	}
	return strings.Join(parts, " AND ")
}

func (g *sqlGen) compare(c *Compare) (string, error) {
	t := classify(c.Sel)
	if g.raw {
		t = target{kind: tRaw}
	}
	switch t.kind {
	case tTyped:
		return g.typed(c, t.col), nil
	case tJSON:
		if len(t.rest.Steps) == 0 && (c.Op == OpIsNull || c.Op == OpNotExists) {
			// The column's own JSON null is recorded in ctqNulls.
			return g.presence(c.Op, t.col), nil
		}
		return g.json(c, g.ident(t.col), t.rest.Steps)
	case tExtra:
		return g.json(c, g.ident(colExtra), c.Sel.Steps)
	}
	return g.json(c, g.ident(colRaw), c.Sel.Steps)
}

// presence is IS NULL / NOT EXISTS on a typed column.
func (g *sqlGen) presence(op Op, col string) string {
	fn := "contains"
	if g.duck() {
		fn = "list_contains"
	}
	listed := fmt.Sprintf("%s(%s, %s)", fn, g.ident(nullsRoot), sqlString(col))
	if op == OpIsNull {
		return listed
	}
	return fmt.Sprintf("%s IS NULL AND NOT coalesce(%s, FALSE)", g.ident(col), listed)
}

// typed translates a comparison on a typed leaf column. Typed values are
// strings, booleans and eventTime, never JSON numbers.
func (g *sqlGen) typed(c *Compare, col string) string {
	ref := g.ident(col)
	text := ref
	switch {
	case typedCols().bools[col]:
		text = fmt.Sprintf("CAST(%s AS VARCHAR)", ref)
	case col == colTime:
		// The engine compares eventTime as CloudTrail writes it.
		text = g.timeText(ref)
	}
	switch c.Op {
	case OpEq, OpNe:
		if c.Val.Kind == ValAny {
			if c.Op == OpNe {
				return "FALSE"
			}
			return ref + " IS NOT NULL"
		}
		eq := g.textMatch(text, c.Val)
		if c.Op == OpEq {
			return eq
		}
		return fmt.Sprintf("NOT %s", paren(eq)) // NULL (missing) stays NULL: false
	case OpIsTrue, OpIsFalse:
		if !typedCols().bools[col] {
			return "FALSE"
		}
		return fmt.Sprintf("%s = %t", ref, c.Op == OpIsTrue)
	case OpIsNull, OpNotExists:
		return g.presence(c.Op, col)
	}
	return "FALSE" // < > <= >= hold only for JSON numbers
}

// textMatch is `= value` on a text expression, under the language's string
// semantics: exact, prefix/suffix/contains wildcards, regex, or a number
// literal compared by its text.
func (g *sqlGen) textMatch(text string, v Value) string {
	switch v.Kind {
	case ValRegex:
		return g.regexp(text, v.Text)
	case ValNumber:
		return text + " = " + sqlString(numberText(v))
	case ValAny:
		return text + " IS NOT NULL"
	}
	if !v.Prefix && !v.Suffix {
		return text + " = " + sqlString(v.Str)
	}
	like := likeEscape(v.Str)
	if v.Suffix {
		like = "%" + like
	}
	if v.Prefix {
		like += "%"
	}
	return fmt.Sprintf(`%s LIKE %s ESCAPE '\'`, text, sqlString(like))
}

// numberText is a number literal's text as written (what a JSON string
// must equal).
func numberText(v Value) string {
	if v.Text != "" {
		return v.Text
	}
	return strconv.FormatFloat(v.Num, 'g', -1, 64)
}

// numberSQL is a number literal as a SQL double.
func numberSQL(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "CAST('Infinity' AS DOUBLE)"
	case math.IsInf(f, -1):
		return "CAST('-Infinity' AS DOUBLE)"
	case math.IsNaN(f):
		return "CAST('NaN' AS DOUBLE)"
	}
	return strconv.FormatFloat(f, 'e', -1, 64) // 4e+02: a DOUBLE literal in every dialect
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// regexp is an unanchored search for a CloudWatch regex in text.
func (g *sqlGen) regexp(text, body string) string {
	re, err := TranslateRegex(body)
	if err != nil {
		// Parse validated the regex; an invalid one can only come from a
		// hand-built tree. Match nothing rather than emit broken SQL.
		return "FALSE"
	}
	return g.d.RegexpSearch(text, re)
}

// javaAnchors rewrites the anchors of an RE2 translation for Athena and
// Trino, whose regex libraries let ^ and $ match at line breaks: ^ becomes
// \A and $ becomes \z outside character classes.
func javaAnchors(re string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\' && i+1 < len(re):
			b.WriteByte(c)
			b.WriteByte(re[i+1])
			i++
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			b.WriteByte(c)
			if i+1 < len(re) && re[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			continue
		case c == '^':
			b.WriteString(`\A`)
			continue
		case c == '$':
			b.WriteString(`\z`)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var simpleJSONKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// jsonPath renders selector steps without wildcards as a JSON path.
func (g *sqlGen) jsonPath(c *Compare, steps []Step) (string, error) {
	var b strings.Builder
	b.WriteByte('$')
	for _, st := range steps {
		switch st.Kind {
		case StepIndex:
			fmt.Fprintf(&b, "[%d]", st.Index)
		case StepField:
			switch {
			case simpleJSONKey().MatchString(st.Name):
				b.WriteString("." + st.Name)
			case strings.ContainsAny(st.Name, `"\`) || strings.ContainsRune(st.Name, 0):
				return "", g.errAt(c, "member name %q contains a quote, a backslash or NUL, which JSON paths cannot spell", st.Name)
			case g.duck():
				b.WriteString(`."` + st.Name + `"`)
			default:
				b.WriteString(`["` + st.Name + `"]`)
			}
		default:
			return "", fmt.Errorf("BUG: wildcard step in jsonPath")
		}
	}
	return b.String(), nil
}

// json translates a comparison of the value at steps inside the JSON text
// src.
func (g *sqlGen) json(c *Compare, src string, steps []Step) (string, error) {
	for _, v := range []string{c.Val.Str, c.Val.Text} {
		if strings.ContainsRune(v, 0) {
			return "", g.errAt(c, "the value contains NUL")
		}
	}
	for k, st := range steps {
		if st.Kind == StepAnyIndex || st.Kind == StepAnyField {
			return g.wildcard(c, src, steps[:k], st.Kind, steps[k+1:])
		}
	}
	p, err := g.jsonPath(c, steps)
	if err != nil {
		return "", err
	}
	return g.jsonScalar(c, src, sqlString(p)), nil
}

// jsonScalar is the comparison of the value at path p (a SQL literal) in
// the JSON src.
func (g *sqlGen) jsonScalar(c *Compare, src, p string) string {
	j := g.d.JSONValue(src, p)
	str, scalar, isNum := j.Str, j.Scalar, j.IsNum
	isNull, absent, isTrue, isFalse := j.IsNull, j.Absent, j.IsTrue, j.IsFalse
	num := fmt.Sprintf("TRY_CAST(%s AS DOUBLE)", str)
	v := c.Val
	switch c.Op {
	case OpIsNull:
		return isNull
	case OpIsTrue:
		return isTrue
	case OpIsFalse:
		return isFalse
	case OpNotExists:
		return absent
	case OpLt, OpGt, OpLe, OpGe:
		if v.Kind != ValNumber {
			return "FALSE"
		}
		op := map[Op]string{OpLt: "<", OpGt: ">", OpLe: "<=", OpGe: ">="}[c.Op]
		return fmt.Sprintf("%s AND %s %s %s", isNum, num, op, numberSQL(v.Num))
	}
	// = and !=
	if v.Kind == ValAny {
		if c.Op == OpNe {
			return "FALSE"
		}
		return scalar
	}
	var eq string
	if v.Kind == ValNumber {
		eq = fmt.Sprintf("CASE WHEN %s THEN %s = %s ELSE %s = %s END", isNum, num, numberSQL(v.Num), str, sqlString(numberText(v)))
	} else {
		eq = g.textMatch(str, v)
	}
	if c.Op == OpEq {
		return fmt.Sprintf("%s AND %s", scalar, paren(eq))
	}
	return fmt.Sprintf("%s AND NOT %s", scalar, paren(eq))
}

// wildcard translates a comparison through a [*] or .* step: true when any
// selected value satisfies it (NOT EXISTS: when nothing is selected).
func (g *sqlGen) wildcard(c *Compare, src string, prefix []Step, kind StepKind, rest []Step) (string, error) {
	pp, err := g.jsonPath(c, prefix)
	if err != nil {
		return "", err
	}
	rp, err := g.jsonPath(c, rest)
	if err != nil {
		return "", err
	}
	const x = "x"
	var list string
	if g.duck() {
		suffix := "[*]"
		if kind == StepAnyField {
			suffix = ".*"
		}
		list = fmt.Sprintf("json_extract(%s, %s)", src, sqlString(pp+suffix))
	} else if kind == StepAnyIndex {
		list = fmt.Sprintf("TRY_CAST(json_extract(%s, %s) AS ARRAY(JSON))", src, sqlString(pp))
	} else {
		list = fmt.Sprintf("map_values(TRY_CAST(json_extract(%s, %s) AS MAP(VARCHAR, JSON)))", src, sqlString(pp))
	}
	anyOf := func(pred string) string {
		if g.duck() {
			return fmt.Sprintf("coalesce(len(list_filter(%s, %s -> %s)), 0) > 0", list, x, pred)
		}
		return fmt.Sprintf("coalesce(any_match(%s, %s -> %s), FALSE)", list, x, pred)
	}
	if c.Op == OpNotExists {
		if len(rest) == 0 {
			if g.duck() {
				return fmt.Sprintf("coalesce(len(%s), 0) = 0", list), nil
			}
			return fmt.Sprintf("coalesce(cardinality(%s), 0) = 0", list), nil
		}
		inner := *c
		inner.Op = OpNotExists
		return "NOT " + paren(anyOf("NOT "+paren(g.jsonScalar(&inner, x, sqlString(rp))))), nil
	}
	return anyOf(g.jsonScalar(c, x, sqlString(rp))), nil
}
