package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/insights"
	"github.com/ctq-dev/ctq/pkg/interop"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// documentedQueries returns the queries of docs/LANGUAGE.md's sections
// "AWS's CloudTrail samples" and "Investigation recipes", as written.
func documentedQueries(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../docs/LANGUAGE.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, heading := range []string{"## AWS's CloudTrail samples", "## Investigation recipes"} {
		_, sec, ok := strings.Cut(string(data), "\n"+heading+"\n")
		if !ok {
			t.Fatalf("docs/LANGUAGE.md has no %q section", heading)
		}
		_, block, _ := strings.Cut(sec, "```text\n")
		block, _, _ = strings.Cut(block, "```")
		for _, line := range strings.Split(block, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("docs/LANGUAGE.md: %d sample and recipe queries, want 5 samples and at least 15 recipes", len(out))
	}
	return out
}

// moreQueries cover the rest of the translation: recipes with thresholds
// for a small lake, every command, the sort order, bins, aggregates.
var moreQueries = []string{
	`filter errorCode like /AccessDenied|UnauthorizedOperation/ | stats count(*) as denied by bin(5m) as window, userIdentity.arn | filter denied >= 2 | sort denied desc`,
	`fields ispresent(errorCode) as failed | stats count(*) as calls, sum(failed) as errors, 100 * sum(failed) / count(*) as errorPct by eventSource, eventName | filter calls >= 10 | sort errorPct desc | limit 20`,
	`filter eventName in ["PutRolePolicy", "PutUserPolicy", "PutGroupPolicy"] and requestParameters.policyDocument like /Action/ | fields @timestamp, userIdentity.arn, eventName, requestParameters.policyName`,
	`stats count(*) as n by sourceIPAddress | sort n desc, sourceIPAddress`,
	`stats count(*) by userIdentity.arn | limit 30`,
	`filter eventName like "Get" | limit 15`,
	`fields eventName, sourceIPAddress | limit any 7`,
	`filter errorCode != "AccessDenied" | stats count(*) by errorCode, readOnly`,
	`stats count(*), count(errorCode), count(requestParameters.bucketName), count_distinct(requestParameters.bucketName) as buckets by bin(1w), awsRegion`,
	`stats count(*) by bin(1mo), bin(6h)`,
	`{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" } | stats count(*) by bin(1d), userIdentity.arn, sourceIPAddress`,
	`filter recipientAccountId >= 500000000000 or tlsDetails.tlsVersion in ["TLSv1.2", 1.3] | stats count(*) by recipientAccountId, tlsDetails.tlsVersion`,
	`filter (eventName="StartInstances" or eventName="StopInstances" or eventName="RunInstances") and awsRegion="eu-west-1"`,
	`fields strlen(eventName) as len, toupper(awsRegion) as r, substr(eventName, 3, 4) as sub, concat(eventSource, "/", eventName) as full | stats count(*), pct(len, 50), pct(len, 90), stddev(len), sum(len) by r, sub | sort sum(len) desc | limit 40`,
	`filter eventName =~ /^(Get|List)/ and not (userAgent like "aws-cli") | stats latest(eventName) as last, earliest(requestParameters.bucketName) as firstBucket by userIdentity.type`,
	`fields datefloor(@timestamp, 1h) as h, dateceil(@timestamp, 1d) as d | stats count(*) by h, d | sort h desc | limit 50`,
	`stats count(*) as n by userIdentity.type | stats sum(n) as total, count(*) as types`,
	`filter requestParameters.maxResults > 10 or isempty(requestParameters.bucketName) | stats count(*) by eventName | sort count(*) desc, eventName desc`,
	`fields @timestamp, @message | filter @message like "AccessDenied" | limit 5`,
	`filter ispresent(requestParameters.bucketName) | fields requestParameters.bucketName as b, eventName | sort b | dedup b`,
	`stats count(*) by readOnly, managementEvent | sort readOnly desc`,
	`stats max(@timestamp) as @t, count(*) as n by eventSource | stats sum(n) as total, count(*) as sources by dateceil(@t, 6h) as slot, datefloor(@t, 1q) as q | sort slot desc`,
	`stats count(*) as n by bin(2h) as h, awsRegion | stats max(n) as peak, pct(n, 75) as p75, stddev(n) as sd by h | sort peak desc, h | limit 5`,
	`stats min(eventName) as a, max(eventName) as b, sortsFirst(sourceIPAddress) as c, sortsLast(userAgent) as d, min(recipientAccountId) as e, max(userIdentity.accountId) as f, sortsLast(userIdentity.accountId) as g by awsRegion, eventSource | sort eventSource | limit 40`,
	`filter eventName >= "Get" and eventName < "Put" and sourceIPAddress < "100" and "9" >= userAgent and eventName > "Get1" | stats count(*) by eventName, sourceIPAddress like "." | sort count(*) desc | limit 30`,
	`filter sourceIPAddress <= "10.0.5" or eventSource > "s3" or awsRegion < "" | stats count(*) by eventSource, awsRegion`,
	`filter requestParameters.maxResults != 50 and responseElements.ConsoleLogin != "Success" and additionalEventData.MFAUsed not in ["Yes"] | stats count(*) by eventName | sort count(*) desc | limit 20`,
	`filter userIdentity.sessionContext.attributes.mfaAuthenticated = true or readOnly = "true" or readOnly = true or errorCode = 403 | stats count(*) by readOnly, userIdentity.sessionContext.attributes.mfaAuthenticated`,
	`filter sourceIPAddress like "10." or requestParameters.bucketName in ["a", 1] or eventName not like /Get/ and eventName not in ["ListBuckets"] | stats count(*) by eventSource`,
	`fields -strlen(eventName) as neg, strlen(eventName) % 5 as m, 2 ^ 3 as p, strlen(eventName) / 0 as z | stats count(*), sum(m) by neg, m, p, z | sort neg`,
	`filter isempty(errorMessage) and not isblank(userAgent) | fields coalesce(errorCode, eventName) as c | stats count(*) by c | sort c desc | limit 10`,
	`stats count(*) by @logStream | limit 5`,
	`stats count(*) as n by @log | sort n desc, @log | limit 5`,
	`fields fromMillis(toMillis(@timestamp)) as t, eventID | sort t, eventID | limit 5`,
	`stats count(*) as n, count_distinct(resources.0.type) as types by resources.0.type, resources[1].ARN like "arn:aws:s3" | sort n desc`,
	`fields datefloor(@timestamp, 1h) as h | filter h = "2025-03-14 07:00:00.000" or @timestamp = "2025-03-14T08:00:00Z" | stats count(*) by h`,
	"stats count(*) as n by requestParameters.bucketName, eventName | filter ispresent(`requestParameters.bucketName`) | stats sum(n) as calls, count(*) as names by `requestParameters.bucketName` | sort calls desc, `requestParameters.bucketName`",
	`stats count(*) as n, latest(requestParameters.maxResults) as last by requestParameters.maxResults, requestParameters.durationSeconds`,
	`filter requestParameters.maxResults = "50" or requestParameters.durationSeconds in [3600, "900"] or requestParameters.bucketName =~ /-logs$/ | stats count(*) by eventName, requestParameters.maxResults`,
	`fields greatest(strlen(eventName), 12) as g, least(1, abs(-3)) as l, ceil(strlen(awsRegion) / 4) as c, log(strlen(eventName)) as lg, isblank(errorCode) as b, strcontains(eventName, "object", true) as sc | stats count(*) by g, l, c, b, sc | sort g desc, c`,
	`fields trim(concat(" ", eventName, " ")) as t, ltrim(eventName, "GDL") as lt, replace(eventName, "Get", "Fetch") as r, tolower(eventSource) as s | stats count(*) by t, lt, r, s | limit 25`,
	`filter @timestamp >= "2025-03-14T06:00:00Z" and @timestamp < "2025-03-14T20:00:00+02:00" and @timestamp > "later" and @timestamp < "2025" | stats count(*) as n, toMillis(min(@timestamp)) as firstMs by bin(3h) | sort n desc`,
	`filter isIpv4InSubnet(sourceIPAddress, "10.0.0.0/8") or isValidIpV6(sourceIPAddress) | stats count(*) by sourceIPAddress`,
}

// untranslatable are queries whose translation must fail.
var untranslatable = []string{
	`stats min(requestParameters.bucketName)`,
	`fields jsonParse(requestParameters.policyDocument).Version as v`,
	`filter eventName > errorCode`,
}

func TestDuckDB_InsightsTranslation(t *testing.T) {
	lakeDir, lake, snap := buildLakeOf(t, false)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ddl, err := interop.DDL(ingest.ParquetSchema(), interop.DDLConfig{Engine: interop.DuckDB, Location: lakeDir, Table: "ct"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatalf("DuckDB rejects the DDL: %v\n%s", err, ddl)
	}
	for _, src := range append(documentedQueries(t), moreQueries...) {
		q, err := insights.Parse(src)
		if err != nil {
			t.Fatalf("parse %q: %v", src, err)
		}
		want := ctqInsights(t, lake, snap, q)
		stmt, err := insights.Translate(q, insights.TranslateOptions{Dialect: query.DialectDuckDB, Table: "ct"})
		if err != nil {
			t.Errorf("translate %q: %v", src, err)
			continue
		}
		got, err := duckRows(db, stmt)
		if err != nil {
			t.Errorf("%s\nDuckDB: %v\n%s", src, err, stmt)
			continue
		}
		if len(want) == 0 {
			t.Logf("note: %s returns no rows over the test lake", src)
		} else {
			t.Logf("%d rows: %s", len(want), src)
		}
		if msg := diffRows(want, got); msg != "" {
			t.Errorf("%s\n%s\nSQL: %s", src, msg, stmt)
		}
	}
	// Time and partition bounds: ctq's flags and interop.Bounds agree.
	var acct, day string
	if err := db.QueryRow("SELECT min(account), min(day) FROM ct").Scan(&acct, &day); err != nil {
		t.Fatal(err)
	}
	since, _ := time.Parse(time.DateOnly, day)
	since = since.Add(13 * time.Hour)
	until := since.Add(6 * time.Hour)
	q, err := insights.Parse(`stats count(*) as n, min(@timestamp) as first, max(@timestamp) as last by region, eventSource | sort n desc, region, eventSource`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := insights.Run(context.Background(), insights.Config{Lake: lake, Snapshot: snap, Since: since, Until: until, Accounts: []string{acct}, Regions: []string{"eu-west-1"}}, q)
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := insights.Translate(q, insights.TranslateOptions{Dialect: query.DialectDuckDB, Table: "ct",
		Where: interop.Bounds(interop.DuckDB, since, until, []string{acct}, []string{"eu-west-1"})})
	if err != nil {
		t.Fatal(err)
	}
	got, err := duckRows(db, stmt)
	if err != nil {
		t.Fatalf("DuckDB: %v\n%s", err, stmt)
	}
	if len(got) != len(res.Rows) || len(got) == 0 {
		t.Fatalf("bounded query: ctq %d rows, DuckDB %d\n%s", len(res.Rows), len(got), stmt)
	}
	for i, row := range res.Rows {
		if n := canonical(row[2].Num); !sameValue(n, got[i][2]) {
			t.Errorf("bounded query row %d: ctq n=%s, DuckDB %v", i, n, got[i])
		}
	}

	for _, src := range untranslatable {
		q, err := insights.Parse(src)
		if err != nil {
			t.Fatalf("parse %q: %v", src, err)
		}
		if stmt, err := insights.Translate(q, insights.TranslateOptions{Dialect: query.DialectDuckDB}); err == nil {
			t.Errorf("%s translates to %s; want an error", src, stmt)
		}
	}
}

// ctqInsights runs q with ctq and returns its JSON output, one row per
// line, each value in canonical text.
func ctqInsights(t *testing.T, lake *partition.Lake, snap *partition.Snapshot, q *insights.Query) [][]string {
	t.Helper()
	res, err := insights.Run(context.Background(), insights.Config{Lake: lake, Snapshot: snap, Now: time.Unix(1700000000, 0)}, q)
	if err != nil {
		t.Fatalf("ctq insights %q: %v", q.Source, err)
	}
	var buf bytes.Buffer
	if err := insights.WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			row[i] = canonical(m[c])
		}
		rows = append(rows, row)
	}
	return rows
}

// duckRows runs a statement and returns its rows in canonical text.
func duckRows(db *sql.DB, stmt string) ([][]string, error) {
	rs, err := db.Query(stmt)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = canonical(v)
		}
		rows = append(rows, row)
	}
	return rows, rs.Err()
}

