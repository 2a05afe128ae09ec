package insights_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/insights"
)

// awsSamples are AWS's CloudTrail sample queries (spec §6), unchanged.
var awsSamples = []string{
	`stats count(*) by eventSource, eventName, awsRegion`,
	`filter (eventName="StartInstances" or eventName="StopInstances") and awsRegion="us-east-2"`,
	`filter eventName="CreateUser" | fields awsRegion, requestParameters.userName, responseElements.user.arn`,
	`filter eventName="UpdateTrail" and ispresent(errorCode) | stats count(*) by errorCode, errorMessage`,
	`filter tlsDetails.tlsVersion in [ "TLSv1", "TLSv1.1" ] | stats count(*) as numOutdatedTlsCalls by userIdentity.accountId, recipientAccountId, eventSource, eventName, awsRegion, tlsDetails.tlsVersion, tlsDetails.cipherSuite, userAgent | sort eventSource, eventName, awsRegion, tlsDetails.tlsVersion`,
}

// recipes are the investigation queries of spec §6 (and docs/LANGUAGE.md).
var recipes = []string{
	`filter ispresent(errorCode) | stats count(*) as errors by userIdentity.arn, errorCode | sort errors desc | limit 20`,
	`filter not isempty(userIdentity.accessKeyId) | stats count_distinct(sourceIPAddress) as ips, count(*) as calls by userIdentity.accessKeyId | sort ips desc`,
	`filter userIdentity.type = "AssumedRole" | stats min(@timestamp) as first, max(@timestamp) as last, earliest(sourceIPAddress) as firstIp, latest(sourceIPAddress) as lastIp by userIdentity.sessionContext.sessionIssuer.arn | sort last desc`,
	`filter eventName = "ConsoleLogin" | stats count(*) as logins by bin(1d) as day, userIdentity.arn, sourceIPAddress, responseElements.ConsoleLogin | sort day asc, logins desc`,
	`stats count(*) as events by eventSource, awsRegion | sort events desc`,
	`filter errorCode like /AccessDenied|UnauthorizedOperation/ | stats count(*) as denied by bin(5m) as window, userIdentity.arn | filter denied >= 20 | sort denied desc`,
	`filter eventName = "ConsoleLogin" and responseElements.ConsoleLogin = "Success" and additionalEventData.MFAUsed != "Yes" | fields @timestamp, userIdentity.arn, sourceIPAddress, userAgent | sort @timestamp desc`,
	`filter userIdentity.type = "Root" and not ispresent(userIdentity.invokedBy) and eventType != "AwsServiceEvent" | stats count(*) as calls, latest(sourceIPAddress) as lastIp by eventName | sort calls desc`,
	`filter eventName = "ConsoleLogin" and responseElements.ConsoleLogin = "Failure" | stats count(*) as failures, count_distinct(userIdentity.userName) as users by sourceIPAddress | sort failures desc | limit 25`,
	`filter isValidIp(sourceIPAddress) and not isIpInSubnet(sourceIPAddress, "203.0.113.0/24") and not isIpInSubnet(sourceIPAddress, "10.0.0.0/8") | stats count(*) as calls by userIdentity.arn, sourceIPAddress | sort calls desc`,
	`filter eventSource = "iam.amazonaws.com" and readOnly = 0 | fields @timestamp, eventName, userIdentity.arn, errorCode | sort @timestamp desc | limit 200`,
	`filter eventName in ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"] | fields @timestamp, awsRegion, eventName, userIdentity.arn, requestParameters.name | sort @timestamp asc`,
	`filter ispresent(userIdentity.accessKeyId) | fields @timestamp, userIdentity.accessKeyId, eventName, sourceIPAddress | sort @timestamp desc | dedup userIdentity.accessKeyId | limit 100`,
	`filter readOnly = 0 | stats count(*) as writes by recipientAccountId, bin(1h) as hour | stats max(writes) as peakHourly, avg(writes) as avgHourly by recipientAccountId | sort peakHourly desc`,
	`fields ispresent(errorCode) as failed | stats count(*) as calls, sum(failed) as errors, 100 * sum(failed) / count(*) as errorPct by eventSource, eventName | filter calls >= 100 | sort errorPct desc | limit 20`,
	`filter eventSource = "sts.amazonaws.com" and eventName = "AssumeRole" and userIdentity.accountId != recipientAccountId | stats count(*) as assumes by userIdentity.accountId, requestParameters.roleArn | sort assumes desc`,
	`filter eventName in ["PutRolePolicy", "PutUserPolicy", "PutGroupPolicy"] and requestParameters.policyDocument like /"Action"\s*:\s*"\*"/ | fields @timestamp, userIdentity.arn, eventName, requestParameters.policyName`,
	`{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" } | stats count(*) by bin(1d), userIdentity.arn, sourceIPAddress`,
	`filter eventName = "CreateUser" | fields @timestamp, awsRegion, requestParameters.userName, responseElements.user.arn`,
}

