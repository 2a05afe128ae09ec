package query

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func translate(t *testing.T, pattern string, opts SQLOptions) (string, error) {
	t.Helper()
	p, err := Parse(pattern, ParseOptions{})
	if err != nil {
		t.Fatalf("parse %q: %v", pattern, err)
	}
	return p.SQL(opts)
}

func TestPattern_SQL_Success(t *testing.T) {
	type tc struct{ pattern, athena, trino, duckdb string }
	cases := []tc{
		{`{ $.eventName = "ConsoleLogin" }`,
			`"eventName" = 'ConsoleLogin'`, `"eventName" = 'ConsoleLogin'`, `"eventName" = 'ConsoleLogin'`},
		{`{ $.errorCode = "Access_50%*" }`,
			`"errorCode" LIKE 'Access\_50\%%' ESCAPE '\'`, `"errorCode" LIKE 'Access\_50\%%' ESCAPE '\'`, `"errorCode" LIKE 'Access\_50\%%' ESCAPE '\'`},
		{`{ $.errorCode = "*it's\\*" }`,
			`"errorCode" LIKE '%it''s\\%' ESCAPE '\'`, `"errorCode" LIKE '%it''s\\%' ESCAPE '\'`, `"errorCode" LIKE '%it''s\\%' ESCAPE '\'`},
		{`{ $.eventType != "AwsServiceEvent" }`,
			`NOT ("eventType" = 'AwsServiceEvent')`, `NOT ("eventType" = 'AwsServiceEvent')`, `NOT ("eventType" = 'AwsServiceEvent')`},
		{`{ $.userIdentity.invokedBy NOT EXISTS }`,
			`"userIdentity"."invokedBy" IS NULL AND NOT coalesce(contains("ctqNulls", 'userIdentity.invokedBy'), FALSE)`,
			`"userIdentity"."invokedBy" IS NULL AND NOT coalesce(contains("ctqNulls", 'userIdentity.invokedBy'), FALSE)`,
			`"userIdentity"."invokedBy" IS NULL AND NOT coalesce(list_contains("ctqNulls", 'userIdentity.invokedBy'), FALSE)`},
		{`{ $.responseElements IS NULL }`,
			`contains("ctqNulls", 'responseElements')`, `contains("ctqNulls", 'responseElements')`, `list_contains("ctqNulls", 'responseElements')`},
		{`{ $.readOnly IS TRUE || $.eventName = * }`,
			`("readOnly" = true) OR ("eventName" IS NOT NULL)`, `("readOnly" = true) OR ("eventName" IS NOT NULL)`, `("readOnly" = true) OR ("eventName" IS NOT NULL)`},
		{`{ $.readOnly = "t*" }`,
			`CAST("readOnly" AS VARCHAR) LIKE 't%' ESCAPE '\'`, `CAST("readOnly" AS VARCHAR) LIKE 't%' ESCAPE '\'`, `CAST("readOnly" AS VARCHAR) LIKE 't%' ESCAPE '\'`},
		{`{ $.eventName > 3 || $.eventName != * || $.userIdentity.type IS FALSE }`,
			`FALSE OR FALSE OR FALSE`, `FALSE OR FALSE OR FALSE`, `FALSE OR FALSE OR FALSE`},
		{`{ $.userAgent = %^aws-cli/2\.1[^5]$% }`,
			`regexp_like("userAgent", '(?s)\Aaws\-cli\/2\.1[^5]\z')`, `regexp_like("userAgent", '(?s)\Aaws\-cli\/2\.1[^5]\z')`,
			`regexp_matches("userAgent", '(?s)^aws\-cli\/2\.1[^5]$')`},
		{`{ $.eventTime = "2024-03-01T*" }`,
			`date_format("eventTime", '%Y-%m-%dT%H:%i:%sZ') LIKE '2024-03-01T%' ESCAPE '\'`,
			`date_format("eventTime", '%Y-%m-%dT%H:%i:%sZ') LIKE '2024-03-01T%' ESCAPE '\'`,
			`strftime(make_timestamp(epoch_us("eventTime")), '%Y-%m-%dT%H:%M:%SZ') LIKE '2024-03-01T%' ESCAPE '\'`},
		{`{ $.requestParameters.bucketName = "b" }`,
			`json_extract_scalar("requestParameters", '$.bucketName') IS NOT NULL AND ("requestParameters" IS NOT NULL AND json_extract_scalar("requestParameters", '$.bucketName') = 'b')`,
			"", ""},
		{`{ $.requestParameters.maxResults >= 10 }`,
			`regexp_like(json_format(json_extract("requestParameters", '$.maxResults')), '^-?[0-9]') AND TRY_CAST(json_extract_scalar("requestParameters", '$.maxResults') AS DOUBLE) >= 1e+01`,
			"",
			`json_type("requestParameters", '$.maxResults') IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') AND TRY_CAST(json_extract_string("requestParameters", '$.maxResults') AS DOUBLE) >= 1e+01`},
		{`{ $.requestParameters['a.b'][2] IS NULL }`,
			`json_format(json_extract("requestParameters", '$["a.b"][2]')) = 'null'`, "",
			`json_type("requestParameters", '$."a.b"[2]') = 'NULL'`},
		{`{ $.futureField NOT EXISTS }`,
			`json_extract("ctqExtra", '$.futureField') IS NULL`, "", `json_type("ctqExtra", '$.futureField') IS NULL`},
		{`{ $.resources[*].ARN NOT EXISTS }`,
			`NOT coalesce(any_match(TRY_CAST(json_extract("ctqRaw", '$.resources') AS ARRAY(JSON)), x -> NOT (json_extract(x, '$.ARN') IS NULL)), FALSE)`, "",
			`NOT (coalesce(len(list_filter(json_extract("ctqRaw", '$.resources[*]'), x -> NOT (json_type(x, '$.ARN') IS NULL))), 0) > 0)`},
		{`{ $.requestParameters.* NOT EXISTS }`,
			`coalesce(cardinality(map_values(TRY_CAST(json_extract("requestParameters", '$') AS MAP(VARCHAR, JSON)))), 0) = 0`, "",
			`coalesce(len(json_extract("requestParameters", '$.*')), 0) = 0`},
		{`AccessDenied -"it's" ?ignored`,
			`(strpos("ctqRaw", 'AccessDenied') > 0) AND (NOT (strpos("ctqRaw", 'it''s') > 0))`, "",
			`contains("ctqRaw", 'AccessDenied') AND (NOT contains("ctqRaw", 'it''s'))`},
		{`?ConsoleLogin ?%Assume[A-Z]%`,
			`(strpos("ctqRaw", 'ConsoleLogin') > 0) OR regexp_like("ctqRaw", '(?s)Assume[A-Z]')`, "",
			`contains("ctqRaw", 'ConsoleLogin') OR regexp_matches("ctqRaw", '(?s)Assume[A-Z]')`},
		{``, `TRUE`, `TRUE`, `TRUE`},
	}
	// The JSON-column case above is spelled for Athena only where the
	// dialects differ; fix its expected text.
	cases[11].athena = `json_extract_scalar("requestParameters", '$.bucketName') IS NOT NULL AND (json_extract_scalar("requestParameters", '$.bucketName') = 'b')`
	cases[11].duckdb = `json_type("requestParameters", '$.bucketName') NOT IN ('NULL', 'OBJECT', 'ARRAY') AND (json_extract_string("requestParameters", '$.bucketName') = 'b')`
	for _, c := range cases {
		for _, d := range []struct {
			dialect SQLDialect
			want    string
		}{{DialectAthena, c.athena}, {DialectTrino, c.trino}, {DialectDuckDB, c.duckdb}} {
			want := d.want
			if want == "" && d.dialect == DialectTrino {
				want = c.athena // Athena runs Trino's SQL
			}
			if want == "" {
				continue
			}
			got, err := translate(t, c.pattern, SQLOptions{Dialect: d.dialect, TypedOnly: true})
			if err != nil {
				t.Errorf("%s %q: %v", d.dialect, c.pattern, err)
				continue
			}
			if got != want {
				t.Errorf("%s %q:\n got %s\nwant %s", d.dialect, c.pattern, got, want)
			}
		}
	}
}

