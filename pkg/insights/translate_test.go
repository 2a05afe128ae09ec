package insights_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/insights"
	"github.com/ctq-dev/ctq/pkg/query"
)

var dialects = []query.SQLDialect{query.DialectAthena, query.DialectTrino, query.DialectDuckDB}

func translateText(t *testing.T, src string, d query.SQLDialect) (string, error) {
	t.Helper()
	q, err := insights.Parse(src)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	return insights.Translate(q, insights.TranslateOptions{Dialect: d})
}

// Whole statements, per dialect (Trino as Athena where not given).
func TestTranslate_Statements(t *testing.T) {
	cases := []struct{ query, athena, trino, duckdb string }{
		{`stats count(*) as n by readOnly`,
			`SELECT "readOnly" AS "readOnly", "n" AS "n" FROM (SELECT "readOnly" AS "readOnly", count(*) AS "n" FROM "cloudtrail" GROUP BY "readOnly") AS t1 ORDER BY "readOnly" ASC NULLS LAST`,
			"", ""},
		{`filter readOnly = 0 and eventName in ["A", "B"] | stats count(*) as n`,
			`SELECT "n" AS "n" FROM (SELECT count(*) AS "n" FROM "cloudtrail" WHERE ("readOnly" = false) AND ("eventName" IN ('A', 'B'))) AS t1`,
			"", ""},
		{`filter eventName like "Get" and errorCode != "x" | fields errorCode as code | limit 2`,
			`SELECT "errorCode" AS "code" FROM (SELECT * FROM "cloudtrail" WHERE (strpos("eventName", 'Get') > 0) AND (NOT coalesce("errorCode" = 'x', FALSE)) ORDER BY date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', "eventTime") DESC NULLS LAST, "eventTime" ASC NULLS FIRST, "eventID" ASC NULLS FIRST LIMIT 2) AS t1 ORDER BY date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', "eventTime") DESC NULLS LAST, "eventTime" ASC NULLS FIRST, "eventID" ASC NULLS FIRST`,
			"",
			`SELECT "errorCode" AS "code" FROM (SELECT * FROM "cloudtrail" WHERE contains("eventName", 'Get') AND (NOT coalesce("errorCode" = 'x', FALSE)) ORDER BY epoch_ms("eventTime") DESC NULLS LAST, "eventTime" ASC NULLS FIRST, "eventID" ASC NULLS FIRST LIMIT 2) AS t1 ORDER BY epoch_ms("eventTime") DESC NULLS LAST, "eventTime" ASC NULLS FIRST, "eventID" ASC NULLS FIRST`},
		{`stats count(*) as n by bin(5m) as w`,
			`SELECT date_add('millisecond', "w", TIMESTAMP '1970-01-01 00:00:00.000') AS "w", "n" AS "n" FROM (SELECT (date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', "eventTime") - ((date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', "eventTime") % 300000) + 300000) % 300000) AS "w", count(*) AS "n" FROM "cloudtrail" GROUP BY (date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', "eventTime") - ((date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', "eventTime") % 300000) + 300000) % 300000)) AS t1 ORDER BY "w" ASC NULLS LAST`,
			"",
			`SELECT epoch_ms("w") AS "w", "n" AS "n" FROM (SELECT (epoch_ms("eventTime") - ((epoch_ms("eventTime") % 300000) + 300000) % 300000) AS "w", count(*) AS "n" FROM "cloudtrail" GROUP BY (epoch_ms("eventTime") - ((epoch_ms("eventTime") % 300000) + 300000) % 300000)) AS t1 ORDER BY "w" ASC NULLS LAST`},
	}
	for _, c := range cases {
		for _, d := range dialects {
			want := map[query.SQLDialect]string{query.DialectAthena: c.athena, query.DialectTrino: c.trino, query.DialectDuckDB: c.duckdb}[d]
			if want == "" && d != query.DialectDuckDB {
				want = c.athena
			}
			if want == "" {
				continue
			}
			got, err := translateText(t, c.query, d)
			if err != nil {
				t.Errorf("%s %q: %v", d, c.query, err)
				continue
			}
			if got != want {
				t.Errorf("%s %q:\n got %s\nwant %s", d, c.query, got, want)
			}
		}
	}
}

