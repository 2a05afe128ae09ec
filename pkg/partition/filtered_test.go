package partition

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// oddRows keeps the files with an odd row count and drops their value sets
// and ranges, as a reader's file selection does; it counts its calls.
func oddRows(calls *int) FileFilter {
	return func(f *File) bool {
		*calls++
		f.Values, f.Ranges = nil, nil
		return f.Rows%2 == 1
	}
}

// checkFiltered compares a filtered snapshot with the full loader's: the
// kept files are the full snapshot's files the filter keeps (as the filter
// left them), the dropped paths are the others, nothing else.
func checkFiltered(t *testing.T, what string, got, full *Snapshot) {
	t.Helper()
	if !got.Filtered() || full.Filtered() {
		t.Fatalf("%s: Filtered() %v / %v", what, got.Filtered(), full.Filtered())
	}
	if got.Seq != full.Seq || got.Commits != full.Commits || !reflect.DeepEqual(got.Removed, full.Removed) {
		t.Errorf("%s: seq %d commits %d removed %d, want %d %d %d", what, got.Seq, got.Commits, len(got.Removed), full.Seq, full.Commits, len(full.Removed))
	}
	if len(got.Files)+len(got.Dropped) != len(full.Files) {
		t.Errorf("%s: %d kept + %d dropped, want the %d live files", what, len(got.Files), len(got.Dropped), len(full.Files))
	}
	kept := 0
	for p, f := range full.Files {
		g, inFiles := got.Files[p]
		_, inDropped := got.Dropped[p]
		want := f
		want.Values, want.Ranges = nil, nil
		switch {
		case f.Rows%2 == 1 && (!inFiles || inDropped || !reflect.DeepEqual(g, want)):
			t.Errorf("%s: %s: kept %v (%+v), dropped %v; want kept as %+v", what, p, inFiles, g, inDropped, want)
		case f.Rows%2 == 0 && (inFiles || !inDropped):
			t.Errorf("%s: %s: kept %v, dropped %v; want dropped", what, p, inFiles, inDropped)
		}
		if f.Rows%2 == 1 {
			kept++
		}
	}
	if kept == 0 || kept == len(full.Files) {
		t.Fatalf("%s: the filter keeps %d of %d files; the test needs both kinds", what, kept, len(full.Files))
	}
}

// The streaming loader sees the same files as the full loader, from a
// checkpoint plus the commits after it (which add and remove files) and
// from the log alone.
func TestFilteredSnapshot_SameFilesAsFullLoader(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	addCommits(t, l, 0, 6) // ends with a compaction that removes two files
	s, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	got, err := l.FilteredSnapshot(ctx, oddRows(&calls))
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Fatal("the filter was never called")
	}
	checkFiltered(t, "log alone", got, replay(t, l, true))

	if err := l.Checkpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	addCommits(t, l, 6, 5) // more adds, and a compaction of checkpointed files
	calls = 0
	got, err = l.FilteredSnapshot(ctx, oddRows(&calls))
	if err != nil {
		t.Fatal(err)
	}
	if got.base != s.Seq {
		t.Fatalf("checkpoint not used: base %d, want %d", got.base, s.Seq)
	}
	full := replay(t, l, true)
	checkFiltered(t, "checkpoint and log", got, full)
	// One call per file the checkpoint holds and per file a later commit adds.
	added := len(s.Files)
	tail, err := l.readCommits(ctx, s.Seq)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tail {
		added += len(e.entry.Add)
	}
	if calls != added {
		t.Errorf("filter called %d times, want once per decoded file (%d)", calls, added)
	}
	if _, err := l.FilteredSnapshot(ctx, nil); err == nil {
		t.Error("FilteredSnapshot(nil): no error")
	}
}

