package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// Optional strings are null when empty (parquet-go's rule for non-pointer
// optional fields); the test values are never empty.
type byteColInner struct {
	Key string `parquet:"key,optional"`
}

type byteColRow struct {
	Raw   string        `parquet:"raw"`
	JSON  string        `parquet:"json,optional"`
	Group *byteColInner `parquet:"group,optional"`
	Dict  string        `parquet:"dict,optional"`
	Tags  []string      `parquet:"tags,optional,list"`
}

// byteColSchema encodes the columns as the lake does: the raw record and the
// JSON text (JSON logical type) DELTA_LENGTH_BYTE_ARRAY, one string column
// with a dictionary.
func byteColSchema() *parquet.Schema {
	delta := func(n parquet.Node) parquet.Node { return parquet.Encoded(n, &parquet.DeltaLengthByteArray) }
	return parquet.NewSchema("t", parquet.Group{
		"raw":   delta(parquet.String()),
		"json":  parquet.Optional(delta(parquet.JSON())),
		"group": parquet.Optional(parquet.Group{"key": parquet.Optional(delta(parquet.String()))}),
		"dict":  parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary)),
		"tags":  parquet.Optional(parquet.List(parquet.Encoded(parquet.String(), &parquet.RLEDictionary))),
	})
}

// byteColRows makes rows with values of varying length, nulls at the top
// level and absent parent groups.
func byteColRows(n int) []byteColRow {
	rows := make([]byteColRow, n)
	for i := range rows {
		r := &rows[i]
		r.Raw = fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, strings.Repeat("x", i%97))
		if i%3 != 0 {
			r.JSON = fmt.Sprintf(`{"n":%d,"t":"%s"}`, i, strings.Repeat("y", i%13))
		}
		switch i % 5 {
		case 0: // group absent
		case 1:
			r.Group = &byteColInner{} // group present, member null
		default:
			r.Group = &byteColInner{Key: fmt.Sprintf("k-%d", i)}
		}
		if i%4 != 0 {
			r.Dict = fmt.Sprintf("d%d", i%7)
		}
		for j := 0; j < i%3; j++ {
			r.Tags = append(r.Tags, fmt.Sprintf("t%d", (i+j)%5))
		}
	}
	return rows
}

