package detect_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// Source IP addresses and users of the aggregation lake.
const (
	ipA = "203.0.113.1"
	ipB = "203.0.113.2"
	ipC = "203.0.113.3"
)

// aggP1 and aggP2 are the two 5-minute periods of the aggregation lake.
var (
	aggP1 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	aggP2 = aggP1.Add(5 * time.Minute)
)

// aggLake holds failed console logins per source IP and user:
//
//	period  IP  failures (users)
//	P1      A   4 (alice, alice, bob, carol)
//	P1      B   2 (alice, alice)
//	P1      C   1 (dave)
//	P2      B   3 (alice, bob, bob)
//	P2      C   1 (dave)
//
// plus 5 DescribeInstances calls from A in P1 that no rule matches. The
// n-th failure of a row is at 10+30(n-1) seconds into the period.
// Event IDs are <ip letter><period><n>, e.g. A1-2.
func aggLake(t *testing.T) (*partition.Lake, *partition.Snapshot) {
	t.Helper()
	type fail struct {
		ip, letter string
		period     time.Time
		users      []string
	}
	var recs []map[string]any
	for _, f := range []fail{
		{ipA, "A", aggP1, []string{"alice", "alice", "bob", "carol"}},
		{ipB, "B", aggP1, []string{"alice", "alice"}},
		{ipC, "C", aggP1, []string{"dave"}},
		{ipB, "B", aggP2, []string{"alice", "bob", "bob"}},
		{ipC, "C", aggP2, []string{"dave"}},
	} {
		p := 1 + int(f.period.Sub(aggP1)/(5*time.Minute))
		for i, u := range f.users {
			id := fmt.Sprintf("%s%d-%d", f.letter, p, i+1)
			recs = append(recs, record(id, f.period.Add(time.Duration(30*i+10)*time.Second), ev{
				"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "sourceIPAddress": f.ip,
				"userIdentity.arn": "arn:aws:iam::111122223333:user/" + u, "responseElements": ev{"ConsoleLogin": "Failure"},
			}))
		}
	}
	for i := 0; i < 5; i++ {
		recs = append(recs, record(fmt.Sprintf("N%d", i), aggP1.Add(time.Duration(i)*time.Second), ev{"sourceIPAddress": ipA}))
	}
	return lakeOf(t, recs)
}

// alarmText is an alarm as "period group sum [eventIDs]" for comparison.
func alarmText(r *detect.Rule, a detect.Alarm) string {
	return fmt.Sprintf("%s {%s} %d %v", a.Period.Format("15:04"), a.GroupText(r.GroupBy), a.Sum, a.EventIDs)
}