// Pieces of the translation: each query's statement holds the fragments.
func TestTranslate_Fragments(t *testing.T) {
	cases := []struct {
		query   string
		dialect query.SQLDialect
		want    []string
	}{
		// { … } stages go through the pattern translation, inexact rows included.
		{`{ $.eventName = "ConsoleLogin" } | stats count(*)`, query.DialectDuckDB,
			[]string{`WHERE ("ctqExact" AND ("eventName" = 'ConsoleLogin')) OR (NOT "ctqExact"`}},
		// A number literal against a string column: numerically when the text is a decimal.
		{`filter userIdentity.accountId = 111122223333`, query.DialectDuckDB,
			[]string{`CASE WHEN regexp_full_match("userIdentity"."accountId", '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?') THEN TRY_CAST("userIdentity"."accountId" AS DOUBLE) = 1.11122223333e+11 ELSE`}},
		// Inside JSON text, per kind.
		{`filter requestParameters.maxResults > 10`, query.DialectDuckDB,
			[]string{`WHEN json_type("requestParameters", '$.maxResults') IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN TRY_CAST(json_extract_string("requestParameters", '$.maxResults') AS DOUBLE) > 1e+01`}},
		{`filter requestParameters.maxResults > 10`, query.DialectTrino,
			[]string{`WHEN regexp_like(json_format(json_extract("requestParameters", '$.maxResults')), '^-?[0-9]') THEN TRY_CAST(json_extract_scalar("requestParameters", '$.maxResults') AS DOUBLE) > 1e+01`}},
		// A missing operand: != true, like false.
		{`filter errorCode != "A" and errorMessage not like "x"`, query.DialectAthena,
			[]string{`NOT coalesce("errorCode" = 'A', FALSE)`, `NOT coalesce(strpos("errorMessage", 'x') > 0, FALSE)`}},
		{`filter eventName =~ /^Get/`, query.DialectTrino, []string{`regexp_like("eventName", '\AGet')`}},
		{`filter eventName =~ /^Get/`, query.DialectDuckDB, []string{`regexp_matches("eventName", '^Get')`}},
		{`filter isIpInSubnet(sourceIPAddress, "10.1.0.0/16")`, query.DialectDuckDB,
			[]string{`BETWEEN 167837696 AND 167903231`}},
		{`filter isIpInSubnet(sourceIPAddress, "2001:db8::/32")`, query.DialectAthena,
			[]string{`contains('2001:db8::/32', CAST("sourceIPAddress" AS IPADDRESS))`}},
		{`stats pct(strlen(eventName), 90) as p, earliest(sourceIPAddress) as e, count_distinct(eventName) as d`, query.DialectDuckDB,
			[]string{`list_sort(list_filter(list(length("eventName")), x -> x IS NOT NULL))[CAST(greatest(least(ceil(9e-01 * count(length("eventName"))), count(length("eventName"))), 1) AS BIGINT)]`,
				`arg_min("sourceIPAddress", CASE WHEN "sourceIPAddress" IS NOT NULL AND "eventTime" IS NOT NULL THEN coalesce(lpad(CAST(epoch_us("eventTime") AS VARCHAR), 20, '0'), '') || coalesce("eventID", '') END)`,
				`count(DISTINCT "eventName")`}},
		{`stats pct(strlen(eventName), 90) as p, latest(sourceIPAddress) as e`, query.DialectAthena,
			[]string{`element_at(array_sort(filter(array_agg(length("eventName")), x -> x IS NOT NULL)),`, `max_by("sourceIPAddress", CASE WHEN`}},
		// A second stats groups the first; a key inside JSON text keeps its kind.
		{`stats count(*) as n by requestParameters.bucketName | stats sum(n) as total by ` + "`requestParameters.bucketName`" + ``, query.DialectDuckDB,
			[]string{`AS "ctq_kind_1_0"`, `GROUP BY json_extract_string("requestParameters", '$.bucketName'), CASE WHEN`, `sum("n") AS "total"`}},
		{`sort @timestamp desc | dedup eventName`, query.DialectDuckDB,
			[]string{`row_number() OVER (PARTITION BY "eventName" ORDER BY epoch_ms("eventTime") DESC NULLS LAST, "eventTime" ASC NULLS FIRST, "eventID" ASC NULLS FIRST) AS "ctq_rn"`, `WHERE "ctq_rn" = 1 OR NOT ("eventName" IS NOT NULL)`}},
		{`stats count(*) by bin(1mo)`, query.DialectDuckDB, []string{`to_months(CAST(`}},
		{`stats count(*) by bin(1w)`, query.DialectDuckDB, []string{`- 345600000) % 604800000) + 604800000) % 604800000)`}},
		{`fields trim(eventName, "xy") as a`, query.DialectTrino, []string{`regexp_replace("eventName", '\A[\x{78}\x{79}]+|[\x{78}\x{79}]+\z', '')`}},
		{`filter eventName > "Get2" and "10" > sourceIPAddress`, query.DialectTrino,
			[]string{`ELSE transform(regexp_extract_all("eventName", '[0-9]+|[^0-9]+'), ctq_c -> IF(regexp_like(ctq_c, '^[0-9]'), '0' || lpad(CAST(length(ctq_c) AS VARCHAR), 10, '0') || ctq_c, ctq_c)) > CAST(ARRAY['Get', '000000000012'] AS ARRAY(VARCHAR)) END`,
				`CASE WHEN regexp_like("sourceIPAddress", '\A(?:[0-9]+)\z') THEN TRY_CAST("sourceIPAddress" AS DOUBLE) < 1e+01 OR (TRY_CAST("sourceIPAddress" AS DOUBLE) = 1e+01 AND "sourceIPAddress" < '10') ELSE TRUE END`}},
		{`stats min(eventName) as a, sortsLast(userAgent) as b`, query.DialectTrino,
			[]string{`CASE WHEN bool_and(regexp_like("eventName", '\A(?:[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)\z')) THEN min_by("eventName", CASE WHEN "eventName" IS NOT NULL THEN ROW(TRY_CAST("eventName" AS DOUBLE), coalesce(`,
				`max_by("userAgent", CASE WHEN "userAgent" IS NOT NULL THEN ROW(regexp_like("userAgent", '\A(?:[0-9]+)\z'), `}},
		{`fields 7 % 2 as a`, query.DialectTrino, []string{`truncate(CAST(7e+00 AS DOUBLE) / 2e+00)`}},
		{`fields isempty(strlen(eventName) + 1) as a, isblank(@timestamp) as b`, query.DialectDuckDB,
			[]string{`CASE WHEN (length("eventName") + 1e+00) IS NOT NULL THEN 0 ELSE 1 END`, `CASE WHEN epoch_ms("eventTime") IS NOT NULL THEN 0 ELSE 1 END`}},
	}
	for _, c := range cases {
		got, err := translateText(t, c.query, c.dialect)
		if err != nil {
			t.Errorf("%s %q: %v", c.dialect, c.query, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %q:\n got %s\nwant it to contain %s", c.dialect, c.query, got, w)
			}
		}
	}
}

