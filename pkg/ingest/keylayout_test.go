package ingest

import (
	"strings"
	"testing"
	"time"
)

func TestParseKey_Success(t *testing.T) {
	f := func(key, prefix, org, account, region, day, delivery string) {
		t.Helper()
		k, err := ParseKey(key)
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", key, err)
		}
		if k.Prefix != prefix || k.OrgID != org || k.Account != account || k.Region != region || k.Kind != KindCloudTrail {
			t.Fatalf("ParseKey(%q) = %+v", key, k)
		}
		if got := k.Day.Format("2006-01-02"); got != day {
			t.Fatalf("day = %s, want %s", got, day)
		}
		if got := k.Delivery.Format(time.RFC3339); got != delivery {
			t.Fatalf("delivery = %s, want %s", got, delivery)
		}
		if !strings.HasPrefix(k.Layout, "AWSLogs/") {
			t.Fatalf("layout %q", k.Layout)
		}
	}
	// Single-account trail, no prefix.
	f("AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
		"", "", "111122223333", "us-east-2", "2015-08-01", "2015-08-01T02:10:00Z")
	// Organization trail with a multi-level prefix.
	f("my/trail/AWSLogs/o-exampleorgid/012345678901/CloudTrail/eu-west-1/2024/03/01/012345678901_CloudTrail_eu-west-1_20240301T2355Z_abcdefABCDEF0123.json.gz",
		"my/trail", "o-exampleorgid", "012345678901", "eu-west-1", "2024-03-01", "2024-03-01T23:55:00Z")
	// Documentation variant without the underscore before the unique string.
	f("AWSLogs/123456789012/CloudTrail/us-west-1/2014/06/20/123456789012_CloudTrail_us-west-1_20140620T1255ZHdkvFTXOA3Vnhbc.json.gz",
		"", "", "123456789012", "us-west-1", "2014-06-20", "2014-06-20T12:55:00Z")
	// GovCloud region; a file name with no timestamp falls back to the path day.
	f("AWSLogs/123456789012/CloudTrail/us-gov-west-1/2024/01/02/renamed.json.gz",
		"", "", "123456789012", "us-gov-west-1", "2024-01-02", "2024-01-02T00:00:00Z")
}

func TestParseKey_Failure(t *testing.T) {
	f := func(key, want string) {
		t.Helper()
		_, err := ParseKey(key)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("ParseKey(%q) error = %v, want it to mention %q", key, err, want)
		}
	}
	f("logs/111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz", "no AWSLogs/")
	f("AWSLogs/11112222333/CloudTrail/us-east-1/2024/03/01/x.json.gz", "not 12 digits")
	f("AWSLogs/../CloudTrail/us-east-1/2024/03/01/x.json.gz", "not 12 digits")
	f("AWSLogs/111122223333/CloudTrail/US-EAST-1/2024/03/01/x.json.gz", "invalid region")
	f("AWSLogs/111122223333/CloudTrail/us-east-1;rm/2024/03/01/x.json.gz", "invalid region")
	f("AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/01/x.json.gz", "invalid date")
	f("AWSLogs/111122223333/Other/us-east-1/2024/03/01/x.json.gz", "unknown log kind")
	f("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/x.json.gz", "want AWSLogs/")
}
