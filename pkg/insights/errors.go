package insights

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ctq-dev/ctq/pkg/query"
)

// SyntaxError is a query that cannot be parsed or breaks a validity rule of
// the language. Pos is a byte offset into Query.
type SyntaxError struct {
	Query    string // the whole query text
	Pos      int    // byte offset of the offending token in Query
	Token    string // the offending token as shown to users, e.g. "'|'" or "end of query"
	Expected string // what was expected there, e.g. "a command"; may be empty
	Msg      string // the problem when it is more than "expected X"; may be empty

	cause error
}

// Message is the error text without the position: "expected X, found Y",
// Msg, or both.
func (e *SyntaxError) Message() string {
	var parts []string
	if e.Msg != "" {
		parts = append(parts, e.Msg)
	}
	if e.Expected != "" {
		exp := "expected " + e.Expected
		if e.Token != "" {
			exp += ", found " + e.Token
		}
		parts = append(parts, exp)
	}
	if len(parts) == 0 {
		return "unexpected " + e.Token
	}
	return strings.Join(parts, ": ")
}

// Error returns a one-line description with the 1-based line and column
// (columns count characters, not bytes).
func (e *SyntaxError) Error() string {
	line, col := e.asPattern().LineCol()
	if strings.Contains(e.Query, "\n") {
		return fmt.Sprintf("invalid query at line %d, column %d: %s", line, col, e.Message())
	}
	return fmt.Sprintf("invalid query at column %d: %s", col, e.Message())
}

// Unwrap returns the underlying error (a filter pattern's syntax error, a
// regex compile error), or nil.
func (e *SyntaxError) Unwrap() error { return e.cause }

// asPattern is the error as a filter pattern error over the query text, whose
// position rules (Pos clamped, columns in characters) and caret rendering it
// shares.
func (e *SyntaxError) asPattern() *query.SyntaxError {
	return &query.SyntaxError{Pattern: e.Query, Pos: e.Pos, Msg: e.Message()}
}

// Caret returns the line of the query that holds Pos, a newline, and a
// caret under Pos followed by the message (the same rendering as filter
// pattern errors):
//
//	filter eventName like /x/i
//	                         ^ regex flags after the closing '/' are not supported; …
func (e *SyntaxError) Caret() string {
	return e.asPattern().Caret()
}

// describeAt names the text at byte offset p for an error message: "end of
// query", or the token there in quotes (at most 24 characters).
func describeAt(s string, p int) string {
	if p >= len(s) {
		return "end of query"
	}
	rest := s[p:]
	r, size := utf8.DecodeRuneInString(rest)
	n := size
	if isIdentByte(rest[0]) {
		n = 0
		for n < len(rest) && (isIdentByte(rest[n]) || rest[n] == '.') {
			n++
		}
	}
	tok := rest[:n]
	if utf8.RuneCountInString(tok) > 24 {
		tok = string([]rune(tok)[:24]) + "..."
	}
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", rest[0])
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf("control character 0x%02x", r)
	}
	return "'" + tok + "'"
}

// describeTok names a token for an error message.
func describeTok(t token) string {
	if t.kind == tokEOF {
		return "end of query"
	}
	txt := t.text
	if utf8.RuneCountInString(txt) > 24 {
		txt = string([]rune(txt)[:24]) + "..."
	}
	return "'" + txt + "'"
}
