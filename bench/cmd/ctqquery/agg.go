package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// aggQuery is one aggregation of the -suite agg run, in the two forms that
// must give the same rows: a Logs Insights query for `ctq insights` and a
// DuckDB GROUP BY over the same lake files.
type aggQuery struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Why     string   `json:"why"`
	Insight string   `json:"insights"`
	CtqArgs []string `json:"ctqArgs,omitempty"`
	SQL     string   `json:"sql"`
	// Cols are the result columns in order: the names ctq prints (alias or
	// item text) and the SQL result columns, position by position.
	Cols []string `json:"columns"`
	// Limit > 0: the rows are the first Limit in the order of the column
	// at index OrderCol (descending); rows tied with the last one may
	// differ between engines, so only the rows strictly above the last
	// value are compared as a set, and the sort values as a list.
	Limit    int `json:"limit,omitempty"`
	OrderCol int `json:"orderColumn,omitempty"`
}

// manyGroups raises ctq's group limit (200,000 by default) for the
// queries whose keys make several hundred thousand groups at 1M events.
var manyGroups = []string{"--max-groups", "2000000"}

// aggSuite returns the aggregation queries. The SQL reads the typed columns
// (the suite's lakes hold no inexact rows; describeLake checks it) and
// floors time with epoch arithmetic, as ctq's bin() does (UTC, epoch
// multiples).
func aggSuite(lake string, p params) []aggQuery {
	from := " FROM " + lakeScan(lake)
	bin := func(sec int) string {
		return fmt.Sprintf("to_timestamp(floor(epoch(eventTime::TIMESTAMP) / %d) * %d)", sec, sec)
	}
	since := p.Day + "T00:00:00Z"
	until := p.Day + "T12:00:00Z"
	return []aggQuery{
		{
			ID: "a1", Name: "count by one low-cardinality key",
			Why:     "group on a dictionary-encoded column (eventSource): codes per row group",
			Insight: `stats count(*) as n by eventSource`,
			SQL:     "SELECT eventSource, count(*) AS n" + from + " GROUP BY ALL",
			Cols:    []string{"eventSource", "n"},
		},
		{
			ID: "a2", Name: "AWS sample: count by eventSource, eventName, awsRegion",
			Why:     "three dictionary keys (AWS's own CloudTrail sample query, unchanged)",
			Insight: `stats count(*) by eventSource, eventName, awsRegion`,
			SQL:     "SELECT eventSource, eventName, awsRegion, count(*)" + from + " GROUP BY ALL",
			Cols:    []string{"eventSource", "eventName", "awsRegion", "count(*)"},
		},
		{
			ID: "a3", Name: "count by a high-cardinality key",
			Why:     "many groups: sourceIPAddress",
			Insight: `stats count(*) as n by sourceIPAddress`,
			CtqArgs: manyGroups,
			SQL:     "SELECT sourceIPAddress, count(*) AS n" + from + " GROUP BY ALL",
			Cols:    []string{"sourceIPAddress", "n"},
		},
		{
			ID: "a4", Name: "distinct source IPs per access key",
			Why:     "exact count_distinct per group, high-cardinality key",
			Insight: `filter ispresent(userIdentity.accessKeyId) | stats count_distinct(sourceIPAddress) as ips, count(*) as calls by userIdentity.accessKeyId`,
			CtqArgs: manyGroups,
			SQL:     "SELECT userIdentity.accessKeyId, count(DISTINCT sourceIPAddress) AS ips, count(*) AS calls" + from + " WHERE userIdentity.accessKeyId IS NOT NULL GROUP BY ALL",
			Cols:    []string{"userIdentity.accessKeyId", "ips", "calls"},
		},
		{
			ID: "a5", Name: "first and last use of each role",
			Why:     "min/max(@timestamp) on eventTime, a nested key",
			Insight: `filter userIdentity.type = "AssumedRole" | stats min(@timestamp) as first, max(@timestamp) as last, count(*) as n by userIdentity.sessionContext.sessionIssuer.arn`,
			SQL:     "SELECT userIdentity.sessionContext.sessionIssuer.arn, min(eventTime) AS first, max(eventTime) AS last, count(*) AS n" + from + " WHERE userIdentity.type = 'AssumedRole' GROUP BY ALL",
			Cols:    []string{"userIdentity.sessionContext.sessionIssuer.arn", "first", "last", "n"},
		},
		{
			ID: "a6", Name: "5-minute series per principal",
			Why:     "bin(5m) on eventTime with a high-cardinality second key",
			Insight: `stats count(*) as n by bin(5m) as t, userIdentity.arn`,
			CtqArgs: manyGroups,
			SQL:     "SELECT " + bin(300) + " AS t, userIdentity.arn, count(*) AS n" + from + " GROUP BY ALL",
			Cols:    []string{"t", "userIdentity.arn", "n"},
		},
		{
			ID: "a7", Name: "buckets read (JSON-path key)",
			Why:     "a key inside the requestParameters JSON text, extracted for the selected rows only",
			Insight: `filter eventName = "GetObject" | stats count(*) as n by requestParameters.bucketName`,
			SQL:     "SELECT json_extract_string(requestParameters, '$.bucketName') AS bucket, count(*) AS n" + from + " WHERE eventName = 'GetObject' GROUP BY ALL",
			Cols:    []string{"requestParameters.bucketName", "n"},
		},
		{
			ID: "a8", Name: "top 10 principals",
			Why:     "top-N: sort ... desc | limit with a bounded heap",
			Insight: `stats count(*) as n by userIdentity.arn | sort n desc | limit 10`,
			SQL:     "SELECT userIdentity.arn, count(*) AS n" + from + " GROUP BY ALL ORDER BY n DESC LIMIT 10",
			Cols:    []string{"userIdentity.arn", "n"},
			Limit:   10, OrderCol: 1,
		},
		{
			ID: "a9", Name: "top errors by principal (investigation recipe 1)",
			Why:     "ispresent() filter on a sparse column, two keys, top-N",
			Insight: `filter ispresent(errorCode) | stats count(*) as errors by userIdentity.arn, errorCode | sort errors desc | limit 20`,
			SQL:     "SELECT userIdentity.arn, errorCode, count(*) AS errors" + from + " WHERE errorCode IS NOT NULL GROUP BY ALL ORDER BY errors DESC LIMIT 20",
			Cols:    []string{"userIdentity.arn", "errorCode", "errors"},
			Limit:   20, OrderCol: 2,
		},
		{
			ID: "a10", Name: "filtered aggregation that prunes most files",
			Why:     "account, region and a half-day window prune partitions and files before any row is read",
			Insight: `filter eventName = "GetObject" | stats count(*) as n, count_distinct(sourceIPAddress) as ips by userIdentity.arn`,
			CtqArgs: []string{"--since", since, "--until", until, "--accounts", p.Account, "--regions", p.Region},
			SQL: fmt.Sprintf("SELECT userIdentity.arn, count(*) AS n, count(DISTINCT sourceIPAddress) AS ips"+from+
				" WHERE account = %s AND region = %s AND day = %s AND eventTime >= TIMESTAMPTZ %s AND eventTime < TIMESTAMPTZ %s AND eventName = 'GetObject' GROUP BY ALL",
				sqlString(p.Account), sqlString(p.Region), sqlString(p.Day), sqlString(p.Day+" 00:00:00+00"), sqlString(p.Day+" 12:00:00+00")),
			Cols: []string{"userIdentity.arn", "n", "ips"},
		},
		{
			ID: "a11", Name: "hourly volume",
			Why:     "bin(1h) alone: a pure eventTime aggregation over every row",
			Insight: `stats count(*) as n by bin(1h) as hour`,
			SQL:     "SELECT " + bin(3600) + " AS hour, count(*) AS n" + from + " GROUP BY ALL",
			Cols:    []string{"hour", "n"},
		},
		{
			ID: "a12", Name: "AccessDenied bursts per 5 minutes and IP",
			Why:     "a regex filter on errorCode, bin(5m) and a second key",
			Insight: `filter errorCode like /AccessDenied|UnauthorizedOperation/ | stats count(*) as denied by bin(5m) as window, sourceIPAddress`,
			SQL:     "SELECT " + bin(300) + " AS window, sourceIPAddress, count(*) AS denied" + from + " WHERE regexp_matches(errorCode, 'AccessDenied|UnauthorizedOperation') GROUP BY ALL",
			Cols:    []string{"window", "sourceIPAddress", "denied"},
		},
	}
}

