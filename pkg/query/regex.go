package query

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// CloudWatch Logs regexes (%...%) are a small documented subset:
//
//   - characters: ASCII letters and digits, space, and the symbols
//     : _ # = @ / ; , -  (any other ASCII character is written \xhh);
//   - operators: ^ $ ? * + . | \ [ ] { } — anchors, repetition (? * + {m,n}
//     with either bound omittable), character classes with ranges and [^...],
//     top-level alternation, any character, and escapes;
//   - escapes: \d \D \s \S \w \W, \xhh (ASCII), and a backslash before any
//     of the operators or symbols above (e.g. \. \* \[ \- \ );
//   - no parentheses (groups), no other escapes, no multi-byte characters.
//
// A body is validated and translated to RE2 in one pass. The translation
// escapes every literal punctuation character (so RE2 cannot read [:alpha:]
// or similar constructs into it), spells {,n} as {0,n} (RE2 would read {,n}
// as text) and sets the s flag so that '.' matches any character, newline
// included. Matching is an unanchored search, as in CloudWatch.

// maxRepeat is RE2's (and so ctq's) largest repetition count.
const maxRepeat = 1000

// CompileRegex validates body, the text between the % delimiters of a
// CloudWatch Logs regex, against the documented subset and compiles its RE2
// translation. An error is a *SyntaxError whose Pattern is body and whose
// Pos points at the offending character.
func CompileRegex(body string) (*regexp.Regexp, error) {
	re, err := compileRegexAt(body, body, 0)
	if err != nil {
		return nil, err
	}
	return re, nil
}

// TranslateRegex returns the RE2 syntax of a valid CloudWatch Logs regex
// body (for engines that evaluate regexes elsewhere).
func TranslateRegex(body string) (string, error) {
	rx := rxParser{pat: body, s: body}
	if err := rx.parse(); err != nil {
		return "", err
	}
	return rx.out.String(), nil
}

// compileRegexAt validates body, which starts at byte offset base of the
// pattern pat, so that errors point into pat.
func compileRegexAt(pat, body string, base int) (*regexp.Regexp, *SyntaxError) {
	rx := rxParser{pat: pat, s: body, base: base}
	if err := rx.parse(); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(rx.out.String())
	if err != nil {
		// Validation admits only constructs RE2 supports; what remains is
		// RE2's size limit.
		return nil, &SyntaxError{Pattern: pat, Pos: base, Msg: "regex cannot be compiled: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
	}
	return re, nil
}

type rxParser struct {
	pat  string // the whole pattern, for errors
	s    string // the regex body
	base int    // offset of s in pat
	i    int
	out  strings.Builder
}

func (rx *rxParser) errAt(i int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pattern: rx.pat, Pos: rx.base + i, Msg: fmt.Sprintf(format, args...)}
}

// rxSymbols are the symbols allowed as literal characters, besides ASCII
// letters, digits and space.
const rxSymbols = ":_#=@/;,-"

// rxOperators are the characters with a meaning in the regex syntax; a
// backslash makes them literal.
const rxOperators = `^$?*+.|\[]{}`

func rxPlainLiteral(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || strings.IndexByte(rxSymbols, c) >= 0
}

// quoteRxByte writes an ASCII character so that RE2 reads it literally,
// inside or outside a class.
func quoteRxByte(b *strings.Builder, c byte) {
	switch {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_':
		b.WriteByte(c)
	case c < 0x20 || c == 0x7f:
		fmt.Fprintf(b, `\x%02x`, c)
	default:
		b.WriteByte('\\')
		b.WriteByte(c)
	}
}

func (rx *rxParser) parse() *SyntaxError {
	if rx.s == "" {
		return rx.errAt(0, "empty regex")
	}
	rx.out.WriteString("(?s)")
	for {
		start := rx.i
		for rx.i < len(rx.s) && rx.s[rx.i] != '|' {
			if err := rx.piece(); err != nil {
				return err
			}
		}
		if rx.i == start {
			return rx.errAt(rx.i, "empty alternative in regex (nothing before '|' or after it)")
		}
		if rx.i >= len(rx.s) {
			return nil
		}
		rx.out.WriteByte('|')
		rx.i++
		if rx.i >= len(rx.s) {
			return rx.errAt(rx.i-1, "empty alternative in regex (nothing after '|')")
		}
	}
}

// isQuantStart reports whether s[i] starts a repetition operator.
func (rx *rxParser) isQuantStart(i int) bool {
	if i >= len(rx.s) {
		return false
	}
	switch rx.s[i] {
	case '*', '+', '?':
		return true
	case '{':
		_, _, _, ok := rx.repetition(i)
		return ok
	}
	return false
}

