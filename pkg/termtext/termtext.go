// Package termtext makes untrusted text (values from logs, object keys)
// safe to print on a terminal. CloudTrail records carry attacker-chosen
// strings: user agents, request parameters, resource names. Printed as
// they are, an ESC sequence can rewrite the screen or the title, a
// carriage return can overprint a line, a bidirectional override can make
// "evil.exe" read as "exe.live", and a tab can shift a table's columns.
package termtext

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that could change how a terminal
// shows the output written as a visible escape: C0 and C1 control
// characters and DEL (tab, line feed and carriage return as \t, \n, \r,
// others as \uXXXX), Unicode format characters (bidirectional overrides
// and isolates, zero-width characters), line and paragraph separators,
// and invalid UTF-8 bytes (\xXX). The result is one line. Text with
// nothing to escape is returned as is, without copying.
func Escape(s string) string {
	if clean(s, false) {
		return s
	}
	return string(Append(nil, s, false))
}

// EscapeLines is Escape for multi-line text, such as an error message
// that embeds values: line feeds stay, everything else is escaped.
func EscapeLines(s string) string {
	if clean(s, true) {
		return s
	}
	return string(Append(nil, s, true))
}

// Append appends the escaped form of s to dst (see Escape); with
// keepNewlines, line feeds are appended as they are.
func Append(dst []byte, s string, keepNewlines bool) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			dst = append(dst, `\x`...)
			dst = appendHex(dst, uint32(s[i]), 2)
		case r == '\n' && keepNewlines:
			dst = append(dst, '\n')
		case r == '\n':
			dst = append(dst, `\n`...)
		case r == '\r':
			dst = append(dst, `\r`...)
		case r == '\t':
			dst = append(dst, `\t`...)
		case unsafeRune(r):
			dst = append(dst, `\u`...)
			dst = appendHex(dst, uint32(r), 4)
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// clean reports whether s has nothing to escape.
func clean(s string, keepNewlines bool) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if (c < 0x20 && !(c == '\n' && keepNewlines)) || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

// unsafeRune reports whether r is a control, format or separator
// character other than the ones Append writes in short form.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

func appendHex(dst []byte, v uint32, width int) []byte {
	h := strconv.FormatUint(uint64(v), 16)
	for i := len(h); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, h...)
}
