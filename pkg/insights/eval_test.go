package insights_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/insights"
)

// rec is a record with most value shapes of CloudTrail.
const rec = `{"eventTime":"2024-05-01T10:07:30.250Z","eventName":"PutRolePolicy","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1",
"recipientAccountId":"111122223333","readOnly":false,"n":7,"neg":-2.5,"s":"  Mixed Case  ","digits":"0042","empty":"","nul":null,
"ip6":"2001:db8::1","list":["a","b",3],"obj":{"k":"v","a.b":{"c":"dotted"}},
"requestParameters":{"policyDocument":"{\"Statement\":[{\"Action\":\"*\",\"Effect\":\"Allow\"}],\"n\":[1,2]}","policyName":"p"},
"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},"sourceIPAddress":"10.1.2.3"}`

// exprCheck returns a check of one expression's value over recs.
func exprCheck(t *testing.T, recs []*insights.Record) func(expr, want string) {
	return func(expr, want string) {
		t.Helper()
		if got := run(t, "fields "+expr+" as v | display v", recs); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
}

func TestEval_Functions(t *testing.T) {
	f := exprCheck(t, records(t, rec))
	f(`ispresent(eventName)`, "true")
	f(`ispresent(nul)`, "false")
	f(`ispresent(missing)`, "false")
	f(`ispresent(obj)`, "true")
	f(`isempty(empty)`, "1")
	f(`isempty(missing)`, "1")
	f(`isempty(s)`, "0")
	f(`isblank("   ")`, "1")
	f(`isblank(s)`, "0")
	f(`coalesce(missing, nul, eventName)`, "PutRolePolicy")
	f(`coalesce(missing)`, "<null>")
	f(`greatest(n, "12", "x", missing, 3)`, "12")
	f(`least(n, "12", neg)`, "-2.5")
	f(`least("x")`, "<null>")
	f(`abs(neg)`, "2.5")
	f(`ceil(neg)`, "-2")
	f(`floor(neg)`, "-3")
	f(`sqrt(n - 3)`, "2")
	f(`sqrt(neg)`, "<null>")
	f(`log(1)`, "0")
	f(`log(0)`, "<null>")
	f(`toupper(eventName)`, "PUTROLEPOLICY")
	f(`tolower(eventName)`, "putrolepolicy")
	f(`strlen("héllo")`, "5")
	f(`strlen(missing)`, "<null>")
	f(`trim(s)`, "Mixed Case")
	f(`ltrim(s)`, "Mixed Case  ")
	f(`rtrim(s)`, "  Mixed Case")
	f(`trim("xyZxyfooxyxyZ", "xyZ")`, "foo")
	f(`ltrim("xyfooxy", "xy")`, "fooxy")
	f(`rtrim("xyfooxy", "xy")`, "xyfoo")
	f(`substr("xyZfooxyZ", 3, 3)`, "foo")
	f(`substr("xyZfooxyZ", 3)`, "fooxyZ")
	f(`substr("abc", -5, 100)`, "abc")
	f(`substr("abc", 10)`, "")
	f(`replace("a.b.c", ".", "-")`, "a-b-c")
	f(`strcontains(eventName, "Role")`, "1")
	f(`strcontains(eventName, "role")`, "0")
	f(`strcontains(eventName, "role", true)`, "1")
	f(`concat(eventName, "@", awsRegion)`, "PutRolePolicy@us-east-1")
	f(`concat(eventName, missing)`, "<null>")
	f(`isValidIp(sourceIPAddress)`, "true")
	f(`isValidIp("s3.amazonaws.com")`, "false")
	f(`isValidIpV4(ip6)`, "false")
	f(`isValidIpV6(ip6)`, "true")
	f(`isIpInSubnet(sourceIPAddress, "10.0.0.0/8")`, "true")
	f(`isIpInSubnet(sourceIPAddress, "192.168.0.0/16")`, "false")
	f(`isIpInSubnet(missing, "10.0.0.0/8")`, "false")
	f(`isIpv4InSubnet(sourceIPAddress, "10.0.0.0/8")`, "true")
	f(`isIpv6InSubnet(ip6, "2001:db8::/32")`, "true")
	f(`isIpv4InSubnet(ip6, "2001:db8::/32")`, "false")
	f(`isIpInSubnet(ip6, "10.0.0.0/8")`, "false")
	f(`datefloor(@timestamp, 1h)`, "2024-05-01 10:00:00.000")
	f(`dateceil(@timestamp, 1h)`, "2024-05-01 11:00:00.000")
	f(`dateceil(datefloor(@timestamp, 1h), 1h)`, "2024-05-01 10:00:00.000")
	f(`datefloor(@timestamp, 1w)`, "2024-04-29 00:00:00.000")
	f(`datefloor(@timestamp, 1mo)`, "2024-05-01 00:00:00.000")
	f(`datefloor(@timestamp, 1q)`, "2024-04-01 00:00:00.000")
	f(`datefloor(@timestamp, 1y)`, "2024-01-01 00:00:00.000")
	f(`dateceil(@timestamp, 1mo)`, "2024-06-01 00:00:00.000")
	f(`datefloor(@timestamp, 10m)`, "2024-05-01 10:00:00.000")
	f(`toMillis(@timestamp)`, "1714558050250")
	f(`toMillis("2022-01-14T13:18:31-08:00")`, "1642195111000")
	f(`fromMillis(1642195111000)`, "2022-01-14 21:18:31.000")
	f(`now()`, "1714608000")
	f(`jsonParse(requestParameters.policyDocument).Statement[0].Action`, "*")
	f(`jsonParse(requestParameters.policyDocument).n.1`, "2")
	f(`jsonParse("not json")`, "<null>")
	f(`jsonParse("42")`, "<null>")
	f(`jsonStringify(obj)`, `{"a.b":{"c":"dotted"},"k":"v"}`)
	f(`jsonStringify(eventName)`, "<null>")
	f(`obj.a.b.c`, "dotted")
	f(`requestParameters.policyDocument.Statement`, "<null>")
	f(`list`, `["a","b",3]`)
	f(`list.2`, "3")
	f(`list[1]`, "b")
	f(`obj`, `{"a.b":{"c":"dotted"},"k":"v"}`)
	f(`strlen(obj)`, "<null>")
	f(`@logStream`, "111122223333_CloudTrail_us-east-1")
	f(`@log`, "111122223333:test")
	f(`@ingestionTime`, "<null>")
	f(`@timestamp`, "2024-05-01 10:07:30.250")
}

func TestEval_Operators(t *testing.T) {
	f := exprCheck(t, records(t, rec))
	f(`2 ^ 3`, "8")
	f(`10 % 3`, "1")
	f(`7 / 2`, "3.5")
	f(`n / 0`, "<null>")
	f(`n % 0`, "<null>")
	f(`n + missing`, "<null>")
	f(`n + "3"`, "10")
	f(`n + eventName`, "<null>")
	f(`-n`, "-7")
	f(`readOnly + 1`, "1")
	f(`n * 2 - 1`, "13")
	f(`n = 7`, "true")
	f(`n = "7"`, "true")
	f(`n = "7.0"`, "true")
	f(`digits = 42`, "true")
	f(`digits = "42"`, "false")
	f(`digits < 100`, "true")
	f(`eventName < "Q"`, "true")
	f(`"9" < "abc"`, "false") // digit-only values sort after all others (§4.7)
	f(`"a10" > "a9"`, "true")
	f(`eventName > 5`, "false")
	f(`eventName != 5`, "true")
	f(`missing = missing`, "false")
	f(`missing != "x"`, "true")
	f(`missing < 1`, "false")
	f(`obj = obj`, "false")
	f(`obj != "x"`, "true")
	f(`missing like "x"`, "false")
	f(`missing not like "x"`, "true")
	f(`missing in ["x"]`, "false")
	f(`missing not in ["x"]`, "true")
	f(`n like "7"`, "true")
	f(`eventName like "*"`, "false")
	f(`eventName =~ "Role"`, "true")
	f(`"b" in list`, "true")
	f(`3 in list`, "true")
	f(`"z" in list`, "false")
	f(`"z" not in list`, "true")
	f(`n in [1, "7"]`, "true")
	f(`readOnly in [0]`, "true")
	f(`@timestamp > "2024-05-01T10:00:00Z"`, "true")
	f(`@timestamp < 1714558050251`, "true")
	f(`@timestamp = 1714558050250`, "true")
	f(`not ispresent(missing) and (n > 1 or missing)`, "true")
	f(`not n`, "false")
	f(`true = readOnly`, "false")
	f(`false = readOnly`, "true")
}

func TestEval_MessageSearch(t *testing.T) {
	compact := `{"eventTime":"2024-05-01T10:00:00Z","eventName":"ConsoleLogin"}`
	spaced := `{"eventTime":"2024-05-01T09:00:00Z", "eventName": "ConsoleLogin"}`
	recs := records(t, compact, spaced)
	if got := run(t, `filter @message like /"eventName":"ConsoleLogin"/ | display @timestamp`, recs); got != "2024-05-01 10:00:00.000" {
		t.Errorf("compact search: %q", got)
	}
	if got := run(t, `filter @message like '"eventName": "ConsoleLogin"' | display @timestamp`, recs); got != "2024-05-01 09:00:00.000" {
		t.Errorf("spaced search: %q", got)
	}
	if got := run(t, `limit 1`, recs); got != "2024-05-01 10:00:00.000,"+compact {
		t.Errorf("default columns: %q", got)
	}
}

func TestEval_Commands(t *testing.T) {
	var raws []string
	for _, r := range []struct{ t, name, ip, err string }{
		{"2024-05-01T10:00:00Z", "A", "1.1.1.1", ""},
		{"2024-05-01T10:01:00Z", "B", "1.1.1.1", "AccessDenied"},
		{"2024-05-01T10:02:00Z", "A", "2.2.2.2", ""},
		{"2024-05-01T10:02:00Z", "C", "", "Throttling"},
		{"2024-05-01T09:59:00Z", "B", "3.3.3.3", "AccessDenied"},
	} {
		var b strings.Builder
		b.WriteString(`{"eventTime":"` + r.t + `","eventName":"` + r.name + `"`)
		if r.ip != "" {
			b.WriteString(`,"sourceIPAddress":"` + r.ip + `"`)
		}
		if r.err != "" {
			b.WriteString(`,"errorCode":"` + r.err + `"`)
		}
		b.WriteString("}")
		raws = append(raws, b.String())
	}
	recs := records(t, raws...)
	f := func(q, want string) {
		t.Helper()
		if got := run(t, q, recs); got != want {
			t.Errorf("%s:\n got %q\nwant %q", q, got, want)
		}
	}
	// Default order: @timestamp descending, ties in input order.
	f(`display eventName`, "A;C;B;A;B")
	f(`limit 2 | display eventName`, "A;C")
	f(`limit any 2 | display eventName`, "A;B")
	f(`limit 4 | limit 2 | display eventName`, "A;C")
	f(`sort eventName | display eventName, sourceIPAddress`, "A,1.1.1.1;A,2.2.2.2;B,1.1.1.1;B,3.3.3.3;C,<null>")
	f(`sort eventName desc, sourceIPAddress desc | display eventName, sourceIPAddress`, "C,<null>;B,3.3.3.3;B,1.1.1.1;A,2.2.2.2;A,1.1.1.1")
	f(`sort sourceIPAddress desc | display sourceIPAddress`, "3.3.3.3;2.2.2.2;1.1.1.1;1.1.1.1;<null>")
	f(`fields eventName, @timestamp | dedup eventName`, "A,2024-05-01 10:02:00.000;C,2024-05-01 10:02:00.000;B,2024-05-01 10:01:00.000")
	f(`sort @timestamp asc | fields eventName | dedup eventName`, "B;A;C")
	f(`fields eventName | dedup sourceIPAddress`, "A;C;B;B")
	f(`fields eventName | sort @timestamp | dedup eventName | limit 1`, "B")
	f(`fields eventName as e | fields concat(e, "!") as x | display x`, "A!;C!;B!;A!;B!")
	f(`fields eventName | fields sourceIPAddress | limit 1`, "A,2.2.2.2")
	f(`display eventName | display sourceIPAddress | limit 1`, "2.2.2.2")
	f(`filter ispresent(errorCode) | stats count(*) as n by errorCode | sort n desc`, "AccessDenied,2;Throttling,1")
	f(`where errorCode != "AccessDenied" | stats count(*)`, "3")
	f(`stats count(*) as n by eventName | filter n > 1`, "A,2;B,2")
	f(`stats count(*) as n by eventName | sort n desc, eventName desc | limit 1`, "B,2")
	f(`stats count(*) by eventName | sort count(*) asc`, "C,1;A,2;B,2")
	f(`stats count(*) as n by eventName | stats sum(n) as total, max(n) as most, count(*) as names`, "5,2,3")
	f(`stats count(*) as n by eventName, bin(1m) as m | stats max(n) as peak, avg(n) as mean by eventName`, "A,1,1;B,1,1;C,1,1")
	f(`stats max(@timestamp) as @t by eventName | stats count(*) by dateceil(@t, 10m)`, "2024-05-01 10:10:00.000,3")
	f(`stats count(*) by eventName | fields `+"`count(*)`"+` * 10 as x | display eventName, x`, "A,20;B,20;C,10")
	f(`stats count(*) as n, n * 2 as twice, count_distinct(sourceIPAddress) as ips`, "5,10,3")
	f(`filter eventName = "none" | stats count(*), sum(x), min(x)`, "0,<null>,<null>")
	f(`filter eventName = "none" | stats count(*) by eventName`, "")
	f(`{ $.errorCode = "AccessDenied" } | stats count(*) by eventName`, "B,2")
	f(`{ $.errorCode = "Access*" } | filter sourceIPAddress = "3.3.3.3" | display eventName`, "B")
	f(`filter eventName = "A" | fields sourceIPAddress as ip | sort ip desc | limit 1 | display ip`, "2.2.2.2")
}

func TestEval_Aggregates(t *testing.T) {
	var raws []string
	for i, v := range []string{`1`, `"2"`, `"x"`, `true`, `null`, `4`, `"10"`} {
		raws = append(raws, `{"eventTime":"2024-05-01T10:0`+string(rune('0'+i))+`:00Z","g":"a","v":`+v+`}`)
	}
	raws = append(raws, `{"eventTime":"2024-05-01T11:00:00Z","g":"b","v":5,"w":"late"}`,
		`{"eventTime":"2024-05-01T09:00:00Z","g":"b","v":6,"w":"early"}`,
		`{"g":"b","v":7,"w":"untimed"}`)
	recs := records(t, raws...)
	f := func(items, want string) {
		t.Helper()
		if got := run(t, "stats "+items+" by g", recs); got != want {
			t.Errorf("stats %s:\n got %q\nwant %q", items, got, want)
		}
	}
	f(`count(*), count(v), count()`, "a,7,6,7;b,3,3,3")
	f(`count_distinct(v)`, "a,6;b,3")
	f(`sum(v), avg(v)`, "a,18,3.6;b,18,6")
	// a mixes numbers with text, so §4.7 order applies: text (true, x) first, then numbers.
	f(`min(v), max(v)`, "a,true,10;b,5,7")
	f(`stddev(v)`, "a,3.7815340802378077;b,1")
	f(`pct(v, 50), pct(v, 0), pct(v, 100)`, "a,2,1,10;b,6,5,7")
	f(`earliest(w), latest(w)`, "a,<null>,<null>;b,early,late")
	f(`earliest(v), latest(v)`, "a,1,10;b,6,5")
	f(`sortsFirst(v), sortsLast(v)`, "a,true,10;b,5,7")
	f(`min(@timestamp), max(@timestamp)`, "a,2024-05-01 10:00:00.000,2024-05-01 10:06:00.000;b,2024-05-01 09:00:00.000,2024-05-01 11:00:00.000")
}

func TestEval_NullKeysAndOrder(t *testing.T) {
	recs := records(t,
		`{"k":"b10"}`, `{"k":"b9"}`, `{"k":10}`, `{"k":"9"}`, `{}`, `{"k":"01"}`, `{"k":"A"}`, `{"k":"a"}`, `{"k":-1.5}`)
	if got := run(t, `stats count(*) by k`, recs); got != "A,1;a,1;b9,1;b10,1;-1.5,1;01,1;9,1;10,1;<null>,1" {
		t.Errorf("group order: %q", got)
	}
	if got := run(t, `sort k desc | display k`, recs); got != "10;9;01;-1.5;b10;b9;a;A;<null>" {
		t.Errorf("descending: %q", got)
	}
}

func TestSortOrder_AWSExample(t *testing.T) {
	want := []string{"!", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh", "0", "01", "1", "2", "3"}
	var raws []string
	for i := len(want) - 1; i >= 0; i-- {
		raws = append(raws, `{"k":"`+want[i]+`"}`)
	}
	got := run(t, `sort k asc | display k`, records(t, raws...))
	if got != strings.Join(want, ";") {
		t.Errorf("sort order:\n got %s\nwant %s", got, strings.Join(want, ";"))
	}
}

func TestBin_Alignment(t *testing.T) {
	recs := records(t,
		`{"eventTime":"1969-12-31T23:59:59.500Z"}`,
		`{"eventTime":"2024-02-29T23:59:59.999Z"}`,
		`{"eventTime":"2024-03-04T00:00:00Z"}`,
	)
	f := func(period, want string) {
		t.Helper()
		if got := run(t, "stats count(*) by bin("+period+") as b | display b", recs); got != want {
			t.Errorf("bin(%s): %q, want %q", period, got, want)
		}
	}
	f("1s", "1969-12-31 23:59:59.000;2024-02-29 23:59:59.000;2024-03-04 00:00:00.000")
	f("500ms", "1969-12-31 23:59:59.500;2024-02-29 23:59:59.500;2024-03-04 00:00:00.000")
	f("1d", "1969-12-31 00:00:00.000;2024-02-29 00:00:00.000;2024-03-04 00:00:00.000")
	f("1w", "1969-12-29 00:00:00.000;2024-02-26 00:00:00.000;2024-03-04 00:00:00.000")
	f("2mo", "1969-11-01 00:00:00.000;2024-01-01 00:00:00.000;2024-03-01 00:00:00.000")
	f("1qtr", "1969-10-01 00:00:00.000;2024-01-01 00:00:00.000")
	f("1Y", "1969-01-01 00:00:00.000;2024-01-01 00:00:00.000")
	f("300s", "1969-12-31 23:55:00.000;2024-02-29 23:55:00.000;2024-03-04 00:00:00.000")
	f("7hours", "1969-12-31 17:00:00.000;2024-02-29 21:00:00.000;2024-03-03 19:00:00.000")
}

func TestEvaluate_MaxGroups(t *testing.T) {
	var raws []string
	for i := 0; i < 20; i++ {
		raws = append(raws, `{"eventID":"id`+strings.Repeat("x", i)+`"}`)
	}
	q, err := insights.Parse(`stats count(*) by eventID`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = insights.Evaluate(q, records(t, raws...), insights.EvalOptions{MaxGroups: 10})
	if !errors.Is(err, insights.ErrTooManyGroups) || !strings.Contains(err.Error(), "more than 10 groups") {
		t.Fatalf("20 groups with MaxGroups 10: %v", err)
	}
	if res, err := insights.Evaluate(q, records(t, raws...), insights.EvalOptions{MaxGroups: 20}); err != nil || len(res.Rows) != 20 {
		t.Fatalf("20 groups with MaxGroups 20: %v", err)
	}
	q, _ = insights.Parse(`stats count(*) as n by eventID | stats count(*) by n`)
	if _, err := insights.Evaluate(q, records(t, raws...), insights.EvalOptions{MaxGroups: 19}); !errors.Is(err, insights.ErrTooManyGroups) {
		t.Fatalf("first stats over the limit: %v", err)
	}
}

// TestEval_AppliedFilters: leading filters the input already passed are
// not evaluated again; a filter after a fields stage always is.
func TestEval_AppliedFilters(t *testing.T) {
	q, err := insights.Parse(`filter eventName = "A" | { $.awsRegion = "x" } | fields eventName | filter eventName != "B"`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		applied int
		want    int
	}{{0, 0}, {1, 0}, {2, 1}, {9, 1}} {
		ev := insights.NewEvaluator(q, insights.EvalOptions{Applied: tc.applied})
		for _, doc := range []string{`{"eventName":"B","awsRegion":"y"}`, `{"eventName":"C","awsRegion":"y"}`, `{"eventName":"B","awsRegion":"x"}`} {
			rec, err := insights.DecodeRecord([]byte(doc), "t")
			if err != nil {
				t.Fatal(err)
			}
			if err := ev.Add(rec); err != nil {
				t.Fatal(err)
			}
		}
		res, err := ev.Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != tc.want {
			t.Errorf("Applied %d: %d rows, want %d", tc.applied, len(res.Rows), tc.want)
		}
	}
}
