package layout

import (
	"fmt"
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

// FuzzParseKey: whatever the key, ParseKey must not panic, and what it
// accepts must be safe to use in lake paths and consistent with the key.
func FuzzParseKey(f *testing.F) {
	f.Add("AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz")
	f.Add("my/trail/AWSLogs/o-exampleorgid/012345678901/CloudTrail-Digest/eu-west-1/2024/03/01/x.json.gz")
	f.Add("AWSLogs/AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/30/a")
	f.Add("/AWSLogs//CloudTrail/us-east-1/2024/03/01/../x")
	f.Fuzz(func(t *testing.T, key string) {
		k, err := ParseKey(key)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", key)) {
				t.Fatalf("error %q does not name the key", err)
			}
			return
		}
		if !ValidAccount(k.Account) || !ValidRegion(k.Region) || k.OrgID != "" && !ValidOrgID(k.OrgID) {
			t.Fatalf("accepted %q with account %q, region %q, org %q", key, k.Account, k.Region, k.OrgID)
		}
		if !strings.HasPrefix(k.Layout, Root+"/") || !strings.HasSuffix(key, k.Layout) || !strings.HasSuffix(k.Layout, "/"+k.File) {
			t.Fatalf("accepted %q with layout %q and file %q", key, k.Layout, k.File)
		}
		if k.File == "" || strings.Contains(k.File, "/") {
			t.Fatalf("accepted %q with file name %q", key, k.File)
		}
		if k.Day.Location() != time.UTC || !k.Day.Equal(k.Day.Truncate(24*time.Hour)) {
			t.Fatalf("accepted %q with day %v", key, k.Day)
		}
		if want := k.Day.Format("2006/01/02"); !strings.Contains(k.Layout, "/"+k.Region+"/"+want+"/") {
			t.Fatalf("accepted %q: day %s is not the path's", key, want)
		}
	})
}

func TestValidAccountRegion(t *testing.T) {
	for _, c := range []struct {
		s               string
		account, region bool
	}{
		{"111122223333", true, false},
		{"11112222333", false, false},
		{"1111222233334", false, false},
		{"11112222333a", false, false},
		{"us-east-1", false, true},
		{"us-gov-west-1", false, true},
		{"us-isob-east-1", false, true},
		{"ap-southeast-5", false, true},
		{"cn-north-1", false, true},
		{"US-EAST-1", false, false},
		{"us-east-1/..", false, false},
		{"us-east", false, false},
		{"", false, false},
	} {
		if got := ValidAccount(c.s); got != c.account {
			t.Errorf("ValidAccount(%q) = %v", c.s, got)
		}
		if got := ValidRegion(c.s); got != c.region {
			t.Errorf("ValidRegion(%q) = %v", c.s, got)
		}
	}
}

func TestRestartHelpers(t *testing.T) {
	name := "111122223333_CloudTrail_us-east-1_20240301T2355Z_abc.json.gz"
	tm, at, ok := FileTime(name)
	if !ok || name[at:at+14] != "20240301T2355Z" || FormatFileTime(tm) != "20240301T2355Z" {
		t.Fatalf("FileTime(%q) = %v, %d, %v", name, tm, at, ok)
	}
	if _, _, ok := FileTime("renamed.json.gz"); ok {
		t.Fatal("FileTime found a time in a name without one")
	}
	if p, l, ok := SplitRoot("a/b/AWSLogs/o-x/1/"); !ok || p != "a/b" || l != "AWSLogs/o-x/1/" {
		t.Fatalf("SplitRoot = %q, %q, %v", p, l, ok)
	}
	if _, _, ok := SplitRoot("a/bAWSLogs/x"); ok {
		t.Fatal("SplitRoot accepted a partial component")
	}
	if !IsRoot("p/AWSLogs/") || !IsRoot("AWSLogs") || IsRoot("p/XAWSLogs/") {
		t.Fatal("IsRoot")
	}
}
