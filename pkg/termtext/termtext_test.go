package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want, lines string }{
		{"plain text, ünïcödé 日本", "plain text, ünïcödé 日本", ""},
		{"", "", ""},
		{"a\tb", `a\tb`, ""},
		{"one\ntwo\r", `one\ntwo\r`, "one\ntwo\\r"},
		{"\x1b]0;owned\x07", `\u001b]0;owned\u0007`, ""},
		{"\x1b[2J", `\u001b[2J`, ""},
		{"del\x7f", `del\u007f`, ""},
		{"c1\u009b31m", `c1\u009b31m`, ""},
		{"evil\u202eexe.txt", `evil\u202eexe.txt`, ""},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`, ""},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`, ""},
		{"line\u2028para\u2029", `line\u2028para\u2029`, ""},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`, ""},
		{"replacement \ufffd kept", "replacement \ufffd kept", ""},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		want := tc.lines
		if want == "" {
			want = tc.want
		}
		if got := EscapeLines(tc.in); got != want {
			t.Errorf("EscapeLines(%q) = %q, want %q", tc.in, got, want)
		}
	}
}

// safe reports whether s can reach a terminal: valid UTF-8, no control,
// format or separator character.
func safe(s string, newlines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\n' && newlines {
			continue
		}
		if r < 0x20 || r == 0x7f || unsafeRune(r) {
			return false
		}
	}
	return true
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a\tb", "\x1b[31m", "\u202e", "\xff\xfe", "日本\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if !safe(e, false) {
			t.Fatalf("Escape(%q) = %q: not safe", s, e)
		}
		if l := EscapeLines(s); !safe(l, true) || strings.Count(l, "\n") != strings.Count(s, "\n") {
			t.Fatalf("EscapeLines(%q) = %q", s, l)
		}
		if safe(s, false) && utf8.ValidString(s) && e != s {
			t.Fatalf("Escape changed safe text %q to %q", s, e)
		}
	})
}