// aggResult is one query's measured runs and the comparison of its rows.
type aggResult struct {
	aggQuery
	CtqCommand string  `json:"ctqCommand"`
	Rows       int     `json:"rows"`
	Ctq        *runSet `json:"ctq"`
	DuckDB     *runSet `json:"duckdb"`
	Ratio      float64 `json:"ctqOverDuckDB"`
	Agree      bool    `json:"agree"`
	Diff       string  `json:"diff,omitempty"`

	ctqRows, duckRows [][]string // the first round's answers, canonical
}

// runAggSuite measures every aggregation with ctq and DuckDB, interleaved,
// and compares their rows. It writes agg.json and agg.md into out.
func runAggSuite(ctx context.Context, o *options, p params) error {
	qs := aggSuite(o.lake, p)
	var results []*aggResult
	for _, q := range qs {
		if o.only != nil && !o.only[q.ID] {
			continue
		}
		results = append(results, &aggResult{aggQuery: q, Ctq: &runSet{}, DuckDB: &runSet{},
			CtqCommand: measure.ShellJoin(aggCtqArgs("ctq", q, o.lake))})
	}
	if len(results) == 0 {
		return errors.New("-only selects no aggregation query")
	}
	if err := warm(o.lake); err != nil {
		return err
	}
	err := interleave(ctx, o, len(results), func(round, i int, tool string) error {
		r := results[i]
		var rows [][]string
		var m measurement
		switch tool {
		case "ctq":
			u, got, err := runCtqInsights(ctx, o.ctq, o.lake, r.aggQuery)
			if err != nil {
				return err
			}
			m, rows = measurement{Usage: u}, got
			r.Ctq.add(m)
			if round == 1 {
				r.Rows, r.ctqRows = len(rows), rows
			}
		case "duckdb":
			dr, err := runDuckDBRows(ctx, r.SQL, o.threads)
			if err != nil {
				return err
			}
			m = measurement{Usage: dr.Usage, innerSeconds: dr.child.SQLSeconds}
			rows = canonRows(dr.child.Rows)
			r.DuckDB.add(m)
			if round == 1 {
				r.duckRows = rows
			}
		}
		logf("agg round %d/%d %-4s %-6s %8.3fs  %d rows", round, o.runs, r.ID, tool, m.Wall.Seconds(), len(rows))
		return nil
	})
	if err != nil {
		return err
	}
	var failures []string
	var ratios []float64
	for _, r := range results {
		r.Ratio = measure.Ratio(r.Ctq.BestWallSeconds, r.DuckDB.BestWallSeconds)
		ratios = append(ratios, r.Ratio)
		r.Diff = compareRows(r.aggQuery, r.ctqRows, r.duckRows)
		r.Agree = r.Diff == ""
		if !r.Agree {
			failures = append(failures, fmt.Sprintf("%s: %s", r.ID, r.Diff))
		}
	}
	geo := geomean(ratios)
	md := aggMarkdown(results, geo)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(map[string]any{"queries": results, "geomeanCtqOverDuckDB": geo, "failures": failures}, "", "  ")
	if err := measure.WriteRedacted(filepath.Join(o.out, "agg.json"), js, o.work); err != nil {
		return err
	}
	if err := measure.WriteRedacted(filepath.Join(o.out, "agg.md"), []byte(md), o.work); err != nil {
		return err
	}
	fmt.Println(md)
	if len(failures) > 0 {
		return errors.New("aggregation rows differ:\n  " + strings.Join(failures, "\n  "))
	}
	logf("PASS: ctq and DuckDB agree on all %d aggregations", len(results))
	return nil
}

