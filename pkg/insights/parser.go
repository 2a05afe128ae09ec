package insights

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/ctq-dev/ctq/pkg/query"
)

// Parse parses a Logs Insights query and checks the validity rules of the
// language (at most two stats, sort and limit after the second stats, only
// limit after dedup, bin only as a stats key before any stats, aggregates
// only in stats, known functions with the right arguments, no duplicate
// column names). Errors are *SyntaxError.
func Parse(src string) (*Query, error) {
	toks, lerr := lex(src)
	if lerr != nil {
		return nil, lerr
	}
	ps := &parser{src: src, toks: toks}
	q, err := ps.query()
	if err != nil {
		return nil, err
	}
	if err := validate(q); err != nil {
		return nil, err
	}
	return q, nil
}

// maxDepth bounds expression nesting so that hostile input cannot exhaust
// the stack.
const maxDepth = 200

type parser struct {
	src      string
	toks     []token
	i        int
	depth    int
	warnings []Warning
}

func (ps *parser) peek() token { return ps.toks[ps.i] }
func (ps *parser) peekAt(k int) token {
	if ps.i+k < len(ps.toks) {
		return ps.toks[ps.i+k]
	}
	return ps.toks[len(ps.toks)-1]
}
func (ps *parser) advance() token {
	t := ps.toks[ps.i]
	if t.kind != tokEOF {
		ps.i++
	}
	return t
}

func (ps *parser) errExpected(t token, expected string) *SyntaxError {
	return &SyntaxError{Query: ps.src, Pos: t.pos, Token: describeTok(t), Expected: expected}
}

func (ps *parser) errAt(t token, msg string) *SyntaxError {
	return &SyntaxError{Query: ps.src, Pos: t.pos, Token: describeTok(t), Msg: msg}
}

// isWord reports an unquoted one-segment identifier equal (ignoring case)
// to w.
func isWord(t token, w string) bool {
	return t.kind == tokIdent && len(t.segs) == 1 && !t.segs[0].Quoted && !t.segs[0].IsIndex && strings.EqualFold(t.text, w)
}

func (ps *parser) isWord(w string) bool { return isWord(ps.peek(), w) }

// textOf is the column name of the tokens [from, to): their texts joined,
// which removes whitespace and comments outside literals.
func (ps *parser) textOf(from, to int) string {
	var b strings.Builder
	for _, t := range ps.toks[from:to] {
		b.WriteString(t.text)
	}
	return b.String()
}

const expCommand = "a command (fields, filter, stats, sort, limit, dedup, display) or a { … } filter pattern"

func (ps *parser) query() (*Query, error) {
	q := &Query{Source: ps.src}
	for {
		c, err := ps.command()
		if err != nil {
			return nil, err
		}
		q.Commands = append(q.Commands, c)
		t := ps.peek()
		if t.kind == tokEOF {
			break
		}
		if t.kind != tokPipe {
			return nil, ps.errExpected(t, "'|' or end of query")
		}
		ps.advance()
	}
	q.Warnings = ps.warnings
	return q, nil
}

var unsupportedCommands = map[string]string{
	"parse":  "parse is not supported: CloudTrail records are structured, read their fields by name",
	"unnest": "unnest is not supported",
}

