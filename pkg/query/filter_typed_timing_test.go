package query

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dictBenchRows is one row group's worth of rows (ingest writes row groups
// of a few thousand to tens of thousands of rows).
const dictBenchRows = 16384

// dictBenchColumn returns an eventName-like column of n rows over `distinct`
// values, dictionary encoded (int32 indices) and as plain strings, with
// every 50th row null.
func dictBenchColumn(b *testing.B, n, distinct int) (dict, plain arrow.Array) {
	b.Helper()
	mem := memory.NewGoAllocator()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	db := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
	sb := array.NewStringBuilder(mem)
	defer db.Release()
	defer sb.Release()
	for i := range n {
		if i%50 == 49 {
			db.AppendNull()
			sb.AppendNull()
			continue
		}
		// Codes spread over all distinct values (a multiplicative hash of
		// the row number), so every dictionary entry is used.
		v := fmt.Sprintf("Event%03dName", i*2654435761%distinct)
		if err := db.AppendString(v); err != nil {
			b.Fatal(err)
		}
		sb.Append(v)
	}
	return db.NewArray(), sb.NewArray()
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
		dict, plain := dictBenchColumn(b, dictBenchRows, distinct)
		for _, enc := range []struct {
			name string
			arr  arrow.Array
		}{{"dictionary", dict}, {"plain", plain}} {
			for _, p := range patterns {
				pat, err := Parse(p.pattern, ParseOptions{})
				if err != nil {
					b.Fatal(err)
				}
				cmp, ok := pat.Root.(*Compare)
				if !ok {
					b.Fatalf("%s: root is %T, not a comparison", p.pattern, pat.Root)
				}
				f := newTypedFilter(cmp, "eventName")
				bt := &batch{df: &dataFile{cols: map[string]int{"eventName": 0}}, data: map[int]arrow.Array{0: enc.arr}, n: dictBenchRows}
				sel := newBitmap(dictBenchRows)
				b.Run(fmt.Sprintf("%s/distinct=%d/%s", p.name, distinct, enc.name), func(b *testing.B) {
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
		dict.Release()
		plain.Release()
	}
}