// Athena and Trino statements use none of DuckDB's function names, and
// the reverse; AWS's samples and every recipe translate for every dialect.
func TestTranslate_DialectVocabulary(t *testing.T) {
	duckOnly := regexp.MustCompile(`\b(list_\w+|regexp_matches|regexp_full_match|epoch_ms|epoch_us|arg_min|arg_max|json_type|json_extract_string|trunc|contains\("|to_months)\(`)
	trinoOnly := regexp.MustCompile(`\b(transform|element_at|array_agg|min_by|max_by|json_extract_scalar|json_format|date_diff|date_add|truncate|strpos)\(`)
	for _, src := range append(append([]string{}, awsSamples...), recipes...) {
		for _, d := range dialects {
			got, err := translateText(t, src, d)
			if err != nil {
				t.Errorf("%s %q: %v", d, src, err)
				continue
			}
			bad := duckOnly
			if d == query.DialectDuckDB {
				bad = trinoOnly
			}
			if m := bad.FindString(got); m != "" {
				t.Errorf("%s %q uses %s:\n%s", d, src, m, got)
			}
		}
	}
}

// What has no faithful translation is an error naming each part.
func TestTranslate_Untranslatable(t *testing.T) {
	cases := []struct {
		query   string
		dialect query.SQLDialect
		parts   []string // the text at each part's position, in order
		msg     string
	}{
		{`stats min(requestParameters.bucketName) as m`, query.DialectAthena, []string{"min"}, "min of a JSON value"},
		{`stats count(*) as n by userAgent | stats sortsFirst(userAgent)`, query.DialectDuckDB, []string{"sortsFirst"}, "after stats"},
		{`filter eventName > errorCode`, query.DialectDuckDB, []string{">"}, "ordering two texts"},
		{`fields jsonParse(requestParameters.policyDocument).Version as v`, query.DialectDuckDB, []string{"jsonParse"}, "no SQL equivalent"},
		{`fields jsonStringify(requestParameters) as v`, query.DialectAthena, []string{"jsonStringify"}, "has no SQL translation"},
		{`filter isIpInSubnet(sourceIPAddress, "2001:db8::/32")`, query.DialectDuckDB, []string{"isIpInSubnet"}, "IPv6"},
		{`fields substr(eventName, strlen(eventName)) as s, replace(eventName, "", "x") as r`, query.DialectDuckDB, []string{"strlen", `""`}, "substr"},
		{`fields concat(requestParameters.bucketName, "/") as p`, query.DialectTrino, []string{"requestParameters.bucketName"}, "concat"},
		{`fields datefloor(eventTime, 1h) as h, eventName in requestParameters.names as i`, query.DialectDuckDB, []string{"eventTime", "requestParameters.names"}, "timestamps"},
	}
	for _, c := range cases {
		_, err := translateText(t, c.query, c.dialect)
		var te *insights.TranslateError
		if !errors.As(err, &te) {
			t.Errorf("%s %q: got %v, want a *TranslateError", c.dialect, c.query, err)
			continue
		}
		if len(te.Parts) != len(c.parts) {
			t.Errorf("%q: %d parts, want %d: %v", c.query, len(te.Parts), len(c.parts), err)
			continue
		}
		for i, p := range te.Parts {
			if !strings.HasPrefix(c.query[p.Pos:], c.parts[i]) {
				t.Errorf("%q: part %d at %q, want %q", c.query, i, c.query[p.Pos:], c.parts[i])
			}
		}
		if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "cannot translate the query to "+c.dialect.String()+" SQL") {
			t.Errorf("%q: message %q lacks %q", c.query, err, c.msg)
		}
		if n := strings.Count(te.Caret(), "^"); n != len(c.parts) {
			t.Errorf("%q: %d carets, want %d:\n%s", c.query, n, len(c.parts), te.Caret())
		}
	}
	// Columns are written out where they are used: a doubling chain stops
	// with an error instead of growing without bound.
	chain := "fields strlen(eventName) as x"
	for range 30 {
		chain += " | fields x + x as x"
	}
	if _, err := translateText(t, chain, query.DialectDuckDB); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("doubling chain: %v", err)
	}
	if _, err := insights.Translate(&insights.Query{}, insights.TranslateOptions{}); err == nil {
		t.Error("no dialect: no error")
	}
}

