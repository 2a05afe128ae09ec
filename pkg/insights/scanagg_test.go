package insights_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/insights"
)

// TestRun_ScanAggregation is the differential test of the scan's
// aggregation: random stats queries it can compute run with it and with
// the reference evaluator alone over the same lake (generated events plus
// the real ones, whose odd types make rows inexact), with identical
// results.
func TestRun_ScanAggregation(t *testing.T) {
	ctx := context.Background()
	cfg := gen.DefaultConfig()
	cfg.Events = 1500
	lake := buildLake(t, cfg, true)

	queries := []string{
		`stats count(*) by eventSource, eventName, awsRegion`,
		`stats count(*), count(errorCode), count_distinct(sourceIPAddress), min(@timestamp), max(@timestamp)`,
		`filter eventName in ["ConsoleLogin", "AssumeRole"] or errorCode like "Denied" | stats count(*) as n by bin(1h), userIdentity.arn | sort n desc | limit 5`,
		`{ $.errorCode = "*" } | stats count(*) as errors by userIdentity.arn, errorCode | sort errors desc | limit 20`,
		`stats count(*) as n by userIdentity.type, bin(1w) | stats sum(n) as total, count(*) as weeks by userIdentity.type`,
		`stats count(*) by eventID`,
		`stats count(*) as n by eventSource`,
		`filter ispresent(userIdentity.accessKeyId) | stats count_distinct(sourceIPAddress) as ips, count(*) as calls by userIdentity.accessKeyId`,
		`filter userIdentity.type = "AssumedRole" | stats min(@timestamp) as first, max(@timestamp) as last, count(*) as n by userIdentity.sessionContext.sessionIssuer.arn`,
		`filter eventName = "GetObject" | stats count(*) as n by requestParameters.bucketName`,
		`filter ispresent(errorCode) | stats count(*) as errors by userIdentity.arn, errorCode | sort errors desc | limit 20`,
		`filter errorCode like /AccessDenied|UnauthorizedOperation/ | stats count(*) as denied by bin(5m) as window, sourceIPAddress`,
		`filter not ispresent(errorCode) and eventSource != "s3.amazonaws.com" | stats count(*) by additionalEventData.MFAUsed, requestParameters.userName`,
		`filter isempty(userIdentity.accessKeyId) or eventName = "x" | stats count(*) by eventName`,
	}
	mustScan := len(queries) - 1 // all but the last: an or of a condition and a pattern
	qg := newQueryGen(3, generatedRecords(t, cfg))
	for range 40 {
		queries = append(queries, qg.statsQuery())
	}
	fast, nonEmpty := 0, 0
	for i, q := range queries {
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
		// A streamed result writes the same bytes in every format.
		streamed, err := insights.Run(ctx, insights.Config{Lake: lake, MaxRows: 7, Stream: true}, p)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		capped, _ := insights.Run(ctx, insights.Config{Lake: lake, MaxRows: 7}, p)
		if s, w := writeAll(t, streamed), writeAll(t, capped); s != w || streamed.Len() != capped.Len() || streamed.Total != capped.Total {
			t.Errorf("%s: streamed (%d of %d rows)\n%.400s\nmaterialized (%d of %d rows)\n%.400s", q, streamed.Len(), streamed.Total, s, capped.Len(), capped.Total, w)
		}
		if got.ScanAggregated {
			fast++
		} else if i < mustScan {
			t.Errorf("not aggregated by the scan: %s", q)
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
	_, err := insights.Run(ctx, insights.Config{Lake: lake, MaxGroups: 100}, p)
	if !errors.Is(err, insights.ErrTooManyGroups) || !strings.Contains(err.Error(), "more than 100 groups") || !strings.Contains(err.Error(), "MaxGroups") {
		t.Errorf("stats by eventID with MaxGroups 100: %v", err)
	}
}

// writeAll returns res written as JSON, CSV and a table.
func writeAll(t *testing.T, res *insights.Result) string {
	t.Helper()
	var b strings.Builder
	if err := insights.WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	if err := insights.WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	if err := insights.WriteTable(&b, res, insights.TableOptions{Bars: true}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
