package query

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// PatternKind says which syntax a pattern was written in.
type PatternKind uint8

const (
	KindJSON      PatternKind = iota // { $.field = value ... }
	KindTerms                        // ERROR -ARGUMENTS "a phrase" %regex%
	KindShorthand                    // field=value and/or ...: compiles to the same nodes as KindJSON
	KindAll                          // empty or " ": matches every record
)

// String returns "json", "terms", "shorthand" or "all".
func (k PatternKind) String() string {
	switch k {
	case KindJSON:
		return "json"
	case KindTerms:
		return "terms"
	case KindShorthand:
		return "shorthand"
	case KindAll:
		return "all"
	}
	return fmt.Sprintf("PatternKind(%d)", uint8(k))
}

// Limits of the language. CloudWatch documents the first three; ctq adds
// the nesting limit (CloudWatch documents none).
const (
	MaxPatternLength = 1024 // longer patterns are accepted with a warning
	MaxRegexes       = 2    // %regex% values per JSON (or shorthand) pattern
	MaxWildcards     = 3    // wildcard selectors per pattern (and 1 wildcard per selector)
	MaxNesting       = 100  // parenthesis depth
)

// ParseOptions configures Parse.
type ParseOptions struct {
	// Resolve maps a shorthand field path as typed by a user (e.g.
	// "useridentity.username", "eventname", "requestParameters.bucketName")
	// to a JSON selector; nil means DefaultResolver. Its errors are reported
	// as a *SyntaxError at the field name that wraps them.
	Resolve func(path string) (Selector, error)
}

// Pattern is a parsed filter pattern.
type Pattern struct {
	// Root is the tree: *MatchAll for KindAll, *Terms for KindTerms,
	// and *Compare, *And or *Or for KindJSON and KindShorthand.
	Root Node
	// Source is the text as given to Parse.
	Source string
	// Kind is the syntax the pattern was written in.
	Kind PatternKind
	// Warnings are problems that do not stop the pattern from being used
	// (dropped ?terms, a pattern longer than CloudWatch accepts). Lint adds
	// more.
	Warnings []Warning

	// positions maps each comparison to its byte offset in Source, for
	// Lint's warnings.
	positions map[*Compare]int
}

