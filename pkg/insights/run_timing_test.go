package insights_test

import (
	"context"
	"io"
	"testing"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/insights"
)

// BenchmarkRun_Stats compares the scan's aggregation with the reference
// evaluator alone on the same lake.
func BenchmarkRun_Stats(b *testing.B) {
	cfg := gen.DefaultConfig()
	cfg.Events = 20_000
	lake := buildLake(b, cfg, false)
	for _, q := range []string{
		`stats count(*) by eventSource, eventName, awsRegion`,
		`filter errorCode like "Denied" | stats count(*) as n, count_distinct(sourceIPAddress) by userIdentity.arn, bin(5m) | sort n desc | limit 10`,
	} {
		p, err := insights.Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []struct {
			name   string
			noScan bool
		}{{"scan", false}, {"reference", true}} {
			b.Run(mode.name+"/"+q[:20], func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					if _, err := insights.Run(context.Background(), insights.Config{Lake: lake, NoScanAggregation: mode.noScan}, p); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cfg.Events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkRun_ManyGroups runs high-cardinality aggregations (a group per
// event, per source IP, per access key with a distinct count, per 5-minute
// window and principal, and the top 10 of many groups) end to end: the
// scan's group tables, their merge, the sort and the JSON output of every
// row, as ctq insights streams it. groups/op is the number of result rows.
func BenchmarkRun_ManyGroups(b *testing.B) {
	cfg := gen.DefaultConfig()
	cfg.Events = 50_000
	lake := buildLake(b, cfg, false)
	for _, c := range []struct{ name, q string }{
		{"event", `stats count(*) as n by eventID`},
		{"ip", `stats count(*) as n by sourceIPAddress`},
		{"distinct", `filter ispresent(userIdentity.accessKeyId) | stats count_distinct(sourceIPAddress) as ips, count(*) as calls by userIdentity.accessKeyId`},
		{"bin", `stats count(*) as n by bin(5m) as t, userIdentity.arn`},
		{"top", `stats count(*) as n by eventID | sort n desc | limit 10`},
	} {
		q := c.q
		p, err := insights.Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			total := 0
			for range b.N {
				res, err := insights.Run(context.Background(), insights.Config{Lake: lake, MaxGroups: 1_000_000, Stream: true}, p)
				if err != nil {
					b.Fatal(err)
				}
				if err := insights.WriteJSON(io.Discard, res); err != nil {
					b.Fatal(err)
				}
				if !res.ScanAggregated {
					b.Fatalf("%s: not aggregated by the scan", q)
				}
				total = res.Total
			}
			b.ReportMetric(float64(total), "groups/op")
		})
	}
}
