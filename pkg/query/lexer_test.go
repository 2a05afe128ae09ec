package query

import "testing"

func TestParse_NumberLiterals(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := isNumLiteral(in); got != want {
			t.Errorf("isNumLiteral(%q) = %v, want %v", in, got, want)
		}
	}
	for _, s := range []string{"0", "400", "+1000", "-5", "55.5", "10e3", "10e-3", "1e+3", "1E3", ".5", "5.", "+.5", "-.5e-3", "007", "1.e5"} {
		f(s, true)
	}
	for _, s := range []string{"", "+", "-", ".", "e3", "1e", "1e+", "1.2.3", "123.123.*", "1x", "0x10", "Inf", "NaN", "1_000", "--1", "1e3.5", " 1"} {
		f(s, false)
	}
}

func TestParse_QuotedStrings(t *testing.T) {
	f := func(in, val string, escFirst, escLast, allStars bool) {
		t.Helper()
		q, err := scanQuoted(in, 0)
		if err != nil {
			t.Fatalf("scanQuoted(%q): %v", in, err)
		}
		if q.val != val || q.escFirst != escFirst || q.escLast != escLast || q.allStars != allStars || q.end != len(in) {
			t.Errorf("scanQuoted(%q) = %+v, want val %q esc %v/%v stars %v", in, q, val, escFirst, escLast, allStars)
		}
	}
	f(`""`, "", false, false, false)
	f(`"abc"`, "abc", false, false, false)
	f(`"*"`, "*", false, false, true)
	f(`"***"`, "***", false, false, true)
	f(`"\*"`, "*", true, true, false)
	f(`"\**"`, "**", true, false, false)
	f(`"*\*"`, "**", false, true, false)
	f(`"\"x\""`, `"x"`, true, true, false)
	f(`"\u00e9\u4e2d"`, "é中", true, true, false)
	f(`"\ud83d\ude00"`, "😀", true, true, false)
	f(`"\ud83d"`, "\uFFFD", true, true, false)
	f(`"\ude00x"`, "\uFFFDx", true, false, false)
	f(`"a\/b\\c\bd\fe\nf\rg\th"`, "a/b\\c\bd\fe\nf\rg\th", false, false, false)
	f("\"raw\nnewline\"", "raw\nnewline", false, false, false)
}

func TestParse_DescribeAt(t *testing.T) {
	f := func(s string, p int, want string) {
		t.Helper()
		if got := describeAt(s, p); got != want {
			t.Errorf("describeAt(%q, %d) = %s, want %s", s, p, got, want)
		}
	}
	f("abc", 3, "end of pattern")
	f("a }", 2, "'}'")
	f("a&&b", 1, "'&&'")
	f("x GetObject y", 2, "'GetObject'")
	f("x $.a.b = 1", 2, "'$.a.b'")
	f("x\ty", 1, "a tab")
	f("x\ny", 1, "a newline")
	f("x y", 1, "a space")
	f("x\x00y", 1, "control character 0x00")
	f("x\xffy", 1, "byte 0xff")
	f("x ThisIsAVeryLongIdentifierIndeed", 2, "'ThisIsAVeryLongIdentifie...'")
}