func evaluateAll(t *testing.T, rules []*detect.Rule) map[string]*detect.Result {
	t.Helper()
	lake, snap := aggLake(t)
	results, _, err := detect.Evaluate(context.Background(), lake, snap, rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*detect.Result{}
	for _, r := range results {
		out[r.Rule.Name] = r
	}
	return out
}

func checkAlarms(t *testing.T, res *detect.Result, want []string) {
	t.Helper()
	var got []string
	for _, a := range res.Alarms {
		got = append(got, alarmText(res.Rule, a))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rule %q alarms:\n got %q\nwant %q", res.Rule.Name, got, want)
	}
	if s := res.Summary(); s.AlarmPeriods != len(want) {
		t.Errorf("rule %q summary: %d alarm periods, want %d", res.Rule.Name, s.AlarmPeriods, len(want))
	}
}

const failedLogin = `{ $.eventName = "ConsoleLogin" && $.responseElements.ConsoleLogin = "Failure" }`

// TestGroupBy: a grouped rule alarms for exactly the (group, period)
// pairs whose count meets the threshold, and names the group.
func TestGroupBy(t *testing.T) {
	rules, err := detect.ParseRules("rules.yaml", []byte(`
- name: burst by ip
  pattern: '`+failedLogin+`'
  threshold: ">=3"
  group_by: [sourceIPAddress]
- name: burst by ip and user
  pattern: '`+failedLogin+`'
  threshold: ">=2"
  group_by: [sourceIPAddress, userIdentity.arn]
- name: users per ip
  pattern: '`+failedLogin+`'
  threshold: ">=2"
  group_by: sourceIPAddress
  count_distinct: userIdentity.arn
- name: ungrouped
  pattern: '`+failedLogin+`'
  threshold: ">=5"
`))
	if err != nil {
		t.Fatal(err)
	}
	res := evaluateAll(t, rules)
	checkAlarms(t, res["burst by ip"], []string{
		"10:00 {sourceIPAddress=203.0.113.1} 4 [A1-1 A1-2 A1-3 A1-4]",
		"10:05 {sourceIPAddress=203.0.113.2} 3 [B2-1 B2-2 B2-3]",
	})
	u := "arn:aws:iam::111122223333:user/"
	checkAlarms(t, res["burst by ip and user"], []string{
		"10:00 {sourceIPAddress=203.0.113.1, userIdentity.arn=" + u + "alice} 2 [A1-1 A1-2]",
		"10:00 {sourceIPAddress=203.0.113.2, userIdentity.arn=" + u + "alice} 2 [B1-1 B1-2]",
		"10:05 {sourceIPAddress=203.0.113.2, userIdentity.arn=" + u + "bob} 2 [B2-2 B2-3]",
	})
	checkAlarms(t, res["users per ip"], []string{
		"10:00 {sourceIPAddress=203.0.113.1} 3 [A1-1 A1-2 A1-3 A1-4]",
		"10:05 {sourceIPAddress=203.0.113.2} 2 [B2-1 B2-2 B2-3]",
	})
	checkAlarms(t, res["ungrouped"], []string{"10:00 {} 7 [A1-1 B1-1 C1-1 A1-2 B1-2 A1-3 A1-4]"})

	s := res["burst by ip"].Summary()
	if s.Hits != 11 || s.AlarmGroups != 2 || s.AlarmSum != 7 || !reflect.DeepEqual(s.GroupBy, []string{"sourceIPAddress"}) {
		t.Errorf("summary %+v: want 11 hits, 2 alarm groups, alarm sum 7, groupBy [sourceIPAddress]", s)
	}
	if a := res["burst by ip"].Alarms[0]; a.Group["sourceIPAddress"] != ipA {
		t.Errorf("alarm group %v, want sourceIPAddress %s", a.Group, ipA)
	}
	if s := res["users per ip"].Summary(); s.CountDistinct != "userIdentity.arn" {
		t.Errorf("summary countDistinct %q", s.CountDistinct)
	}
}

func TestParseRules_GroupByErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"- name: r\n  pattern: x\n  group_by: [noSuchField]\n", `group_by "noSuchField"`},
		{"- name: r\n  pattern: x\n  group_by: {a: b}\n", "want a list of strings"},
		{"- name: r\n  pattern: x\n  count_distinct: userIdentity.arn\n  evaluation_periods: 2\n", "evaluation periods must be 1"},
	} {
		_, err := detect.ParseRules("r.yaml", []byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q in it", c.body, err, c.want)
		}
	}
}

const failedLoginSigma = `title: failed console login
id: 9a6c1b2e-0000-4000-8000-000000000001
name: failed_login
` + sigmaHeader + `detection:
  selection:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: selection
`

func sigmaAgg(title, cond string) string {
	return "title: " + title + "\n" + sigmaHeader + `detection:
  selection:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  timeframe: 5m
  condition: selection | ` + cond + "\n"
}

