package detect_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/query"
)

// sigmaEvents are the records the Sigma test rules run over.
func sigmaEvents() []map[string]any {
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	return []map[string]any{
		record("e1", at, ev{"eventSource": "cloudtrail.amazonaws.com", "eventName": "DeleteTrail", "userAgent": "aws-cli/2.16.1",
			"requestParameters": ev{"name": "org-trail"}}),
		record("e2", at.Add(time.Minute), ev{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
			"userIdentity.type": "AssumedRole", "userAgent": "Boto3/1.34 Python/3.11", "requestParameters": ev{"name": "TEST-Trail"}}),
		record("e3", at.Add(2*time.Minute), ev{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy", "userAgent": "[S3Console/0.4]",
			"errorCode": "AccessDenied", "requestParameters": ev{"bucketName": "prod-logs"}}),
		record("e4", at.Add(3*time.Minute), ev{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
			"userIdentity.type": "Root", "userIdentity.userName": nil, "responseElements": ev{"ConsoleLogin": "Failure"},
			"additionalEventData": ev{"MFAUsed": "No"}}),
		record("e5", at.Add(4*time.Minute), ev{"eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "userAgent": "curl/8.0 *star*"}),
		record("e6", at.Add(5*time.Minute), ev{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser",
			"requestParameters": ev{"userName": "bob", "maxResults": 100}}),
	}
}

const sigmaHeader = `logsource:
  product: aws
  service: cloudtrail
level: high
`

// sigmaCases are Sigma rules written for this suite, one per supported
// modifier and condition form, with the events each must match.
var sigmaCases = []struct {
	name, detection string
	want            []string
}{
	{"plain values are case-insensitive, lists are any", `
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: [deletetrail, StopLogging]
  condition: selection`, []string{"e1", "e2"}},
	{"contains all", `
  selection:
    userAgent|contains|all: [boto3, python]
  condition: selection`, []string{"e2"}},
	{"startswith and endswith", `
  sel1:
    userAgent|startswith: AWS-CLI/2.16
  sel2:
    eventSource|endswith: '.AMAZONAWS.COM'
    eventName|startswith: put
  condition: sel1 or sel2`, []string{"e1", "e3"}},
	{"re is case-sensitive", `
  selection:
    requestParameters.name|re: '^[A-Z]+-'
  condition: selection`, []string{"e2"}},
	{"re with i", `
  selection:
    requestParameters.name|re|i: '^org-TRAIL$'
  condition: selection`, []string{"e1"}},
	{"wildcards and escapes, 1 of selection*", `
  selection_a:
    eventName: 'Put*Pol?cy'
  selection_b:
    userAgent: '*\*star\*'
  condition: 1 of selection*`, []string{"e3", "e5"}},
	{"list of maps", `
  selection:
    - eventName: ConsoleLogin
      responseElements.ConsoleLogin: failure
    - eventSource: sts.amazonaws.com
  condition: selection`, []string{"e4", "e5"}},
	{"keywords", `
  keywords:
    - 'accessdenied'
    - 'CURL/8.0'
  condition: keywords`, []string{"e3", "e5"}},
	{"and not", `
  selection:
    eventSource: cloudtrail.amazonaws.com
  filter:
    userIdentity.type: AssumedRole
  condition: selection and not filter`, []string{"e1"}},
	{"not binds tighter than and, parentheses", `
  a:
    eventSource: cloudtrail.amazonaws.com
  b:
    eventName: DeleteTrail
  c:
    eventSource: iam.amazonaws.com
  condition: not (a and not b) and not c`, []string{"e1", "e3", "e4", "e5"}},
	{"all of them", `
  sel_a:
    eventSource: s3.amazonaws.com
  sel_b:
    errorCode: AccessDenied
  condition: all of them`, []string{"e3"}},
	{"all of selection*", `
  selection1:
    eventName: ConsoleLogin
  selection2:
    userIdentity.type: root
  other:
    eventName: CreateUser
  condition: all of selection*`, []string{"e4"}},
	{"1 of them, underscore excluded", `
  a:
    eventName: CreateUser
  b:
    eventName: GetCallerIdentity
  _c:
    eventName: DeleteTrail
  condition: 1 of them`, []string{"e5", "e6"}},
	{"null and exists", `
  selection:
    userIdentity.userName: null
    additionalEventData.MFAUsed|exists: true
    errorCode|exists: false
  condition: selection`, []string{"e4"}},
	{"cased", `
  selection:
    eventName|cased: [deletetrail, StopLogging]
  condition: selection`, []string{"e2"}},
	{"condition list", `
  a:
    eventName: CreateUser
  b:
    eventName: DeleteTrail
  condition:
    - a
    - b`, []string{"e1", "e6"}},
	{"numeric comparison", `
  selection:
    requestParameters.maxResults|gt: 50
  condition: selection`, []string{"e6"}},
}

func sigmaRule(title, detection string) string {
	return "title: " + title + "\nid: 00000000-0000-0000-0000-000000000000\n" + sigmaHeader + "detection:" + detection + "\n"
}

// TestSigma_Compile checks each rule with the reference evaluator and
// through the engine on a lake of the same events.
func TestSigma_Compile(t *testing.T) {
	events := sigmaEvents()
	var rules []*detect.Rule
	for _, c := range sigmaCases {
		rs, skipped := detect.ParseSigma("test.yml", []byte(sigmaRule(c.name, c.detection)))
		if len(skipped) > 0 || len(rs) != 1 {
			t.Fatalf("%s: skipped %v", c.name, skipped)
		}
		r := rs[0]
		if r.Name != c.name || r.Severity != "high" || !strings.Contains(r.Source, "test.yml") {
			t.Errorf("%s: name %q severity %q source %q", c.name, r.Name, r.Severity, r.Source)
		}
		var got []string
		for _, e := range events {
			if query.MatchJSON(r.Node, mustJSON(t, e)) {
				got = append(got, e["eventID"].(string))
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: reference matches %v, want %v\npattern %s", c.name, got, c.want, r.Pattern)
		}
		rules = append(rules, r)
	}
	lake, snap := lakeOf(t, events)
	results, _, err := detect.Evaluate(context.Background(), lake, snap, rules, detect.Options{Samples: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range results {
		var got []string
		for _, m := range res.Samples {
			got = append(got, m.EventID)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(sigmaCases[i].want, ",") {
			t.Errorf("%s: engine matches %v, want %v\npattern %s", sigmaCases[i].name, got, sigmaCases[i].want, rules[i].Pattern)
		}
	}
}

// TestSigma_CaseInsensitivePruning: a value without cased letters stays a
// plain comparison (prunable); one with letters becomes a regex.
func TestSigma_CaseInsensitivePruning(t *testing.T) {
	rs, _ := detect.ParseSigma("t.yml", []byte(sigmaRule("x", `
  selection:
    recipientAccountId: '111122223333'
    eventName: DeleteTrail
  condition: selection`)))
	if len(rs) != 1 {
		t.Fatal("not compiled")
	}
	want := `{ $.recipientAccountId = "111122223333" && $.eventName = %(?is)^DeleteTrail$% }`
	if rs[0].Pattern != want {
		t.Errorf("pattern %s\nwant    %s", rs[0].Pattern, want)
	}
	if len(rs[0].Notes) == 0 {
		t.Error("no note about case-insensitive matching")
	}
}

// TestSigma_Unsupported: each rule using something unsupported is
// reported by title with the reason; the supported rule in the same file
// still loads.
func TestSigma_Unsupported(t *testing.T) {
	cases := []struct{ title, body, reason string }{
		{"aggregation", sigmaHeader + "detection:\n  selection:\n    eventName: ConsoleLogin\n  condition: selection | count() by userIdentity.arn > 10\n", "aggregation without a timeframe"},
		{"min", sigmaHeader + "detection:\n  selection:\n    eventName: ConsoleLogin\n  timeframe: 5m\n  condition: selection | min(requestParameters.maxResults) > 10\n", "aggregation function min()"},
		{"agg in a list", sigmaHeader + "detection:\n  selection:\n    eventName: ConsoleLogin\n  timeframe: 5m\n  condition: [selection, selection | count() > 10]\n", "an aggregation in a list of conditions"},
		{"month", sigmaHeader + "detection:\n  selection:\n    eventName: ConsoleLogin\n  timeframe: 1M\n  condition: selection | count() > 10\n", "months and years"},
		{"near", sigmaHeader + "detection:\n  a:\n    eventName: A\n  b:\n    eventName: B\n  condition: a near b\n", "near"},
		{"cidr", sigmaHeader + "detection:\n  selection:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: selection\n", `modifier "cidr"`},
		{"base64", sigmaHeader + "detection:\n  selection:\n    requestParameters.userData|base64offset|contains: curl\n  condition: selection\n", `modifier "base64offset"`},
		{"windows", "logsource:\n  product: windows\n  service: security\ndetection:\n  selection:\n    EventID: 4624\n  condition: selection\n", "only product aws"},
		{"unknown field", sigmaHeader + "detection:\n  selection:\n    noSuchField: x\n  condition: selection\n", `field "noSuchField"`},
		{"lookahead", sigmaHeader + "detection:\n  selection:\n    eventName|re: '(?=Delete)'\n  condition: selection\n", "regular expression"},
		{"not over any element", sigmaHeader + "detection:\n  selection:\n    resources.arn: x\n  condition: not selection\n", "several values"},
		{"unknown identifier", sigmaHeader + "detection:\n  selection:\n    eventName: x\n  condition: selection and other\n", `unknown search identifier "other"`},
		{"3 of", sigmaHeader + "detection:\n  a:\n    eventName: x\n  condition: 3 of a\n", "only 1 of and all of"},
	}
	var file strings.Builder
	for _, c := range cases {
		file.WriteString("---\ntitle: " + c.title + "\n" + c.body)
	}
	file.WriteString("---\n" + sigmaRule("good", "\n  selection:\n    eventName: DeleteTrail\n  condition: selection"))
	rules, skipped := detect.ParseSigma("multi.yml", []byte(file.String()))
	if len(rules) != 1 || rules[0].Name != "good" {
		t.Fatalf("rules %v; want only good", rules)
	}
	if len(skipped) != len(cases) {
		t.Fatalf("skipped %d, want %d: %v", len(skipped), len(cases), skipped)
	}
	for i, c := range cases {
		s := skipped[i]
		if s.Name != c.title || !strings.Contains(s.Reason, c.reason) {
			t.Errorf("skipped %q: reason %q, want %q in it", s.Name, s.Reason, c.reason)
		}
	}
}

func TestSigma_UnsupportedIsSentinel(t *testing.T) {
	_, skipped := detect.ParseSigma("t.yml", []byte(sigmaHeader+"title: t\ndetection:\n  s:\n    eventName|cidr: x\n  condition: s\n"))
	if len(skipped) != 1 || !strings.Contains(skipped[0].Reason, detect.ErrUnsupported.Error()) {
		t.Fatalf("skipped %v", skipped)
	}
	if !errors.Is(detect.ErrUnsupported, detect.ErrUnsupported) {
		t.Fatal("sentinel")
	}
}

func TestParseRules(t *testing.T) {
	good := `rules:
  - name: denied-s3
    description: denied S3 calls on one bucket
    pattern: eventSource=s3.amazonaws.com errorCode=AccessDenied*
    period: 1h
    threshold: ">=10"
    evaluation_periods: 2
    severity: High
    references: [https://example.com/runbook]
  - name: any-root
    pattern: '{ $.userIdentity.type = "Root" }'
`
	rs, err := detect.ParseRules("r.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d rules", len(rs))
	}
	r := rs[0]
	if r.Period != time.Hour || r.Threshold.String() != ">=10" || r.EvaluationPeriods != 2 || r.Severity != "high" ||
		len(r.References) != 1 || r.Source != "r.yaml:2" || r.Node == nil {
		t.Errorf("rule %+v", r)
	}
	if d := rs[1]; d.Period != detect.DefaultPeriod || d.Threshold != detect.DefaultThreshold || d.Severity != detect.DefaultSeverity {
		t.Errorf("defaults %+v", d)
	}
	bad := []struct{ text, want string }{
		{"- name: a\n  pattern: x=1\n  colour: red\n", `r.yaml:3: unknown key "colour"`},
		{"- name: a\n  pattern: x=1\n  threshold: lots\n", "r.yaml:3: threshold"},
		{"- name: a\n", `r.yaml:1: rule "a" has no pattern`},
		{"- name: a\n  pattern: '{ $.a = }'\n", `rule "a": pattern`},
		{"- name: a\n  pattern: x=1\n  period: 90s5\n", "r.yaml:3: period"},
		{"- name: a\n  pattern: eventName=x\n  severity: urgent\n", `severity "urgent"`},
		{"name: a\n", "want a list of rules"},
		{"- name: [a]\n  pattern: x\n", "r.yaml:1: name"},
		{"- pattern: x\n", "rule without a name"},
	}
	for _, b := range bad {
		_, err := detect.ParseRules("r.yaml", []byte(b.text))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: error %v, want %q", b.text, err, b.want)
		}
	}
}

func TestLoadRules_Specs(t *testing.T) {
	b, err := detect.LoadRules("builtin")
	if err != nil {
		t.Fatal(err)
	}
	c, err := detect.LoadRules("cis")
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 29 || len(b) <= len(c) {
		t.Errorf("builtin %d, cis %d (want 29: 14 + 15; the v1.3.0-v1.5.0 form of 4.1 only by name)", len(b), len(c))
	}
	if _, err := detect.LoadRules("no/such/file.yaml"); err == nil {
		t.Error("missing file loaded")
	}
}
