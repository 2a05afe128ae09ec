package detect_test

import (
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/query"
)

var fuzzRecord = func() []byte {
	b, _ := jsonMarshal(record("f1", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), ev{"eventName": "DeleteTrail", "requestParameters": ev{"name": "x"}}))
	return b
}()

// checkRules is the property both loaders share: a rule that loads is
// compiled and can be evaluated without panicking.
func checkRules(t *testing.T, rules []*detect.Rule) {
	for _, r := range rules {
		if r.Node == nil || r.Name == "" || r.Period <= 0 || r.EvaluationPeriods < 1 {
			t.Fatalf("incomplete rule %+v", r)
		}
		query.MatchJSON(r.Node, fuzzRecord)
		if _, err := query.NewPlan(r.Node, query.Options{}); err != nil {
			t.Fatalf("rule %q does not plan: %v", r.Name, err)
		}
	}
}

func FuzzParseSigma(f *testing.F) {
	for _, c := range sigmaCases {
		f.Add(sigmaRule(c.name, c.detection))
	}
	f.Add(sigmaHeader + "title: t\ndetection:\n  s: [a*, '?b', 'c\\*']\n  condition: not (s or s) and 1 of s*\n")
	f.Add("title: x\nlogsource: {product: aws, service: cloudtrail}\ndetection: {a: {eventName|contains|all: [x, y]}, condition: all of them}\n")
	f.Add(sigmaHeader + "title: t\ndetection:\n  s: {eventName: x}\n  timeframe: 5m\n  condition: s | count(userIdentity.arn) by sourceIPAddress > 2\n")
	f.Add(sigmaRule("b", "\n  s: {eventName: x}\n  condition: s") + "name: b\n---\ntitle: c\ncorrelation:\n  type: value_count\n  rules: [b]\n" +
		"  group-by: [sourceIPAddress]\n  timespan: 1h\n  condition: {field: userIdentity.arn, gte: 2}\n")
	f.Fuzz(func(t *testing.T, text string) {
		rules, _ := detect.ParseSigma("fuzz.yml", []byte(text))
		checkRules(t, rules)
	})
}

func FuzzParseRules(f *testing.F) {
	f.Add("- name: a\n  pattern: eventName=DeleteTrail\n  period: 5m\n  threshold: '>=2'\n")
	f.Add("rules:\n  - name: b\n    pattern: '{ $.userIdentity.type = \"Root\" }'\n    severity: critical\n    references: [x]\n")
	f.Add("- name: c\n  pattern: '\"AccessDenied\" -HeadBucket'\n  evaluation_periods: 3\n")
	f.Add("- name: d\n  pattern: eventName=ConsoleLogin\n  group_by: [sourceIPAddress, userIdentity.arn]\n  count_distinct: eventName\n")
	f.Fuzz(func(t *testing.T, text string) {
		rules, err := detect.ParseRules("fuzz.yaml", []byte(text))
		if err != nil {
			return
		}
		checkRules(t, rules)
	})
}
