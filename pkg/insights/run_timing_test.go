package insights_test

import (
	"context"
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
