package insights_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/insights"
	"github.com/ctq-dev/ctq/pkg/query"
)

// roundTrip parses q, prints it, parses the print and checks that it
// prints the same.
func roundTrip(t testing.TB, q string) *insights.Query {
	t.Helper()
	p, err := insights.Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	s := p.String()
	p2, err := insights.Parse(s)
	if err != nil {
		t.Fatalf("Parse(String(%q)) = Parse(%q): %v", q, s, err)
	}
	if s2 := p2.String(); s2 != s {
		t.Fatalf("round trip of %q: %q then %q", q, s, s2)
	}
	return p
}

func TestParse_Success(t *testing.T) {
	f := func(q, want string) {
		t.Helper()
		p := roundTrip(t, q)
		if got := p.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", q, got, want)
		}
	}
	f(`fields @timestamp, @message`, `fields @timestamp, @message`)
	f(`FIELDS awsRegion | FILTER eventName="X"`, `fields awsRegion | filter (eventName = "X")`)
	f(`where a = 1`, `where (a = 1)`)
	f(`filter a = 1 or b = 2 and not c = 3`, `filter ((a = 1) or ((b = 2) and (not (c = 3))))`)
	f(`filter -2 ^ 2 = -4`, `filter ((-(2 ^ 2)) = (-4))`)
	f(`filter 2 ^ 3 ^ 2 = 512`, `filter ((2 ^ (3 ^ 2)) = 512)`)
	f(`filter 1 + 2 * 3 % 4 - 5 / 6 > 0`, `filter (((1 + ((2 * 3) % 4)) - (5 / 6)) > 0)`)
	f(`filter x not like "a" and y not in [1, "b", true, -2.5]`, `filter ((x not like "a") and (y not in [1, "b", true, -2.5]))`)
	f(`filter x =~ /a\/b|c/`, `filter (x =~ /a\/b|c/)`)
	f(`filter x like 'it\'s' # a comment | stats count(*)`, `filter (x like "it's")`)
	f("filter x = 1\n# whole line\n| limit 5", `filter (x = 1) | limit 5`)
	f("filter `foo-bar` = 1 and json.`user.id` = 2 and @`aws.tag` = 3", "filter (((`foo-bar` = 1) and (json.`user.id` = 2)) and (@`aws.tag` = 3))")
	f(`filter resources[0].ARN = "a" and items.0.id = "b"`, `filter ((resources[0].ARN = "a") and (items.0.id = "b"))`)
	f(`filter jsonParse(x).a.b[1] = 1`, `filter (jsonParse(x).a.b[1] = 1)`)
	f(`stats count(*) as n, avg (f1) by bin(5m), a`, `stats count(*) as n, avg(f1) by bin(5m), a`)
	f(`STATS SUM(x) BY BIN(1hrs)`, `stats SUM(x) by BIN(1hrs)`)
	f(`stats count(*) by a | sort count(*) desc | limit 3`, `stats count(*) by a | sort count(*) desc | limit 3`)
	f(`sort a, b desc, c asc`, `sort a asc, b desc, c asc`)
	f(`limit any 10`, `limit any 10`)
	f(`dedup a, b.c | limit 1`, `dedup a, b.c | limit 1`)
	f(`display a as `+"`x y`", "display a as `x y`")
	f(`{ $.eventName = "ConsoleLogin" && $.x != "a|b" } | stats count(*)`, `{ $.eventName = "ConsoleLogin" && $.x != "a|b" } | stats count(*)`)
	f(`filter x in arr`, `filter (x in arr)`)
	f(`filter 1e3 = 1000 and .5 < 1`, `filter ((1000 = 1000) and (0.5 < 1))`)
	f(`filter a = "\q\n"`, `filter (a = "\\q\n")`)
	f(`filter `+"`and`"+` = 1`, "filter (`and` = 1)")
	f(`fields datefloor(@timestamp, 1h) as h, dateceil(@timestamp, 1w)`, `fields datefloor(@timestamp, 1h) as h, dateceil(@timestamp, 1w)`)
}

func TestParse_ColumnNames(t *testing.T) {
	f := func(q string, want ...string) {
		t.Helper()
		p, err := insights.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		got := insights.NewEvaluator(p, insights.EvalOptions{}).Columns()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: columns %q, want %q", q, got, want)
		}
	}
	f(`filter a = 1`, "@timestamp", "@message")
	f(`stats avg (f1), count( * ) by bin( 5m ), x.y`, "bin(5m)", "x.y", "avg(f1)", "count(*)")
	f(`stats count(*) by a | stats COUNT(*) as n`, "n")
	f(`fields a | fields b, a`, "a", "b")
	f(`fields a | display b as c`, "c")
	f("fields `foo-bar`, concat(\"a b\", x)", "foo-bar", `concat("a b",x)`)
}

