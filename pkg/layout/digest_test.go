package layout

import (
	"strings"
	"testing"
	"time"
)

func TestParseDigestKey_Success(t *testing.T) {
	f := func(key, org, account, region, trail, home, end string, backfill bool) {
		t.Helper()
		k, err := ParseDigestKey(key)
		if err != nil {
			t.Fatalf("ParseDigestKey(%q): %v", key, err)
		}
		if k.OrgID != org || k.Account != account || k.Region != region || k.Trail != trail || k.HomeRegion != home || k.Backfill != backfill {
			t.Fatalf("ParseDigestKey(%q) = %+v", key, k)
		}
		if got := k.End.Format(time.RFC3339); got != end {
			t.Fatalf("end = %s, want %s", got, end)
		}
	}
	f("AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_my-trail_us-east-1_20150817T150131Z.json.gz",
		"", "111122223333", "us-east-2", "my-trail", "us-east-1", "2015-08-17T15:01:31Z", false)
	// Organization trail, bucket prefix, a trail name with underscores.
	f("p/q/AWSLogs/o-exampleorgid/012345678901/CloudTrail-Digest/eu-west-1/2024/03/01/012345678901_CloudTrail-Digest_eu-west-1_org_trail_x_us-east-1_20240301T235959Z.json.gz",
		"o-exampleorgid", "012345678901", "eu-west-1", "org_trail_x", "us-east-1", "2024-03-01T23:59:59Z", false)
	f("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_t1.b-c_us-east-1_20240102T010000Z_backfill.json.gz",
		"", "111122223333", "us-east-1", "t1.b-c", "us-east-1", "2024-01-02T01:00:00Z", true)
}

func TestParseDigestKey_Failure(t *testing.T) {
	f := func(key, want string) {
		t.Helper()
		_, err := ParseDigestKey(key)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("ParseDigestKey(%q) error = %v, want it to mention %q", key, err, want)
		}
	}
	const dir = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/"
	f("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T0000Z_x.json.gz", "not a CloudTrail-Digest key")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T000000Z.json", "does not end in .json.gz")
	f(dir+"999999999999_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T000000Z.json.gz", "does not start with")
	f(dir+"111122223333_CloudTrail-Digest_eu-west-1_trail_us-east-1_20240301T000000Z.json.gz", "does not start with")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T0000Z.json.gz", "invalid timestamp")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_US_20240301T000000Z.json.gz", "invalid home region")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_t/x_us-east-1_20240301T000000Z.json.gz", "want AWSLogs/")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_t;x_us-east-1_20240301T000000Z.json.gz", "invalid trail name")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240302T000000Z.json.gz", "is not the end date")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_us-east-1_20240301T000000Z.json.gz", "TRAIL_HOMEREGION")
}

func FuzzParseDigestKey(f *testing.F) {
	f.Add("AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_my-trail_us-east-1_20150817T150131Z.json.gz")
	f.Fuzz(func(t *testing.T, key string) {
		k, err := ParseDigestKey(key)
		if err != nil {
			return
		}
		if strings.Contains(k.Trail, "/") || strings.Contains(k.Account, ".") || k.End.IsZero() {
			t.Fatalf("accepted %q as %+v", key, k)
		}
	})
}