// TestByteColumn_PagesMatchRows reads every column from its pages, for
// files with many small pages (values of one column spread over pages and
// row groups) and both page versions, and compares values and nulls row by
// row with what was written.
func TestByteColumn_PagesMatchRows(t *testing.T) {
	const n = 3000
	want := byteColRows(n)
	for _, tc := range []struct {
		name       string
		version    int
		pageBuffer int
		rowGroup   int64
	}{
		{"v2 many pages", 2, 512, n},
		{"v2 row groups", 2, 4096, 700},
		{"v1 pages", 1, 512, n},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := parquet.NewGenericWriter[byteColRow](&buf, byteColSchema(), parquet.DataPageVersion(tc.version),
				parquet.PageBufferSize(tc.pageBuffer), parquet.Compression(&parquet.Zstd))
			for start := 0; start < n; start += int(tc.rowGroup) {
				end := min(start+int(tc.rowGroup), n)
				if _, err := w.Write(want[start:end]); err != nil {
					t.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			df, err := openDataFile("test.parquet", memObject(buf.Bytes()), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			defer df.Close()
			if df.pf.NumRowGroups() < 1 {
				t.Fatal("no row groups")
			}
			row := 0
			for rg := 0; rg < df.pf.NumRowGroups(); rg++ {
				rows := df.pf.NumRows(rg)
				for _, path := range []string{"raw", "json", "group.key", "dict"} {
					b := &batch{ctx: context.Background(), df: df, rg: rg, n: rows}
					if tc.pageBuffer == 512 && path != "dict" {
						if p := countPages(t, df, rg, path); p < 3 {
							t.Fatalf("column %s has %d pages: the case needs several", path, p)
						}
					}
					if path == "dict" {
						d, ok, err := b.dict(path)
						if err != nil || !ok {
							t.Fatalf("dict: dictionary read = %v, %v", ok, err)
						}
						for i := 0; i < rows; i++ {
							exp := want[row+i].Dict
							if x := d.idx[i]; (x < 0) != (exp == "") || (x >= 0 && string(d.values.Value(int(x))) != exp) {
								t.Fatalf("dict row %d: index %d, want %q", row+i, x, exp)
							}
						}
					}
					got, ok, err := b.bytes(path)
					if err != nil || !ok {
						t.Fatalf("%s: %v %v", path, ok, err)
					}
					for i := 0; i < rows; i++ {
						w := want[row+i]
						var exp string
						switch path {
						case "raw":
							exp = w.Raw
						case "json":
							exp = w.JSON
						case "group.key":
							if w.Group != nil {
								exp = w.Group.Key
							}
						case "dict":
							exp = w.Dict
						}
						if (exp == "") != got.IsNull(i) {
							t.Fatalf("%s row %d: null = %v, want %v", path, row+i, got.IsNull(i), exp == "")
						}
						if string(got.Value(i)) != exp {
							t.Fatalf("%s row %d: %q, want %q", path, row+i, got.Value(i), exp)
						}
					}
					b.release()
				}
				row += rows
			}
			if row != n {
				t.Fatalf("read %d rows, want %d", row, n)
			}
		})
	}
}

// TestByteColumn_CorruptPageIsAnError flips bytes inside the raw column's
// pages: the read must fail with an error or return the exact values, never
// panic or return wrong rows silently.
func TestByteColumn_CorruptPageIsAnError(t *testing.T) {
	const n = 200
	rows := byteColRows(n)
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[byteColRow](&buf, byteColSchema(), parquet.PageBufferSize(1024), parquet.Compression(&parquet.Uncompressed))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for _, path := range []string{"json", "dict"} {
		df0, err := openDataFile("good.parquet", memObject(good), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		start, end, err := df0.pf.ChunkRange(0, colIndex(t, df0, path))
		if err != nil {
			t.Fatal(err)
		}
		size := end - start
		df0.Close()
		errs := 0
		for off := start; off < start+size; off += 3 {
			bad := bytes.Clone(good)
			bad[off] ^= 0x5a
			df, err := openDataFile("bad.parquet", memObject(bad), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			b := &batch{ctx: context.Background(), df: df, rg: 0, n: n}
			var rowsRead int
			if path == "dict" {
				var d *dictColumn
				if d, _, err = b.dict(path); d != nil {
					rowsRead = len(d.idx)
				}
			} else {
				var c *byteColumn
				if c, _, err = b.bytes(path); c != nil {
					rowsRead = c.Len()
				}
			}
			if err != nil {
				errs++
			} else if rowsRead != n && !(path == "dict" && rowsRead == 0) {
				t.Fatalf("%s offset %d: %d rows without an error", path, off, rowsRead)
			}
			b.release()
			df.Close()
		}
		if errs == 0 {
			t.Fatalf("%s: no corruption was reported", path)
		}
	}
}

// TestChunkDictionary reads the distinct values of a dictionary-encoded
// chunk from its dictionary page alone, and refuses chunks whose values it
// cannot show to be complete.
func TestChunkDictionary(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[byteColRow](&buf, byteColSchema(), parquet.PageBufferSize(256))
	if _, err := w.Write(byteColRows(500)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	df, err := openDataFile("t.parquet", memObject(buf.Bytes()), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	got, complete, err := chunkDictionary(df, 0, colIndex(t, df, "dict"), nil)
	if err != nil || !complete {
		t.Fatalf("dict: complete = %v, err = %v", complete, err)
	}
	want := map[string]bool{}
	for _, r := range byteColRows(500) {
		if r.Dict != "" {
			want[r.Dict] = true
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("dict values %v, want %v", got, want)
	}
	// A repeated column (as ctqNulls is) is read from its dictionary too.
	tags, complete, err := chunkDictionary(df, 0, colIndex(t, df, "tags.list.element"), nil)
	if err != nil || !complete || len(tags) != 5 || !tags["t0"] || !tags["t4"] {
		t.Fatalf("tags: %v, complete = %v, err = %v", tags, complete, err)
	}
	for _, path := range []string{"raw", "json"} {
		if _, complete, err := chunkDictionary(df, 0, colIndex(t, df, path), nil); err != nil || complete {
			t.Fatalf("%s (no dictionary): complete = %v, err = %v", path, complete, err)
		}
	}
}

func countPages(t *testing.T, df *dataFile, rg int, path string) int {
	t.Helper()
	cr, err := df.pf.OpenChunk(rg, colIndex(t, df, path), 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Release()
	pages := 0
	for {
		p, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return pages
		}
		if err != nil {
			t.Fatal(err)
		}
		if !p.Dict {
			pages++
		}
	}
}

func colIndex(t testing.TB, df *dataFile, path string) int {
	t.Helper()
	i, _, ok := df.leaf(path)
	if !ok {
		t.Fatalf("no column %s", path)
	}
	return i
}

// memObject is an in-memory objstore.ReaderAt.
func memObject(b []byte) objstore.ReaderAt { return memReaderAt{bytes.NewReader(b)} }

type memReaderAt struct{ *bytes.Reader }

func (memReaderAt) Close() error { return nil }

// writeTestFile writes rows as a one-file Parquet object with parquet-go
// and opens it.
func writeTestFile[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) *dataFile {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	df, err := openDataFile("test.parquet", memObject(buf.Bytes()), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return df
}
