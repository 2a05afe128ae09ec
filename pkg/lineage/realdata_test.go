package lineage

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// realRecords loads the real CloudTrail test events kept beside the
// checkout (shared/testdata/cloudtrail-real), or skips.
func realRecords(t *testing.T) [][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail-real", "*.records.json"))
	if len(files) == 0 {
		t.Skip("no real CloudTrail test events beside the checkout (shared/testdata/cloudtrail-real)")
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range doc.Records {
			out = append(out, r)
		}
	}
	return out
}

// TestRealEvents traces keys of the real test events: a root user's
// CreateAccessKey (panther scenarios), logged twice with the same key id
// from two addresses, and placeholder keys of sanitised logs, which must
// not be linked.
func TestRealEvents(t *testing.T) {
	src := NewMemorySource(realRecords(t))
	ctx := context.Background()
	res, err := Trace(ctx, src, Config{Target: "AKIASWJJJ66ZZZII4IYY"})
	if err != nil {
		t.Fatal(err)
	}
	l := parentLink(t, res, "AKIASWJJJ66ZZZII4IYY")
	if l.Rule != "L9" || l.From != "arn:aws:iam::493859302102:root" || l.Mechanism != "CreateAccessKey" {
		t.Errorf("CreateAccessKey link %+v", l)
	}
	if c := res.Credential("AKIASWJJJ66ZZZII4IYY"); c.ARN != "arn:aws:iam::493859302102:user/tracy_stone" && c.ARN != "" {
		t.Errorf("key ARN %q", c.ARN)
	}

	res, err = Trace(ctx, src, Config{Target: "AKIA5ZZZK44445XXFFVB"})
	if err != nil {
		t.Fatal(err)
	}
	if ps := res.Parents("AKIA5ZZZK44445XXFFVB"); len(ps) != 1 || ps[0].From != "arn:aws:iam::493859302102:root" {
		t.Errorf("twice-logged CreateAccessKey: parents %+v", ps)
	}

	// Every real record decodes and classifies without error; none with a
	// placeholder key ("REDACTED", "SAMPLE_ACCESS_KEY", "1111") issues.
	for _, raw := range realRecords(t) {
		r, err := decodeRecord(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if is := classify(r); is != nil && !validKey(is.IssuedKey) {
			t.Errorf("placeholder key issued: %s", raw)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, r := range encode(f, chainRecords()...) {
		f.Add(r)
	}
	f.Add([]byte(`{"eventName":"AssumeRole","responseElements":{"credentials":{"accessKeyId":7}}}`))
	f.Add([]byte(`{"eventName":"CreateAccessKey","responseElements":null,"userIdentity":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := decodeRecord(raw)
		if err != nil {
			return
		}
		if is := classify(r); is != nil && (!validKey(is.IssuedKey) || is.Rule == "") {
			t.Errorf("issuance %+v from %q", is, raw)
		}
	})
}