// compareRows returns "" when the two row sets are the same answer.
func compareRows(q aggQuery, a, b [][]string) string {
	if len(a) != len(b) {
		return fmt.Sprintf("ctq %d rows, DuckDB %d rows", len(a), len(b))
	}
	key := func(r []string) string { return strings.Join(r, "\x1f") }
	if q.Limit > 0 {
		// Sort values in order, then the rows above the last value as sets.
		for i := range a {
			if a[i][q.OrderCol] != b[i][q.OrderCol] {
				return fmt.Sprintf("row %d: sort value %s vs %s", i, a[i][q.OrderCol], b[i][q.OrderCol])
			}
		}
		if len(a) == 0 {
			return ""
		}
		last := a[len(a)-1][q.OrderCol]
		keep := func(rs [][]string) []string {
			var out []string
			for _, r := range rs {
				if r[q.OrderCol] != last {
					out = append(out, key(r))
				}
			}
			slices.Sort(out)
			return out
		}
		if ka, kb := keep(a), keep(b); !slices.Equal(ka, kb) {
			return fmt.Sprintf("rows above the last sort value differ: %.300q vs %.300q", ka, kb)
		}
		return ""
	}
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i], kb[i] = key(a[i]), key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	for i := range ka {
		if ka[i] != kb[i] {
			return fmt.Sprintf("first difference (sorted): ctq %q, DuckDB %q", ka[i], kb[i])
		}
	}
	return ""
}