func (ps *parser) command() (Command, error) {
	t := ps.peek()
	if t.kind == tokPattern {
		ps.advance()
		return ps.patternStage(t)
	}
	if t.kind != tokIdent || len(t.segs) != 1 || t.segs[0].Quoted {
		return nil, ps.errExpected(t, expCommand)
	}
	name := strings.ToLower(t.text)
	switch name {
	case "fields", "display":
		ps.advance()
		items, err := ps.items()
		if err != nil {
			return nil, err
		}
		if name == "fields" {
			return &Fields{Items: items, P: t.pos}, nil
		}
		return &Display{Items: items, P: t.pos}, nil
	case "filter", "where":
		ps.advance()
		e, err := ps.expr()
		if err != nil {
			return nil, err
		}
		return &Filter{Cond: e, Keyword: name, P: t.pos}, nil
	case "stats":
		ps.advance()
		items, err := ps.items()
		if err != nil {
			return nil, err
		}
		st := &Stats{Items: items, P: t.pos}
		if ps.isWord("by") {
			ps.advance()
			if st.By, err = ps.items(); err != nil {
				return nil, err
			}
		}
		return st, nil
	case "sort":
		ps.advance()
		return ps.sortCmd(t.pos)
	case "limit":
		ps.advance()
		lim := &Limit{P: t.pos}
		if ps.isWord("any") && ps.peekAt(1).kind == tokNumber {
			ps.advance()
			lim.Any = true
		}
		nt := ps.peek()
		n, err := strconv.Atoi(nt.text)
		if nt.kind != tokNumber || err != nil || n <= 0 {
			return nil, ps.errExpected(nt, "a positive whole number of rows")
		}
		ps.advance()
		lim.N = n
		return lim, nil
	case "dedup":
		ps.advance()
		d := &Dedup{P: t.pos}
		for {
			ft := ps.peek()
			if ft.kind != tokIdent {
				return nil, ps.errExpected(ft, "a field name")
			}
			ps.advance()
			d.Fields = append(d.Fields, newFieldRef(ft))
			if ps.peek().kind != tokComma {
				break
			}
			ps.advance()
		}
		return d, nil
	}
	if msg, ok := unsupportedCommands[name]; ok {
		return nil, ps.errAt(t, msg)
	}
	return nil, ps.errExpected(t, expCommand)
}

func (ps *parser) patternStage(t token) (Command, error) {
	p, err := query.Parse(t.text, query.ParseOptions{})
	if err != nil {
		var se *query.SyntaxError
		if errors.As(err, &se) {
			pos := t.pos + se.Pos
			return nil, &SyntaxError{Query: ps.src, Pos: pos, Token: describeAt(ps.src, pos),
				Msg: "in filter pattern: " + se.Message(), cause: err}
		}
		return nil, &SyntaxError{Query: ps.src, Pos: t.pos, Token: describeTok(t), Msg: "in filter pattern: " + err.Error(), cause: err}
	}
	for _, w := range p.Warnings {
		pos := t.pos
		if w.Pos >= 0 {
			pos += w.Pos
		}
		ps.warnings = append(ps.warnings, Warning{Pos: pos, Msg: "filter pattern: " + w.Msg})
	}
	return &PatternFilter{Pattern: p, P: t.pos}, nil
}

// items parses `e [as a], …`.
func (ps *parser) items() ([]Item, error) {
	var out []Item
	for {
		start := ps.i
		e, err := ps.expr()
		if err != nil {
			return nil, err
		}
		it := Item{Expr: e, Name: ps.textOf(start, ps.i)}
		if fr, ok := e.(*FieldRef); ok {
			it.Name = fr.Name
		}
		if ps.isWord("as") {
			ps.advance()
			at := ps.peek()
			if at.kind != tokIdent {
				return nil, ps.errExpected(at, "a name after as")
			}
			ps.advance()
			it.Alias = newFieldRef(at).Name
			it.Name = it.Alias
		}
		out = append(out, it)
		if ps.peek().kind != tokComma {
			return out, nil
		}
		ps.advance()
	}
}

func (ps *parser) sortCmd(pos int) (Command, error) {
	s := &Sort{P: pos}
	for {
		start := ps.i
		e, err := ps.expr()
		if err != nil {
			return nil, err
		}
		k := SortKey{Expr: e, Name: ps.textOf(start, ps.i)}
		if fr, ok := e.(*FieldRef); ok {
			k.Name = fr.Name
		}
		switch {
		case ps.isWord("desc"):
			ps.advance()
			k.Desc = true
		case ps.isWord("asc"):
			ps.advance()
		}
		s.Keys = append(s.Keys, k)
		if ps.peek().kind != tokComma {
			return s, nil
		}
		ps.advance()
	}
}

