package main

import (
	"strings"
	"testing"
)

// translate decides between a pattern and a query as its help says, and
// --language overrides it.
func TestTranslate_PatternOrQuery(t *testing.T) {
	for _, c := range []struct {
		args              []string
		code              int
		out, notIn, errIn string
	}{
		{[]string{"eventName=ConsoleLogin", "--engine", "duckdb", "--typed-only"}, exitOK, `"eventName" = 'ConsoleLogin'`, "SELECT", ""},
		{[]string{`{ $.eventName = "x" }`, "--engine", "trino", "--typed-only"}, exitOK, `"eventName" = 'x'`, "SELECT", ""},
		{[]string{"sort=asc", "--engine", "duckdb"}, exitUsage, "", "", "malformed pattern"}, // shorthand, with an unknown field
		{[]string{"stats count(*) by eventName", "--engine", "duckdb"}, exitOK, `SELECT "eventName" AS "eventName", "count(*)" AS "count(*)" FROM (SELECT "eventName" AS "eventName", count(*) AS "count(*)" FROM "cloudtrail" GROUP BY "eventName")`, "", ""},
		{[]string{`{ $.errorCode = "AccessDenied" } | stats count(*) as n`, "--engine", "athena", "--table", "Security.CT", "--typed-only"}, exitOK, `SELECT "n" AS "n" FROM (SELECT count(*) AS "n" FROM "security"."ct" WHERE "errorCode" = 'AccessDenied')`, "", ""},
		{[]string{"FILTER eventName = 'x'", "--engine", "duckdb"}, exitOK, `FROM "cloudtrail" WHERE "eventName" = 'x' ORDER BY`, "", ""},
		{[]string{"filter", "--engine", "duckdb", "--language", "insights"}, exitUsage, "", "", "malformed query"},
		{[]string{"stats count(*)", "--engine", "duckdb", "--language", "pattern"}, exitOK, `contains("ctqRaw", 'stats')`, "SELECT", ""},
		{[]string{"eventName=x", "--engine", "trino", "--typed-only", "--since", "2024-03-01", "--accounts", "111122223333"}, exitOK,
			`"account" IN ('111122223333') AND "day" >= '2024-03-01' AND "eventTime" >= TIMESTAMP '2024-03-01 00:00:00.000000' AND ("eventName" = 'x')`, "", ""},
		{[]string{"stats count(*)", "--engine", "duckdb", "--until", "2024-03-02T12:00:00Z"}, exitOK,
			`WHERE "day" <= '2024-03-02' AND epoch_us("eventTime") < 1709380800000000`, "", ""},
		{[]string{"stats count(*)", "--engine", "duckdb", "--regions", "moon-1"}, exitUsage, "", "", "--regions"},
		{[]string{"x", "--engine", "duckdb", "--language", "sql"}, exitUsage, "", "", "--language"},
		{[]string{"stats count(*)", "--engine", "duckdb", "--table", "a.b.c.d"}, exitUsage, "", "", "--table"},
	} {
		code, out, stderr := inProcess(t, append([]string{"translate"}, c.args...)...)
		if code != c.code || !strings.Contains(out, c.out) || (c.notIn != "" && strings.Contains(out, c.notIn)) || !strings.Contains(stderr, c.errIn) {
			t.Errorf("translate %q: exit %d (want %d)\n%s%s", c.args, code, c.code, out, stderr)
		}
	}
}

// A query with parts SQL cannot reproduce names each of them with a caret
// and exits 2.
func TestTranslate_Untranslatable(t *testing.T) {
	q := `stats min(requestParameters.bucketName) as first, count(*) by bin(1h) | filter first like "Get" | display first, jsonParse("{}") as j`
	code, out, stderr := inProcess(t, "translate", q, "--engine", "duckdb")
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"cannot translate the query to duckdb SQL", "min of a JSON value", "jsonParse"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(stderr, "^"); n != 2 {
		t.Errorf("%d carets, want 2:\n%s", n, stderr)
	}
}