// aggCtqArgs is the command line of `ctq insights QUERY` for q.
func aggCtqArgs(bin string, q aggQuery, lake string) []string {
	args := []string{bin, "insights", q.Insight, "--lake", lake, "--output", "json", "--max-rows", "0"}
	return append(args, q.CtqArgs...)
}

// runCtqInsights runs ctq and returns its rows, canonical, in q.Cols order.
func runCtqInsights(ctx context.Context, bin, lake string, q aggQuery) (measure.Usage, [][]string, error) {
	args := aggCtqArgs(bin, q, lake)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	u, out, err := measure.Run(cmd)
	if err != nil {
		return u, nil, fmt.Errorf("ctq insights (%s): %w", q.ID, err)
	}
	var rows [][]string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.UseNumber()
	for dec.More() {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return u, nil, fmt.Errorf("ctq insights (%s): output is not one JSON object per row: %w", q.ID, err)
		}
		row := make([]string, len(q.Cols))
		for i, c := range q.Cols {
			v, ok := obj[c]
			if !ok {
				return u, nil, fmt.Errorf("ctq insights (%s): row has no column %q: %v", q.ID, c, obj)
			}
			row[i] = canon(v)
		}
		rows = append(rows, row)
	}
	return u, rows, nil
}

// runDuckDBRows runs a measured DuckDB child that returns every row.
func runDuckDBRows(ctx context.Context, query string, threads int) (*duckRun, error) {
	return runDuckDB(ctx, query, threads, "-rows")
}

func canonRows(rows [][]any) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, v := range r {
			out[i][j] = canon(v)
		}
	}
	return out
}

// canon renders a value so that both engines' forms of the same value are
// equal: numbers in shortest form, timestamps as RFC 3339 UTC with
// milliseconds, null as a marker no string value has.
func canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "\x00null"
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.000"} {
			if t, err := time.Parse(layout, x); err == nil && len(x) >= 19 && x[4] == '-' {
				return t.UTC().Format("2006-01-02T15:04:05.000Z")
			}
		}
		return x
	}
	return fmt.Sprint(v)
}

func geomean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(v)))
}

func aggMarkdown(rs []*aggResult, geo float64) string {
	var b strings.Builder
	b.WriteString("| id | aggregation | rows | ctq s | ctq MiB | DuckDB s | DuckDB MiB | ctq/DuckDB | same rows |\n|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	for _, r := range rs {
		c, d := r.Ctq, r.DuckDB
		fmt.Fprintf(&b, "| %s | %s | %d | %.3f | %.0f | %.3f | %.0f | %s | %s |\n", r.ID, mdEscape(r.Name), r.Rows,
			c.BestWallSeconds, c.BestPeakRSSMiB, d.BestWallSeconds, d.BestPeakRSSMiB, ratio(r.Ratio), yesNo(r.Agree))
	}
	fmt.Fprintf(&b, "\ngeometric mean ctq/DuckDB: %.2f\n", geo)
	return b.String()
}
