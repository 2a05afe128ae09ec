package pqread

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// footerBytes returns the thrift footer of a Parquet file.
func footerBytes(t testing.TB, file []byte) []byte {
	t.Helper()
	ft, _, err := readFooter(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	return ft
}

// reference decodes a footer with parquet-go's reflective decoder into
// the same types, and the schema through format.FileMetaData.
func reference(t testing.TB, ft []byte) *FileMeta {
	t.Helper()
	m := new(FileMeta)
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), ft, m); err != nil {
		t.Fatal(err)
	}
	full := new(format.FileMetaData)
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), ft, full); err != nil {
		t.Fatal(err)
	}
	// decodeFooter keeps of a schema element what pqread reads.
	for i := range m.Schema {
		el := full.Schema[i]
		m.Schema[i] = format.SchemaElement{Type: el.Type, RepetitionType: el.RepetitionType, Name: el.Name, NumChildren: el.NumChildren}
		if ts, ok := el.LogicalType.Value.(*format.TimestampType); ok {
			m.Schema[i].LogicalType.Value = ts
		}
	}
	return m
}

// TestDecodeFooter_MatchesThrift: the hand-written decoder reads the same
// values as parquet-go's decoder from files with several row groups,
// dictionaries, statistics, bloom filters, a page index and timestamps.
func TestDecodeFooter_MatchesThrift(t *testing.T) {
	for _, n := range []int{1, 50, 3000} {
		ft := footerBytes(t, testFile(t, n))
		got := new(FileMeta)
		if err := decodeFooter(ft, got); err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		want := reference(t, ft)
		if len(got.RowGroups) == 0 || len(got.Schema) < 2 {
			t.Fatalf("%d rows: decoded %d row groups, %d schema elements", n, len(got.RowGroups), len(got.Schema))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d rows: decodeFooter\n%+v\nthrift\n%+v", n, got, want)
		}
	}
}

// TestDecodeFooter_Corrupt: every truncation of a footer is an error, not
// a panic.
func TestDecodeFooter_Corrupt(t *testing.T) {
	ft := footerBytes(t, testFile(t, 50))
	for i := 0; i < len(ft); i++ {
		if err := decodeFooter(ft[:i], new(FileMeta)); err == nil {
			t.Fatalf("a footer cut at byte %d of %d decoded", i, len(ft))
		}
	}
}

// FuzzDecodeFooter: arbitrary bytes decode or fail; when parquet-go's
// decoder accepts them too, both agree on the row groups.
func FuzzDecodeFooter(f *testing.F) {
	f.Add(footerBytes(f, testFile(f, 50)))
	f.Add(footerBytes(f, testFile(f, 3000)))
	f.Fuzz(func(t *testing.T, ft []byte) {
		got := new(FileMeta)
		if err := decodeFooter(ft, got); err != nil {
			return
		}
		want := new(FileMeta)
		if err := thrift.Unmarshal(new(thrift.CompactProtocol), ft, want); err != nil {
			return
		}
		if len(got.RowGroups) != len(want.RowGroups) {
			t.Fatalf("row groups: %d decoded, %d by thrift", len(got.RowGroups), len(want.RowGroups))
		}
		for i := range got.RowGroups {
			if !reflect.DeepEqual(got.RowGroups[i].Columns, want.RowGroups[i].Columns) {
				t.Fatalf("row group %d differs", i)
			}
		}
	})
}

// BenchmarkDecodeFooter compares the footer decoder with parquet-go's
// reflective thrift decoder, into the same types and into the whole
// format.FileMetaData the reader decoded before, on a file of several row
// groups.
func BenchmarkDecodeFooter(b *testing.B) {
	ft := footerBytes(b, testFile(b, 3000))
	b.Run("decodeFooter", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := decodeFooter(ft, new(FileMeta)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("thrift", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), ft, new(FileMeta)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("thriftFull", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), ft, new(format.FileMetaData)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
