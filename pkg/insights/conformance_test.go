package insights_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/insights"
)

// The records of spec §5.
const (
	r1 = `{"eventTime":"2024-05-01T10:07:30Z","eventName":"ConsoleLogin","readOnly":false,"eventVersion":"1.10","userIdentity":{"accountId":"111122223333"},"sourceIPAddress":"203.0.113.7","responseElements":{"ConsoleLogin":"Success"},"resources":[{"type":"AWS::IAM::User"}]}`
	r2 = `{"eventTime":"2024-05-01T10:12:00Z","eventName":"GetObject","readOnly":true,"errorCode":"AccessDenied","sourceIPAddress":"s3.amazonaws.com","responseElements":null}`
)

var testNow = time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)

func records(t testing.TB, raws ...string) []*insights.Record {
	t.Helper()
	out := make([]*insights.Record, len(raws))
	for i, raw := range raws {
		rec, err := insights.DecodeRecord([]byte(raw), "test")
		if err != nil {
			t.Fatal(err)
		}
		out[i] = rec
	}
	return out
}

// run parses and evaluates q and renders the rows as text: cells joined by
// ",", rows by ";", nulls as "<null>".
func run(t testing.TB, q string, recs []*insights.Record) string {
	t.Helper()
	parsed, err := insights.Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return render(evaluate(t, parsed, recs, insights.EvalOptions{Now: testNow}))
}

func render(res *insights.Result) string {
	rows := make([]string, len(res.Rows))
	for i, vals := range res.Rows {
		cells := make([]string, len(vals))
		for j, v := range vals {
			if v.IsNull() {
				cells[j] = "<null>"
			} else {
				cells[j] = v.Text()
			}
		}
		rows[i] = strings.Join(cells, ",")
	}
	return strings.Join(rows, ";")
}

// matches runs a filter query over the records and returns the eventNames
// kept, in input order... (the default order is @timestamp desc; R2 is
// later than R1).
func matches(t testing.TB, q string, raws ...string) string {
	t.Helper()
	return run(t, q+" | display eventName", records(t, raws...))
}

func TestConformance_Spec5(t *testing.T) {
	cases := []struct {
		n     string
		query string
		in    []string
		want  string
	}{
		{"1", `filter errorCode != "AccessDenied"`, []string{r1}, "ConsoleLogin"},
		{"2a", `filter errorCode = "AccessDenied"`, []string{r1}, ""},
		{"2b", `filter not ispresent(errorCode)`, []string{r1}, "ConsoleLogin"},
		{"3a", `filter readOnly = 0`, []string{r1}, "ConsoleLogin"},
		{"3b", `filter readOnly = false`, []string{r1}, "ConsoleLogin"},
		{"3c", `filter readOnly = "false"`, []string{r1}, "ConsoleLogin"},
		{"4a", `filter eventVersion = "1.10"`, []string{r1}, "ConsoleLogin"},
		{"4b", `filter eventVersion = 1.1`, []string{r1}, "ConsoleLogin"},
		{"5", `filter userIdentity.accountId = 111122223333`, []string{r1}, "ConsoleLogin"},
		{"6a", `filter eventName like "Login"`, []string{r1}, "ConsoleLogin"},
		{"6b", `filter eventName like "login"`, []string{r1}, ""},
		{"6c", `filter eventName like /(?i)login/`, []string{r1}, "ConsoleLogin"},
		{"7", `filter eventName =~ /^Console/`, []string{r1}, "ConsoleLogin"},
		{"8a", `filter eventName in ["ConsoleLogin","SwitchRole"]`, []string{r1}, "ConsoleLogin"},
		{"8b", `filter eventName not in ["ConsoleLogin","SwitchRole"]`, []string{r1}, ""},
		{"9a", `filter resources.0.type = "AWS::IAM::User"`, []string{r1}, "ConsoleLogin"},
		{"9b", `filter resources[0].type = "AWS::IAM::User"`, []string{r1}, "ConsoleLogin"},
		{"10", `filter isIpInSubnet(sourceIPAddress, "203.0.113.0/24")`, []string{r1, r2}, "ConsoleLogin"},
		{"11", `filter ispresent(responseElements)`, []string{r2}, ""},
	}
	for _, c := range cases {
		t.Run(c.n, func(t *testing.T) {
			if got := matches(t, c.query, c.in...); got != c.want {
				t.Errorf("%s: got %q, want %q", c.query, got, c.want)
			}
		})
	}

	aggs := []struct {
		n, query, want string
		cols           string
	}{
		{"12", `stats count(*) as n by errorCode`, "AccessDenied,1;<null>,1", "errorCode,n"},
		{"13", `stats count(errorCode), count(*)`, "1,2", "count(errorCode),count(*)"},
		{"14", `stats count(*) by bin(5m)`, "2024-05-01 10:05:00.000,1;2024-05-01 10:10:00.000,1", "bin(5m),count(*)"},
		{"15", `stats earliest(sourceIPAddress), latest(sourceIPAddress)`, "203.0.113.7,s3.amazonaws.com", "earliest(sourceIPAddress),latest(sourceIPAddress)"},
	}
	for _, c := range aggs {
		t.Run(c.n, func(t *testing.T) {
			q, err := insights.Parse(c.query)
			if err != nil {
				t.Fatal(err)
			}
			res := evaluate(t, q, records(t, r1, r2), insights.EvalOptions{})
			if got := render(res); got != c.want {
				t.Errorf("%s: got %q, want %q", c.query, got, c.want)
			}
			if got := strings.Join(res.Columns, ","); got != c.cols {
				t.Errorf("%s: columns %q, want %q", c.query, got, c.cols)
			}
		})
	}

	errs := []struct {
		n, query, token, msg string
	}{
		{"16", `sort eventName | dedup eventName | filter readOnly = 0`, "'filter'", "only limit may follow dedup"},
		{"17", `stats count(*) by eventName | stats count(*) by bin(1h)`, "'bin'", "bin reads @timestamp"},
		{"18", `stats count(*) by a | sort a | stats count(*) by b`, "'sort'", "sort must follow the second one"},
		{"19", `stats count(*) by a | stats count(*) by a | stats count(*)`, "'stats'", "at most two stats"},
		{"20", `filter eventName like /x/i`, "'i'", "regex flags"},
	}
	for _, c := range errs {
		t.Run(c.n, func(t *testing.T) {
			_, err := insights.Parse(c.query)
			var se *insights.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%s: got %v, want a *SyntaxError", c.query, err)
			}
			if se.Token != c.token || !strings.Contains(se.Message(), c.msg) {
				t.Errorf("%s: got token %s, message %q; want token %s and %q", c.query, se.Token, se.Message(), c.token, c.msg)
			}
		})
	}
}

// evaluate runs the reference evaluator and fails the test on an error.
func evaluate(t testing.TB, q *insights.Query, recs []*insights.Record, opts insights.EvalOptions) *insights.Result {
	t.Helper()
	res, err := insights.Evaluate(q, recs, opts)
	if err != nil {
		t.Fatalf("Evaluate(%s): %v", q, err)
	}
	return res
}