// newFieldRef builds a field reference from an identifier token.
func newFieldRef(t token) *FieldRef {
	f := &FieldRef{Segs: t.segs, P: t.pos}
	if len(t.segs) == 1 && !t.segs[0].IsIndex {
		f.Name = t.segs[0].Name
	} else {
		f.Name = segsString(t.segs, false)
	}
	return f
}

// Expressions, loosest first: or, and, not, comparison (= != < <= > >=
// like not-like =~ in not-in; non-associative), + -, * / %, unary -, ^
// (right-associative), postfix access, primary.

func (ps *parser) expr() (Expr, error) {
	ps.depth++
	defer func() { ps.depth-- }()
	if ps.depth > maxDepth {
		return nil, ps.errAt(ps.peek(), "expression nested too deeply (more than "+strconv.Itoa(maxDepth)+" levels)")
	}
	return ps.or()
}

func (ps *parser) or() (Expr, error) {
	l, err := ps.and()
	if err != nil {
		return nil, err
	}
	for ps.isWord("or") {
		t := ps.advance()
		r, err := ps.and()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: "or", L: l, R: r, P: t.pos}
	}
	return l, nil
}

func (ps *parser) and() (Expr, error) {
	l, err := ps.not()
	if err != nil {
		return nil, err
	}
	for ps.isWord("and") {
		t := ps.advance()
		r, err := ps.not()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: "and", L: l, R: r, P: t.pos}
	}
	return l, nil
}

func (ps *parser) not() (Expr, error) {
	if ps.isWord("not") {
		t := ps.advance()
		ps.depth++
		defer func() { ps.depth-- }()
		if ps.depth > maxDepth {
			return nil, ps.errAt(t, "expression nested too deeply (more than "+strconv.Itoa(maxDepth)+" levels)")
		}
		x, err := ps.not()
		if err != nil {
			return nil, err
		}
		return &Unary{Op: "not", X: x, P: t.pos}, nil
	}
	return ps.comparison()
}

var cmpOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// isCmpStart reports a comparison operator at the current token.
func (ps *parser) isCmpStart() bool {
	t := ps.peek()
	if t.kind == tokOp && (cmpOps[t.text] || t.text == "=~") {
		return true
	}
	if isWord(t, "like") || isWord(t, "in") {
		return true
	}
	return isWord(t, "not") && (isWord(ps.peekAt(1), "like") || isWord(ps.peekAt(1), "in"))
}

func (ps *parser) comparison() (Expr, error) {
	l, err := ps.additive()
	if err != nil {
		return nil, err
	}
	if !ps.isCmpStart() {
		return l, nil
	}
	t := ps.advance()
	var e Expr
	switch {
	case t.kind == tokOp && cmpOps[t.text]:
		r, err := ps.additive()
		if err != nil {
			return nil, err
		}
		e = &Binary{Op: t.text, L: l, R: r, P: t.pos}
	case t.kind == tokOp: // =~
		pat, err := ps.matchPattern()
		if err != nil {
			return nil, err
		}
		e = &MatchExpr{Op: "=~", X: l, Pat: pat, P: t.pos}
	default:
		not := false
		if isWord(t, "not") {
			not = true
			t = ps.advance()
		}
		if isWord(t, "like") {
			pat, err := ps.matchPattern()
			if err != nil {
				return nil, err
			}
			e = &MatchExpr{Op: "like", Not: not, X: l, Pat: pat, P: t.pos}
		} else {
			list, err := ps.inList()
			if err != nil {
				return nil, err
			}
			e = &InExpr{Not: not, X: l, List: list, P: t.pos}
		}
	}
	if ps.isCmpStart() {
		return nil, ps.errAt(ps.peek(), "comparisons do not chain; combine them with and/or")
	}
	return e, nil
}

