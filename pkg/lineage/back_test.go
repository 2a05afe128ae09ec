package lineage

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestUnlinkedRoot(t *testing.T) {
	// Spec E2 (flaws2): a key used without its issuing event in the lake.
	res := trace(t, "ASIAZQNB3KHGIGYQXVVG", ev("u1", "ListImages", "2018-11-28T23:05:53Z", obj{
		"userIdentity": obj{"type": "AssumedRole", "arn": "arn:aws:sts::653711331788:assumed-role/level1/level1", "accessKeyId": "ASIAZQNB3KHGIGYQXVVG", "accountId": "653711331788"}}))
	c := res.Credential("ASIAZQNB3KHGIGYQXVVG")
	if !c.UnlinkedRoot || !strings.Contains(c.Unlinked, "653711331788") || len(res.Links) != 0 {
		t.Errorf("unlinked root %+v, links %v", c, res.Links)
	}
}

func TestKeyAccount(t *testing.T) {
	for key, want := range map[string]string{
		"ASIAZQNB3KHGIGYQXVVG": "653711331788", // flaws2
		"ASIAZQNB3KHGNXWXBSJS": "653711331788",
		"AKIAIOSFODNN7EXAMPLE": "", // old style: no account
		"ASIA":                 "",
		"ASIA0000000000000000": "", // '0' is not base32
	} {
		if got := KeyAccount(key); got != want {
			t.Errorf("KeyAccount(%s) = %q, want %q", key, got, want)
		}
	}
}

// TestLookupWindows: the issuing event of a session key is searched in the
// second its uses name as creation time, that of a long-term key up to its
// first use, and an issued key's uses from its issuance on.
func TestLookupWindows(t *testing.T) {
	src := NewMemorySource(encode(t, chainRecords()...))
	if _, err := Trace(context.Background(), src, Config{Target: "ASIADBADMIN000000001"}); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		issuingPattern("ASIADBADMIN000000001"): {"2026-01-05T10:05:00Z", "2026-01-05T10:05:01Z"},
		issuingPattern("AKIAALICE00000000001"): {"0001-01-01T00:00:00Z", "2026-01-05T10:00:01Z"},
	}
	for _, l := range src.Lookups {
		if w, ok := want[l.Pattern]; ok {
			if got := [2]string{l.Since.Format(time.RFC3339), l.Until.Format(time.RFC3339)}; got != w {
				t.Errorf("%s: window %v, want %v", l.Pattern, got, w)
			}
			delete(want, l.Pattern)
		}
	}
	if len(want) > 0 {
		t.Errorf("lookups not made: %v", want)
	}

	src = NewMemorySource(encode(t, chainRecords()...))
	if _, err := Trace(context.Background(), src, Config{Target: "AKIAALICE00000000001"}); err != nil {
		t.Fatal(err)
	}
	for _, l := range src.Lookups {
		if l.Pattern == usePattern("ASIADBADMIN000000001") && !l.Since.Equal(time.Date(2026, 1, 5, 10, 5, 0, 0, time.UTC)) {
			t.Errorf("uses of the chained key from %s, want its issuance", l.Since)
		}
	}
}

// TestSourceIdentityOfUnlinked: a session whose issuing event is missing
// still names its original identity through sourceIdentity.
func TestSourceIdentityOfUnlinked(t *testing.T) {
	id := session("111111111111", "R", "x", "ASIASRCID00000000001", "2026-01-01T00:00:00Z")
	id["sessionContext"].(obj)["sourceIdentity"] = "mallory"
	res := trace(t, "ASIASRCID00000000001", ev("u", "GetObject", "2026-01-01T00:01:00Z", obj{"userIdentity": id}))
	if c := res.Credential("ASIASRCID00000000001"); !c.UnlinkedRoot || c.SourceIdentity != "mallory" {
		t.Errorf("credential %+v", c)
	}
}
