package insights

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokIdent            // a field reference or word: userIdentity.arn, `a-b`, @timestamp, resources[0].type
	tokNumber           // 12, 1.5, 1e3
	tokDuration         // 5m, 1hrs: an integer followed by a unit
	tokString           // "…" or '…'
	tokRegex            // /…/ after like, not like or =~
	tokPattern          // { … }: a JSON filter pattern as a pipeline stage
	tokPipe             // |
	tokComma            // ,
	tokLParen           // (
	tokRParen           // )
	tokLBrack           // [
	tokRBrack           // ]
	tokDot              // . (field access after a call)
	tokOp               // + - * / % ^ = != < <= > >= =~
)

// token is one lexical token. Text is its source text; Val is the decoded
// value of strings and regexes (escapes resolved).
type token struct {
	kind tokKind
	pos  int // byte offset in the query
	end  int // byte offset after the token
	text string
	val  string
	segs []segment // tokIdent: the path
}

// segment is one step of a field path: a member name or an array index.
type segment struct {
	Name    string
	Index   int
	IsIndex bool
	Quoted  bool // written in backticks
}

// lexer splits a query into tokens up front; a regex is recognised only
// after like, not like or =~, and a { … } pattern only at the start of a
// command.
type lexer struct {
	s    string
	toks []token
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '@' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// lex tokenizes the whole query.
func lex(s string) ([]token, *SyntaxError) {
	lx := &lexer{s: s}
	if !utf8.ValidString(s) {
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, &SyntaxError{Query: s, Pos: i, Token: describeAt(s, i), Msg: "invalid UTF-8 in query"}
			}
			i += size
		}
	}
	i := 0
	for {
		// Whitespace and comments.
		for i < len(s) {
			if isSpace(s[i]) {
				i++
				continue
			}
			if s[i] == '#' {
				for i < len(s) && s[i] != '\n' {
					i++
				}
				continue
			}
			break
		}
		if i >= len(s) {
			lx.toks = append(lx.toks, token{kind: tokEOF, pos: len(s), end: len(s)})
			return lx.toks, nil
		}
		t, err := lx.next(i)
		if err != nil {
			return nil, err
		}
		lx.toks = append(lx.toks, t)
		i = t.end
	}
}

// prevAllowsRegex reports whether a '/' here starts a regex: after like or =~.
func (lx *lexer) prevAllowsRegex() bool {
	if len(lx.toks) == 0 {
		return false
	}
	p := lx.toks[len(lx.toks)-1]
	return (p.kind == tokOp && p.text == "=~") || (p.kind == tokIdent && len(p.segs) == 1 && !p.segs[0].Quoted && strings.EqualFold(p.text, "like"))
}

// atCommandStart reports whether the next token starts a command.
func (lx *lexer) atCommandStart() bool {
	return len(lx.toks) == 0 || lx.toks[len(lx.toks)-1].kind == tokPipe
}

func (lx *lexer) next(i int) (token, *SyntaxError) {
	s := lx.s
	c := s[i]
	one := func(k tokKind) (token, *SyntaxError) {
		return token{kind: k, pos: i, end: i + 1, text: s[i : i+1]}, nil
	}
	switch {
	case c == '{' && lx.atCommandStart():
		return lx.pattern(i)
	case c == '/' && lx.prevAllowsRegex():
		return lx.regex(i)
	case c == '"' || c == '\'':
		return lx.str(i)
	case c >= '0' && c <= '9':
		return lx.number(i)
	case c == '.' && i+1 < len(s) && isDigitByte(s[i+1]) && !lx.afterOperand():
		return lx.number(i)
	case isIdentByte(c) || c == '`':
		return lx.ident(i)
	}
	switch c {
	case '|':
		return one(tokPipe)
	case ',':
		return one(tokComma)
	case '(':
		return one(tokLParen)
	case ')':
		return one(tokRParen)
	case '[':
		return one(tokLBrack)
	case ']':
		return one(tokRBrack)
	case '.':
		return one(tokDot)
	case '+', '-', '*', '/', '%', '^':
		return one(tokOp)
	case '=':
		if i+1 < len(s) && s[i+1] == '~' {
			return token{kind: tokOp, pos: i, end: i + 2, text: "=~"}, nil
		}
		return one(tokOp)
	case '!', '<', '>':
		if i+1 < len(s) && s[i+1] == '=' {
			return token{kind: tokOp, pos: i, end: i + 2, text: s[i : i+2]}, nil
		}
		if c == '!' {
			return token{}, &SyntaxError{Query: s, Pos: i, Token: describeAt(s, i), Msg: "unexpected '!' (write != or not)"}
		}
		return one(tokOp)
	}
	return token{}, &SyntaxError{Query: s, Pos: i, Token: describeAt(s, i), Msg: "unexpected character " + describeAt(s, i)}
}

