package pqread

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	ID   string `parquet:"id,delta"`
	Name string `parquet:"name,optional,dict"`
	T    int64  `parquet:"t,timestamp(microsecond)"`
	OK   bool   `parquet:"ok"`
	N    int32  `parquet:"n,optional"`
}

func testFile(t testing.TB, n int) []byte {
	t.Helper()
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{ID: fmt.Sprintf("id-%06d", i), T: int64(i) * 1000, OK: i%3 == 0, N: int32(i % 7)}
		if i%5 != 0 {
			rows[i].Name = fmt.Sprintf("name-%d", i%11)
		}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.PageBufferSize(1024), parquet.Compression(&parquet.Zstd))
	for i := 0; i < n; i += 700 {
		if _, err := w.Write(rows[i:min(i+700, n)]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readColumn(f *File, rg int, path string) (*Column, error) {
	return readColumnInto(f, rg, path, nil)
}

// readColumnInto decodes a column chunk into c, reset first; nil: a new
// column.
func readColumnInto(f *File, rg int, path string, c *Column) (*Column, error) {
	col, ok := f.Column(path)
	if !ok {
		return nil, fmt.Errorf("no column %s", path)
	}
	cr, err := f.OpenChunk(rg, col, 0, nil, nil)
	if err != nil {
		return nil, err
	}
	defer cr.Release()
	if c == nil {
		c = NewColumn(&f.Leaves[col])
	}
	c.Reset()
	for {
		p, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		if err := c.Append(p); err != nil {
			return nil, err
		}
	}
}

// TestColumns_MatchRows decodes every column of a file with several row
// groups of many pages and compares each entry with what was written.
func TestColumns_MatchRows(t *testing.T) {
	const n = 2000
	data := testFile(t, n)
	f, err := Open("t.parquet", bytes.NewReader(data), int64(len(data)), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRowGroups() < 2 {
		t.Fatalf("%d row groups", f.NumRowGroups())
	}
	base := 0
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		cols := map[string]*Column{}
		for _, p := range []string{"id", "name", "t", "ok", "n"} {
			if cols[p], err = readColumn(f, rg, p); err != nil {
				t.Fatalf("row group %d %s: %v", rg, p, err)
			}
		}
		if !cols["name"].Dictionary() {
			t.Fatalf("name: not read as a dictionary")
		}
		for i := 0; i < f.NumRows(rg); i++ {
			r := base + i
			name := ""
			if r%5 != 0 {
				name = fmt.Sprintf("name-%d", r%11)
			}
			got := fmt.Sprint(string(cols["id"].Value(i)), string(cols["name"].Value(i)), cols["name"].Valid[i], cols["t"].Int64[i], cols["ok"].Bool[i], cols["n"].Int32[i])
			want := fmt.Sprint(fmt.Sprintf("id-%06d", r), name, name != "", int64(r)*1000, r%3 == 0, int32(r%7))
			if got != want {
				t.Fatalf("row %d: %s, want %s", r, got, want)
			}
		}
		base += f.NumRows(rg)
	}
	if base != n {
		t.Fatalf("%d rows, want %d", base, n)
	}
}

// TestColumn_ReusesDictionary decodes the dictionary chunks of several
// row groups into one column: each row group's values are right, and from
// the second on the dictionary is decoded into the previous one's buffer.
func TestColumn_ReusesDictionary(t *testing.T) {
	const n = 2000
	data := testFile(t, n)
	f, err := Open("t.parquet", bytes.NewReader(data), int64(len(data)), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var c *Column
	var prev *byte
	base := 0
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		if c, err = readColumnInto(f, rg, "name", c); err != nil {
			t.Fatalf("row group %d: %v", rg, err)
		}
		if !c.Dictionary() {
			t.Fatalf("row group %d: not read as a dictionary", rg)
		}
		for i := 0; i < f.NumRows(rg); i++ {
			r := base + i
			want := ""
			if r%5 != 0 {
				want = fmt.Sprintf("name-%d", r%11)
			}
			if got := string(c.Value(i)); got != want {
				t.Fatalf("row %d: %q, want %q", r, got, want)
			}
		}
		buf := &c.Dict.Data[:1][0]
		if rg > 0 && buf != prev {
			t.Errorf("row group %d: the dictionary was decoded into a new buffer", rg)
		}
		prev = buf
		base += f.NumRows(rg)
	}
	if f.NumRowGroups() < 2 {
		t.Fatalf("%d row groups", f.NumRowGroups())
	}
}

// TestFooterCache_Bounded serves footers from the cache and keeps it
// within its bound.
func TestFooterCache_Bounded(t *testing.T) {
	data := testFile(t, 300)
	c := &FooterCache{Dir: filepath.Join(t.TempDir(), "footers"), MaxBytes: 8 << 10}
	for i := 0; i < 20; i++ {
		if _, err := Open("t.parquet", bytes.NewReader(data), int64(len(data)), c, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	if c.Get("v19") == nil {
		t.Fatal("the newest footer is not cached")
	}
	// A cached footer is used: a reader that fails every read still opens,
	// and reads the page index and bloom filters from the cache.
	f, err := Open("t.parquet", failingReader{}, int64(len(data)), c, "v19")
	if err != nil {
		t.Fatalf("open from the cache: %v", err)
	}
	col, _ := f.Column("id")
	if oi, err := f.OffsetIndex(0, col); err != nil || oi == nil || len(oi.PageLocations) == 0 {
		t.Fatalf("offset index from the cache: %v, %v", oi, err)
	}
	if ci, err := f.ColumnIndex(0, col); err != nil || ci == nil {
		t.Fatalf("column index from the cache: %v, %v", ci, err)
	}
	// An entry that is not a file's end is a miss.
	c.Put("bad", []byte("not a footer"))
	if _, err := Open("t.parquet", failingReader{}, int64(len(data)), c, "bad"); err == nil || !strings.Contains(err.Error(), "no reads") {
		t.Fatalf("open with a bad cache entry: %v, want the read's error", err)
	}
	ents, _ := os.ReadDir(c.Dir)
	var total int64
	for _, e := range ents {
		info, _ := e.Info()
		total += info.Size()
	}
	if total > c.MaxBytes {
		t.Fatalf("cache holds %d bytes, bound %d", total, c.MaxBytes)
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("no reads") }

// FuzzOpenAndRead: corrupt files give errors, never panics.
func FuzzOpenAndRead(f *testing.F) {
	f.Add(testFile(f, 50), 0, byte(0))
	f.Add(testFile(f, 1500), 0, byte(0)) // three row groups
	f.Fuzz(func(t *testing.T, data []byte, at int, x byte) {
		if len(data) > 0 {
			data = bytes.Clone(data)
			data[(at%len(data)+len(data))%len(data)] ^= x
		}
		pf, err := Open("f.parquet", bytes.NewReader(data), int64(len(data)), nil, "")
		if err != nil {
			return
		}
		// One column per leaf across row groups, as a scan reuses them:
		// a chunk decodes into what the previous one (maybe a failed one)
		// left, its dictionary included.
		cols := make([]*Column, len(pf.Leaves))
		for rg := 0; rg < pf.NumRowGroups(); rg++ {
			for i := range pf.Leaves {
				if cols[i] == nil {
					cols[i] = NewColumn(&pf.Leaves[i])
				}
				readColumnInto(pf, rg, pf.Leaves[i].Path, cols[i])
			}
		}
	})
}

// TestChunk_PageCountOverChunk: a data page claiming more values than its
// chunk has left is an error naming both counts, before its levels are
// decoded.
func TestChunk_PageCountOverChunk(t *testing.T) {
	data := testFile(t, 50)
	f, err := Open("f.parquet", bytes.NewReader(data), int64(len(data)), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"id", "name", "t"} {
		if _, err := readColumn(f, 0, path); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		col, _ := f.Column(path)
		f.Meta.RowGroups[0].Columns[col].MetaData.NumValues = 10 // the page holds 50
		_, err := readColumn(f, 0, path)
		if err == nil || !strings.Contains(err.Error(), "page of 50 values where the chunk has 10 left") {
			t.Errorf("%s: error %v; want the page's and the chunk's counts", path, err)
		}
	}
}
