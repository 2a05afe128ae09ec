package query

import (
	"errors"
	"testing"
)

type regexCase struct {
	body string
	re2  string // the RE2 translation, or "" when err is set
	err  string // "col N: message" of the error, for invalid bodies
}

var regexCases = []regexCase{
	// Documented examples.
	{`AUTHORIZED`, `(?s)AUTHORIZED`, ""},
	{`Trail`, `(?s)Trail`, ""},
	{`val.{2}`, `(?s)val.{2}`, ""},
	{`111\.111\.111\.1[0-9]{1,2}`, `(?s)111\.111\.111\.1[0-9]{1,2}`, ""},
	{`gra|ey`, `(?s)gra|ey`, ""},
	{`^starting|^initializing|^shutting down`, `(?s)^starting|^initializing|^shutting\ down`, ""},
	{`127\.0\.0\.[1-9]`, `(?s)127\.0\.0\.[1-9]`, ""},
	// Every construct.
	{`^a$`, `(?s)^a$`, ""},
	{`ab?c*d+`, `(?s)ab?c*d+`, ""},
	{`a{3}`, `(?s)a{3}`, ""},
	{`a{3,}`, `(?s)a{3,}`, ""},
	{`a{,3}`, `(?s)a{0,3}`, ""},
	{`a{2,1000}`, `(?s)a{2,1000}`, ""},
	{`.*?x`, `(?s).*?x`, ""},
	{`[a-z]`, `(?s)[a-z]`, ""},
	{`[^a-zA-Z0-9_]`, `(?s)[^a-zA-Z0-9_]`, ""},
	{`[a-]`, `(?s)[a\-]`, ""},
	{`[-a]`, `(?s)[\-a]`, ""},
	{`[.*+?{}|$^]`, `(?s)[\.\*\+\?\{\}\|\$\^]`, ""},
	{`[\]\[\\]`, `(?s)[\]\[\\]`, ""},
	{`[\d\s.]`, `(?s)[\d\s\.]`, ""},
	{`[\x41-\x5a]`, `(?s)[A-Z]`, ""},
	{`[:alpha:]`, `(?s)[\:alpha\:]`, ""},
	{`\d\D\s\S\w\W`, `(?s)\d\D\s\S\w\W`, ""},
	{`\x21\x7e\x00`, `(?s)\!\~\x00`, ""},
	{`\.\*\+\?\[\]\{\}\|\\\^\$`, `(?s)\.\*\+\?\[\]\{\}\|\\\^\$`, ""},
	{`\:\_\#\=\@\/\;\,\-\ `, `(?s)\:_\#\=\@\/\;\,\-\ `, ""},
	{`a:_#=@/;,- b`, `(?s)a\:_\#\=\@\/\;\,\-\ b`, ""},
	// Rejected.
	{``, "", `col 1: empty regex`},
	{`something!`, "", `col 10: character '!' is not allowed in a filter-pattern regex; write it as \x21`},
	{`(a|b)`, "", `col 1: parentheses (groups) are not supported in filter-pattern regexes; write a literal '(' as \x28`},
	{`a)`, "", `col 2: parentheses (groups) are not supported in filter-pattern regexes; write a literal ')' as \x29`},
	{`|a`, "", `col 1: empty alternative in regex (nothing before '|' or after it)`},
	{`a||b`, "", `col 3: empty alternative in regex (nothing before '|' or after it)`},
	{`a|`, "", `col 2: empty alternative in regex (nothing after '|')`},
	{`*a`, "", `col 1: nothing to repeat before '*' in regex; escape a literal '*' as \*`},
	{`a|+`, "", `col 3: nothing to repeat before '+' in regex; escape a literal '+' as \+`},
	{`^*`, "", `col 2: nothing to repeat before '*' in regex (an anchor cannot be repeated)`},
	{`{2}`, "", `col 1: nothing to repeat before '{' in regex`},
	{`a**`, "", `col 3: nested repetition '*' in regex`},
	{`a{2}{3}`, "", `col 5: nested repetition '{' in regex`},
	{`a+?*`, "", `col 4: nested repetition '*' in regex`},
	{`a{`, "", `col 2: invalid repetition '{' in regex: want {m}, {m,}, {,n} or {m,n}; escape a literal '{' as \{`},
	{`a{x}`, "", `col 2: invalid repetition '{' in regex: want {m}, {m,}, {,n} or {m,n}; escape a literal '{' as \{`},
	{`a{,}`, "", `col 2: repetition {,} needs at least one bound`},
	{`a{3,2}`, "", `col 2: invalid repetition {3,2} in regex: minimum above maximum`},
	{`a{1001}`, "", `col 2: repetition count above 1000 in regex`},
	{`a{1,99999999}`, "", `col 2: repetition count above 1000 in regex`},
	{`a}`, "", `col 2: unexpected '}' in regex; escape a literal '}' as \}`},
	{`a]`, "", `col 2: unexpected ']' in regex; escape a literal ']' as \]`},
	{`[]`, "", `col 2: empty character class in regex; escape a literal ']' as \]`},
	{`[^]`, "", `col 3: empty character class in regex; escape a literal ']' as \]`},
	{`[a`, "", `col 1: unterminated character class in regex (missing ']')`},
	{`[z-a]`, "", `col 2: invalid range "z-a" in character class: start above end`},
	{`[\d-z]`, "", `col 4: invalid range in character class: a class such as \d cannot start a range`},
	{`[a-\d]`, "", `col 4: invalid range in character class: a class such as \d cannot end a range`},
	{`[[]`, "", `col 2: unexpected '[' in character class; escape a literal '[' as \[`},
	{`[(]`, "", `col 2: parentheses are not supported in filter-pattern regexes; write a literal '(' as \x28`},
	{`[!]`, "", `col 2: character '!' is not allowed in a filter-pattern regex; write it as \x21`},
	{`a\`, "", `col 2: trailing backslash in regex`},
	{`\n`, "", `col 1: escape '\n' is not supported in filter-pattern regexes (supported: \d \D \s \S \w \W \xhh and \ before a symbol)`},
	{`\b`, "", `col 1: escape '\b' is not supported in filter-pattern regexes (supported: \d \D \s \S \w \W \xhh and \ before a symbol)`},
	{`\1`, "", `col 1: escape '\1' is not supported in filter-pattern regexes (supported: \d \D \s \S \w \W \xhh and \ before a symbol)`},
	{`\!`, "", `col 1: escape '\!' is not supported in filter-pattern regexes; write the character as \x21`},
	{`\x4`, "", `col 1: invalid \x escape in regex: want two hex digits, as in \x21`},
	{`\xzz`, "", `col 1: invalid \x escape in regex: want two hex digits, as in \x21`},
	{`\xff`, "", `col 1: \x escape above \x7f in regex: only ASCII is supported`},
	{`é`, "", `col 1: non-ASCII characters are not supported in filter-pattern regexes`},
	{"a\tb", "", `col 2: control character 0x09 is not allowed in a regex; write it as \x09`},
	{`"x"`, "", `col 1: character '"' is not allowed in a filter-pattern regex; write it as \x22`},
}

func TestRegex_Cases(t *testing.T) {
	for _, c := range regexCases {
		got, err := TranslateRegex(c.body)
		if c.err != "" {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("TranslateRegex(%q) = %q, %v; want error %q", c.body, got, err, c.err)
				continue
			}
			if msg := "col " + itoa(se.Pos+1) + ": " + se.Message(); msg != c.err {
				t.Errorf("TranslateRegex(%q):\n got  %s\n want %s", c.body, msg, c.err)
			}
			if _, err := CompileRegex(c.body); err == nil {
				t.Errorf("CompileRegex(%q) accepted", c.body)
			}
			continue
		}
		if err != nil {
			t.Errorf("TranslateRegex(%q): %v", c.body, err)
			continue
		}
		if got != c.re2 {
			t.Errorf("TranslateRegex(%q) = %q, want %q", c.body, got, c.re2)
		}
		if _, err := CompileRegex(c.body); err != nil {
			t.Errorf("CompileRegex(%q): %v", c.body, err)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestRegex_Match(t *testing.T) {
	f := func(body, text string, want bool) {
		t.Helper()
		re, err := CompileRegex(body)
		if err != nil {
			t.Fatalf("CompileRegex(%q): %v", body, err)
		}
		if got := re.MatchString(text); got != want {
			t.Errorf("%%%s%% on %q = %v, want %v", body, text, got, want)
		}
	}
	f(`AUTHORIZED`, `[ERROR 401] UNAUTHORIZED REQUEST`, true)
	f(`^AUTHORIZED`, `UNAUTHORIZED`, false)
	f(`Trail$`, `UpdateTrail`, true)
	f(`Trail$`, "UpdateTrail\n", false)
	f(`gra|ey`, `grey`, true)
	f(`gra|ey`, `gr`, false)
	f(`^starting|^initializing|^shutting down`, `shutting down now`, true)
	f(`^starting|^initializing|^shutting down`, `now shutting down`, false)
	f(`a.c`, "a\nc", true)
	f(`\w+`, `é`, false)
	f(`\d{3}`, `12a345`, true)
	f(`\x21`, `hi!`, true)
	f(`[^a-z]`, `abc`, false)
	f(`a{,2}b`, `b`, true)
	f(`colou?r`, `color`, true)
	f(`[:alpha:]`, `:`, true)
	f(`[:alpha:]`, `b`, false)
	f(`\ `, `a b`, true)
}

func TestRegex_PositionsInPattern(t *testing.T) {
	// Errors in a regex point into the whole pattern.
	_, err := Parse(`{ $.a = "x" && $.b = %ab(c% }`, ParseOptions{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != 24 {
		t.Fatalf("error %v, want Pos 24", err)
	}
	_, err = Parse(`ERROR %[z-a]%`, ParseOptions{})
	if !errors.As(err, &se) || se.Pos != 8 {
		t.Fatalf("error %v, want Pos 8", err)
	}
	_, err = Parse(`eventName=%a{3,2}%`, ParseOptions{})
	if !errors.As(err, &se) || se.Pos != 12 {
		t.Fatalf("error %v, want Pos 12", err)
	}
}