// Parse parses a CloudWatch Logs filter pattern or ctq shorthand:
//
//   - text starting with '{' is a JSON pattern: { $.eventName = "ConsoleLogin" && $.errorCode NOT EXISTS };
//   - the empty pattern and " " match every record (KindAll);
//   - text with a shorthand comparison (name=value, name!=value, <, >, <=, >=
//     outside quotes) is shorthand: eventName=GetObject useridentity.username=alice;
//   - text starting with '[' is a space-delimited pattern, which is rejected
//     because CloudTrail records are JSON;
//   - anything else is a term pattern: ERROR -ARGUMENTS "a phrase" %regex%.
//
// Errors are *SyntaxError.
func Parse(pattern string, opts ParseOptions) (*Pattern, error) {
	ps := &parser{s: pattern, resolve: opts.Resolve, positions: map[*Compare]int{}}
	if ps.resolve == nil {
		ps.resolve = DefaultResolver
	}
	if n := utf8.RuneCountInString(pattern); n > MaxPatternLength {
		off := 0
		for k := 0; k < MaxPatternLength; k++ {
			_, size := utf8.DecodeRuneInString(pattern[off:])
			off += size
		}
		ps.warn(off, fmt.Sprintf("pattern is %d characters long; CloudWatch Logs accepts at most %d", n, MaxPatternLength))
	}
	if !utf8.ValidString(pattern) {
		for i := 0; i < len(pattern); {
			r, size := utf8.DecodeRuneInString(pattern[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, &SyntaxError{Pattern: pattern, Pos: i, Msg: "invalid UTF-8 in pattern"}
			}
			i += size
		}
	}
	start := skipPatSpace(pattern, 0)
	trimmed := strings.TrimRight(pattern[start:], " \t\n\r\f\v")
	p := &Pattern{Source: pattern}
	var root Node
	var err *SyntaxError
	switch {
	case trimmed == "" || isBlankPhrase(trimmed):
		p.Kind, root = KindAll, &MatchAll{}
	case trimmed[0] == '{':
		p.Kind = KindJSON
		root, err = ps.parseJSON(start)
	case trimmed[0] == '[':
		err = ps.rejectSpaceDelimited(start)
	case looksLikeShorthand(pattern):
		p.Kind = KindShorthand
		root, err = ps.parseShorthand()
	default:
		p.Kind = KindTerms
		root, err = ps.parseTerms()
	}
	if err != nil {
		return nil, err
	}
	if _, ok := root.(*MatchAll); ok {
		p.Kind = KindAll
	}
	p.Root = root
	p.Warnings = ps.warnings
	p.positions = ps.positions
	return p, nil
}

// isBlankPhrase reports `""` and `" "` (any number of spaces).
func isBlankPhrase(t string) bool {
	return len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && strings.Trim(t[1:len(t)-1], " ") == ""
}

type parser struct {
	s         string
	i         int // JSON parser: current offset
	resolve   func(string) (Selector, error)
	depth     int
	regexes   int
	wildcards int
	warnings  []Warning
	positions map[*Compare]int

	// shorthand
	lx  shortLexer
	tok shToken
}

func (ps *parser) warn(pos int, msg string) {
	ps.warnings = append(ps.warnings, Warning{Pos: pos, Msg: msg})
}

func (ps *parser) errExpected(pos int, expected string) *SyntaxError {
	return &SyntaxError{Pattern: ps.s, Pos: pos, Expected: expected, Msg: foundAt(ps.s, pos)}
}

func (ps *parser) errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pattern: ps.s, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// join builds an n-ary And or Or, flattening children of the same kind.
func joinNodes(and bool, nodes []Node) Node {
	if len(nodes) == 1 {
		return nodes[0]
	}
	var out []Node
	for _, n := range nodes {
		switch c := n.(type) {
		case *And:
			if and {
				out = append(out, c.Terms...)
				continue
			}
		case *Or:
			if !and {
				out = append(out, c.Terms...)
				continue
			}
		}
		out = append(out, n)
	}
	if and {
		return &And{Terms: out}
	}
	return &Or{Terms: out}
}

// countWildcards counts the wildcard steps of a selector.
func countWildcards(sel Selector) int {
	n := 0
	for _, st := range sel.Steps {
		if st.Kind == StepAnyIndex || st.Kind == StepAnyField {
			n++
		}
	}
	return n
}

// addSelector applies the wildcard limits to a new comparison's selector.
func (ps *parser) addSelector(sel Selector, pos int) *SyntaxError {
	n := countWildcards(sel)
	if n > 1 {
		return ps.errAt(pos, "a selector may contain at most one wildcard (.* or [*])")
	}
	if n == 1 {
		ps.wildcards++
		if ps.wildcards > MaxWildcards {
			return ps.errAt(pos, "a pattern may contain at most %d wildcard selectors", MaxWildcards)
		}
	}
	return nil
}

func (ps *parser) enter(pos int) *SyntaxError {
	ps.depth++
	if ps.depth > MaxNesting {
		return ps.errAt(pos, "parentheses nested more than %d deep", MaxNesting)
	}
	return nil
}

// ---------------------------------------------------------------------------
// JSON patterns: { or }, or := and ('||' and)*, and := primary ('&&' primary)*,
// primary := '(' or ')' | selector op value | selector IS NULL|TRUE|FALSE |
// selector NOT EXISTS.

const (
	expValue    = "a value (string, number, *, or %regex%)"
	expOperator = "an operator (=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS)"
	expPrimary  = "a selector ($.field) or '('"
)

func (ps *parser) parseJSON(start int) (Node, *SyntaxError) {
	s := ps.s
	ps.i = start + 1
	n, err := ps.jsonOr()
	if err != nil {
		return nil, err
	}
	j := skipPatSpace(s, ps.i)
	if j >= len(s) || s[j] != '}' {
		if j < len(s) && s[j] == ')' {
			return nil, ps.errAt(j, "unexpected ')' without a matching '('")
		}
		return nil, ps.errExpected(j, "'&&', '||' or '}'")
	}
	if k := skipPatSpace(s, j+1); k < len(s) {
		return nil, ps.errAt(k, "unexpected text after the closing '}': %s", describeAt(s, k))
	}
	return n, nil
}

func (ps *parser) jsonOr() (Node, *SyntaxError) {
	first, err := ps.jsonAnd()
	if err != nil {
		return nil, err
	}
	nodes := []Node{first}
	for {
		j := skipPatSpace(ps.s, ps.i)
		if !strings.HasPrefix(ps.s[j:], "||") {
			break
		}
		ps.i = j + 2
		n, err := ps.jsonAnd()
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return joinNodes(false, nodes), nil
}

func (ps *parser) jsonAnd() (Node, *SyntaxError) {
	first, err := ps.jsonPrimary()
	if err != nil {
		return nil, err
	}
	nodes := []Node{first}
	for {
		j := skipPatSpace(ps.s, ps.i)
		if !strings.HasPrefix(ps.s[j:], "&&") {
			break
		}
		ps.i = j + 2
		n, err := ps.jsonPrimary()
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return joinNodes(true, nodes), nil
}

func (ps *parser) jsonPrimary() (Node, *SyntaxError) {
	s := ps.s
	j := skipPatSpace(s, ps.i)
	if j >= len(s) {
		return nil, ps.errExpected(j, expPrimary)
	}
	switch s[j] {
	case '(':
		if err := ps.enter(j); err != nil {
			return nil, err
		}
		ps.i = j + 1
		n, err := ps.jsonOr()
		if err != nil {
			return nil, err
		}
		k := skipPatSpace(s, ps.i)
		if k >= len(s) || s[k] != ')' {
			e := ps.errExpected(k, "'&&', '||' or ')'")
			e.Msg += fmt.Sprintf(" (the '(' at column %d is not closed)", utf8.RuneCountInString(s[:j])+1)
			return nil, e
		}
		ps.i = k + 1
		ps.depth--
		return n, nil
	case '$':
		return ps.jsonCompare(j)
	}
	return nil, ps.errExpected(j, expPrimary)
}

// scanLetters returns the end of the run of ASCII letters at p.
func scanLetters(s string, p int) int {
	for p < len(s) && (s[p] >= 'a' && s[p] <= 'z' || s[p] >= 'A' && s[p] <= 'Z') {
		p++
	}
	return p
}

func (ps *parser) jsonCompare(j int) (Node, *SyntaxError) {
	s := ps.s
	sel, end, err := scanSelector(s, j)
	if err != nil {
		return nil, err
	}
	if err := ps.addSelector(sel, j); err != nil {
		return nil, err
	}
	c := &Compare{Sel: sel}
	k := skipPatSpace(s, end)
	if op, n := scanOp(s, k); n > 0 {
		c.Op = op
		v, err := ps.jsonValue(op, k, k+n)
		if err != nil {
			return nil, err
		}
		c.Val = v
	} else {
		w := scanLetters(s, k)
		switch strings.ToUpper(s[k:w]) {
		case "IS":
			m := skipPatSpace(s, w)
			e := scanLetters(s, m)
			switch strings.ToUpper(s[m:e]) {
			case "NULL":
				c.Op = OpIsNull
			case "TRUE":
				c.Op = OpIsTrue
			case "FALSE":
				c.Op = OpIsFalse
			case "NOT":
				return nil, ps.errAt(k, "IS NOT is not supported; use NOT EXISTS for an absent field, or != to exclude a value")
			default:
				return nil, ps.errExpected(m, "NULL, TRUE or FALSE after IS")
			}
			ps.i = e
		case "NOT":
			m := skipPatSpace(s, w)
			e := scanLetters(s, m)
			if !strings.EqualFold(s[m:e], "EXISTS") {
				return nil, ps.errExpected(m, "EXISTS after NOT")
			}
			c.Op = OpNotExists
			ps.i = e
		case "EXISTS":
			return nil, ps.errAt(k, "EXISTS is not supported; use = * to require a field, or NOT EXISTS for its absence")
		default:
			if k == end && k < len(s) && !isPatSpace(s[k]) && s[k] != ')' && s[k] != '}' && s[k] != '&' && s[k] != '|' {
				e := ps.errExpected(k, expOperator)
				e.Msg += "; use ['name'] for field names with other characters"
				return nil, e
			}
			return nil, ps.errExpected(k, expOperator)
		}
	}
	ps.positions[c] = j
	return c, nil
}

func opText(op Op) string {
	switch op {
	case OpEq:
		return "="
	case OpNe:
		return "!="
	case OpLt:
		return "<"
	case OpGt:
		return ">"
	case OpLe:
		return "<="
	case OpGe:
		return ">="
	case OpIsNull:
		return "IS NULL"
	case OpIsTrue:
		return "IS TRUE"
	case OpIsFalse:
		return "IS FALSE"
	case OpNotExists:
		return "NOT EXISTS"
	}
	return fmt.Sprintf("Op(%d)", uint8(op))
}

func isNumericOp(op Op) bool { return op == OpLt || op == OpGt || op == OpLe || op == OpGe }

// jsonValue scans the value after the operator op (at opPos, value search
// from k).
func (ps *parser) jsonValue(op Op, opPos, k int) (Value, *SyntaxError) {
	s := ps.s
	m := skipPatSpace(s, k)
	if m >= len(s) {
		return Value{}, ps.errExpected(m, ps.valueExpectation(op))
	}
	switch c := s[m]; {
	case c == '"':
		q, err := scanQuoted(s, m)
		if err != nil {
			return Value{}, err
		}
		if isNumericOp(op) {
			return Value{}, &SyntaxError{Pattern: s, Pos: m, Expected: ps.valueExpectation(op), Msg: "found a quoted string (numbers are written without quotes)"}
		}
		ps.i = q.end
		return quotedValue(q), nil
	case c == '%':
		if isNumericOp(op) {
			return Value{}, &SyntaxError{Pattern: s, Pos: m, Expected: ps.valueExpectation(op), Msg: "found a regex"}
		}
		v, end, err := ps.regexValue(m)
		if err != nil {
			return Value{}, err
		}
		ps.i = end
		return v, nil
	case c == '\'':
		return Value{}, ps.errAt(m, "single quotes are not supported around values; use double quotes")
	}
	end := scanUnquoted(s, m)
	if end == m {
		return Value{}, ps.errExpected(m, ps.valueExpectation(op))
	}
	if end < len(s) {
		switch s[end] {
		case ' ', '\t', '\n', '\r', '\f', '\v', ')', '}', '&', '|':
		default:
			return Value{}, ps.errAt(end, "unexpected %s in unquoted value %q; put values with other characters in double quotes", describeAt(s, end), s[m:end])
		}
	}
	v, err := ps.unquotedValue(op, m, s[m:end])
	if err != nil {
		return Value{}, err
	}
	ps.i = end
	return v, nil
}

func (ps *parser) valueExpectation(op Op) string {
	if isNumericOp(op) {
		return "a number after '" + opText(op) + "'"
	}
	return expValue
}

// unquotedValue makes the value of an unquoted word: a number if it is one,
// else a string with wildcards.
func (ps *parser) unquotedValue(op Op, pos int, text string) (Value, *SyntaxError) {
	if isNumLiteral(text) {
		f, err := parseNumLiteral(ps.s, pos, text)
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: ValNumber, Num: f, Text: text}, nil
	}
	if isNumericOp(op) {
		return Value{}, ps.errExpected(pos, ps.valueExpectation(op))
	}
	return stringValue(text, false, false, strings.Trim(text, "*") == "", false), nil
}

func quotedValue(q qstring) Value {
	return stringValue(q.val, q.escFirst, q.escLast, q.allStars, true)
}

// stringValue applies the wildcard rules to a string: a value of only
// (unescaped) stars is ValAny; otherwise one leading '*' makes a suffix
// match and one trailing '*' a prefix match; other stars are literal.
func stringValue(val string, escFirst, escLast, allStars, quoted bool) Value {
	if allStars {
		return Value{Kind: ValAny, Quoted: quoted}
	}
	v := Value{Kind: ValString, Quoted: quoted}
	str := val
	if len(str) > 0 && str[0] == '*' && !escFirst {
		v.Suffix = true
		str = str[1:]
	}
	if len(str) > 0 && str[len(str)-1] == '*' && !escLast {
		v.Prefix = true
		str = str[:len(str)-1]
	}
	v.Str = str
	return v
}

// regexValue scans and compiles the %regex% at s[m].
func (ps *parser) regexValue(m int) (Value, int, *SyntaxError) {
	body, end, err := scanRegex(ps.s, m)
	if err != nil {
		return Value{}, 0, err
	}
	ps.regexes++
	if ps.regexes > MaxRegexes {
		return Value{}, 0, ps.errAt(m, "a pattern may contain at most %d regular expressions", MaxRegexes)
	}
	re, err := compileRegexAt(ps.s, body, m+1)
	if err != nil {
		return Value{}, 0, err
	}
	return Value{Kind: ValRegex, Text: body, Re: re}, end, nil
}

// ---------------------------------------------------------------------------
// Shorthand: or := and (OR and)*, and := primary ((AND)? primary)*,
// primary := '(' or ')' | name op value. OR is "or" or "||", AND is "and",
// "&&" or nothing (juxtaposition).

const expComparison = "a comparison (field=value) or '('"

func (ps *parser) advance() *SyntaxError {
	t, err := ps.lx.next()
	if err != nil {
		return err
	}
	ps.tok = t
	return nil
}

func (ps *parser) isWord(w string) bool {
	return ps.tok.kind == tkWord && strings.EqualFold(ps.tok.text, w)
}

func (ps *parser) parseShorthand() (Node, *SyntaxError) {
	ps.lx = shortLexer{s: ps.s}
	if err := ps.advance(); err != nil {
		return nil, err
	}
	n, err := ps.shOr()
	if err != nil {
		return nil, err
	}
	switch ps.tok.kind {
	case tkEOF:
		return n, nil
	case tkRParen:
		return nil, ps.errAt(ps.tok.pos, "unexpected ')' without a matching '('")
	}
	return nil, ps.errExpected(ps.tok.pos, "a comparison (field=value), 'and', 'or' or end of pattern")
}

func (ps *parser) shOr() (Node, *SyntaxError) {
	first, err := ps.shAnd()
	if err != nil {
		return nil, err
	}
	nodes := []Node{first}
	for ps.tok.kind == tkOr || ps.isWord("or") {
		if err := ps.advance(); err != nil {
			return nil, err
		}
		n, err := ps.shAnd()
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return joinNodes(false, nodes), nil
}

func (ps *parser) shAnd() (Node, *SyntaxError) {
	first, err := ps.shPrimary()
	if err != nil {
		return nil, err
	}
	nodes := []Node{first}
	for {
		switch {
		case ps.tok.kind == tkAnd || ps.isWord("and"):
			if err := ps.advance(); err != nil {
				return nil, err
			}
		case ps.tok.kind == tkLParen || ps.tok.kind == tkWord && !ps.isWord("or"):
			// juxtaposition
		default:
			return joinNodes(true, nodes), nil
		}
		n, err := ps.shPrimary()
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
}

func (ps *parser) shPrimary() (Node, *SyntaxError) {
	t := ps.tok
	switch t.kind {
	case tkLParen:
		if err := ps.enter(t.pos); err != nil {
			return nil, err
		}
		if err := ps.advance(); err != nil {
			return nil, err
		}
		n, err := ps.shOr()
		if err != nil {
			return nil, err
		}
		if ps.tok.kind != tkRParen {
			e := ps.errExpected(ps.tok.pos, "'and', 'or' or ')'")
			e.Msg += fmt.Sprintf(" (the '(' at column %d is not closed)", utf8.RuneCountInString(ps.s[:t.pos])+1)
			return nil, e
		}
		ps.depth--
		if err := ps.advance(); err != nil {
			return nil, err
		}
		return n, nil
	case tkWord:
		if ps.isWord("and") || ps.isWord("or") {
			return nil, ps.errExpected(t.pos, expComparison)
		}
		return ps.shCompare()
	}
	return nil, ps.errExpected(t.pos, expComparison)
}

func (ps *parser) shCompare() (Node, *SyntaxError) {
	name := ps.tok
	if !isShorthandName(name.text) {
		if strings.HasPrefix(name.text, "$") {
			return nil, ps.errAt(name.pos, "JSON selectors such as %s must be inside braces: { %s = ... }", name.text, name.text)
		}
		return nil, ps.errAt(name.pos, "invalid field name %q: field names are letters, digits, '_', '-', '.' and [N]", name.text)
	}
	if err := ps.advance(); err != nil {
		return nil, err
	}
	if ps.tok.kind != tkOp {
		return nil, ps.errExpected(ps.tok.pos, "a comparison operator (=, !=, <, >, <=, >=) after '"+name.text+"'")
	}
	op := ps.tok.op
	if err := ps.advance(); err != nil {
		return nil, err
	}
	vt := ps.tok
	var v Value
	switch vt.kind {
	case tkWord:
		for i, r := range vt.text {
			if !isValueRune(r) {
				return nil, ps.errAt(vt.pos+i, "unexpected %s in unquoted value %q; put values with other characters in double quotes", describeAt(ps.s, vt.pos+i), vt.text)
			}
		}
		var err *SyntaxError
		if v, err = ps.unquotedValue(op, vt.pos, vt.text); err != nil {
			return nil, err
		}
	case tkString:
		if isNumericOp(op) {
			return nil, &SyntaxError{Pattern: ps.s, Pos: vt.pos, Expected: ps.valueExpectation(op), Msg: "found a quoted string (numbers are written without quotes)"}
		}
		v = quotedValue(vt.q)
	case tkRegex:
		if isNumericOp(op) {
			return nil, &SyntaxError{Pattern: ps.s, Pos: vt.pos, Expected: ps.valueExpectation(op), Msg: "found a regex"}
		}
		var err *SyntaxError
		if v, _, err = ps.regexValue(vt.pos); err != nil {
			return nil, err
		}
	default:
		return nil, ps.errExpected(vt.pos, ps.valueExpectation(op))
	}
	sel, rerr := ps.resolve(name.text)
	if rerr != nil {
		return nil, &SyntaxError{Pattern: ps.s, Pos: name.pos, Msg: rerr.Error(), cause: rerr}
	}
	if len(sel.Steps) == 0 {
		return nil, ps.errAt(name.pos, "field %q resolves to an empty selector", name.text)
	}
	if err := ps.addSelector(sel, name.pos); err != nil {
		return nil, err
	}
	if err := ps.advance(); err != nil {
		return nil, err
	}
	c := &Compare{Sel: sel, Op: op, Val: v}
	ps.positions[c] = name.pos
	return c, nil
}

// ---------------------------------------------------------------------------
// Term patterns: whitespace-separated terms, each a word, a "phrase" or a
// %regex%, optionally prefixed by - (exclude) or ? (any of).

func (ps *parser) parseTerms() (Node, *SyntaxError) {
	s := ps.s
	t := &Terms{}
	var anyPos []int
	i := 0
	for {
		i = skipPatSpace(s, i)
		if i >= len(s) {
			break
		}
		prefix := byte(0)
		if s[i] == '-' || s[i] == '?' {
			prefix = s[i]
			i++
			if i >= len(s) || isPatSpace(s[i]) {
				return nil, ps.errExpected(i, fmt.Sprintf("a term after '%c'", prefix))
			}
		}
		start := i
		var term Term
		switch s[i] {
		case '"':
			q, err := scanQuoted(s, i)
			if err != nil {
				return nil, err
			}
			term = Term{Text: q.val, Quoted: true}
			i = q.end
		case '%':
			body, end, err := scanRegex(s, i)
			if err != nil {
				return nil, err
			}
			re, err := compileRegexAt(s, body, i+1)
			if err != nil {
				return nil, err
			}
			term = Term{Text: body, Re: re}
			i = end
		default:
			end := i
			for end < len(s) && !isPatSpace(s[end]) {
				end++
			}
			w := s[i:end]
			if err := ps.checkWord(i, w, prefix); err != nil {
				return nil, err
			}
			term = Term{Text: w}
			i = end
		}
		if i < len(s) && !isPatSpace(s[i]) {
			return nil, ps.errExpected(i, "a space after the term")
		}
		switch prefix {
		case '-':
			t.Exclude = append(t.Exclude, term)
		case '?':
			t.Any = append(t.Any, term)
			anyPos = append(anyPos, start-1)
		default:
			t.Must = append(t.Must, term)
		}
	}
	if len(t.Any) > 0 && (len(t.Must) > 0 || len(t.Exclude) > 0) {
		for k, term := range t.Any {
			ps.warn(anyPos[k], fmt.Sprintf("?%s is ignored: CloudWatch Logs ignores ?terms in a pattern that also has plain or -terms", term.String()))
		}
		t.Any = nil
	}
	// What is left of `" " ?x` is the match-all pattern `" "`.
	if len(t.Must) == 1 && len(t.Exclude) == 0 && len(t.Any) == 0 && t.Must[0].Quoted && strings.Trim(t.Must[0].Text, " ") == "" {
		return &MatchAll{}, nil
	}
	return t, nil
}

// checkWord rejects unquoted term words that would read differently when the
// pattern is printed (or that are probably a mistake).
func (ps *parser) checkWord(pos int, w string, prefix byte) *SyntaxError {
	if prefix == 0 && strings.HasPrefix(w, "$") {
		return ps.errAt(pos, "JSON selectors must be inside braces: { %s ... }", w)
	}
	if prefix == 0 && (w[0] == '{' || w[0] == '[') {
		return ps.errAt(pos, "a term cannot start with '%c' (a pattern starting with it is JSON or space-delimited); put the term in double quotes", w[0])
	}
	if j := strings.IndexAny(w, "\"=<>"); j >= 0 {
		if w[j] == '"' {
			return ps.errAt(pos+j, "unexpected '\"' inside a term; put the whole term in double quotes")
		}
		return ps.errAt(pos+j, "unexpected '%c' in term %q: terms with '=', '<' or '>' must be in double quotes (field=value is shorthand, and the field name must start with a letter)", w[j], w)
	}
	return nil
}

// ---------------------------------------------------------------------------

// rejectSpaceDelimited reports a space-delimited pattern ([w1, w2, ...]) as
// unsupported: CloudTrail records are JSON, one per event, and have no
// space-separated fields.
func (ps *parser) rejectSpaceDelimited(start int) *SyntaxError {
	s := ps.s
	inQuote := false
	for i := start + 1; i < len(s); i++ {
		switch {
		case inQuote && s[i] == '\\':
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && s[i] == ']':
			return ps.errAt(start, "space-delimited patterns ([field, ...]) do not apply to CloudTrail records, which are JSON; use a JSON pattern such as { $.eventName = \"ConsoleLogin\" }, a term pattern, or field=value shorthand")
		}
	}
	return ps.errAt(start, "unterminated space-delimited pattern (missing ']'); space-delimited patterns do not apply to CloudTrail records, which are JSON")
}
