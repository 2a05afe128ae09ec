package ingest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// With HashSources every ingested object records the SHA-256 of its
// uncompressed bytes, whatever the decoder made of them: trailing bytes after
// the records, a fault that stopped decoding, a plain-JSON object.
func TestRun_HashSources(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	rec := simpleRecord(1, "2024-03-01T09:59:00Z", "")
	cases := []struct {
		name string
		raw  []byte
		gzip bool
	}{
		{"clean", fmt.Appendf(nil, `{"Records":[%s]}`, rec), true},
		{"trailing bytes", fmt.Appendf(nil, "{\"Records\":[%s]}\n\n", rec), true},
		{"fault mid-stream", fmt.Appendf(nil, `{"Records":[%s,{"eventTime":tru]} and more bytes after`, rec), true},
		{"plain json", fmt.Appendf(nil, `{"Records":[%s]}`, rec), false},
	}
	want := map[string]string{}
	for i, c := range cases {
		key := logKey("", "111122223333", "us-west-2", at.Add(time.Duration(i)*time.Minute), fmt.Sprintf("Hash%012d", i))
		data := c.raw
		if c.gzip {
			data = gzipBytes(t, c.raw)
		}
		o := putObject(t, e.srcDir, key, data, nil)
		sum := sha256.Sum256(c.raw)
		want[o.Layout] = hex.EncodeToString(sum[:])
	}
	cfg := e.config()
	cfg.HashSources = true
	e.run(cfg)
	snap := e.snapshot()
	for layout, w := range want {
		src, ok := snap.Sources[layout]
		if !ok {
			t.Fatalf("%s not in the manifest", layout)
		}
		if src.SHA256 != w {
			t.Errorf("%s (%s): sha256 %q, want %q", layout, src.Status, src.SHA256, w)
		}
	}
	// Without HashSources nothing is recorded.
	e.newLake()
	e.run(e.config())
	for layout, src := range e.snapshot().Sources {
		if src.SHA256 != "" {
			t.Errorf("%s: sha256 recorded without HashSources", layout)
		}
	}
}
