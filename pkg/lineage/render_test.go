package lineage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestWriteTree(t *testing.T) {
	res := trace(t, "AKIAALICE00000000001", chainRecords()...)
	var b bytes.Buffer
	if err := WriteTree(&b, res); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	// Root first, each generation indented one step more.
	want := []string{"AKIAADMIN00000000001 ", "  └ AKIAALICE00000000001 ", "    └ ASIADEPLOY0000000001 ", "      └ ASIADBADMIN000000001 "}
	var got []string
	for _, l := range lines {
		if strings.Contains(l, "AKIA") || strings.Contains(l, "ASIA") {
			if !strings.HasPrefix(strings.TrimLeft(l, " └"), "unlinked") {
				got = append(got, l)
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("tree:\n%s", b.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, got[i], w)
		}
	}
	if !strings.Contains(b.String(), "via AssumeRole e-chain") || !strings.Contains(b.String(), "errors=1") {
		t.Errorf("tree lacks the proving event or the error count:\n%s", b.String())
	}
}

func TestWriteTreeEscapes(t *testing.T) {
	id := session("111111111111", "R", "x", "ASIAESC0000000000001", "2026-01-01T00:00:00Z")
	res := trace(t, "ASIAESC0000000000001", ev("e\x1b[31m", "GetObject", "2026-01-01T00:01:00Z", obj{"userIdentity": id,
		"sourceIPAddress": "10.0.0.1\x1b]0;owned\x07", "awsRegion": "us-east-1\u202e"}))
	var b bytes.Buffer
	if err := WriteTree(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") || !strings.Contains(out, `\u001b]0;owned\u0007`) || !strings.Contains(out, `us-east-1\u202e`) {
		t.Errorf("control characters not escaped: %q", out)
	}
}

func TestWriteJSON(t *testing.T) {
	res := trace(t, "ASIAZQNB3KHGIGYQXVVG", flaws2Lambda(true)...)
	var b bytes.Buffer
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Credentials []struct {
			ID, AccessKeyID, ARN, IssuedBy string
			Events                         int
			SourceIPs, UserAgents          []string
			Flags                          []Flag
		}
		Links []Link
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Links) != 1 || doc.Links[0].EventID != "assume" || doc.Links[0].From != "service:lambda.amazonaws.com" {
		t.Errorf("links %+v", doc.Links)
	}
	var key bool
	for _, c := range doc.Credentials {
		if c.AccessKeyID == "ASIAZQNB3KHGIGYQXVVG" {
			key = true
			if c.Events != 4 || c.IssuedBy != "AssumeRole" || len(c.SourceIPs) != 2 || len(c.UserAgents) != 2 || len(c.Flags) != 1 ||
				c.ARN != "arn:aws:sts::653711331788:assumed-role/level1/level1" {
				t.Errorf("credential %+v", c)
			}
		}
	}
	if !key {
		t.Errorf("no credential for the key: %s", b.String())
	}
	var nd bytes.Buffer
	if err := WriteEvents(&nd, res); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(nd.String(), "\n"); n != 5 {
		t.Errorf("%d NDJSON events, want 5 (the issuing event and 4 uses)", n)
	}
}

// TestWriteTreeCollapses: many sessions of one role under one issuer fold
// into one line after the first few; the JSON keeps them all.
func TestWriteTreeCollapses(t *testing.T) {
	src := user("111111111111", "gina", "AKIAGINA000000000001")
	var recs []obj
	for i := range 7 {
		k := fmt.Sprintf("ASIAFOLD%012d", i)
		recs = append(recs, ev(fmt.Sprintf("e%d", i), "AssumeRole", fmt.Sprintf("2026-03-02T10:%02d:00Z", i), obj{"userIdentity": src,
			"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/R", "roleSessionName": "gina"},
			"responseElements":  assumed("111111111111", "R", "gina", k)}))
	}
	res := trace(t, "AKIAGINA000000000001", recs...)
	var b bytes.Buffer
	if err := WriteTree(&b, res); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "ASIAFOLD"); n != collapseAfter || !strings.Contains(b.String(), "… 4 more sessions of arn:aws:sts::111111111111:assumed-role/R/gina") {
		t.Errorf("%d sessions printed, want %d and a fold line:\n%s", n, collapseAfter, b.String())
	}
	if len(res.Children("AKIAGINA000000000001")) != 7 {
		t.Errorf("links: %d, want 7", len(res.Children("AKIAGINA000000000001")))
	}
}