// afterOperand reports whether the previous token ends an operand (so a '.'
// is field access, not the start of a number).
func (lx *lexer) afterOperand() bool {
	if len(lx.toks) == 0 {
		return false
	}
	switch p := lx.toks[len(lx.toks)-1]; p.kind {
	case tokIdent:
		return !(len(p.segs) == 1 && !p.segs[0].Quoted && isKeyword(p.text))
	case tokRParen, tokRBrack, tokNumber, tokString:
		return true
	}
	return false
}

// str scans a quoted string. Escapes: \\ \" \' \n \t \r; any other
// backslash is kept with the character after it.
func (lx *lexer) str(i int) (token, *SyntaxError) {
	s := lx.s
	q := s[i]
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		c := s[j]
		if c == q {
			return token{kind: tokString, pos: i, end: j + 1, text: s[i : j+1], val: b.String()}, nil
		}
		if c == '\\' && j+1 < len(s) {
			switch s[j+1] {
			case '\\', '"', '\'':
				b.WriteByte(s[j+1])
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte('\\')
				b.WriteByte(s[j+1])
			}
			j += 2
			continue
		}
		b.WriteByte(c)
		j++
	}
	return token{}, &SyntaxError{Query: s, Pos: i, Token: describeAt(s, i), Expected: "a closing " + string(q), Msg: "unterminated string"}
}

// regex scans /…/; \/ stands for '/'. A letter right after the closing '/'
// (a trailing flag such as /x/i) is an error: use (?i) inside the regex.
func (lx *lexer) regex(i int) (token, *SyntaxError) {
	s := lx.s
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		c := s[j]
		if c == '/' {
			end := j + 1
			if end < len(s) && isIdentByte(s[end]) {
				return token{}, &SyntaxError{Query: s, Pos: end, Token: describeAt(s, end),
					Msg: "regex flags after the closing '/' are not supported; write (?i) at the start of the regex"}
			}
			return token{kind: tokRegex, pos: i, end: end, text: s[i:end], val: b.String()}, nil
		}
		if c == '\\' && j+1 < len(s) {
			if s[j+1] == '/' {
				b.WriteByte('/')
			} else {
				b.WriteString(s[j : j+2])
			}
			j += 2
			continue
		}
		b.WriteByte(c)
		j++
	}
	return token{}, &SyntaxError{Query: s, Pos: i, Token: describeAt(s, i), Expected: "a closing '/'", Msg: "unterminated regex"}
}