func TestParse_Failure(t *testing.T) {
	f := func(q string, pos int, token, msg string) {
		t.Helper()
		_, err := insights.Parse(q)
		var se *insights.SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Parse(%q) = %v, want a *SyntaxError", q, err)
		}
		if se.Pos != pos || (token != "" && se.Token != token) || !strings.Contains(se.Message(), msg) {
			t.Errorf("Parse(%q): pos %d token %s message %q; want pos %d token %s message containing %q",
				q, se.Pos, se.Token, se.Message(), pos, token, msg)
		}
		if se.Query != q {
			t.Errorf("Parse(%q): error carries query %q", q, se.Query)
		}
	}
	f(``, 0, "end of query", "expected a command")
	f(`   `, 3, "end of query", "expected a command")
	f(`| limit 1`, 0, "'|'", "expected a command")
	f(`limit 1 |`, 9, "end of query", "expected a command")
	f(`limit 1 || limit 2`, 9, "'|'", "expected a command")
	f(`fields a b`, 9, "'b'", "expected '|' or end of query")
	f(`frobnicate x`, 0, "'frobnicate'", "expected a command")
	f(`parse @message "* *" as a, b`, 0, "'parse'", "parse is not supported")
	f(`unnest x into y`, 0, "'unnest'", "unnest is not supported")
	f(`filter x = "abc`, 11, "", "unterminated string")
	f(`filter x like /abc`, 14, "", "unterminated regex")
	f(`filter x like /(a/`, 14, "", "invalid regex")
	f(`filter x like /(a)\1/`, 14, "", "invalid regex")
	f(`filter x like 5`, 14, "'5'", "expected a string or a /regex/")
	f(`filter x = 1 = 2`, 13, "'='", "comparisons do not chain")
	f(`filter (x = 1`, 13, "end of query", "expected ')'")
	f(`filter x in [1, y]`, 16, "'y'", "expected a literal")
	f(`filter x = [1]`, 11, "'['", "only after in")
	f(`filter x = /a/`, 11, "'/'", "expected an expression")
	f(`filter x ! 1`, 9, "'!'", "write != or not")
	f(`filter 5x = 1`, 7, "'5x'", "unknown period unit")
	f(`filter 1.5x = 1`, 7, "'1.5x'", "invalid number")
	f(`filter frob(x)`, 7, "'frob'", "unknown function")
	f(`filter strlen(a, b)`, 7, "'strlen'", "takes 1 arguments, not 2")
	f(`filter count(*) > 1`, 7, "'count'", "allowed only in stats items")
	f(`stats count(sum(x))`, 12, "'sum'", "cannot be nested")
	f(`stats x`, 6, "'x'", "outside an aggregate")
	f(`stats 1`, 6, "'1'", "must use an aggregate")
	f(`stats count(*) + x`, 17, "'x'", "outside an aggregate")
	f(`stats count(*) as n, count(*) as n`, 21, "'count'", "duplicate column name")
	f(`stats count(*) by a, a`, 21, "'a'", "duplicate column name")
	f(`stats count(*) by sum(x)`, 18, "'sum'", "allowed only in stats items")
	f(`fields bin(5m)`, 7, "'bin'", "only as a stats by key")
	f(`stats count(*) by bin(x)`, 22, "'x'", "takes a period")
	f(`fields datefloor(@timestamp, 5)`, 29, "'5'", "takes a period")
	f(`fields 5m`, 7, "'5m'", "allowed only as an argument")
	f(`fields 0m`, 7, "'0m'", "out of range")
	f(`fields sum(*)`, 7, "'sum'", "allowed only in stats")
	f(`stats sum(*)`, 10, "'*'", "only in count(*)")
	f(`stats pct(x, 150)`, 13, "'150'", "from 0 to 100")
	f(`filter isIpInSubnet(ip, "10.0.0.0/33")`, 24, "", "invalid CIDR")
	f(`stats count(*) by a | filter b = 1`, 29, "'b'", "unknown column")
	f(`stats count(*) by a | stats count(*) by a | sort b`, 49, "'b'", "unknown column")
	f(`stats count(*) by a | { $.x = 1 }`, 22, "'{'", "must come before stats")
	f(`stats count(*) by a | limit 1 | stats count(*)`, 22, "'limit'", "limit must follow the second one")
	f(`dedup a | sort a`, 10, "'sort'", "only limit may follow dedup")
	f(`limit 0`, 6, "'0'", "a positive whole number")
	f(`limit x`, 6, "'x'", "a positive whole number")
	f(`{ $.x = }`, 8, "'}'", "in filter pattern")
	f(`{ $.x = 1`, 0, "'{'", "unterminated filter pattern")
	f(`fields a as`, 11, "end of query", "a name after as")
	f(`filter x = 1 and`, 16, "end of query", "expected an expression")
	f("filter `abc = 1", 7, "", "unterminated backtick")
	f("filter x = \"\xff\"", 12, "byte 0xff", "invalid UTF-8")
	f(strings.Repeat("filter ", 1)+strings.Repeat("(", 300)+"1"+strings.Repeat(")", 300), 207, "", "nested too deeply")
	f("filter a = 1\n  and b =\n| limit 1", 23, "'|'", "expected an expression")
}