// TestSigma_Aggregations: legacy count conditions and event_count and
// value_count correlations run with the expected alarms.
func TestSigma_Aggregations(t *testing.T) {
	docs := []string{
		sigmaAgg("count", "count() > 6"),
		sigmaAgg("count by ip", "count() by sourceIPAddress > 2"),
		sigmaAgg("few by ip", "count() by sourceIPAddress < 2"),
		sigmaAgg("distinct users by ip", "count(userIdentity.arn) by sourceIPAddress >= 2"),
		failedLoginSigma,
		`title: brute force
id: 9a6c1b2e-0000-4000-8000-000000000002
level: high
correlation:
  type: event_count
  rules:
    - failed_login
  group-by:
    - sourceIPAddress
  timespan: 5m
  condition:
    gte: 3
`,
		`title: password spray
correlation:
  type: value_count
  rules: 9a6c1b2e-0000-4000-8000-000000000001
  group-by: [sourceIPAddress]
  timespan: 5m
  condition:
    field: userIdentity.arn
    gte: 2
`,
	}
	rules, skipped := detect.ParseSigma("agg.yml", []byte(strings.Join(docs, "---\n")))
	if len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
	}
	sort.Strings(names)
	// The base rule only feeds the correlations (no generate: true).
	want := []string{"brute force", "count", "count by ip", "distinct users by ip", "few by ip", "password spray"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("rules %q, want %q", names, want)
	}
	res := evaluateAll(t, rules)
	checkAlarms(t, res["count"], []string{"10:00 {} 7 [A1-1 B1-1 C1-1 A1-2 B1-2 A1-3 A1-4]"})
	byIP := []string{
		"10:00 {sourceIPAddress=203.0.113.1} 4 [A1-1 A1-2 A1-3 A1-4]",
		"10:05 {sourceIPAddress=203.0.113.2} 3 [B2-1 B2-2 B2-3]",
	}
	checkAlarms(t, res["count by ip"], byIP)
	checkAlarms(t, res["brute force"], byIP)
	checkAlarms(t, res["few by ip"], []string{
		"10:00 {sourceIPAddress=203.0.113.3} 1 [C1-1]",
		"10:05 {sourceIPAddress=203.0.113.3} 1 [C2-1]",
	})
	distinct := []string{
		"10:00 {sourceIPAddress=203.0.113.1} 3 [A1-1 A1-2 A1-3 A1-4]",
		"10:05 {sourceIPAddress=203.0.113.2} 2 [B2-1 B2-2 B2-3]",
	}
	checkAlarms(t, res["distinct users by ip"], distinct)
	checkAlarms(t, res["password spray"], distinct)
	if r := res["brute force"].Rule; r.Severity != "high" || r.Period != 5*time.Minute || !strings.Contains(r.Source, "id 9a6c1b2e-0000-4000-8000-000000000002") {
		t.Errorf("brute force: severity %s period %s source %s", r.Severity, r.Period, r.Source)
	}
}

// TestSigma_CorrelationGenerate: with generate: true the base rule alarms
// on its own too.
func TestSigma_CorrelationGenerate(t *testing.T) {
	rules, skipped := detect.ParseSigma("g.yml", []byte(failedLoginSigma+`---
title: brute force
correlation:
  type: event_count
  rules: [failed console login]
  group-by: [sourceIPAddress]
  timespan: 10m
  generate: true
  condition: {gt: 3}
`))
	if len(skipped) != 0 || len(rules) != 2 {
		t.Fatalf("rules %v skipped %v", rules, skipped)
	}
	res := evaluateAll(t, rules)
	if n := len(res["failed console login"].Alarms); n != 2 {
		t.Errorf("base rule: %d alarms, want 2 (its own, one per period)", n)
	}
	checkAlarms(t, res["brute force"], []string{
		"10:00 {sourceIPAddress=203.0.113.1} 4 [A1-1 A1-2 A1-3 A1-4]",
		"10:00 {sourceIPAddress=203.0.113.2} 5 [B1-1 B1-2 B2-1 B2-2 B2-3]",
	})
}

