package query

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The lexer is hand-written and context-driven: the three pattern syntaxes
// (JSON, term, shorthand) share the scanners below for strings, regexes,
// numbers and selectors, and each parser asks for the shToken its grammar
// expects at that point. Every scanner works on the whole pattern text and
// reports byte offsets into it, so errors point at the original input.

// maxIndex bounds array indexes in selectors ([N]).
const maxIndex = 1 << 30

// isPatSpace reports ASCII whitespace, the only whitespace the syntax knows.
func isPatSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skipPatSpace returns the offset of the first non-space byte at or after p.
func skipPatSpace(s string, p int) int {
	for p < len(s) && isPatSpace(s[p]) {
		p++
	}
	return p
}

// isSelIdentByte reports bytes allowed in a dotted selector name ($.name):
// alphanumerics, '_' and '-'. Other names use the bracket form ['name'].
func isSelIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// isSelIdent reports whether name can be written as .name in a selector.
func isSelIdent(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isSelIdentByte(name[i]) {
			return false
		}
	}
	return true
}

// isValueRune reports runes allowed in an unquoted value: letters, digits,
// '_', '-', '.', ':', '/', '@', '+' and the wildcard '*'. AWS's and CIS's own
// patterns use unquoted values such as kms.amazonaws.com and 123.123.*.
func isValueRune(r rune) bool {
	switch r {
	case '_', '-', '.', ':', '/', '@', '+', '*':
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isWordRune groups runes into one shToken for error messages.
func isWordRune(r rune) bool { return isValueRune(r) || r == '$' || r == '[' || r == ']' }

// scanUnquoted returns the end of the run of value runes starting at p.
func scanUnquoted(s string, p int) int {
	for p < len(s) {
		r, size := utf8.DecodeRuneInString(s[p:])
		if !isValueRune(r) {
			break
		}
		p += size
	}
	return p
}

// isNumLiteral reports whether text is a numeric literal: an optional sign,
// digits with an optional fraction (or a fraction alone, as in .5), and an
// optional exponent: [+-]? (D+ (. D*)? | . D+) ([eE] [+-]? D+)?
func isNumLiteral(text string) bool {
	i := 0
	if i < len(text) && (text[i] == '+' || text[i] == '-') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		return i - start
	}
	n := digits()
	if i < len(text) && text[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		i++
		if i < len(text) && (text[i] == '+' || text[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(text)
}

// parseNumLiteral converts a literal that satisfies isNumLiteral. It fails for
// values outside the float64 range.
func parseNumLiteral(s string, pos int, text string) (float64, *SyntaxError) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, &SyntaxError{Pattern: s, Pos: pos, Msg: "number " + text + " is out of range"}
	}
	return f, nil
}

// qstring is a decoded double-quoted string.
type qstring struct {
	val      string
	end      int  // offset after the closing quote
	escFirst bool // the first character was written as an escape (\*)
	escLast  bool // the last character was written as an escape
	allStars bool // non-empty and every character is an unescaped '*'
}

// scanQuoted decodes the double-quoted string that starts at s[p] == '"'.
// Escapes: \" \\ \/ \* \b \f \n \r \t \uXXXX (with surrogate pairs).
func scanQuoted(s string, p int) (qstring, *SyntaxError) {
	var q qstring
	var b strings.Builder
	q.allStars = true
	n := 0 // decoded characters
	i := p + 1
	for {
		if i >= len(s) {
			return q, &SyntaxError{Pattern: s, Pos: p, Msg: "unterminated string (missing closing '\"')"}
		}
		c := s[i]
		if c == '"' {
			q.end = i + 1
			q.val = b.String()
			if n == 0 {
				q.allStars = false
			}
			return q, nil
		}
		if c != '\\' {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return q, &SyntaxError{Pattern: s, Pos: i, Msg: "invalid UTF-8 in string"}
			}
			b.WriteString(s[i : i+size])
			if c != '*' {
				q.allStars = false
			}
			q.escLast = false
			n++
			i += size
			continue
		}
		// Escape.
		if i+1 >= len(s) {
			return q, &SyntaxError{Pattern: s, Pos: p, Msg: "unterminated string (missing closing '\"')"}
		}
		e := s[i+1]
		var r rune
		size := 2
		switch e {
		case '"', '\\', '/', '*':
			r = rune(e)
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			v, ok := hex4(s, i+2)
			if !ok {
				return q, &SyntaxError{Pattern: s, Pos: i, Msg: "invalid \\u escape: want four hex digits"}
			}
			size = 6
			r = rune(v)
			if utf16IsHighSurrogate(r) {
				if lo, ok := hex4(s, i+8); ok && i+7 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' && utf16IsLowSurrogate(rune(lo)) {
					r = (r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
					size = 12
				} else {
					r = utf8.RuneError
				}
			} else if utf16IsLowSurrogate(r) {
				r = utf8.RuneError
			}
		default:
			return q, &SyntaxError{Pattern: s, Pos: i, Msg: "invalid escape '" + escapeShown(s[i:]) + "' in string; valid escapes are \\\" \\\\ \\* \\n \\t \\r \\uXXXX"}
		}
		b.WriteRune(r)
		q.allStars = false
		if n == 0 {
			q.escFirst = true
		}
		q.escLast = true
		n++
		i += size
	}
}

// escapeShown returns the backslash and the character after it.
func escapeShown(rest string) string {
	_, size := utf8.DecodeRuneInString(rest[1:])
	return rest[:1+size]
}

func hex4(s string, p int) (int, bool) {
	if p+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[p:p+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

func utf16IsHighSurrogate(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLowSurrogate(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

// scanRegex finds the regex that starts at s[p] == '%' and returns its body
// (between the % delimiters) and the offset after the closing '%'. The body
// cannot contain '%' (it is not in the regex character set), so the first
// '%' after the opening one closes it.
func scanRegex(s string, p int) (body string, end int, err *SyntaxError) {
	j := strings.IndexByte(s[p+1:], '%')
	if j < 0 {
		return "", 0, &SyntaxError{Pattern: s, Pos: p, Msg: "unterminated regex (missing closing '%')"}
	}
	return s[p+1 : p+1+j], p + 2 + j, nil
}

// scanSelector scans a JSON selector starting at s[p] == '$':
//
//	$.name  $.['dotted.name']  $.name['x']  [N]  [*]  .*
//
// It returns the selector, the offset after it and the number of wildcard
// steps. Whitespace ends a selector.
func scanSelector(s string, p int) (Selector, int, *SyntaxError) {
	var sel Selector
	i := p + 1
	wildcards := 0
	addWildcard := func(at int) *SyntaxError {
		wildcards++
		if wildcards > 1 {
			return &SyntaxError{Pattern: s, Pos: at, Msg: "a selector may contain at most one wildcard (.* or [*])"}
		}
		return nil
	}
	for {
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '.':
			i++
			if i < len(s) && s[i] == '*' {
				if err := addWildcard(i); err != nil {
					return sel, 0, err
				}
				sel.Steps = append(sel.Steps, Step{Kind: StepAnyField})
				i++
				continue
			}
			if i < len(s) && s[i] == '[' {
				step, end, isWild, err := scanBracket(s, i)
				if err != nil {
					return sel, 0, err
				}
				if isWild {
					if err := addWildcard(i); err != nil {
						return sel, 0, err
					}
				}
				sel.Steps = append(sel.Steps, step)
				i = end
				continue
			}
			start := i
			for i < len(s) && isSelIdentByte(s[i]) {
				i++
			}
			if i == start {
				return sel, 0, &SyntaxError{Pattern: s, Pos: i, Expected: "a field name, * or ['name'] after '.'", Msg: foundAt(s, i)}
			}
			sel.Steps = append(sel.Steps, Step{Kind: StepField, Name: s[start:i]})
		case '[':
			step, end, isWild, err := scanBracket(s, i)
			if err != nil {
				return sel, 0, err
			}
			if isWild {
				if err := addWildcard(i); err != nil {
					return sel, 0, err
				}
			}
			sel.Steps = append(sel.Steps, step)
			i = end
		default:
			goto done
		}
	}
done:
	if len(sel.Steps) == 0 {
		return sel, 0, &SyntaxError{Pattern: s, Pos: i, Expected: "'.' after '$' (selectors look like $.field)", Msg: foundAt(s, i)}
	}
	return sel, i, nil
}

// scanBracket scans [N], [*] or ['name'] at s[p] == '['.
func scanBracket(s string, p int) (step Step, end int, wildcard bool, err *SyntaxError) {
	i := p + 1
	if i >= len(s) {
		return step, 0, false, &SyntaxError{Pattern: s, Pos: i, Expected: "an index, * or 'name' after '['", Msg: foundAt(s, i)}
	}
	switch c := s[i]; {
	case c == '*':
		i++
		step = Step{Kind: StepAnyIndex}
		wildcard = true
	case c >= '0' && c <= '9':
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, convErr := strconv.Atoi(s[start:i])
		if convErr != nil || n > maxIndex {
			return step, 0, false, &SyntaxError{Pattern: s, Pos: start, Msg: "array index " + s[start:i] + " is too large"}
		}
		step = Step{Kind: StepIndex, Index: n}
	case c == '\'':
		var b strings.Builder
		i++
		for {
			if i >= len(s) {
				return step, 0, false, &SyntaxError{Pattern: s, Pos: p + 1, Msg: "unterminated name (missing closing \"'\")"}
			}
			if s[i] == '\'' {
				i++
				break
			}
			if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i += 2
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return step, 0, false, &SyntaxError{Pattern: s, Pos: i, Msg: "invalid UTF-8 in name"}
			}
			b.WriteString(s[i : i+size])
			i += size
		}
		step = Step{Kind: StepField, Name: b.String()}
	case c == '-':
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return step, 0, false, &SyntaxError{Pattern: s, Pos: i, Msg: "negative array index '" + s[i:j] + "' is not supported"}
	default:
		return step, 0, false, &SyntaxError{Pattern: s, Pos: i, Expected: "an index, * or 'name' after '['", Msg: foundAt(s, i)}
	}
	if i >= len(s) || s[i] != ']' {
		return step, 0, false, &SyntaxError{Pattern: s, Pos: i, Expected: "']'", Msg: foundAt(s, i)}
	}
	return step, i + 1, wildcard, nil
}

// Shorthand and term tokens.

type shTokKind uint8

const (
	tkEOF    shTokKind = iota
	tkLParen           // (
	tkRParen           // )
	tkAnd              // && (the words "and" are tkWord, recognised by the parser)
	tkOr               // ||
	tkOp               // = != < > <= >=
	tkWord             // an unquoted run
	tkString           // "quoted"
	tkRegex            // %regex%
)

// shToken is one shorthand shToken. text is the source text s[pos:end].
type shToken struct {
	kind     shTokKind
	pos, end int
	text     string
	op       Op      // tkOp
	q        qstring // tkString
	body     string  // tkRegex
}

// shortLexer splits a shorthand pattern into tokens: parentheses, the
// operators, && and ||, "strings", %regex% (a '%' that starts a shToken) and
// words (any other run of characters up to whitespace, a parenthesis, a
// quote or an operator).
type shortLexer struct {
	s string
	p int
}

func (lx *shortLexer) next() (shToken, *SyntaxError) {
	s := lx.s
	p := skipPatSpace(s, lx.p)
	lx.p = p
	if p >= len(s) {
		return shToken{kind: tkEOF, pos: p, end: p}, nil
	}
	tok := shToken{pos: p}
	switch c := s[p]; {
	case c == '(':
		tok.kind, tok.end = tkLParen, p+1
	case c == ')':
		tok.kind, tok.end = tkRParen, p+1
	case strings.HasPrefix(s[p:], "&&"):
		tok.kind, tok.end = tkAnd, p+2
	case strings.HasPrefix(s[p:], "||"):
		tok.kind, tok.end = tkOr, p+2
	case c == '=' || c == '<' || c == '>' || strings.HasPrefix(s[p:], "!="):
		op, n := scanOp(s, p)
		tok.kind, tok.op, tok.end = tkOp, op, p+n
	case c == '"':
		q, err := scanQuoted(s, p)
		if err != nil {
			return tok, err
		}
		tok.kind, tok.q, tok.end = tkString, q, q.end
	case c == '%':
		body, end, err := scanRegex(s, p)
		if err != nil {
			return tok, err
		}
		tok.kind, tok.body, tok.end = tkRegex, body, end
	default:
		i := p
		for i < len(s) && !isShortDelim(s, i) {
			i++
		}
		tok.kind, tok.end = tkWord, i
	}
	tok.text = s[tok.pos:tok.end]
	lx.p = tok.end
	return tok, nil
}

// isShortDelim reports whether s[i] ends a shorthand word.
func isShortDelim(s string, i int) bool {
	switch c := s[i]; c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '(', ')', '"', '=', '<', '>':
		return true
	case '!':
		return i+1 < len(s) && s[i+1] == '='
	case '&':
		return i+1 < len(s) && s[i+1] == '&'
	case '|':
		return i+1 < len(s) && s[i+1] == '|'
	}
	return false
}

// scanOp scans a comparison operator at s[p]; n is its length, 0 if none.
func scanOp(s string, p int) (Op, int) {
	if p >= len(s) {
		return 0, 0
	}
	two := p+1 < len(s) && s[p+1] == '='
	switch s[p] {
	case '=':
		return OpEq, 1
	case '!':
		if two {
			return OpNe, 2
		}
	case '<':
		if two {
			return OpLe, 2
		}
		return OpLt, 1
	case '>':
		if two {
			return OpGe, 2
		}
		return OpGt, 1
	}
	return 0, 0
}

// isShorthandName reports whether w is a shorthand field name:
// [A-Za-z_][A-Za-z0-9_.\-\[\]*]* (the '*' is for [*] and .* steps).
func isShorthandName(w string) bool {
	if w == "" {
		return false
	}
	c := w[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	for i := 1; i < len(w); i++ {
		c := w[i]
		if !(isSelIdentByte(c) || c == '.' || c == '[' || c == ']' || c == '*') {
			return false
		}
	}
	return true
}

// looksLikeShorthand reports whether a (non-JSON) pattern contains a
// shorthand comparison: a field name followed, with or without spaces, by a
// comparison operator. It splits the text the way the term parser does
// (whitespace-separated terms, "phrases" and %regexes% skipped, -/? prefixed
// terms ignored), so that a term pattern printed in canonical order is never
// mistaken for shorthand.
func looksLikeShorthand(s string) bool {
	prevName := false // the previous term ends with a field name
	i := 0
	for {
		i = skipPatSpace(s, i)
		if i >= len(s) {
			return false
		}
		prefixed := s[i] == '-' || s[i] == '?'
		if prefixed {
			i++
			if i >= len(s) {
				return false
			}
		}
		switch s[i] {
		case '"':
			q, err := scanQuoted(s, i)
			if err != nil {
				return false
			}
			i, prevName = q.end, false
			continue
		case '%':
			_, end, err := scanRegex(s, i)
			if err != nil {
				return false
			}
			i, prevName = end, false
			continue
		}
		end := i
		for end < len(s) && !isPatSpace(s[end]) {
			end++
		}
		w := s[i:end]
		i = end
		if prefixed {
			prevName = false
			continue
		}
		if _, n := scanOp(w, 0); n > 0 && prevName {
			return true
		}
		var found bool
		found, prevName = scanWordForComparison(w)
		if found {
			return true
		}
	}
}

// scanWordForComparison lexes one whitespace-free word as shorthand and
// reports whether it holds a name followed by an operator, and whether it
// ends with a name.
func scanWordForComparison(w string) (found, endsWithName bool) {
	lx := shortLexer{s: w}
	var prev shToken
	for {
		tok, err := lx.next()
		if err != nil || tok.kind == tkEOF {
			return false, prev.kind == tkWord && isShorthandName(prev.text)
		}
		if tok.kind == tkOp && prev.kind == tkWord && isShorthandName(prev.text) {
			return true, false
		}
		prev = tok
	}
}