func TestParse_Valid(t *testing.T) {
	for _, q := range []string{
		`stats count(*) as n, n + 1 as m`,
		`stats count(*) as n, 100 * sum(x) / count(*) as pct by a`,
		`stats count(*) as n by a | filter n > 1 | sort n desc | fields n * 2 as d | display a, d`,
		`stats count(*) by bin(1h) | sort ` + "`bin(1h)`" + ` desc`,
		`stats max(@timestamp) as @t by a | stats count(*) by dateceil(@t, 10m)`,
		`sort eventName | dedup eventName | limit 1`,
		`stats count(*) by a | stats count(*) by a | sort a | limit 1`,
		`filter @message like /"eventName":"ConsoleLogin"/`,
		`stats sortsFirst(a), sortsLast(a), stddev(b), pct(b, 95), count_distinct(c), count()`,
	} {
		roundTrip(t, q)
	}
}

func TestParse_Warnings(t *testing.T) {
	p, err := insights.Parse(`stats count(*) by bin(300s)`)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || p.Warnings[0].Pos != 22 || !strings.Contains(p.Warnings[0].Msg, "300s") {
		t.Errorf("warnings %v, want one at offset 22 about 300s", p.Warnings)
	}
	if p, _ := insights.Parse(`stats count(*) by bin(60s)`); len(p.Warnings) != 0 {
		t.Errorf("bin(60s): warnings %v, want none", p.Warnings)
	}
}

func TestSyntaxError_Caret(t *testing.T) {
	q := "filter eventName = \"a\"\n  | filter eventName like /x/i"
	_, err := insights.Parse(q)
	var se *insights.SyntaxError
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	want := "  | filter eventName like /x/i\n" +
		"                             ^ regex flags after the closing '/' are not supported; write (?i) at the start of the regex"
	if got := se.Caret(); got != want {
		t.Errorf("Caret:\n%s\nwant:\n%s", got, want)
	}
	if got := se.Error(); !strings.HasPrefix(got, "invalid query at line 2, column 30: regex flags") {
		t.Errorf("Error() = %q", got)
	}
	_, err = insights.Parse(`stats count(*) by x | filter y > 1`)
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	if got := se.Caret(); !strings.HasPrefix(got, "stats count(*) by x | filter y > 1\n                             ^ unknown column \"y\"") {
		t.Errorf("Caret:\n%s", got)
	}
}

func TestSyntaxError_PatternCause(t *testing.T) {
	_, err := insights.Parse(`filter a = 1 | { $.eventName = }`)
	var qe *query.SyntaxError
	if !errors.As(err, &qe) {
		t.Fatalf("%v does not wrap the pattern's *query.SyntaxError", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`stats count(*) by eventSource, eventName, awsRegion`,
		`filter (eventName="StartInstances" or eventName="StopInstances") and awsRegion="us-east-2"`,
		`filter tlsDetails.tlsVersion in [ "TLSv1", "TLSv1.1" ] | stats count(*) as n by a | sort a`,
		`filter x like /(?i)a\/b/ | fields jsonParse(y).z[0] as q | sort q desc | limit 3`,
		`{ $.a = "b" || $.c = %d+% } | dedup a | limit 1`,
		"fields `a.b`, @`x` # c\n| display 1e3, -2^2",
		`stats count(*) by bin(5m) | stats max(` + "`count(*)`" + `)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := insights.Parse(s)
		if err != nil {
			var se *insights.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v is not a *SyntaxError", s, err, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q): position %d outside the query", s, se.Pos)
			}
			_ = se.Caret()
			return
		}
		printed := p.String()
		p2, err := insights.Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", s, printed, err)
		}
		if p2.String() != printed {
			t.Fatalf("round trip of %q: %q then %q", s, printed, p2.String())
		}
	})
}