// A commit after the checkpoint that removes files takes them out of the
// filtered snapshot, whether the filter kept them or not, and a file it
// re-adds is judged again.
func TestFilteredSnapshot_AppliesRemoves(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	s, _ := l.Snapshot(ctx)
	var paths []string
	var add []File
	for i := range 4 {
		p := fmt.Sprintf("account=111122223333/region=us-east-1/day=2024-03-01/f%d.parquet", i)
		paths = append(paths, p)
		add = append(add, File{Path: p, Rows: int64(i + 1), Values: map[string][]string{"eventName": {"A"}}})
	}
	commit := func(c *Commit) {
		t.Helper()
		if err := l.Commit(ctx, s, c, func(*Commit) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	commit(&Commit{Operation: "ingest", Add: add})
	if err := l.Checkpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	// f0 (kept, 1 row) and f1 (dropped, 2 rows) are removed; f2 (dropped)
	// is replaced under its own path by a file the filter keeps.
	commit(&Commit{Operation: "compact", Remove: []string{paths[0], paths[1], paths[2]},
		Add: []File{{Path: paths[2], Rows: 7}, {Path: paths[0] + ".merged.parquet", Rows: 2}}})
	var calls int
	got, err := l.FilteredSnapshot(ctx, oddRows(&calls))
	if err != nil {
		t.Fatal(err)
	}
	if got.base != s.Seq-1 {
		t.Fatalf("checkpoint not used: base %d, want %d", got.base, s.Seq-1)
	}
	var kept, dropped []string
	for p := range got.Files {
		kept = append(kept, p)
	}
	for p := range got.Dropped {
		dropped = append(dropped, p)
	}
	if len(kept) != 1 || kept[0] != paths[2] || got.Files[paths[2]].Rows != 7 {
		t.Errorf("kept %v, want only the re-added %s", kept, paths[2])
	}
	if want := []string{paths[0] + ".merged.parquet", paths[3]}; len(dropped) != 2 || !got.hasDropped(want...) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	for _, p := range paths[:3] {
		if _, ok := got.Removed[p]; !ok {
			t.Errorf("%s not recorded as removed", p)
		}
	}
	checkFiltered(t, "after removes", got, replay(t, l, true))
}

func (s *Snapshot) hasDropped(paths ...string) bool {
	for _, p := range paths {
		if _, ok := s.Dropped[p]; !ok {
			return false
		}
	}
	return true
}

// A corrupt files part is reported with its key and the offset where
// decoding stopped; a reader falls back to replaying the log.
func TestFilteredSnapshot_CorruptCheckpoint(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	addCommits(t, l, 0, 4)
	s, _ := l.Snapshot(ctx)
	if err := l.Checkpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	key := checkpointKey(s.Seq, partFiles)
	zr, done, err := l.openGzip(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	_, err = doc.ReadFrom(zr)
	done()
	if err != nil {
		t.Fatal(err)
	}
	text := doc.String()
	cut := strings.Index(text, `"files":[`) + len(`"files":[`) + 40 // inside the first file

	for _, tc := range []struct {
		name string
		doc  string
		want string // in the error, besides the key and "offset"
	}{
		{"truncated in a file", text[:cut], "offset "},
		{"a control character in a file", text[:cut] + "\x01" + text[cut:], "invalid character"},
		{"data after the document", text + "{}", "data after the document"},
		{"wrong seq", strings.Replace(text, fmt.Sprintf(`"seq":%d`, s.Seq), `"seq":99`, 1), "seq 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			putGzip(t, l, key, tc.doc)
			err := l.readCheckpoint(ctx, s.Seq, true, newSnapshot(true, nil))
			if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "offset ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one naming %s, its offset and %q", err, key, tc.want)
			}
			var calls int
			got, err := l.FilteredSnapshot(ctx, oddRows(&calls))
			if err != nil {
				t.Fatal(err)
			}
			if got.base != 0 {
				t.Errorf("corrupt checkpoint used: base %d", got.base)
			}
			checkFiltered(t, tc.name, got, replay(t, l, true))
		})
	}
}

func putGzip(t *testing.T, l *Lake, key, text string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(text))
	zw.Close()
	if err := l.b.Put(context.Background(), key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
}

// wholeFilesPart is the files part decoded whole (json.Unmarshal), the
// reference the streamed decoder must agree with.
func wholeFilesPart(doc []byte, seq int64) (*Snapshot, error) {
	var fd checkpointFilesDoc
	if err := json.Unmarshal(doc, &fd); err != nil {
		return nil, err
	}
	if fd.Version > FormatVersion || fd.Seq != seq {
		return nil, fmt.Errorf("version %d, seq %d", fd.Version, fd.Seq)
	}
	s := newSnapshot(true, nil)
	for i := range fd.Files {
		f, err := decodeValueSets(fd.ValueTables, &fd.Files[i])
		if err != nil {
			return nil, err
		}
		s.add(f)
	}
	for p, t := range fd.Removed {
		s.Removed[p] = t
	}
	s.Seq, s.Commits = seq, fd.Commits
	return s, nil
}

// FuzzDecodeFilesPart: whatever the streamed decoder accepts, the whole
// decode accepts too, with the same files, removed paths and counts; it
// never panics on bad input.
func FuzzDecodeFilesPart(f *testing.F) {
	ctx := context.Background()
	b, err := objstore.OpenLocal(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	l := Open(b)
	s := newSnapshot(false, nil)
	for i := range 5 {
		s.add(File{Path: fmt.Sprintf("account=111122223333/region=us-east-1/day=2024-03-01/f%d.parquet", i), Rows: int64(i), Values: valueSets(i)})
	}
	s.Seq, s.Commits, s.full = 3, 3, true
	s.Removed["gone.parquet"] = time.Unix(5, 0).UTC()
	if err := l.Checkpoint(ctx, s); err != nil {
		f.Fatal(err)
	}
	zr, done, err := l.openGzip(ctx, checkpointKey(3, partFiles))
	if err != nil {
		f.Fatal(err)
	}
	var doc bytes.Buffer
	_, err = doc.ReadFrom(zr)
	done()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc.Bytes())
	f.Add([]byte(`{"files":[{"path":"a","rows":1,"values":{"eventName":["x"]}}],"seq":3,"version":1}`))
	f.Add([]byte(`{"version":1,"seq":3,"files":null}`))
	f.Add([]byte(`{"version":1,"seq":3,"files":[],"files":[{"path":"b"}]}`))
	f.Add([]byte(`{"Version":1,"SEQ":3,"Files":[{"path":"c","sets":{"eventName":"AQ"}}],"valueTables":{"eventName":["x"]}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		got := newSnapshot(true, nil)
		err := got.decodeFilesPart(json.NewDecoder(bytes.NewReader(doc)), 3)
		if err != nil {
			return
		}
		want, werr := wholeFilesPart(doc, 3)
		if werr != nil {
			t.Fatalf("streamed decode accepted what the whole decode rejects (%v): %q", werr, doc)
		}
		if !reflect.DeepEqual(got.Files, want.Files) || !reflect.DeepEqual(got.Removed, want.Removed) || got.Seq != want.Seq || got.Commits != want.Commits {
			t.Fatalf("streamed and whole decodes differ on %q:\n%+v\n%+v", doc, got.Files, want.Files)
		}
	})
}