// Numbers compare numerically with JSON numbers and by text otherwise.
func TestPattern_SQL_Numbers(t *testing.T) {
	got, err := translate(t, `{ $.requestParameters.n = 400 }`, SQLOptions{Dialect: DialectDuckDB})
	if err != nil {
		t.Fatal(err)
	}
	want := `CASE WHEN json_type("requestParameters", '$.n') IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN TRY_CAST(json_extract_string("requestParameters", '$.n') AS DOUBLE) = 4e+02 ELSE json_extract_string("requestParameters", '$.n') = '400' END`
	if !strings.Contains(got, want) {
		t.Errorf("got %s\nwant it to contain %s", got, want)
	}
	got, _ = translate(t, `{ $.eventName = 400 }`, SQLOptions{Dialect: DialectTrino, TypedOnly: true})
	if got != `"eventName" = '400'` {
		t.Errorf("typed string = number: got %s", got)
	}
	if got := numberSQL(math.Inf(1)); got != `CAST('Infinity' AS DOUBLE)` {
		t.Errorf("infinite literal: got %s", got)
	}
}

// Inexact rows are evaluated from ctqRaw unless TypedOnly; patterns that
// read only ctqRaw need no split.
func TestPattern_SQL_InexactRows(t *testing.T) {
	got, err := translate(t, `{ $.eventName = "A" }`, SQLOptions{Dialect: DialectDuckDB})
	if err != nil {
		t.Fatal(err)
	}
	want := `("ctqExact" AND ("eventName" = 'A')) OR (NOT "ctqExact" AND (json_type("ctqRaw", '$.eventName') NOT IN ('NULL', 'OBJECT', 'ARRAY') AND (json_extract_string("ctqRaw", '$.eventName') = 'A')))`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, p := range []string{`"AccessDenied"`, `{ $.resources[0].ARN = "x" }`, `{ $.userIdentity = * }`} {
		got, err := translate(t, p, SQLOptions{Dialect: DialectAthena})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, "ctqExact") {
			t.Errorf("%s reads only ctqRaw, yet the clause splits on ctqExact: %s", p, got)
		}
	}
	got, _ = translate(t, `{ $.eventName = "A" }`, SQLOptions{Dialect: DialectTrino, FromRaw: true})
	if strings.Contains(got, `"eventName"`) || !strings.Contains(got, `json_extract_scalar("ctqRaw", '$.eventName')`) {
		t.Errorf("FromRaw reads a typed column: %s", got)
	}
}

