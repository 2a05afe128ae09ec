package insights

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/ctq-dev/ctq/pkg/query"
)

// Query is a parsed and validated query. Every node prints as valid query
// text with String; parsing that text again yields an equal tree.
type Query struct {
	// Source is the text as given to Parse.
	Source string
	// Commands are the pipeline stages in order.
	Commands []Command
	// Warnings are problems that do not stop the query from running, such
	// as a bin period above CloudWatch's per-unit cap.
	Warnings []Warning
}

// Warning is a problem that does not stop a query from running.
type Warning struct {
	Pos int    // byte offset in the query's Source
	Msg string // lower-case description
}

// String formats the warning with its offset.
func (w Warning) String() string { return "warning at offset " + strconv.Itoa(w.Pos) + ": " + w.Msg }

// String prints the pipeline.
func (q *Query) String() string {
	parts := make([]string, len(q.Commands))
	for i, c := range q.Commands {
		parts[i] = c.String()
	}
	return strings.Join(parts, " | ")
}

// Command is one pipeline stage.
type Command interface {
	String() string
	// Pos is the byte offset of the command in the query.
	Pos() int
	isCommand()
}

// Item is an expression with its column name: the alias, or the item's
// source text without whitespace outside literals (count(*), bin(5m)).
type Item struct {
	Expr  Expr
	Alias string // empty without "as"
	Name  string // the column name
}

func (it Item) String() string {
	if it.Alias != "" {
		return it.Expr.String() + " as " + quoteName(it.Alias)
	}
	return it.Expr.String()
}

// Fields adds expressions to the rows and to the output columns.
type Fields struct {
	Items []Item
	P     int
}

// Display sets the output columns (the last display counts).
type Display struct {
	Items []Item
	P     int
}

// Filter keeps the rows where Cond is true. Keyword is "filter" or "where".
type Filter struct {
	Cond    Expr
	Keyword string
	P       int
}

// PatternFilter is a stage written as a JSON filter pattern { … }, with
// the filter-pattern semantics of package query.
type PatternFilter struct {
	Pattern *query.Pattern
	P       int
}

// Stats aggregates rows into groups.
type Stats struct {
	Items []Item
	By    []Item
	P     int
}

// SortKey is one key of a sort.
type SortKey struct {
	Expr Expr
	Desc bool
	Name string // the key's text, used to read an existing column
}

// Sort orders the rows (stable, several keys).
type Sort struct {
	Keys []SortKey
	P    int
}

// Limit keeps the first N rows. Any (limit any N) skips the implicit
// @timestamp order.
type Limit struct {
	N   int
	Any bool
	P   int
}

// Dedup keeps the first row of each distinct combination of Fields.
type Dedup struct {
	Fields []*FieldRef
	P      int
}

func (c *Fields) Pos() int        { return c.P }
func (c *Display) Pos() int       { return c.P }
func (c *Filter) Pos() int        { return c.P }
func (c *PatternFilter) Pos() int { return c.P }
func (c *Stats) Pos() int         { return c.P }
func (c *Sort) Pos() int          { return c.P }
func (c *Limit) Pos() int         { return c.P }
func (c *Dedup) Pos() int         { return c.P }

func (*Fields) isCommand()        {}
func (*Display) isCommand()       {}
func (*Filter) isCommand()        {}
func (*PatternFilter) isCommand() {}
func (*Stats) isCommand()         {}
func (*Sort) isCommand()          {}
func (*Limit) isCommand()         {}
func (*Dedup) isCommand()         {}

func joinItems(items []Item) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.String()
	}
	return strings.Join(parts, ", ")
}

func (c *Fields) String() string        { return "fields " + joinItems(c.Items) }
func (c *Display) String() string       { return "display " + joinItems(c.Items) }
func (c *Filter) String() string        { return c.Keyword + " " + c.Cond.String() }
func (c *PatternFilter) String() string { return strings.TrimSpace(c.Pattern.Source) }
func (c *Stats) String() string {
	s := "stats " + joinItems(c.Items)
	if len(c.By) > 0 {
		s += " by " + joinItems(c.By)
	}
	return s
}
func (c *Sort) String() string {
	parts := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		parts[i] = k.Expr.String()
		if k.Desc {
			parts[i] += " desc"
		} else {
			parts[i] += " asc"
		}
	}
	return "sort " + strings.Join(parts, ", ")
}
func (c *Limit) String() string {
	if c.Any {
		return "limit any " + strconv.Itoa(c.N)
	}
	return "limit " + strconv.Itoa(c.N)
}
func (c *Dedup) String() string {
	parts := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		parts[i] = f.String()
	}
	return "dedup " + strings.Join(parts, ", ")
}

// Expr is an expression.
type Expr interface {
	String() string
	// Pos is the byte offset of the expression in the query.
	Pos() int
}

// FieldRef reads a field: a computed column (an alias or a stats output)
// of that name, a system field (@timestamp, @message, @logStream, @log,
// @ingestionTime), or a path into the record.
type FieldRef struct {
	Segs []segment
	Name string // the name columns are looked up by: the text without the backticks of a one-segment name
	P    int
}

// Literal is a string, number or boolean literal.
type Literal struct {
	Val  Value
	Text string // as written
	P    int
}