// TestSigma_CorrelationUnsupported: correlations ctq cannot run are named
// with the reason; the others in the file still load.
func TestSigma_CorrelationUnsupported(t *testing.T) {
	corr := func(title, body string) string {
		return "title: " + title + "\ncorrelation:\n" + body
	}
	cases := []struct{ title, body, reason string }{
		{"temporal", "  type: temporal\n  rules: [failed_login]\n  group-by: [sourceIPAddress]\n  timespan: 5m\n", "correlation type temporal: it needs every base rule"},
		{"ordered", "  type: temporal_ordered\n  rules: [failed_login]\n  timespan: 5m\n", "correlation type temporal_ordered"},
		{"sum", "  type: value_sum\n  rules: [failed_login]\n  timespan: 5m\n", "correlation type value_sum"},
		{"strange", "  type: nearby\n  rules: [failed_login]\n  timespan: 5m\n", `correlation type "nearby"`},
		{"range", "  type: event_count\n  rules: [failed_login]\n  timespan: 5m\n  condition: {gte: 2, lte: 5}\n", "two operators"},
		{"neq", "  type: event_count\n  rules: [failed_login]\n  timespan: 5m\n  condition: {neq: 2}\n", "neq"},
		{"aliases", "  type: event_count\n  rules: [failed_login]\n  aliases: {ip: {failed_login: sourceIPAddress}}\n  timespan: 5m\n  condition: {gte: 2}\n", "field aliases"},
		{"missing rule", "  type: event_count\n  rules: [no_such_rule]\n  timespan: 5m\n  condition: {gte: 2}\n", `"no_such_rule": no loaded Sigma rule`},
		{"over aggregation", "  type: event_count\n  rules: [count]\n  timespan: 5m\n  condition: {gte: 2}\n", "has an aggregation condition"},
		{"no field", "  type: value_count\n  rules: [failed_login]\n  timespan: 5m\n  condition: {gte: 2}\n", "without a condition field"},
		{"no timespan", "  type: event_count\n  rules: [failed_login]\n  condition: {gte: 2}\n", "without a timespan"},
		{"chained", "  type: event_count\n  rules: [ok]\n  timespan: 5m\n  condition: {gte: 2}\n", "unsupported: correlation over correlation"},
	}
	docs := []string{failedLoginSigma, sigmaAgg("count", "count() > 6"),
		"title: ok\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  timespan: 5m\n  condition: {gte: 2}\n"}
	for _, c := range cases {
		docs = append(docs, corr(c.title, c.body))
	}
	rules, skipped := detect.ParseSigma("u.yml", []byte(strings.Join(docs, "---\n")))
	if len(rules) != 2 || rules[0].Name != "count" || rules[1].Name != "ok" {
		t.Errorf("rules %v, want count and ok (the base rule only feeds ok)", rules)
	}
	if len(skipped) != len(cases) {
		t.Fatalf("skipped %d, want %d: %v", len(skipped), len(cases), skipped)
	}
	for _, c := range cases {
		found := false
		for _, s := range skipped {
			if s.Name == c.title {
				found = true
				if !strings.Contains(s.Reason, c.reason) {
					t.Errorf("skipped %q: reason %q, want %q in it", s.Name, s.Reason, c.reason)
				}
			}
		}
		if !found {
			t.Errorf("%q not reported as skipped", c.title)
		}
	}
}

// TestGroupBy_Limit: past MaxGroups groups (or distinct values) the
// evaluation stops with an error naming the rule and the limit.
func TestGroupBy_Limit(t *testing.T) {
	lake, snap := aggLake(t)
	for _, c := range []struct{ rule, want string }{
		{"- name: many\n  pattern: '" + failedLogin + "'\n  group_by: [sourceIPAddress]\n", `rule "many": more than 2 groups`},
		{"- name: values\n  pattern: '" + failedLogin + "'\n  count_distinct: eventID\n", `rule "values": more than 2 distinct values of eventID`},
	} {
		rules, err := detect.ParseRules("r.yaml", []byte(c.rule))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = detect.Evaluate(context.Background(), lake, snap, rules, detect.Options{MaxGroups: 2})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q in it", err, c.want)
		}
		if _, _, err := detect.Evaluate(context.Background(), lake, snap, rules, detect.Options{MaxGroups: 11}); err != nil {
			t.Errorf("within the limit: %v", err)
		}
	}
}