func TestLooksLikeQuery(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"stats count(*) by eventName", true},
		{"  # a comment\nFILTER eventName = 'x'", true},
		{"filter(eventName = 'x')", true},
		{"parse @message 'x*' as y", true},
		{`{ $.eventName = "x" } | stats count(*)`, true},
		{`{ $.eventName = "x" }`, false},
		{"eventName=ConsoleLogin", false},
		{"sort=asc", false},
		{"filter", false},
		{"AccessDenied", false},
		{"a|b", false},
		{"%AccessDenied|Unauthorized%", false},
		{"filters eventName", false},
	} {
		if got := insights.LooksLikeQuery(c.text); got != c.want {
			t.Errorf("LooksLikeQuery(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// Any query that parses translates for every dialect or fails with a
// *TranslateError whose parts lie inside the query; a statement is never
// returned together with an error, and parts are never empty.
func FuzzTranslate(f *testing.F) {
	for _, s := range append(append([]string{}, awsSamples...), recipes...) {
		f.Add(s)
	}
	f.Add(`stats min(eventName) as m, pct(x, 50) by bin(1q) | filter m > "b" | sort m | limit 3`)
	f.Add("fields substr(a, 1, 2) as s, trim(b, \"x\") as t, jsonParse(c).d as e | dedup s, t")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := insights.Parse(s)
		if err != nil {
			return
		}
		for _, d := range dialects {
			stmt, err := insights.Translate(q, insights.TranslateOptions{Dialect: d})
			if err == nil {
				if !strings.HasPrefix(stmt, "SELECT ") {
					t.Fatalf("%s %q: statement %q", d, s, stmt)
				}
				continue
			}
			var te *insights.TranslateError
			if !errors.As(err, &te) || stmt != "" || len(te.Parts) == 0 {
				t.Fatalf("%s %q: %q, %v", d, s, stmt, err)
			}
			for _, p := range te.Parts {
				if p.Pos < 0 || p.Pos > len(s) || p.Msg == "" {
					t.Fatalf("%s %q: part %+v", d, s, p)
				}
			}
			_ = te.Caret()
		}
	})
}
