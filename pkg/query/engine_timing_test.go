package query_test

import (
	"context"
	"testing"

	"github.com/ctq-dev/ctq/pkg/query"
)

// BenchmarkFilterKinds runs one pattern per filter kind over a generated
// lake, counting only, and reports rows evaluated per second.
func BenchmarkFilterKinds(b *testing.B) {
	tl := buildLake(b, 20000)
	kinds := []struct{ name, pattern string }{
		{"typed_dictionary_eq", `{ $.eventName = "ConsoleLogin" }`},
		{"typed_prefix", `{ $.errorCode = "AccessDenied*" }`},
		{"in_set", `{ $.eventName = "PutUserPolicy" || $.eventName = "CreatePolicy" || $.eventName = "DeletePolicy" || $.eventName = "AttachRolePolicy" }`},
		{"presence_not_exists", `{ $.userIdentity.invokedBy NOT EXISTS }`},
		{"bool", `{ $.readOnly IS TRUE }`},
		{"json_path", `{ $.requestParameters.bucketName = "x" }`},
		{"regex", `{ $.userAgent = %^aws-cli% }`},
		{"raw_term", `"AccessDenied"`},
		{"bloom_needle", `{ $.eventID = "00000000-0000-0000-0000-000000000000" }`},
	}
	for _, k := range kinds {
		p, err := query.Parse(k.pattern, query.ParseOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.name, func(b *testing.B) {
			var rows int64
			for i := 0; i < b.N; i++ {
				plan, err := query.NewPlan(p.Root, query.Options{CountOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				st, err := plan.Run(context.Background(), tl.lake, tl.snap, func(query.Match) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				rows += st.RowsEvaluated
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
