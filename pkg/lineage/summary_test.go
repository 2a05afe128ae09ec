package lineage

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	recs := chainRecords()
	recs = append(recs, recs[3]) // a duplicate delivery counts once
	src := NewMemorySource(encode(t, recs...))
	ctx := context.Background()
	groups, err := Summarize(ctx, src, SummaryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Group{}
	for _, g := range groups {
		byKey[g.Key] = g
	}
	db := byKey["arn:aws:sts::333333333333:assumed-role/DbAdmin/alice"]
	if db.Events != 2 || db.Errors != 1 || !slices.Equal(db.Keys, []string{"ASIADBADMIN000000001"}) || !slices.Equal(db.Regions, []string{"eu-west-1", "us-east-1"}) {
		t.Errorf("DbAdmin group %+v", db)
	}
	if g := byKey["account:111111111111/AIDAalice"]; g.Events != 1 {
		t.Errorf("owner-copy caller group %+v", g)
	}
	if d := byKey["arn:aws:sts::222222222222:assumed-role/Deploy/alice"]; d.Events != 2 {
		t.Errorf("duplicate counted: %+v", d)
	}

	groups, err = Summarize(ctx, src, SummaryConfig{By: "recipientAccountId", Pattern: `{ $.eventSource = "sts.amazonaws.com" }`})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Key != "222222222222" || groups[0].Events != 2 || groups[1].Events != 1 {
		t.Errorf("by account: %+v", groups)
	}
	var b bytes.Buffer
	if err := WriteGroups(&b, groups); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "222222222222") || strings.Count(b.String(), "\n") != 3 {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestNewValues(t *testing.T) {
	at := func(d int) string { return time.Date(2026, 4, d, 12, 0, 0, 0, time.UTC).Format(time.RFC3339) }
	u := user("111111111111", "ivy", "AKIAIVY0000000000001")
	v := user("111111111111", "vic", "AKIAVIC0000000000001")
	recs := []obj{
		ev("b1", "GetObject", at(1), obj{"userIdentity": u, "sourceIPAddress": "198.51.100.1"}),
		ev("b2", "GetObject", at(2), obj{"userIdentity": v, "sourceIPAddress": "198.51.100.2"}),
		ev("w1", "GetObject", at(10), obj{"userIdentity": u, "sourceIPAddress": "198.51.100.1"}), // old for ivy
		ev("w2", "GetObject", at(11), obj{"userIdentity": u, "sourceIPAddress": "198.51.100.2"}), // new for ivy, old for vic
		ev("w3", "GetObject", at(10), obj{"userIdentity": u, "sourceIPAddress": "198.51.100.2", "eventName": "PutObject"}),
		ev("w4", "GetObject", at(12), obj{"userIdentity": v, "sourceIPAddress": "\x1b[2J203.0.113.9"}),
	}
	src := NewMemorySource(encode(t, recs...))
	cfg := NewConfig{Field: "sourceIPAddress", Per: "userIdentity.arn",
		BaselineSince: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Since: time.Date(2026, 4, 9, 0, 0, 0, 0, time.UTC)}
	vals, err := NewValues(context.Background(), src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 2 || vals[0].Value != "198.51.100.2" || vals[0].Count != 2 || vals[0].FirstEventID != "w3" ||
		vals[0].Entity != "arn:aws:iam::111111111111:user/ivy" || vals[1].Value != "\x1b[2J203.0.113.9" {
		t.Errorf("per entity: %+v", vals)
	}
	var b bytes.Buffer
	WriteNewValues(&b, vals)
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("control character printed: %q", b.String())
	}
	cfg.Per = ""
	if vals, _ = NewValues(context.Background(), src, cfg); len(vals) != 1 {
		t.Errorf("without entity, only the never-seen address is new: %+v", vals)
	}
	if _, err := NewValues(context.Background(), src, NewConfig{Field: "x"}); err == nil {
		t.Error("no window start: no error")
	}
}
