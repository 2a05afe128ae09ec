package lineage

import (
	"slices"
	"testing"
)

// flaws2Lambda is spec example E2's Lambda session (real values), with the
// service's AssumeRole, whose body was not published, reconstructed.
func flaws2Lambda(outside bool) []obj {
	id := obj{"type": "AssumedRole", "arn": "arn:aws:sts::653711331788:assumed-role/level1/level1", "principalId": "AROAIBATWWYQXZTTALNCE:level1",
		"accountId": "653711331788", "accessKeyId": "ASIAZQNB3KHGIGYQXVVG",
		"sessionContext": obj{"attributes": obj{"creationDate": "2018-11-28T23:03:12Z"}}}
	recs := []obj{
		ev("assume", "AssumeRole", "2018-11-28T23:03:12Z", obj{"recipientAccountId": "653711331788", "sharedEventID": "sh-1",
			"userIdentity": obj{"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}, "sourceIPAddress": "lambda.amazonaws.com", "userAgent": "lambda.amazonaws.com",
			"requestParameters": obj{"roleArn": "arn:aws:iam::653711331788:role/service-role/level1", "roleSessionName": "level1"},
			"responseElements":  obj{"credentials": obj{"accessKeyId": "ASIAZQNB3KHGIGYQXVVG", "expiration": "Nov 29, 2018 11:03:12 AM"}}}),
		ev("logs", "CreateLogStream", "2018-11-28T23:03:12Z", obj{"recipientAccountId": "653711331788", "sourceIPAddress": "34.234.236.212", "userAgent": "awslambda-worker", "userIdentity": id}),
		ev("logs2", "PutLogEvents", "2018-11-28T23:03:13Z", obj{"recipientAccountId": "653711331788", "sourceIPAddress": "34.234.236.212", "userAgent": "awslambda-worker", "userIdentity": id}),
	}
	if outside {
		recs = append(recs,
			ev("cli1", "ListImages", "2018-11-28T23:05:53Z", obj{"recipientAccountId": "653711331788", "sourceIPAddress": "104.102.221.250",
				"userAgent": "aws-cli/1.16.19 Python/2.7.10 Darwin/17.7.0 botocore/1.12.9", "userIdentity": id}),
			ev("cli2", "BatchGetImage", "2018-11-28T23:06:17Z", obj{"recipientAccountId": "653711331788", "sourceIPAddress": "104.102.221.250",
				"userAgent": "aws-cli/1.16.19 Python/2.7.10 Darwin/17.7.0 botocore/1.12.9", "userIdentity": id}))
	}
	return recs
}

func TestExfiltrationFlag(t *testing.T) {
	res := trace(t, "ASIAZQNB3KHGIGYQXVVG", flaws2Lambda(true)...)
	c := res.Credential("ASIAZQNB3KHGIGYQXVVG")
	if len(c.Flags) != 1 {
		t.Fatalf("flags %+v, want one", c.Flags)
	}
	f := c.Flags[0]
	if f.Kind != FlagExfiltration || !slices.Equal(f.Evidence, []string{"logs", "cli1", "cli2"}) ||
		!slices.Equal(f.Reasons, []string{ReasonNewAddress, ReasonNewAgent}) {
		t.Errorf("flag %+v", f)
	}
	if c.Service != "lambda.amazonaws.com" || !c.Workload {
		t.Errorf("credential %+v: want a Lambda workload", c)
	}

	res = trace(t, "ASIAZQNB3KHGIGYQXVVG", flaws2Lambda(false)...)
	if c := res.Credential("ASIAZQNB3KHGIGYQXVVG"); len(c.Flags) != 0 || c.Events != 2 {
		t.Errorf("service-only use flagged: %+v", c)
	}
}

func TestAgentFamily(t *testing.T) {
	for ua, want := range map[string]string{
		"aws-cli/1.16.19 Python/2.7.10":                     "aws-cli",
		"[aws-cli/1.16.19 Python/2.7.10]":                   "aws-cli",
		"awslambda-worker":                                  "aws-lambda-runtime",
		"Boto3/1.28 Python/3.11 exec-env/AWS_Lambda_python": "aws-lambda-runtime",
		"lambda.amazonaws.com":                              "aws-service",
		"Mozilla/5.0 (X11)":                                 "mozilla",
		"":                                                  "",
	} {
		if got := agentFamily(ua); got != want {
			t.Errorf("agentFamily(%q) = %q, want %q", ua, got, want)
		}
	}
}
