package detect_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/query"
)

// ev is a shorthand for record fields.
type ev = map[string]any

// builtinCase is an event a rule must match and a near miss it must not.
type builtinCase struct {
	match, miss ev
}

func api(source, name string) ev {
	return ev{"eventSource": source, "eventName": name, "readOnly": false}
}

func with(base ev, more ev) ev {
	out := ev{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// casesByPattern gives the fire/near-miss events per rule family; every
// built-in rule maps to one.
var (
	caseUnauthV12 = builtinCase{
		match: ev{"errorCode": "Client.UnauthorizedOperation", "errorMessage": "You are not authorized"},
		miss:  ev{"errorCode": "ThrottlingException"},
	}
	caseUnauthV30 = builtinCase{
		match: ev{"errorCode": "AccessDenied", "eventName": "GetObject", "eventSource": "s3.amazonaws.com"},
		// v2/v3 form: AccessDenied on HeadBucket is excluded.
		miss: ev{"errorCode": "AccessDenied", "eventName": "HeadBucket", "eventSource": "s3.amazonaws.com"},
	}
	caseUnauthV15 = builtinCase{
		match: ev{"eventName": "HeadBucket", "sourceIPAddress": "203.0.113.9"},
		miss:  ev{"eventName": "HeadBucket", "sourceIPAddress": "delivery.logs.amazonaws.com"},
	}
	caseNoMFA = builtinCase{
		match: ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "additionalEventData": ev{"MFAUsed": "No"}},
		miss:  ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "additionalEventData": ev{"MFAUsed": "Yes"}},
	}
	caseClassicNoMFA = builtinCase{
		match: ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "additionalEventData": ev{"MFAUsed": "No"},
			"responseElements": ev{"ConsoleLogin": "Success"}},
		// A federated (SSO) sign-in: not an IAM user.
		miss: ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "additionalEventData": ev{"MFAUsed": "No"},
			"responseElements": ev{"ConsoleLogin": "Success"}, "userIdentity.type": "AssumedRole"},
	}
	caseRoot = builtinCase{
		match: ev{"userIdentity.type": "Root", "userIdentity.arn": "arn:aws:iam::111122223333:root", "userIdentity.userName": nil},
		miss:  ev{"userIdentity.type": "Root", "userIdentity.invokedBy": "s3.amazonaws.com"},
	}
	caseIAM        = builtinCase{api("iam.amazonaws.com", "PutUserPolicy"), api("iam.amazonaws.com", "GetUserPolicy")}
	caseTrail      = builtinCase{api("cloudtrail.amazonaws.com", "StopLogging"), api("cloudtrail.amazonaws.com", "DescribeTrails")}
	caseTrailC     = builtinCase{api("cloudtrail.amazonaws.com", "PutEventSelectors"), api("cloudtrail.amazonaws.com", "GetEventSelectors")}
	caseAuthFailed = builtinCase{
		match: ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "errorMessage": "Failed authentication"},
		miss:  ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "responseElements": ev{"ConsoleLogin": "Success"}},
	}
	caseCMK     = builtinCase{api("kms.amazonaws.com", "ScheduleKeyDeletion"), api("kms.amazonaws.com", "EnableKey")}
	caseS3      = builtinCase{api("s3.amazonaws.com", "PutBucketPolicy"), api("s3.amazonaws.com", "GetBucketPolicy")}
	caseS3C     = builtinCase{api("s3.amazonaws.com", "PutBucketPublicAccessBlock"), api("s3.amazonaws.com", "GetBucketPublicAccessBlock")}
	caseConfig  = builtinCase{api("config.amazonaws.com", "StopConfigurationRecorder"), api("config.amazonaws.com", "DescribeConfigurationRecorders")}
	caseConfigC = builtinCase{api("config.amazonaws.com", "DeleteConfigurationRecorder"), api("config.amazonaws.com", "DescribeConfigurationRecorders")}
	caseSG      = builtinCase{api("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"), api("ec2.amazonaws.com", "DescribeSecurityGroups")}
	caseSGC     = builtinCase{api("ec2.amazonaws.com", "ModifySecurityGroupRules"), api("ec2.amazonaws.com", "DescribeSecurityGroupRules")}
	caseNACL    = builtinCase{api("ec2.amazonaws.com", "CreateNetworkAclEntry"), api("ec2.amazonaws.com", "DescribeNetworkAcls")}
	caseGW      = builtinCase{api("ec2.amazonaws.com", "AttachInternetGateway"), api("ec2.amazonaws.com", "DescribeInternetGateways")}
	caseGWC     = builtinCase{api("ec2.amazonaws.com", "CreateNatGateway"), api("ec2.amazonaws.com", "DescribeNatGateways")}
	caseRoute   = builtinCase{api("ec2.amazonaws.com", "ReplaceRouteTableAssociation"), api("ec2.amazonaws.com", "DescribeRouteTables")}
	caseVPC     = builtinCase{api("ec2.amazonaws.com", "CreateVpcPeeringConnection"), api("ec2.amazonaws.com", "DescribeVpcs")}
	// Same event name from another service: the eventSource clause matters.
	caseOrgs = builtinCase{api("organizations.amazonaws.com", "CreatePolicy"), api("iam.amazonaws.com", "CreatePolicy")}
)