// piece is an atom with an optional repetition.
func (rx *rxParser) piece() *SyntaxError {
	s, i := rx.s, rx.i
	c := s[i]
	repeatable := true
	switch {
	case c == '^' || c == '$':
		rx.out.WriteByte(c)
		rx.i++
		repeatable = false
	case c == '.':
		rx.out.WriteByte('.')
		rx.i++
	case c == '[':
		if err := rx.class(); err != nil {
			return err
		}
	case c == '\\':
		if err := rx.escape(); err != nil {
			return err
		}
	case c == '(' || c == ')':
		return rx.errAt(i, "parentheses (groups) are not supported in filter-pattern regexes; write a literal %q as \\x%02x", c, c)
	case c == '*' || c == '+' || c == '?':
		return rx.errAt(i, "nothing to repeat before '%c' in regex; escape a literal '%c' as \\%c", c, c, c)
	case c == '{':
		if _, _, _, ok := rx.repetition(i); ok {
			return rx.errAt(i, "nothing to repeat before '{' in regex")
		}
		return rx.errAt(i, "invalid repetition '{' in regex: want {m}, {m,}, {,n} or {m,n}; escape a literal '{' as \\{")
	case c == '}' || c == ']':
		return rx.errAt(i, "unexpected '%c' in regex; escape a literal '%c' as \\%c", c, c, c)
	case rxPlainLiteral(c):
		quoteRxByte(&rx.out, c)
		rx.i++
	default:
		return rx.badChar(i)
	}
	if !rx.isQuantStart(rx.i) {
		return nil
	}
	if !repeatable {
		return rx.errAt(rx.i, "nothing to repeat before %s in regex (an anchor cannot be repeated)", describeAt(s, rx.i))
	}
	if err := rx.quantifier(); err != nil {
		return err
	}
	// A '?' after a repetition makes it lazy, which does not change what a
	// search matches; any other repetition of a repetition is an error.
	if rx.i < len(s) && s[rx.i] == '?' {
		rx.out.WriteByte('?')
		rx.i++
	}
	if rx.isQuantStart(rx.i) {
		return rx.errAt(rx.i, "nested repetition %s in regex", describeAt(s, rx.i))
	}
	return nil
}

func (rx *rxParser) badChar(i int) *SyntaxError {
	c := rx.s[i]
	if c >= 0x80 {
		return rx.errAt(i, "non-ASCII characters are not supported in filter-pattern regexes")
	}
	if c < 0x20 || c == 0x7f {
		return rx.errAt(i, "control character 0x%02x is not allowed in a regex; write it as \\x%02x", c, c)
	}
	return rx.errAt(i, "character '%c' is not allowed in a filter-pattern regex; write it as \\x%02x", c, c)
}

func (rx *rxParser) quantifier() *SyntaxError {
	c := rx.s[rx.i]
	if c != '{' {
		rx.out.WriteByte(c)
		rx.i++
		return nil
	}
	lo, hi, end, _ := rx.repetition(rx.i)
	if lo < 0 && hi < 0 {
		return rx.errAt(rx.i, "repetition {,} needs at least one bound")
	}
	if lo < 0 {
		lo = 0
	}
	if lo > maxRepeat || hi > maxRepeat {
		return rx.errAt(rx.i, "repetition count above %d in regex", maxRepeat)
	}
	switch {
	case hi == -2: // {m}
		fmt.Fprintf(&rx.out, "{%d}", lo)
	case hi < 0: // {m,}
		fmt.Fprintf(&rx.out, "{%d,}", lo)
	default:
		if hi < lo {
			return rx.errAt(rx.i, "invalid repetition {%d,%d} in regex: minimum above maximum", lo, hi)
		}
		fmt.Fprintf(&rx.out, "{%d,%d}", lo, hi)
	}
	rx.i = end
	return nil
}

// repetition parses {m}, {m,}, {,n}, {m,n} or {,} at s[i] == '{'. lo is -1
// when omitted; hi is -1 when omitted after a comma and -2 without a comma.
func (rx *rxParser) repetition(i int) (lo, hi, end int, ok bool) {
	s := rx.s
	j := i + 1
	num := func() int {
		start := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		switch {
		case j == start:
			return -1
		case j-start > 6:
			return maxRepeat + 1
		}
		n, _ := strconv.Atoi(s[start:j])
		return n
	}
	lo = num()
	hi = -2
	if j < len(s) && s[j] == ',' {
		j++
		hi = num()
	} else if lo < 0 {
		return 0, 0, 0, false
	}
	if j >= len(s) || s[j] != '}' {
		return 0, 0, 0, false
	}
	return lo, hi, j + 1, true
}

