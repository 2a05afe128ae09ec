package query

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SyntaxError is a pattern that cannot be parsed, or that names a field the
// resolver does not know. Pos is a byte offset into Pattern.
type SyntaxError struct {
	Pattern  string // the whole pattern text
	Pos      int    // byte offset of the offending text in Pattern
	Msg      string // what was found, e.g. "found '}'", or the whole problem when Expected is empty
	Expected string // what the parser expected there, e.g. "a value (string, number, *, or %regex%)"; may be empty

	cause error // the resolver's error, for errors.As/Unwrap
}

// Message is the error text without the position: "expected X, found Y" or
// just Msg.
func (e *SyntaxError) Message() string {
	if e.Expected == "" {
		return e.Msg
	}
	if e.Msg == "" {
		return "expected " + e.Expected
	}
	return "expected " + e.Expected + ", " + e.Msg
}

// Error returns a one-line description with the 1-based line and column
// (columns count characters, not bytes).
func (e *SyntaxError) Error() string {
	line, col := e.LineCol()
	if strings.Contains(e.Pattern, "\n") {
		return fmt.Sprintf("invalid pattern at line %d, column %d: %s", line, col, e.Message())
	}
	return fmt.Sprintf("invalid pattern at column %d: %s", col, e.Message())
}

// Unwrap returns the resolver's error for an unknown field, else nil.
func (e *SyntaxError) Unwrap() error { return e.cause }

func (e *SyntaxError) pos() int {
	p := e.Pos
	if p < 0 {
		p = 0
	}
	if p > len(e.Pattern) {
		p = len(e.Pattern)
	}
	return p
}

// LineCol returns the 1-based line and column of Pos (columns count
// characters, not bytes; Pos is clamped to the pattern).
func (e *SyntaxError) LineCol() (line, col int) {
	p := e.pos()
	before := e.Pattern[:p]
	line = strings.Count(before, "\n") + 1
	start := strings.LastIndexByte(before, '\n') + 1
	col = utf8.RuneCountInString(before[start:]) + 1
	return line, col
}

// Caret returns the line of the pattern that contains Pos, a newline, and a
// caret under Pos followed by the message:
//
//	{ $.eventName = }
//	                ^ expected a value (string, number, *, or %regex%), found '}'
//
// Tabs before Pos are kept so that the caret lines up in a terminal.
func (e *SyntaxError) Caret() string {
	p := e.pos()
	start := strings.LastIndexByte(e.Pattern[:p], '\n') + 1
	end := strings.IndexByte(e.Pattern[p:], '\n')
	if end < 0 {
		end = len(e.Pattern)
	} else {
		end += p
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(e.Pattern[start:end], "\r"))
	b.WriteByte('\n')
	for _, r := range e.Pattern[start:p] {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteString("^ ")
	b.WriteString(e.Message())
	return b.String()
}

// Warning is a problem that does not stop a pattern from being used: it is
// accepted by ctq but may not behave as the user intends, or CloudWatch Logs
// would reject or treat it differently.
type Warning struct {
	Pos int    // byte offset in the pattern's Source, or -1 when not tied to a position
	Msg string // lower-case description
}

// String formats the warning with its offset.
func (w Warning) String() string {
	if w.Pos < 0 {
		return "warning: " + w.Msg
	}
	return fmt.Sprintf("warning at offset %d: %s", w.Pos, w.Msg)
}

// FieldError is returned by DefaultResolver (and wrapped in a SyntaxError by
// Parse) for a shorthand field path it cannot resolve.
type FieldError struct {
	Path        string   // the path as typed
	Reason      string   // the whole problem, e.g. `unknown field "evenName"`
	Suggestions []string // close known paths, best first (CloudTrail spelling)
}

// Error returns the reason and the suggestions.
func (e *FieldError) Error() string {
	msg := e.Reason
	if len(e.Suggestions) > 0 {
		msg += " (did you mean " + strings.Join(e.Suggestions, ", ") + "?)"
	}
	return msg
}

// describeAt names the text found at byte offset p for an error message:
// "end of pattern", or a qstring shToken such as '}' or 'GetObject'.
func describeAt(s string, p int) string {
	if p >= len(s) {
		return "end of pattern"
	}
	rest := s[p:]
	for _, two := range []string{"&&", "||", "!=", "<=", ">="} {
		if strings.HasPrefix(rest, two) {
			return "'" + two + "'"
		}
	}
	r, size := utf8.DecodeRuneInString(rest)
	n := 0
	if isWordRune(r) {
		for n < len(rest) {
			r2, sz := utf8.DecodeRuneInString(rest[n:])
			if !isWordRune(r2) {
				break
			}
			n += sz
		}
	} else {
		n = size
	}
	tok := rest[:n]
	if utf8.RuneCountInString(tok) > 24 {
		tok = string([]rune(tok)[:24]) + "..."
	}
	switch tok {
	case "\n":
		return "a newline"
	case "\t":
		return "a tab"
	case " ":
		return "a space"
	}
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", rest[0])
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf("control character 0x%02x", r)
	}
	return "'" + tok + "'"
}

// found is "found " + describeAt.
func foundAt(s string, p int) string { return "found " + describeAt(s, p) }
