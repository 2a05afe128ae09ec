package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// errIncomplete reports that the input ended inside a JSON value. The stream
// reader treats it as "read more"; at end of input it becomes a truncation.
var errIncomplete = errors.New("incomplete JSON value")

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// syntaxError is a JSON syntax fault at a byte position of the scanned buffer.
type syntaxError struct {
	pos int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

func synErr(pos int, format string, args ...any) error {
	return &syntaxError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// scanner is a validating JSON scanner over one buffer. It never allocates
// except to unescape strings into a caller-provided scratch buffer.
type scanner struct {
	b []byte
	i int
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func (s *scanner) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// peek returns the next non-space byte without consuming it.
func (s *scanner) peek() (byte, error) {
	s.ws()
	if s.i >= len(s.b) {
		return 0, errIncomplete
	}
	return s.b[s.i], nil
}

// expect consumes byte c after optional whitespace.
func (s *scanner) expect(c byte, what string) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return synErr(s.i, "expected %s, found %s", what, describe(got))
	}
	s.i++
	return nil
}

func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// hasStringSpecial reports whether any of the eight bytes of v is '"',
// '\\' or below 0x20: the bytes a string scan must look at. (The classic
// SWAR tests: a byte equal to c is a zero byte of v^c*0x01..01, and
// (x - n*0x01..01) &^ x & 0x80..80 is non-zero exactly when some byte of x
// is below n, for n <= 0x80.)
func hasStringSpecial(v uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := v ^ ('"' * ones)
	b := v ^ ('\\' * ones)
	return ((q-ones)&^q|(b-ones)&^b|(v-0x20*ones)&^v)&highs != 0
}

// str scans a string starting at the opening quote and returns the span of
// its raw content and whether it contains escapes.
func (s *scanner) str() (start, end int, esc bool, err error) {
	if s.i >= len(s.b) {
		return 0, 0, false, errIncomplete
	}
	if s.b[s.i] != '"' {
		return 0, 0, false, synErr(s.i, "expected string, found %s", describe(s.b[s.i]))
	}
	s.i++
	start = s.i
	for s.i < len(s.b) {
		// Skip eight plain bytes at a time; stop at the word holding a
		// quote, a backslash or a control character.
		for s.i+8 <= len(s.b) && !hasStringSpecial(binary.LittleEndian.Uint64(s.b[s.i:])) {
			s.i += 8
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			end = s.i
			s.i++
			return start, end, esc, nil
		case c == '\\':
			esc = true
			if s.i+1 >= len(s.b) {
				return 0, 0, false, errIncomplete
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return 0, 0, false, errIncomplete
				}
				for k := s.i + 2; k < s.i+6; k++ {
					if !isHex(s.b[k]) {
						return 0, 0, false, synErr(k, "invalid \\u escape in string")
					}
				}
				s.i += 6
			default:
				return 0, 0, false, synErr(s.i+1, "invalid escape %s in string", describe(s.b[s.i+1]))
			}
		case c < 0x20:
			return 0, 0, false, synErr(s.i, "control character %s in string", describe(c))
		default:
			s.i++
		}
	}
	return 0, 0, false, errIncomplete
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	default:
		return rune(c-'A') + 10
	}
}

// unescape appends the decoded form of a validated string body to dst.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hexVal(raw[i+1])<<12 | hexVal(raw[i+2])<<8 | hexVal(raw[i+3])<<4 | hexVal(raw[i+4])
			i += 4
			if utf16.IsSurrogate(r) && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				r2 := hexVal(raw[i+3])<<12 | hexVal(raw[i+4])<<8 | hexVal(raw[i+5])<<4 | hexVal(raw[i+6])
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			} else if utf16.IsSurrogate(r) {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, raw[i])
		}
	}
	return dst
}

// number scans a JSON number.
func (s *scanner) number() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return errIncomplete
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return synErr(i, "invalid number: found %s", describe(b[i]))
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			if i >= len(b) {
				return errIncomplete
			}
			return synErr(i, "invalid number: expected digit after decimal point")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			if i >= len(b) {
				return errIncomplete
			}
			return synErr(i, "invalid number: expected exponent digits")
		}
	}
	if i >= len(b) {
		// A number at the very end of the buffer may continue in the next read.
		return errIncomplete
	}
	s.i = i
	return nil
}

func (s *scanner) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if s.i+k >= len(s.b) {
			return errIncomplete
		}
		if s.b[s.i+k] != lit[k] {
			return synErr(s.i+k, "invalid literal: expected %q", lit)
		}
	}
	s.i += len(lit)
	return nil
}

// skipValue validates and skips one JSON value of any type.
func (s *scanner) skipValue(depth int) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case '{':
		return s.skipObject(depth + 1)
	case '[':
		return s.skipArray(depth + 1)
	case '"':
		_, _, _, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return s.number()
		}
		return synErr(s.i, "expected a JSON value, found %s", describe(c))
	}
}

func (s *scanner) skipObject(depth int) error {
	if depth > maxDepth {
		return synErr(s.i, "nesting deeper than %d levels", maxDepth)
	}
	s.i++ // '{'
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if _, _, _, err := s.str(); err != nil {
			return err
		}
		if err := s.expect(':', "':' after object key"); err != nil {
			return err
		}
		if err := s.skipValue(depth); err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return err
		}
		s.i++
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return synErr(s.i-1, "expected ',' or '}' in object, found %s", describe(c))
		}
	}
}

func (s *scanner) skipArray(depth int) error {
	if depth > maxDepth {
		return synErr(s.i, "nesting deeper than %d levels", maxDepth)
	}
	s.i++ // '['
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.skipValue(depth); err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return err
		}
		s.i++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			return synErr(s.i-1, "expected ',' or ']' in array, found %s", describe(c))
		}
	}
}