var builtinCases = map[string]builtinCase{
	"cis-1.2-3.1": caseUnauthV12, "cis-1.2-3.2": caseNoMFA, "cis-1.2-3.3": caseRoot, "cis-1.2-3.4": caseIAM,
	"cis-1.2-3.5": caseTrail, "cis-1.2-3.6": caseAuthFailed, "cis-1.2-3.7": caseCMK, "cis-1.2-3.8": caseS3,
	"cis-1.2-3.9": caseConfig, "cis-1.2-3.10": caseSG, "cis-1.2-3.11": caseNACL, "cis-1.2-3.12": caseGW,
	"cis-1.2-3.13": caseRoute, "cis-1.2-3.14": caseVPC,
	"cis-3.0-4.1": caseUnauthV30, "cis-1.5-4.1": caseUnauthV15, "cis-3.0-4.2": caseNoMFA, "cis-3.0-4.3": caseRoot,
	"cis-3.0-4.4": caseIAM, "cis-3.0-4.5": caseTrail, "cis-3.0-4.6": caseAuthFailed, "cis-3.0-4.7": caseCMK,
	"cis-3.0-4.8": caseS3, "cis-3.0-4.9": caseConfig, "cis-3.0-4.10": caseSG, "cis-3.0-4.11": caseNACL,
	"cis-3.0-4.12": caseGW, "cis-3.0-4.13": caseRoute, "cis-3.0-4.14": caseVPC, "cis-3.0-4.15": caseOrgs,
	"root-account-use": caseRoot, "console-login-without-mfa": caseClassicNoMFA, "console-auth-failures": caseAuthFailed,
	"security-group-changes": caseSGC, "nacl-changes": caseNACL, "route-table-changes": caseRoute, "vpc-changes": caseVPC,
	"network-gateway-changes": caseGWC, "iam-policy-changes": caseIAM, "cloudtrail-changes": caseTrailC,
	"config-changes": caseConfigC, "cmk-disable-or-delete": caseCMK, "s3-bucket-policy-changes": caseS3C,
	"organizations-changes": caseOrgs,
}