// matchPattern parses the right side of like or =~: a string or a regex.
func (ps *parser) matchPattern() (Expr, error) {
	t := ps.peek()
	switch t.kind {
	case tokString:
		ps.advance()
		return &Literal{Val: String(t.val), Text: t.text, P: t.pos}, nil
	case tokRegex:
		ps.advance()
		re, err := regexp.Compile(t.val)
		if err != nil {
			var re2 *syntax.Error
			msg := "invalid regex: " + err.Error()
			if errors.As(err, &re2) {
				msg = "invalid regex: " + string(re2.Code) + ": " + re2.Expr + " (the dialect is RE2: no backreferences or lookaround)"
			}
			return nil, &SyntaxError{Query: ps.src, Pos: t.pos, Token: describeTok(t), Msg: msg, cause: err}
		}
		return &RegexLit{Source: t.val, Re: re, P: t.pos}, nil
	}
	return nil, ps.errExpected(t, "a string or a /regex/")
}

// inList parses the right side of in: [literal, …] or an expression (an
// array field searched by element).
func (ps *parser) inList() (Expr, error) {
	t := ps.peek()
	if t.kind != tokLBrack {
		return ps.additive()
	}
	ps.advance()
	l := &ListLit{P: t.pos}
	if ps.peek().kind == tokRBrack {
		ps.advance()
		return l, nil
	}
	for {
		lit, err := ps.literal()
		if err != nil {
			return nil, err
		}
		l.Elems = append(l.Elems, lit)
		nt := ps.advance()
		if nt.kind == tokRBrack {
			return l, nil
		}
		if nt.kind != tokComma {
			return nil, ps.errExpected(nt, "',' or ']'")
		}
	}
}

// literal parses a string, number (with an optional -), true or false.
func (ps *parser) literal() (*Literal, error) {
	t := ps.peek()
	neg := false
	if t.kind == tokOp && t.text == "-" && ps.peekAt(1).kind == tokNumber {
		neg = true
		ps.advance()
		t = ps.peek()
	}
	switch {
	case t.kind == tokString && !neg:
		ps.advance()
		return &Literal{Val: String(t.val), Text: t.text, P: t.pos}, nil
	case t.kind == tokNumber:
		ps.advance()
		f, err := parseNumber(t)
		if err != nil {
			return nil, ps.errAt(t, err.Error())
		}
		text := t.text
		if neg {
			f, text = -f, "-"+text
		}
		return &Literal{Val: Number(f), Text: text, P: t.pos}, nil
	case (isWord(t, "true") || isWord(t, "false")) && !neg:
		ps.advance()
		return &Literal{Val: Bool(strings.EqualFold(t.text, "true")), Text: t.text, P: t.pos}, nil
	}
	return nil, ps.errExpected(t, "a literal (string, number, true or false)")
}

func parseNumber(t token) (float64, error) {
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil && !isRangeErr(err) {
		return 0, errors.New("invalid number " + t.text)
	}
	return f, nil
}

func (ps *parser) additive() (Expr, error) { return ps.leftAssoc(ps.multiplicative, "+", "-") }

func (ps *parser) multiplicative() (Expr, error) { return ps.leftAssoc(ps.unary, "*", "/", "%") }

// leftAssoc parses next (op next)* for the given operators, grouping to
// the left.
func (ps *parser) leftAssoc(next func() (Expr, error), ops ...string) (Expr, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for t := ps.peek(); t.kind == tokOp && slices.Contains(ops, t.text); t = ps.peek() {
		ps.advance()
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: t.text, L: l, R: r, P: t.pos}
	}
	return l, nil
}

func (ps *parser) unary() (Expr, error) {
	t := ps.peek()
	if t.kind == tokOp && t.text == "-" {
		ps.advance()
		ps.depth++
		defer func() { ps.depth-- }()
		if ps.depth > maxDepth {
			return nil, ps.errAt(t, "expression nested too deeply (more than "+strconv.Itoa(maxDepth)+" levels)")
		}
		x, err := ps.unary()
		if err != nil {
			return nil, err
		}
		return &Unary{Op: "-", X: x, P: t.pos}, nil
	}
	return ps.power()
}

func (ps *parser) power() (Expr, error) {
	l, err := ps.postfix()
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind == tokOp && t.text == "^" {
		ps.advance()
		ps.depth++
		defer func() { ps.depth-- }()
		if ps.depth > maxDepth {
			return nil, ps.errAt(t, "expression nested too deeply (more than "+strconv.Itoa(maxDepth)+" levels)")
		}
		r, err := ps.unary() // right-associative: 2^3^2 = 2^(3^2); 2^-1 allowed
		if err != nil {
			return nil, err
		}
		return &Binary{Op: "^", L: l, R: r, P: t.pos}, nil
	}
	return l, nil
}

