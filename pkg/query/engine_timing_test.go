package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
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
		{"typed_suffix", `{ $.errorCode = "*UnauthorizedOperation" }`},
		{"typed_contains", `{ $.userAgent = "*Boto3*" }`},
		{"typed_ne", `{ $.eventType != "AwsApiCall" }`},
		{"present_any", `{ $.errorCode = * }`},
		{"json_numeric", `{ $.requestParameters.maxResults > 50 }`},
		{"wildcard_selector", `{ $.resources[*].type = "AWS::S3::Bucket" }`},
		{"and", `{ $.eventSource = "s3.amazonaws.com" && $.errorCode = "AccessDenied" }`},
		{"or_columns", `{ $.eventName = "ConsoleLogin" || $.errorCode = "AccessDenied" }`},
	}
	// time_range is the eventTime filter of --since/--until, alone: a
	// 6-hour window inside the generated day.
	since := gen.DefaultStart.Add(6 * time.Hour)
	timeRange := query.Options{CountOnly: true, Since: since, Until: since.Add(6 * time.Hour)}
	kinds = append(kinds, struct{ name, pattern string }{"time_range", `{ $.eventVersion = * }`})
	for _, k := range kinds {
		p, err := query.Parse(k.pattern, query.ParseOptions{})
		if err != nil {
			b.Fatal(err)
		}
		opts := query.Options{CountOnly: true}
		if k.name == "time_range" {
			opts = timeRange
		}
		b.Run(k.name, func(b *testing.B) {
			var rows int64
			for i := 0; i < b.N; i++ {
				plan, err := query.NewPlan(p.Root, opts)
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
