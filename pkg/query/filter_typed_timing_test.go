package query

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// dictBenchRows is one row group's worth of rows (ingest writes row groups
// of a few thousand to tens of thousands of rows).
const dictBenchRows = 16384

// dictBenchFile returns a one-row-group file with an eventName-like column
// of n rows over `distinct` values, dictionary encoded ("dictionary") and
// plain ("plain"), with every 50th row null.
func dictBenchFile(b *testing.B, n, distinct int) *dataFile {
	b.Helper()
	type row struct {
		Dict  string `parquet:"dictionary,optional,dict"`
		Plain string `parquet:"plain,optional,delta"`
	}
	rows := make([]row, n)
	for i := range rows {
		if i%50 == 49 {
			continue
		}
		// Codes spread over all distinct values (a multiplicative hash of
		// the row number), so every dictionary entry is used.
		v := fmt.Sprintf("Event%03dName", i*2654435761%distinct)
		rows[i] = row{v, v}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write(rows); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	df, err := openDataFile("bench.parquet", memObject(buf.Bytes()), nil, "")
	if err != nil {
		b.Fatal(err)
	}
	return df
}

// BenchmarkDictionaryEval measures a typed equality, prefix and regex on one
// in-memory row group: dictionary-encoded (the predicate runs once per
// distinct value, rows index a table) against the same values as plain
// strings (the predicate runs per row). No Parquet decoding is timed.
func BenchmarkDictionaryEval(b *testing.B) {
	patterns := []struct{ name, pattern string }{
		{"eq", `{ $.eventName = "Event003Name" }`},
		{"prefix", `{ $.eventName = "Event01*" }`},
		{"regex", `{ $.eventName = %^Event0[0-4][13579]Name$% }`},
	}
	for _, distinct := range []int{16, 128, 1024} {
		df := dictBenchFile(b, dictBenchRows, distinct)
		for _, enc := range []string{"dictionary", "plain"} {
			for _, p := range patterns {
				pat, err := Parse(p.pattern, ParseOptions{})
				if err != nil {
					b.Fatal(err)
				}
				cmp, ok := pat.Root.(*Compare)
				if !ok {
					b.Fatalf("%s: root is %T, not a comparison", p.pattern, pat.Root)
				}
				f := newTypedFilter(cmp, enc)
				// The column is decoded by the first apply and cached in
				// the batch: the loop times evaluation only.
				bt := &batch{ctx: context.Background(), df: df, n: dictBenchRows}
				sel := newBitmap(dictBenchRows)
				if err := f.apply(bt, sel); err != nil {
					b.Fatal(err)
				}
				b.Run(fmt.Sprintf("%s/distinct=%d/%s", p.name, distinct, enc), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						sel.setAll()
						if err := f.apply(bt, sel); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(dictBenchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				})
			}
		}
		df.Close()
	}
}