// RegexLit is a /regex/ after like or =~.
type RegexLit struct {
	Source string // the regex with \/ resolved
	Re     *regexp.Regexp
	P      int
}

// ListLit is a [ … ] list of literals after in.
type ListLit struct {
	Elems []*Literal
	P     int
}

// DurationLit is a period such as 5m or 1d (argument of bin, datefloor,
// dateceil).
type DurationLit struct {
	D    Duration
	Text string
	P    int
}

// Star is the * of count(*).
type Star struct{ P int }

// Unary is -x or not x.
type Unary struct {
	Op string // "-" or "not"
	X  Expr
	P  int
}

// Binary is an arithmetic, comparison or boolean operation. Op is one of
// + - * / % ^ = != < <= > >= and or.
type Binary struct {
	Op   string
	L, R Expr
	P    int
}

// MatchExpr is x like pat, x not like pat, or x =~ pat; Pat is a string
// *Literal (substring) or a *RegexLit (unanchored search).
type MatchExpr struct {
	Op  string // "like" or "=~"
	Not bool
	X   Expr
	Pat Expr
	P   int
}

// InExpr is x in list or x not in list; List is a *ListLit or an
// expression whose value is searched by element.
type InExpr struct {
	Not  bool
	X    Expr
	List Expr
	P    int
}

// Call is a function or aggregate call. Fn is the lower-case name.
type Call struct {
	Name string // as written
	Text string // the call's source text without whitespace outside literals: its column name
	Fn   string
	Args []Expr
	P    int
}

// Access reads a member or element of a computed map or list:
// jsonParse(x).a[0].
type Access struct {
	X    Expr
	Segs []segment
	P    int
}

func (e *FieldRef) Pos() int    { return e.P }
func (e *Literal) Pos() int     { return e.P }
func (e *RegexLit) Pos() int    { return e.P }
func (e *ListLit) Pos() int     { return e.P }
func (e *DurationLit) Pos() int { return e.P }
func (e *Star) Pos() int        { return e.P }
func (e *Unary) Pos() int       { return e.P }
func (e *Binary) Pos() int      { return e.P }
func (e *MatchExpr) Pos() int   { return e.P }
func (e *InExpr) Pos() int      { return e.P }
func (e *Call) Pos() int        { return e.P }
func (e *Access) Pos() int      { return e.P }

// quoteName prints a name as a field reference, in backticks when it holds
// characters a bare name cannot.
func quoteName(n string) string {
	if n != "" && !isDigitByte(n[0]) && !isKeyword(n) {
		ok := true
		for i := 0; i < len(n); i++ {
			if !isIdentByte(n[i]) {
				ok = false
				break
			}
		}
		if ok {
			return n
		}
	}
	if strings.HasPrefix(n, "@") && !strings.Contains(n[1:], "@") && n != "@" {
		return "@`" + n[1:] + "`"
	}
	return "`" + n + "`"
}

func segsString(segs []segment, leadingDot bool) string {
	var b strings.Builder
	for i, s := range segs {
		if s.IsIndex {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
			continue
		}
		if i > 0 || leadingDot {
			b.WriteByte('.')
		}
		if s.Quoted {
			if i == 0 && strings.HasPrefix(s.Name, "@") && !leadingDot {
				b.WriteString("@`" + s.Name[1:] + "`")
			} else {
				b.WriteString("`" + s.Name + "`")
			}
		} else {
			b.WriteString(s.Name)
		}
	}
	return b.String()
}

func (e *FieldRef) String() string {
	if len(e.Segs) == 1 && !e.Segs[0].IsIndex {
		return quoteName(e.Segs[0].Name)
	}
	return segsString(e.Segs, false)
}

func (e *Literal) String() string {
	if e.Val.Kind == KindString {
		return quoteString(e.Val.Str)
	}
	return e.Val.Text()
}

func (e *RegexLit) String() string { return "/" + strings.ReplaceAll(e.Source, "/", `\/`) + "/" }

func (e *ListLit) String() string {
	parts := make([]string, len(e.Elems))
	for i, l := range e.Elems {
		parts[i] = l.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (e *DurationLit) String() string { return e.Text }
func (e *Star) String() string        { return "*" }
func (e *Unary) String() string {
	if e.Op == "not" {
		return "(not " + e.X.String() + ")"
	}
	return "(-" + e.X.String() + ")"
}
func (e *Binary) String() string { return "(" + e.L.String() + " " + e.Op + " " + e.R.String() + ")" }
func (e *MatchExpr) String() string {
	op := e.Op
	if e.Not {
		op = "not like"
	}
	return "(" + e.X.String() + " " + op + " " + e.Pat.String() + ")"
}
func (e *InExpr) String() string {
	op := " in "
	if e.Not {
		op = " not in "
	}
	return "(" + e.X.String() + op + e.List.String() + ")"
}
func (e *Call) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}
func (e *Access) String() string { return e.X.String() + segsString(e.Segs, true) }

// keywords cannot be bare field names where the grammar could read them as
// keywords; backtick them there.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "like": true, "in": true, "as": true, "by": true,
	"asc": true, "desc": true, "true": true, "false": true,
}

func isKeyword(s string) bool { return keywords[strings.ToLower(s)] }

// quoteString prints a string literal that the lexer reads back unchanged.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
