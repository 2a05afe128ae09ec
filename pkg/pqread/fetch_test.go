package pqread

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

// countingReader counts the requests (ReadAt calls) and bytes read.
type countingReader struct {
	r        io.ReaderAt
	mu       sync.Mutex
	requests int
	bytes    int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.requests++
	c.bytes += int64(len(p))
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

// openCounting opens a test file of several row groups through a
// countingReader.
func openCounting(t *testing.T) ([]byte, *countingReader, *File) {
	t.Helper()
	data := testFile(t, 2000)
	cr := &countingReader{r: bytes.NewReader(data)}
	f, err := Open("t.parquet", cr, int64(len(data)), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return data, cr, f
}

// chunkRanges returns the byte ranges of row group rg's chunks of paths.
func chunkRanges(t *testing.T, f *File, rg int, paths ...string) []Range {
	t.Helper()
	var rs []Range
	for _, p := range paths {
		col, ok := f.Column(p)
		if !ok {
			t.Fatalf("no column %s", p)
		}
		lo, hi, err := f.ChunkRange(rg, col)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, Range{lo, hi})
	}
	return rs
}

// TestFetch_Coalesces: the adjacent column chunks of a row group are
// fetched in one request; a gap above the bound, or a merged range above
// its bound, splits the fetch; every range reads the file's bytes.
func TestFetch_Coalesces(t *testing.T) {
	data, cr, f := openCounting(t)
	all := chunkRanges(t, f, 0, "id", "name", "t", "ok", "n")
	ends := chunkRanges(t, f, 0, "id", "n") // the first and the last: three chunks between
	gap := ends[1].Off - ends[0].End
	if gap <= 0 {
		t.Fatalf("chunks of id and n are %v: the test needs a gap", ends)
	}
	var whole int64
	for _, r := range all {
		whole += r.End - r.Off
	}
	// Without the fourth chunk: the gap is its size, the rest is needed.
	holed := []Range{all[0], all[1], all[2], all[4]}
	hole := all[3].End - all[3].Off
	need := whole - hole
	if need < 2*hole {
		t.Fatalf("chunks %v: the test needs a fourth chunk smaller than half the others", all)
	}
	for _, tc := range []struct {
		name     string
		rs       []Range
		cfg      Coalesce
		requests int
		bytes    int64
	}{
		{"adjacent chunks, no gap allowed", all, Coalesce{Parallel: 4}, 1, whole},
		{"two chunks, gap under the bound", ends, Coalesce{Gap: gap}, 1, ends[1].End - ends[0].Off},
		{"two chunks, gap over the bound", ends, Coalesce{Gap: gap - 1, Parallel: 4}, 2, ends[0].End - ends[0].Off + ends[1].End - ends[1].Off},
		{"gap within the needed bytes' fraction", holed, Coalesce{GapFraction: need / hole}, 1, whole},
		{"gap over the needed bytes' fraction", holed, Coalesce{GapFraction: need/hole + 1}, 2, need},
		{"bounded merged range", all, Coalesce{Gap: gap, MaxRange: whole - 1}, 2, whole},
		{"out of order, overlapping", []Range{all[2], all[0], all[1], all[1]}, Coalesce{}, 1, all[2].End - all[0].Off},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr.requests, cr.bytes = 0, 0
			fe, err := f.Fetch(tc.rs, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer fe.Release()
			if cr.requests != tc.requests || fe.Requests() != tc.requests {
				t.Errorf("%d requests (Fetched says %d), want %d", cr.requests, fe.Requests(), tc.requests)
			}
			if fe.Bytes() != tc.bytes || cr.bytes != tc.bytes {
				t.Errorf("%d bytes read (Fetched says %d), want %d", cr.bytes, fe.Bytes(), tc.bytes)
			}
			for _, r := range tc.rs {
				if got := fe.Slice(r.Off, r.End); !bytes.Equal(got, data[r.Off:r.End]) {
					t.Fatalf("range %v: %d bytes not the file's", r, len(got))
				}
			}
		})
	}
	if _, err := f.Fetch([]Range{{int64(len(data)) - 4, int64(len(data)) + 1}}, Coalesce{}, nil); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("range past the end: %v", err)
	}
}

// TestFetch_ChunksIdentical: chunks decoded from fetched bytes equal the
// chunks read one by one, and decoding them reads nothing more.
func TestFetch_ChunksIdentical(t *testing.T) {
	_, cr, f := openCounting(t)
	paths := []string{"id", "name", "t", "ok", "n"}
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		fe, err := f.Fetch(chunkRanges(t, f, rg, paths...), DefaultCoalesce, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := cr.requests
		for _, p := range paths {
			col, _ := f.Column(p)
			lo, hi, _ := f.ChunkRange(rg, col)
			c, err := f.OpenChunk(rg, col, 0, fe.Slice(lo, hi), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := NewColumn(&f.Leaves[col])
			for {
				pg, err := c.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err == nil {
					err = got.Append(pg)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			c.Release()
			want, err := readColumn(f, rg, p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != f.NumRows(rg) || columnText(got) != columnText(want) {
				t.Fatalf("row group %d %s: decoded from fetched bytes differs", rg, p)
			}
			if c.Fetched() != 0 {
				t.Fatalf("row group %d %s: the reader fetched %d bytes itself", rg, p, c.Fetched())
			}
		}
		// readColumn made one request per chunk; the fetched readers none.
		if n := cr.requests - before; n != len(paths) {
			t.Fatalf("row group %d: %d requests for %d one-by-one reads", rg, n, len(paths))
		}
		fe.Release()
	}
}

// columnText renders every entry of a column.
func columnText(c *Column) string {
	s := fmt.Sprint(c.Len(), c.Valid, c.Int64, c.Int32, c.Bool)
	if c.Leaf.Type == format.ByteArray {
		for i := 0; i < c.Len(); i++ {
			s += "|" + string(c.Value(i))
		}
	}
	return s
}