// number scans an integer, a decimal or an exponent form; an integer
// followed directly by letters is a duration (5m, 1hrs).
func (lx *lexer) number(i int) (token, *SyntaxError) {
	s := lx.s
	j := i
	for j < len(s) && isDigitByte(s[j]) {
		j++
	}
	intOnly := true
	if j < len(s) && s[j] == '.' && j+1 < len(s) && isDigitByte(s[j+1]) {
		intOnly = false
		j++
		for j < len(s) && isDigitByte(s[j]) {
			j++
		}
	}
	if j+1 < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if s[k] == '+' || s[k] == '-' {
			k++
		}
		if k < len(s) && isDigitByte(s[k]) {
			for k < len(s) && isDigitByte(s[k]) {
				k++
			}
			if k >= len(s) || !isIdentByte(s[k]) {
				return token{kind: tokNumber, pos: i, end: k, text: s[i:k]}, nil
			}
		}
	}
	if j < len(s) && isIdentByte(s[j]) {
		k := j
		for k < len(s) && isIdentByte(s[k]) {
			k++
		}
		if intOnly {
			return token{kind: tokDuration, pos: i, end: k, text: s[i:k]}, nil
		}
		return token{}, &SyntaxError{Query: s, Pos: i, Token: "'" + s[i:k] + "'", Msg: "invalid number '" + s[i:k] + "'"}
	}
	return token{kind: tokNumber, pos: i, end: j, text: s[i:j]}, nil
}

// ident scans a field path: ['@'] seg ('.' seg | '[' int ']')*, where a
// segment is [A-Za-z0-9_@]+ or `backtick quoted` (no escapes).
func (lx *lexer) ident(i int) (token, *SyntaxError) {
	s := lx.s
	var segs []segment
	j := i
	readSeg := func() *SyntaxError {
		if j < len(s) && s[j] == '`' {
			k := strings.IndexByte(s[j+1:], '`')
			if k < 0 {
				return &SyntaxError{Query: s, Pos: j, Token: describeAt(s, j), Expected: "a closing '`'", Msg: "unterminated backtick name"}
			}
			segs = append(segs, segment{Name: s[j+1 : j+1+k], Quoted: true})
			j += k + 2
			return nil
		}
		k := j
		for k < len(s) && isIdentByte(s[k]) {
			k++
		}
		if k == j {
			return &SyntaxError{Query: s, Pos: j, Token: describeAt(s, j), Expected: "a field name"}
		}
		segs = append(segs, segment{Name: s[j:k]})
		j = k
		return nil
	}
	// @`quoted`: the @ stays outside the backticks.
	if s[j] == '@' && j+1 < len(s) && s[j+1] == '`' {
		j++
		if err := readSeg(); err != nil {
			return token{}, err
		}
		segs[0].Name = "@" + segs[0].Name
	} else if err := readSeg(); err != nil {
		return token{}, err
	}
	for j < len(s) {
		if s[j] == '.' && j+1 < len(s) && (isIdentByte(s[j+1]) || s[j+1] == '`') {
			j++
			if err := readSeg(); err != nil {
				return token{}, err
			}
			continue
		}
		if s[j] == '[' {
			k := j + 1
			for k < len(s) && isDigitByte(s[k]) {
				k++
			}
			if k > j+1 && k < len(s) && s[k] == ']' {
				n := 0
				for _, d := range s[j+1 : k] {
					n = n*10 + int(d-'0')
					if n > 1<<30 {
						return token{}, &SyntaxError{Query: s, Pos: j + 1, Token: "'" + s[j+1:k] + "'", Msg: "array index too large"}
					}
				}
				segs = append(segs, segment{Index: n, IsIndex: true})
				j = k + 1
				continue
			}
		}
		break
	}
	return token{kind: tokIdent, pos: i, end: j, text: s[i:j], segs: segs}, nil
}

// pattern scans a { … } filter pattern: to the matching '}', skipping
// double-quoted strings and %regex% values.
func (lx *lexer) pattern(i int) (token, *SyntaxError) {
	s := lx.s
	depth := 0
	j := i
	for j < len(s) {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return token{kind: tokPattern, pos: i, end: j + 1, text: s[i : j+1]}, nil
			}
		case '"':
			j++
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
		case '%':
			if k := strings.IndexByte(s[j+1:], '%'); k >= 0 {
				j += k + 1
			}
		}
		j++
	}
	return token{}, &SyntaxError{Query: s, Pos: i, Token: "'{'", Expected: "a closing '}'", Msg: "unterminated filter pattern"}
}
