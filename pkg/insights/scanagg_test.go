package insights_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/insights"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// TestRun_ScanAggregation is the differential test of the scan's
// aggregation: random stats queries it can compute run with it and with
// the reference evaluator alone over the same lake (generated events plus
// the real ones, whose odd types make rows inexact), with identical
// results.
func TestRun_ScanAggregation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	cfg := gen.DefaultConfig()
	cfg.Events = 1500
	if _, err := gen.WriteDir(ctx, cfg, archive); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail-real", "*.records.json"))
	for i, f := range real {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		key := filepath.Join(archive, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2025", "03", "14",
			fmt.Sprintf("123456789012_CloudTrail_us-east-1_20250314T00%02dZ_abcdefghijklmno%d.json.gz", i, i))
		if err := os.MkdirAll(filepath.Dir(key), 0o755); err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write(data)
		w.Close()
		if err := os.WriteFile(key, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := objstore.OpenLocal(archive)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := objstore.OpenLocal(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	lake := partition.Open(lb)
	icfg := ingest.DefaultConfig()
	icfg.Source, icfg.Lake = src, lake
	if _, err := ingest.Run(ctx, icfg); err != nil {
		t.Fatal(err)
	}

	queries := []string{
		`stats count(*) by eventSource, eventName, awsRegion`,
		`stats count(*), count(errorCode), count_distinct(sourceIPAddress), min(@timestamp), max(@timestamp)`,
		`filter eventName in ["ConsoleLogin", "AssumeRole"] or errorCode like "Denied" | stats count(*) as n by bin(1h), userIdentity.arn | sort n desc | limit 5`,
		`{ $.errorCode = "*" } | stats count(*) as errors by userIdentity.arn, errorCode | sort errors desc | limit 20`,
		`stats count(*) as n by userIdentity.type, bin(1w) | stats sum(n) as total, count(*) as weeks by userIdentity.type`,
		`stats count(*) by eventID`,
	}
	qg := newQueryGen(3, generatedRecords(t, cfg))
	for range 40 {
		queries = append(queries, qg.statsQuery())
	}
	fast, nonEmpty := 0, 0
	for _, q := range queries {
		p, err := insights.Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		run := func(noScan bool) *insights.Result {
			res, err := insights.Run(ctx, insights.Config{Lake: lake, MaxRows: insights.DefaultMaxRows, NoScanAggregation: noScan}, p)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return res
		}
		got, want := run(false), run(true)
		if render(got) != render(want) || got.Total != want.Total {
			t.Errorf("%s:\nscan      %.400s\nreference %.400s", q, render(got), render(want))
		}
		if got.ScanAggregated {
			fast++
		} else {
			t.Logf("not aggregated by the scan: %s", q)
		}
		if len(got.Rows) > 0 {
			nonEmpty++
		}
	}
	// Filters on numeric-looking strings (account ids) stay with the
	// reference evaluator; most queries must take the scan's path.
	if fast < len(queries)*3/4 {
		t.Errorf("the scan aggregated %d of %d queries, want at least 3/4", fast, len(queries))
	}
	if nonEmpty < len(queries)/2 {
		t.Errorf("only %d of %d queries returned rows; the comparison is too weak", nonEmpty, len(queries))
	}

	// The group limit holds in the scan too.
	p, _ := insights.Parse(`stats count(*) by eventID`)
	_, err = insights.Run(ctx, insights.Config{Lake: lake, MaxGroups: 100}, p)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("more than 100 groups")) {
		t.Errorf("stats by eventID with MaxGroups 100: %v", err)
	}
}