// canonical renders a value from either side the same way: numbers in
// their shortest form, timestamps as RFC 3339 with milliseconds, null as
// <null>.
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "<null>"
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case int32:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	case string:
		if _, err := strconv.ParseFloat(x, 64); err == nil && !strings.ContainsAny(x, " \t") {
			// A JSON number read as text (values inside JSON columns).
			f, _ := strconv.ParseFloat(x, 64)
			if s := strconv.FormatFloat(f, 'g', -1, 64); s == strings.TrimSuffix(x, ".0") {
				return s
			}
		}
		return x
	}
	return fmt.Sprint(v)
}

// diffRows describes the first difference between two results, or "".
func diffRows(want, got [][]string) string {
	for i := 0; i < len(want) && i < len(got); i++ {
		if len(want[i]) != len(got[i]) {
			return fmt.Sprintf("ctq returns %d columns, DuckDB %d", len(want[i]), len(got[i]))
		}
		for j := range want[i] {
			if !sameValue(want[i][j], got[i][j]) {
				return fmt.Sprintf("row %d differs:\nctq:    %q\nDuckDB: %q", i, want[i], got[i])
			}
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("ctq returns %d rows, DuckDB %d", len(want), len(got))
	}
	return ""
}

// sameValue compares canonical values; numbers within a relative 1e-9
// (sums and averages may add in another order).
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}