// TestBuiltin_FiresAndNearMiss evaluates every built-in rule through the
// real engine on a lake holding each rule's matching event and near miss:
// the rule must match the first and not the second.
func TestBuiltin_FiresAndNearMiss(t *testing.T) {
	rules := detect.BuiltinAll()
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var recs []map[string]any
	for i, r := range rules {
		c, ok := builtinCases[r.Name]
		if !ok {
			t.Fatalf("built-in rule %s has no test case", r.Name)
		}
		at := base.Add(time.Duration(i) * time.Minute)
		recs = append(recs, record(r.Name+"-match", at, c.match), record(r.Name+"-miss", at, c.miss))
	}
	if len(builtinCases) != len(rules) {
		t.Fatalf("%d test cases for %d rules", len(builtinCases), len(rules))
	}
	lake, snap := lakeOf(t, recs)
	results, st, err := detect.Evaluate(context.Background(), lake, snap, rules, detect.Options{Samples: len(recs)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 1 {
		t.Fatalf("files = %d, want 1", st.Files)
	}
	for i, res := range results {
		r := rules[i]
		got := map[string]bool{}
		for _, m := range res.Samples {
			got[m.EventID] = true
		}
		if int64(len(res.Samples)) != res.Hits {
			t.Errorf("%s: %d samples for %d hits", r.Name, len(res.Samples), res.Hits)
		}
		if !got[r.Name+"-match"] {
			t.Errorf("%s: does not fire on its matching event\npattern %s", r.Name, r.Pattern)
		}
		if got[r.Name+"-miss"] {
			t.Errorf("%s: fires on its near miss\npattern %s", r.Name, r.Pattern)
		}
		// The reference evaluator agrees with the engine on both events.
		for _, rec := range recs[2*i : 2*i+2] {
			raw := mustJSON(t, rec)
			if want := query.MatchJSON(r.Node, raw); want != got[rec["eventID"].(string)] {
				t.Errorf("%s: engine %v, reference %v on %s", r.Name, got[rec["eventID"].(string)], want, rec["eventID"])
			}
		}
	}
}

// TestBuiltin_PatternsVerbatim pins the CIS rules to the published text.
func TestBuiltin_PatternsVerbatim(t *testing.T) {
	want := map[string]string{
		"cis-1.2-3.1":  `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`,
		"cis-3.0-4.1":  `{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`,
		"cis-1.5-4.1":  `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`,
		"cis-1.2-3.11": `{ ($.eventName = CreateNetworkAcl) || ($.eventName =  CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`,
		"cis-3.0-4.3":  `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
	}
	n12, n30 := 0, 0
	for _, r := range detect.CIS() {
		if w, ok := want[r.Name]; ok && r.Pattern != w {
			t.Errorf("%s pattern\n got %s\nwant %s", r.Name, r.Pattern, w)
		}
		switch {
		case strings.HasPrefix(r.Name, "cis-1.2-"):
			n12++
		case strings.HasPrefix(r.Name, "cis-3.0-"):
			n30++
		}
	}
	if n12 != 14 || n30 != 15 {
		t.Errorf("CIS v1.2 rules %d (want 14), v3.0 rules %d (want 15)", n12, n30)
	}
}

// TestBuiltin_ThresholdAlarm: console-auth-failures alarms at 3 failures
// in one 5-minute period, not at 2.
func TestBuiltin_ThresholdAlarm(t *testing.T) {
	var rule *detect.Rule
	for _, r := range detect.Builtin() {
		if r.Name == "console-auth-failures" {
			rule = r
		}
	}
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	fail := ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "errorMessage": "Failed authentication"}
	recs := []map[string]any{
		record("a1", base.Add(1*time.Minute), fail), record("a2", base.Add(2*time.Minute), fail), record("a3", base.Add(3*time.Minute), fail),
		record("b1", base.Add(11*time.Minute), fail), record("b2", base.Add(12*time.Minute), fail),
	}
	lake, snap := lakeOf(t, recs)
	res, _, err := detect.Evaluate(context.Background(), lake, snap, []*detect.Rule{rule}, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Hits != 5 || len(r.Alarms) != 1 {
		t.Fatalf("hits %d alarms %+v; want 5 hits, 1 alarm", r.Hits, r.Alarms)
	}
	a := r.Alarms[0]
	if !a.Period.Equal(base) || a.Sum != 3 || strings.Join(a.EventIDs, ",") != "a1,a2,a3" {
		t.Errorf("alarm %+v; want period %s, sum 3, events a1,a2,a3", a, base)
	}
}

// TestEvaluate_WindowEvents: an alarm over several periods lists the
// window's events in (eventTime, eventID) order, and every rule of a run
// gets its own results, in rule order, whatever worker computed them:
// rules that share a pattern and period (one tally of matches) differ by
// their thresholds, and a rule with another period counts its own.
func TestEvaluate_WindowEvents(t *testing.T) {
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	del := ev{"eventName": "DeleteTrail", "eventSource": "cloudtrail.amazonaws.com"}
	recs := []map[string]any{
		record("c", base.Add(1*time.Minute), del), record("a", base.Add(1*time.Minute), del),
		record("b", base.Add(6*time.Minute), del), record("d", base.Add(16*time.Minute), del),
	}
	lake, snap := lakeOf(t, recs)
	var body strings.Builder
	for i, th := range []string{">=3", ">=1", ">=2", ">=4"} {
		fmt.Fprintf(&body, "- name: r%d\n  pattern: '{ $.eventName = DeleteTrail }'\n  period: 5m\n  threshold: '%s'\n  evaluation_periods: 2\n", i, th)
	}
	// The same pattern with another period counts on its own.
	body.WriteString("- name: r4\n  pattern: '{ $.eventName = DeleteTrail }'\n  period: 10m\n  threshold: '>=3'\n  evaluation_periods: 1\n")
	rules, err := detect.ParseRules("rules.yaml", []byte(body.String()))
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := detect.Evaluate(context.Background(), lake, snap, rules, detect.Options{Query: query.Options{Workers: 3}})
	if err != nil {
		t.Fatal(err)
	}
	// Windows (two periods) are evaluated from the second period on:
	// 10:05 holds a, c, b; 10:10 b; 10:15 d (the series ends with the last
	// period holding a match).
	want := [][]string{
		{"10:05 a,c,b"},
		{"10:05 a,c,b", "10:10 b", "10:15 d"},
		{"10:05 a,c,b"},
		nil,
		{"10:00 a,c,b"},
	}
	for i, r := range res {
		if r.Rule != rules[i] {
			t.Fatalf("result %d is for rule %s", i, r.Rule.Name)
		}
		var got []string
		for _, a := range r.Alarms {
			got = append(got, a.Period.Format("15:04")+" "+strings.Join(a.EventIDs, ","))
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("rule %s: alarms %q; want %q", r.Rule.Name, got, want[i])
		}
	}
}

// TestPass_FilteredSnapshot: a pass reads only the files its rules may
// match in the time bounds, and finds what an evaluation over the whole
// snapshot finds.
func TestPass_FilteredSnapshot(t *testing.T) {
	var rule *detect.Rule
	for _, r := range detect.Builtin() {
		if r.Name == "console-auth-failures" {
			rule = r
		}
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	fail := ev{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "errorMessage": "Failed authentication"}
	var ids []string
	for d := 0; d < 3; d++ {
		base := time.Date(2024, 3, 1+d, 10, 0, 0, 0, time.UTC)
		var recs []map[string]any
		for i := 0; i < 3; i++ {
			id := fmt.Sprintf("d%d-%d", d, i)
			recs = append(recs, record(id, base.Add(time.Duration(i)*time.Minute), fail))
			if d > 0 {
				ids = append(ids, id)
			}
		}
		writeObject(t, archive, base.Add(5*time.Minute), fmt.Sprintf("day%dabcdefghijkl", d), recs)
	}
	lake := ingestDir(t, archive, filepath.Join(dir, "lake"))
	full, err := lake.FilesSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opts := detect.Options{Query: query.Options{Since: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)}}
	want, _, err := detect.Evaluate(context.Background(), lake, full, []*detect.Rule{rule}, opts)
	if err != nil {
		t.Fatal(err)
	}
	pass, err := detect.NewPass([]*detect.Rule{rule}, opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := pass.Snapshot(context.Background(), lake)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Files) != 3 || len(snap.Files) != 2 {
		t.Fatalf("%d files in the pass's snapshot of %d; want 2 of 3", len(snap.Files), len(full.Files))
	}
	got, _, err := pass.Run(context.Background(), lake, snap)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, a := range got[0].Alarms {
		gotIDs = append(gotIDs, a.EventIDs...)
	}
	if got[0].Hits != 6 || got[0].Hits != want[0].Hits || len(got[0].Alarms) != 2 || len(want[0].Alarms) != 2 || strings.Join(gotIDs, ",") != strings.Join(ids, ",") {
		t.Errorf("pass: %d hits, alarms %+v; over the whole snapshot: %d hits, alarms %+v; want 6 hits, events %v", got[0].Hits, got[0].Alarms, want[0].Hits, want[0].Alarms, ids)
	}
	// A snapshot read for one pass is not another's.
	other, err := detect.NewPass([]*detect.Rule{rule}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Run(context.Background(), lake, snap); err == nil {
		t.Errorf("a pass ran over a snapshot read through another pass's filter")
	}
}