// realRecords loads the real CloudTrail events beside the repository.
func realRecords(t testing.TB) []*insights.Record {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail-real", "*.records.json"))
	if len(files) == 0 {
		t.Skip("no shared/testdata/cloudtrail-real beside the repository")
	}
	var out []*insights.Record
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, logRecords(t, data, filepath.Base(f))...)
	}
	return out
}

// logRecords decodes the records of one {"Records":[...]} log file.
func logRecords(t testing.TB, data []byte, label string) []*insights.Record {
	t.Helper()
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	out := make([]*insights.Record, 0, len(doc.Records))
	for _, raw := range doc.Records {
		rec, err := insights.DecodeRecord(raw, label)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// generatedRecords returns the records of a generated archive, in file
// order.
func generatedRecords(t testing.TB, cfg gen.Config) []*insights.Record {
	t.Helper()
	var out []*insights.Record
	_, err := gen.Generate(context.Background(), cfg, func(o gen.Object) error {
		if o.Kind != gen.KindLog {
			return nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(o.Data))
		if err != nil {
			return err
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		out = append(out, logRecords(t, data, "s3://bucket/"+o.Key)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSamples(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Events = 3000
	sets := map[string][]*insights.Record{"generated": generatedRecords(t, cfg)}
	if files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail-real", "*.records.json")); len(files) > 0 {
		sets["real"] = realRecords(t)
	}
	for name, recs := range sets {
		for _, q := range append(append([]string{}, awsSamples...), recipes...) {
			parsed, err := insights.Parse(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			res := evaluate(t, parsed, recs, insights.EvalOptions{Now: testNow})
			for _, row := range res.Rows {
				if len(row) != len(res.Columns) {
					t.Fatalf("%s over %s events: a row of %d cells for %d columns", q, name, len(row), len(res.Columns))
				}
			}
			t.Logf("%s events: %d rows: %s", name, len(res.Rows), q)
		}
		checkSampleCounts(t, name, recs)
	}
}

// checkSampleCounts checks AWS's samples against counts taken directly from
// the decoded records.
func checkSampleCounts(t *testing.T, name string, recs []*insights.Record) {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	type triple struct{ src, name, region string }
	groups := map[triple]int{}
	creates, starts := 0, 0
	for _, r := range recs {
		groups[triple{str(r.Doc, "eventSource"), str(r.Doc, "eventName"), str(r.Doc, "awsRegion")}]++
		if str(r.Doc, "eventName") == "CreateUser" {
			creates++
		}
		if en := str(r.Doc, "eventName"); (en == "StartInstances" || en == "StopInstances") && str(r.Doc, "awsRegion") == "us-east-2" {
			starts++
		}
	}
	eval := func(q string) *insights.Result {
		p, err := insights.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		return evaluate(t, p, recs, insights.EvalOptions{})
	}
	res := eval(awsSamples[0])
	if len(res.Rows) != len(groups) {
		t.Errorf("%s: %d groups by eventSource, eventName, awsRegion; want %d", name, len(res.Rows), len(groups))
	}
	total := 0.0
	for _, row := range res.Rows {
		total += row[3].Num
		k := triple{row[0].Str, row[1].Str, row[2].Str}
		if int(row[3].Num) != groups[k] {
			t.Errorf("%s: group %v counts %v, want %d", name, k, row[3].Num, groups[k])
		}
	}
	if int(total) != len(recs) {
		t.Errorf("%s: counts add up to %v, want %d records", name, total, len(recs))
	}
	if got := len(eval(awsSamples[1]).Rows); got != starts {
		t.Errorf("%s: %d Start/StopInstances rows in us-east-2, want %d", name, got, starts)
	}
	if got := len(eval(awsSamples[2]).Rows); got != creates {
		t.Errorf("%s: %d CreateUser rows, want %d", name, got, creates)
	}
}
