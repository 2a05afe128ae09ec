package lineage_test

import (
	"context"
	"testing"

	"github.com/ctq-dev/ctq/pkg/lineage"
)

// BenchmarkTraceLake traces a chained key (three links back to a user's
// key) and a Lambda key through a lake of 50,000 generated events; each
// iteration is one trace of each, every lookup a run of the query engine.
func BenchmarkTraceLake(b *testing.B) {
	fx := buildLake(b, 50000, 8)
	targets := []string{
		generatedKeys(b, fx.records, "AssumeRole", "AssumedRole", "")[0],
		generatedKeys(b, fx.records, "AssumeRole", "AWSService", "lambda.amazonaws.com")[0],
	}
	ctx := context.Background()
	b.ResetTimer()
	var rows int64
	for range b.N {
		for _, k := range targets {
			src := &lineage.LakeSource{Lake: fx.lake, Snap: fx.snap}
			res, err := lineage.Trace(ctx, src, lineage.Config{Target: k})
			rows += src.Stats.RowsEvaluated
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Links) == 0 {
				b.Fatalf("%s: no links", k)
			}
		}
	}
	b.ReportMetric(float64(rows)/float64(b.N), "rows-evaluated/op")
}
