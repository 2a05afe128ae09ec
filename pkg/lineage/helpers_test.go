package lineage

import (
	"context"
	"encoding/json"
	"testing"
)

// obj is a JSON object under construction.
type obj = map[string]any

// ev builds a record: base fields plus the given members.
func ev(id, name, at string, members obj) obj {
	src := "sts.amazonaws.com"
	switch name {
	case "CreateAccessKey":
		src = "iam.amazonaws.com"
	case "ConsoleLogin":
		src = "signin.amazonaws.com"
	case "GetRoleCredentials":
		src = "sso.amazonaws.com"
	case "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetSessionToken", "GetFederationToken", "AssumeRoot":
	default:
		src = "s3.amazonaws.com"
	}
	r := obj{"eventVersion": "1.08", "eventID": id, "eventName": name, "eventSource": src, "eventTime": at,
		"awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0 Python/3.11",
		"recipientAccountId": "111111111111", "eventType": "AwsApiCall"}
	for k, v := range members {
		r[k] = v
	}
	return r
}

// user is an IAMUser identity with a key.
func user(acct, name, key string) obj {
	return obj{"type": "IAMUser", "arn": "arn:aws:iam::" + acct + ":user/" + name, "principalId": "AIDA" + name,
		"accountId": acct, "accessKeyId": key, "userName": name}
}

// session is an AssumedRole identity of a role session.
func session(acct, role, name, key, created string) obj {
	return obj{"type": "AssumedRole", "arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + name,
		"principalId": "AROA" + role + ":" + name, "accountId": acct, "accessKeyId": key,
		"sessionContext": obj{"attributes": obj{"creationDate": created, "mfaAuthenticated": "false"},
			"sessionIssuer": obj{"type": "Role", "arn": "arn:aws:iam::" + acct + ":role/" + role}}}
}

// assumed is an AssumeRole response.
func assumed(acct, role, name, key string) obj {
	return obj{"credentials": obj{"accessKeyId": key, "expiration": "Jan 5, 2026, 11:00:00 AM"},
		"assumedRoleUser": obj{"arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + name, "assumedRoleId": "AROA" + role + ":" + name}}
}

func encode(t testing.TB, recs ...obj) [][]byte {
	t.Helper()
	out := make([][]byte, len(recs))
	for i, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func trace(t testing.TB, target string, recs ...obj) *Result {
	t.Helper()
	res, err := Trace(context.Background(), NewMemorySource(encode(t, recs...)), Config{Target: target, KeepEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// parentLink returns the single link into id.
func parentLink(t testing.TB, res *Result, id string) Link {
	t.Helper()
	ps := res.Parents(id)
	if len(ps) != 1 {
		t.Fatalf("%s: %d parent links, want 1: %+v", id, len(ps), res.Links)
	}
	return ps[0]
}