// postfix parses member and element access after a call or a
// parenthesized expression: jsonParse(x).a[0].
func (ps *parser) postfix() (Expr, error) {
	x, err := ps.primary()
	if err != nil {
		return nil, err
	}
	switch x.(type) {
	case *Call, *Binary, *Unary, *MatchExpr, *InExpr, *Access:
	default:
		return x, nil
	}
	var segs []segment
	for {
		t := ps.peek()
		prevEnd := ps.toks[ps.i-1].end
		if t.pos != prevEnd {
			break // access is written without spaces
		}
		if t.kind == tokDot && ps.peekAt(1).kind == tokIdent && ps.peekAt(1).pos == t.end {
			ps.advance()
			segs = append(segs, ps.advance().segs...)
			continue
		}
		if t.kind == tokLBrack && ps.peekAt(1).kind == tokNumber && ps.peekAt(2).kind == tokRBrack {
			n, err := strconv.Atoi(ps.peekAt(1).text)
			if err != nil || n < 0 {
				return nil, ps.errExpected(ps.peekAt(1), "an array index")
			}
			ps.advance()
			ps.advance()
			ps.advance()
			segs = append(segs, segment{Index: n, IsIndex: true})
			continue
		}
		break
	}
	if len(segs) == 0 {
		return x, nil
	}
	return &Access{X: x, Segs: segs, P: x.Pos()}, nil
}

func (ps *parser) primary() (Expr, error) {
	t := ps.peek()
	switch t.kind {
	case tokString, tokNumber:
		return ps.literal()
	case tokDuration:
		ps.advance()
		d, err := parseDuration(t.text)
		if err != nil {
			return nil, ps.errAt(t, err.Error())
		}
		if d.overCap() {
			ps.warnings = append(ps.warnings, Warning{Pos: t.pos, Msg: "period " + t.text +
				" exceeds CloudWatch's per-unit maximum (CloudWatch runs a shorter period); ctq uses the exact period"})
		}
		return &DurationLit{D: d, Text: t.text, P: t.pos}, nil
	case tokLParen:
		ps.advance()
		e, err := ps.expr()
		if err != nil {
			return nil, err
		}
		if c := ps.peek(); c.kind != tokRParen {
			return nil, ps.errExpected(c, "')'")
		}
		ps.advance()
		return e, nil
	case tokIdent:
		if isWord(t, "true") || isWord(t, "false") {
			return ps.literal()
		}
		if ps.peekAt(1).kind == tokLParen && len(t.segs) == 1 && !t.segs[0].Quoted {
			return ps.call()
		}
		ps.advance()
		return newFieldRef(t), nil
	case tokLBrack:
		return nil, ps.errAt(t, "a list [ … ] is allowed only after in")
	case tokRegex:
		return nil, ps.errAt(t, "a regex is allowed only after like or =~")
	}
	return nil, ps.errExpected(t, "an expression (field, literal, function call or '(')")
}

func (ps *parser) call() (Expr, error) {
	start := ps.i
	nt := ps.advance()
	ps.advance() // (
	c := &Call{Name: nt.text, Fn: strings.ToLower(nt.text), P: nt.pos}
	if ps.peek().kind == tokRParen {
		ps.advance()
		c.Text = ps.textOf(start, ps.i)
		return c, nil
	}
	for {
		if t := ps.peek(); t.kind == tokOp && t.text == "*" && ps.peekAt(1).kind == tokRParen {
			ps.advance()
			c.Args = append(c.Args, &Star{P: t.pos})
		} else {
			a, err := ps.expr()
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, a)
		}
		t := ps.advance()
		if t.kind == tokRParen {
			c.Text = ps.textOf(start, ps.i)
			return c, nil
		}
		if t.kind != tokComma {
			return nil, ps.errExpected(t, "',' or ')'")
		}
	}
}