func TestPattern_SQL_Failure(t *testing.T) {
	p := `{ $.eventName = "x" || $.requestParameters['say "hi"'] = 1 }`
	_, err := translate(t, p, SQLOptions{Dialect: DialectAthena})
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v; want a *SyntaxError", err)
	}
	if se.Pos != strings.Index(p, "$.requestParameters") || !strings.Contains(se.Msg, `member name "say \"hi\""`) {
		t.Errorf("error at %d: %s; want it at the comparison, naming the member", se.Pos, se.Msg)
	}
	if _, err := translate(t, `{ $.a = 1 }`, SQLOptions{}); err == nil {
		t.Error("no dialect: no error")
	}
}

func TestParseSQLDialect(t *testing.T) {
	for s, want := range map[string]SQLDialect{"athena": DialectAthena, "Trino": DialectTrino, "DUCKDB": DialectDuckDB} {
		if got, err := ParseSQLDialect(s); err != nil || got != want {
			t.Errorf("ParseSQLDialect(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSQLDialect("spark"); err == nil {
		t.Error("ParseSQLDialect(spark): no error")
	}
}

func TestJavaAnchors(t *testing.T) {
	for in, want := range map[string]string{
		`(?s)^a$`:       `(?s)\Aa\z`,
		`(?s)[^$^]\^\$`: `(?s)[^$^]\^\$`,
		`(?s)a|^b`:      `(?s)a|\Ab`,
		`(?s)[\]^]x$`:   `(?s)[\]^]x\z`,
		`(?s)\\^`:       `(?s)\\\A`,
	} {
		if got := javaAnchors(in); got != want {
			t.Errorf("javaAnchors(%s) = %s; want %s", in, got, want)
		}
	}
}
