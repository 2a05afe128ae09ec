package detect_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// record builds a CloudTrail record: defaults for an IAM user's API call,
// overridden (or removed, with a nil value) by fields. Dotted keys set
// nested members.
func record(id string, at time.Time, fields map[string]any) map[string]any {
	r := map[string]any{
		"eventVersion": "1.11",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/alice",
			"accountId": "111122223333", "userName": "alice",
		},
		"eventTime":          at.UTC().Format("2006-01-02T15:04:05Z"),
		"eventSource":        "ec2.amazonaws.com",
		"eventName":          "DescribeInstances",
		"awsRegion":          "us-east-1",
		"sourceIPAddress":    "198.51.100.7",
		"userAgent":          "aws-cli/2.15.0",
		"requestParameters":  nil,
		"responseElements":   nil,
		"requestID":          "req-" + id,
		"eventID":            id,
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": "111122223333",
		"eventCategory":      "Management",
	}
	for k, v := range fields {
		set(r, k, v)
	}
	return r
}

func set(m map[string]any, path string, v any) {
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			child, ok := m[path[:i]].(map[string]any)
			if !ok {
				child = map[string]any{}
				m[path[:i]] = child
			}
			set(child, path[i+1:], v)
			return
		}
	}
	if v == nil {
		delete(m, path)
		return
	}
	m[path] = v
}

// writeObject writes records as one gzip CloudTrail object below archive,
// delivered at the given time.
func writeObject(t testing.TB, archive string, delivered time.Time, name string, recs []map[string]any) {
	t.Helper()
	dir := filepath.Join(archive, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", delivered.Format("2006"), delivered.Format("01"), delivered.Format("02"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(data)
	w.Close()
	file := fmt.Sprintf("111122223333_CloudTrail_us-east-1_%s_%s.json.gz", delivered.Format("20060102T1504Z"), name)
	if err := os.WriteFile(filepath.Join(dir, file), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ingestDir ingests a local archive into the lake directory.
func ingestDir(t testing.TB, archive, lakeDir string) *partition.Lake {
	t.Helper()
	src, err := objstore.OpenLocal(archive)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := objstore.OpenLocal(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	lake := partition.Open(lb)
	cfg := ingest.DefaultConfig()
	cfg.Source, cfg.Lake = src, lake
	res, err := ingest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.HasFaults() {
		t.Fatalf("ingest faults: %+v", res.Problems)
	}
	return lake
}

// lakeOf builds a lake holding recs (one object).
func lakeOf(t testing.TB, recs []map[string]any) (*partition.Lake, *partition.Snapshot) {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	writeObject(t, archive, time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), "abcdefghijklmnop", recs)
	lake := ingestDir(t, archive, filepath.Join(dir, "lake"))
	snap, err := lake.FilesSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return lake, snap
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