// escape handles a backslash at s[i], inside or outside a class.
func (rx *rxParser) escape() *SyntaxError {
	s, i := rx.s, rx.i
	if i+1 >= len(s) {
		return rx.errAt(i, "trailing backslash in regex")
	}
	c := s[i+1]
	switch {
	case strings.IndexByte("dDsSwW", c) >= 0:
		rx.out.WriteByte('\\')
		rx.out.WriteByte(c)
		rx.i += 2
	case c == 'x':
		v, ok := hexByte(s, i+2)
		if !ok {
			return rx.errAt(i, "invalid \\x escape in regex: want two hex digits, as in \\x21")
		}
		if v >= 0x80 {
			return rx.errAt(i, "\\x escape above \\x7f in regex: only ASCII is supported")
		}
		quoteRxByte(&rx.out, byte(v))
		rx.i += 4
	case rxPlainLiteral(c) && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') || strings.IndexByte(rxOperators, c) >= 0:
		quoteRxByte(&rx.out, c)
		rx.i += 2
	case c >= 0x80:
		return rx.errAt(i+1, "non-ASCII characters are not supported in filter-pattern regexes")
	default:
		if c < 0x20 || c == 0x7f || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return rx.errAt(i, "escape '\\%c' is not supported in filter-pattern regexes; write the character as \\x%02x", c, c)
		}
		return rx.errAt(i, "escape '\\%c' is not supported in filter-pattern regexes (supported: \\d \\D \\s \\S \\w \\W \\xhh and \\ before a symbol)", c)
	}
	return nil
}

func hexByte(s string, p int) (int, bool) {
	if p+2 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[p:p+2], 16, 8)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

// class parses a character class [...] or [^...] at s[i] == '['.
func (rx *rxParser) class() *SyntaxError {
	s := rx.s
	open := rx.i
	rx.i++
	rx.out.WriteByte('[')
	if rx.i < len(s) && s[rx.i] == '^' {
		rx.out.WriteByte('^')
		rx.i++
	}
	items := 0
	for {
		if rx.i >= len(s) {
			return rx.errAt(open, "unterminated character class in regex (missing ']')")
		}
		c := s[rx.i]
		if c == ']' {
			if items == 0 {
				return rx.errAt(rx.i, "empty character class in regex; escape a literal ']' as \\]")
			}
			rx.out.WriteByte(']')
			rx.i++
			return nil
		}
		lo, loPos, single, err := rx.classAtom()
		if err != nil {
			return err
		}
		items++
		// A range a-b: '-' followed by something other than ']'.
		if rx.i+1 < len(s) && s[rx.i] == '-' && s[rx.i+1] != ']' {
			dash := rx.i
			rx.i++
			if !single {
				return rx.errAt(dash, "invalid range in character class: a class such as \\d cannot start a range")
			}
			hiPos := rx.i
			rx.out.WriteByte('-')
			hi, _, single2, err := rx.classAtom()
			if err != nil {
				return err
			}
			if !single2 {
				return rx.errAt(hiPos, "invalid range in character class: a class such as \\d cannot end a range")
			}
			if hi < lo {
				return rx.errAt(loPos, "invalid range %s in character class: start above end", strconv.Quote(s[loPos:rx.i]))
			}
		}
	}
}

// classAtom parses one class member and writes it. single is false for the
// shorthand classes (\d ...); ch is the character otherwise.
func (rx *rxParser) classAtom() (ch byte, pos int, single bool, err *SyntaxError) {
	s := rx.s
	pos = rx.i
	c := s[rx.i]
	switch {
	case c == '\\':
		if rx.i+1 < len(s) && strings.IndexByte("dDsSwW", s[rx.i+1]) >= 0 {
			return 0, pos, false, rx.escape()
		}
		if rx.i+1 < len(s) && s[rx.i+1] == 'x' {
			v, ok := hexByte(s, rx.i+2)
			if ok {
				ch = byte(v)
			}
		} else if rx.i+1 < len(s) {
			ch = s[rx.i+1]
		}
		return ch, pos, true, rx.escape()
	case c == '[' || c == '(' || c == ')':
		// '[' inside a class would read as a POSIX class in other
		// dialects; require the escape so the meaning is unambiguous.
		if c == '[' {
			return 0, pos, false, rx.errAt(rx.i, "unexpected '[' in character class; escape a literal '[' as \\[")
		}
		return 0, pos, false, rx.errAt(rx.i, "parentheses are not supported in filter-pattern regexes; write a literal %q as \\x%02x", c, c)
	case rxPlainLiteral(c) || strings.IndexByte(rxOperators, c) >= 0:
		quoteRxByte(&rx.out, c)
		rx.i++
		return c, pos, true, nil
	default:
		return 0, pos, false, rx.badChar(rx.i)
	}
}
