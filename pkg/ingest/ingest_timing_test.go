package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/pkg/gen"
)

// sampleObjects returns generated CloudTrail objects (gzip) totalling about
// n events.
func sampleObjects(b *testing.B, n int) ([][]byte, int64) {
	b.Helper()
	cfg := gen.DefaultConfig()
	cfg.Events = n
	var objs [][]byte
	var raw int64
	st, err := gen.Generate(context.Background(), cfg, func(o gen.Object) error {
		if o.Kind == gen.KindLog {
			objs = append(objs, o.Data)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	raw = st.LogRawBytes
	return objs, raw
}

// BenchmarkDecode measures gzip + streaming record decode, the per-object
// front half of ingest.
func BenchmarkDecode(b *testing.B) {
	objs, raw := sampleObjects(b, 20000)
	dec := newDecoder()
	var sr streamReader
	zr := new(gzip.Reader)
	b.SetBytes(raw)
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		for _, o := range objs {
			if err := zr.Reset(bytes.NewReader(o)); err != nil {
				b.Fatal(err)
			}
			sr.reset(zr, dec, 32<<20)
			for {
				_, err := sr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				events++
			}
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkWriteBatch measures building Parquet columns from decoded rows
// and compressing them, the back half of ingest.
func BenchmarkWriteBatch(b *testing.B) {
	objs, raw := sampleObjects(b, 20000)
	dec := newDecoder()
	bt := newBatch()
	zr := new(gzip.Reader)
	var sr streamReader
	for _, o := range objs {
		if err := zr.Reset(bytes.NewReader(o)); err != nil {
			b.Fatal(err)
		}
		sr.reset(zr, dec, 32<<20)
		for {
			rec, err := sr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			bt.add(dec, rec, "AWSLogs/x", sr.index-1)
		}
	}
	b.SetBytes(raw)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := writeBatch(io.Discard, bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bt.rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}
