package query

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// countingBucket counts the bytes read and the requests made through the
// ReaderAt of every object opened for ranged reads. With cost set, its
// readers say requests cost that much (objstore.RequestCoster), as a
// remote store's do.
type countingBucket struct {
	objstore.Bucket
	read, requests atomic.Int64
	cost           int64
}

type countingReaderAt struct {
	objstore.ReaderAt
	b *countingBucket
}

func (r countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.ReaderAt.ReadAt(p, off)
	r.b.read.Add(int64(n))
	r.b.requests.Add(1)
	return n, err
}

// remoteReaderAt is a countingReaderAt whose requests cost.
type remoteReaderAt struct{ countingReaderAt }

func (r remoteReaderAt) RequestCost() int64 { return r.b.cost }

func (b *countingBucket) OpenReaderAt(ctx context.Context, key string) (objstore.ReaderAt, objstore.ObjectInfo, error) {
	ra, info, err := b.Bucket.OpenReaderAt(ctx, key)
	if err != nil {
		return nil, info, err
	}
	if b.cost > 0 {
		return remoteReaderAt{countingReaderAt{ra, b}}, info, nil
	}
	return countingReaderAt{ra, b}, info, nil
}

// reset zeroes the counters.
func (b *countingBucket) reset() {
	b.read.Store(0)
	b.requests.Store(0)
}

// pinLake is one account, one region, one day: its main file has several
// row groups of several pages per column chunk.
type pinLake struct {
	lake   *partition.Lake
	bucket *countingBucket
	snap   *partition.Snapshot
}

func buildPinLake(t *testing.T) *pinLake {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := gen.DefaultConfig()
	cfg.Events, cfg.Accounts, cfg.Regions, cfg.Days, cfg.Seed = 40000, 1, []string{"us-east-1"}, 1, 11
	cfg.LateRate, cfg.DuplicateRate = 0, -1
	if _, err := gen.WriteDir(ctx, cfg, filepath.Join(dir, "src")); err != nil {
		t.Fatal(err)
	}
	src, err := objstore.OpenLocal(filepath.Join(dir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	lb, err := objstore.OpenLocal(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	cb := &countingBucket{Bucket: lb}
	lake := partition.Open(cb)
	icfg := ingest.DefaultConfig()
	icfg.Source, icfg.Lake = src, lake
	icfg.Workers, icfg.MemoryPerWorker = 1, 512<<20 // one file per partition
	if _, err := ingest.Run(ctx, icfg); err != nil {
		t.Fatal(err)
	}
	snap, err := lake.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &pinLake{lake: lake, bucket: cb, snap: snap}
}

func (pl *pinLake) run(t *testing.T, pattern string, opts Options) (*Stats, []Match) {
	t.Helper()
	p, err := Parse(pattern, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(p.Root, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ms []Match
	st, err := plan.Run(context.Background(), pl.lake, pl.snap, func(m Match) error {
		ms = append(ms, m)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", pattern, err)
	}
	return st, ms
}

// TestPipeline_PruningCounters pins what each level of the one filter
// tree prunes on a fixture whose file has several row groups and pages.
func TestPipeline_PruningCounters(t *testing.T) {
	pl := buildPinLake(t)
	files := pl.snap.SortedFiles()
	var main partition.File
	for _, f := range files {
		if f.Rows > main.Rows {
			main = f
		}
	}
	df, err := openFile(context.Background(), pl.lake, main, nil)
	if err != nil {
		t.Fatal(err)
	}
	rgs := df.pf.NumRowGroups()
	col, _, _ := df.leaf(colRaw)
	oi, err := df.pf.OffsetIndex(0, col)
	df.Close()
	if err != nil || oi == nil {
		t.Fatalf("offset index: %v", err)
	}
	if rgs < 2 || len(oi.PageLocations) < 2 {
		t.Fatalf("fixture: %d row groups, %d pages in the first raw chunk; the test needs at least 2 of each", rgs, len(oi.PageLocations))
	}
	var totalRGs int64
	for _, f := range files {
		d, err := openFile(context.Background(), pl.lake, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		totalRGs += int64(d.pf.NumRowGroups())
		d.Close()
	}
	day := gen.DefaultStart.UTC()
	for _, tc := range []struct {
		name    string
		pattern string
		opts    Options
		check   func(t *testing.T, st *Stats, ms []Match)
	}{
		{"another account prunes every file from the manifest", `{ $.eventName = * }`,
			Options{CountOnly: true, Accounts: []string{"000000000000"}},
			func(t *testing.T, st *Stats, _ []Match) {
				if st.FilesSkipped != st.Files || st.RowGroups != 0 {
					t.Errorf("files %d/%d skipped, %d row groups opened", st.FilesSkipped, st.Files, st.RowGroups)
				}
			}},
		{"an absent eventType prunes every file by its value set", `{ $.eventType = "NoSuchType" }`,
			Options{CountOnly: true},
			func(t *testing.T, st *Stats, _ []Match) {
				if st.FilesSkipped != st.Files {
					t.Errorf("files %d/%d skipped", st.FilesSkipped, st.Files)
				}
			}},
		{"an absent eventID prunes every row group by its bloom filter", `{ $.eventID = "00000000-0000-0000-0000-000000000000" }`,
			Options{CountOnly: true},
			func(t *testing.T, st *Stats, _ []Match) {
				if st.FilesSkipped != 0 || st.RowGroups != totalRGs || st.RowGroupsSkipped != st.RowGroups || st.ColumnsRead != 0 {
					t.Errorf("files skipped %d, row groups %d/%d skipped (want all %d), columns read %d", st.FilesSkipped, st.RowGroupsSkipped, st.RowGroups, totalRGs, st.ColumnsRead)
				}
			}},
		{"a one-hour window prunes row groups by eventTime statistics", `{ $.eventName = * }`,
			Options{CountOnly: true, Since: day.Add(10 * time.Hour), Until: day.Add(11 * time.Hour)},
			func(t *testing.T, st *Stats, _ []Match) {
				if st.RowGroupsSkipped == 0 || st.RowGroupsSkipped >= st.RowGroups || st.RowsMatched == 0 {
					t.Errorf("row groups %d/%d skipped, %d rows matched", st.RowGroupsSkipped, st.RowGroups, st.RowsMatched)
				}
			}},
		{"a window holding whole row groups does not read their eventTime", `{ $.eventName = * }`,
			Options{CountOnly: true, Since: day.Add(-time.Hour)},
			func(t *testing.T, st *Stats, _ []Match) {
				if read := st.RowGroups - st.RowGroupsSkipped; st.RowsMatched == 0 || st.ColumnsRead != read {
					t.Errorf("%d columns read in %d row groups (want eventName alone), %d rows matched", st.ColumnsRead, read, st.RowsMatched)
				}
			}},
		{"a window after the data prunes every file by partition day and range", `{ $.eventName = * }`,
			Options{CountOnly: true, Since: day.Add(72 * time.Hour)},
			func(t *testing.T, st *Stats, _ []Match) {
				if st.FilesSkipped != st.Files {
					t.Errorf("files %d/%d skipped", st.FilesSkipped, st.Files)
				}
			}},
		{"printing a selective match reads only the raw pages holding it", `{ $.eventName = "ConsoleLogin" && $.errorMessage = * }`,
			Options{},
			func(t *testing.T, st *Stats, ms []Match) {
				if len(ms) == 0 || st.RawPages == 0 || st.RawPagesSkipped == 0 {
					t.Errorf("%d matches, raw pages read %d, skipped %d", len(ms), st.RawPages, st.RawPagesSkipped)
				}
				for _, m := range ms {
					if !strings.Contains(string(m.Raw), `"ConsoleLogin"`) || !strings.Contains(string(m.Raw), `"eventID":"`+m.EventID+`"`) {
						t.Fatalf("match %s: raw record %.120q is not its record", m.EventID, m.Raw)
					}
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, ms := pl.run(t, tc.pattern, tc.opts)
			tc.check(t, st, ms)
		})
	}
}

// TestPipeline_RangedReads: a query of two columns over a file fetches less
// than the file, from a local file and from a remote one whose row groups
// fetch their planned chunks together.
func TestPipeline_RangedReads(t *testing.T) {
	pl := buildPinLake(t)
	var size int64
	for _, f := range pl.snap.SortedFiles() {
		size += f.Bytes
	}
	for _, cost := range []int64{0, 1 << 20} {
		pl.bucket.cost = cost
		pl.bucket.reset()
		st, _ := pl.run(t, `{ $.eventName = "ConsoleLogin" }`, Options{CountOnly: true})
		read := pl.bucket.read.Load()
		if st.RowsMatched == 0 || st.ColumnsRead == 0 {
			t.Fatalf("request cost %d: the query read nothing: %+v", cost, st)
		}
		if read <= 0 || read >= size/4 {
			t.Fatalf("request cost %d: a count over eventName (and ctqExact) read %d bytes of a %d-byte lake", cost, read, size)
		}
	}
	pl.bucket.cost = 0
}

// TestPipeline_EventIDsFromRecords: printed matches of a selective query
// take their eventIDs from their records instead of the eventID column,
// with the same matches in the same order, and fewer bytes read.
func TestPipeline_EventIDsFromRecords(t *testing.T) {
	pl := buildPinLake(t)
	for _, pattern := range []string{`{ $.eventName = "ConsoleLogin" }`, `{ $.userIdentity.type = "Root" }`} {
		pl.bucket.read.Store(0)
		_, fromRaw := pl.run(t, pattern, Options{})
		rawBytes := pl.bucket.read.Load()
		defer func(v int) { sparseIDRows = v }(sparseIDRows)
		sparseIDRows = 0
		pl.bucket.read.Store(0)
		_, fromCol := pl.run(t, pattern, Options{})
		colBytes := pl.bucket.read.Load()
		sparseIDRows = 8
		if len(fromCol) == 0 || len(fromRaw) != len(fromCol) {
			t.Fatalf("%s: %d matches with eventIDs from the records, %d from the column", pattern, len(fromRaw), len(fromCol))
		}
		for i := range fromCol {
			if fromRaw[i].EventID == "" || fromRaw[i].EventID != fromCol[i].EventID || string(fromRaw[i].Raw) != string(fromCol[i].Raw) {
				t.Fatalf("%s: match %d: %q against %q", pattern, i, fromRaw[i].EventID, fromCol[i].EventID)
			}
		}
		if rawBytes >= colBytes {
			t.Errorf("%s: %d bytes read with eventIDs from the records, %d from the column", pattern, rawBytes, colBytes)
		}
	}
}

// TestPipeline_ExplainGolden pins the plan text of a pattern with scope
// filters.
func TestPipeline_ExplainGolden(t *testing.T) {
	p, err := Parse(`{ $.eventName = "ConsoleLogin" && $.errorCode = "Failed*" }`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(p.Root, Options{Regions: []string{"us-east-1"}, Since: time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := `scan lake files from the manifest
  one filter tree prunes files (manifest: partitions, eventTime, awsRegion,
  recipientAccountId ranges, eventName / eventSource / errorCode / eventType /
  userIdentity.type value sets), row groups (statistics, bloom filters) and rows
  per row group: columns read lazily, cheapest first
  AND (cheapest first, stops when no row is left)
    partitions: accounts all, regions us-east-1  [partition keys]
    eventTime in [2025-03-14T00:00:00Z, +inf)  [eventTime statistics]
  AND (cheapest first, stops when no row is left)
    { $.eventName = "ConsoleLogin" }  [typed column eventName; statistics, bloom filter and dictionary pruning]
    { $.errorCode = "Failed*" }  [typed column errorCode; statistics, bloom filter and dictionary pruning]
  rows with ctqExact = false: whole pattern re-evaluated on the raw record
  output: raw records of matching rows only, merged in (eventTime, eventID) order
`
	if got := plan.Explain(); got != want {
		t.Fatalf("explain:\n%s\nwant:\n%s", got, want)
	}
}

// TestPipeline_RawPagesStreamed: raw-text filters that evaluate the raw
// record column page by page, and printed records kept from a pass over
// every page, give the same matches and the same bytes as reading whole
// chunks.
func TestPipeline_RawPagesStreamed(t *testing.T) {
	pl := buildPinLake(t)
	patterns := []string{
		`AccessDenied`,                     // raw term filter, a few per cent of rows
		`"ConsoleLogin" -Success`,          // must and exclude terms
		`{ $.resources[0].ARN = "*" }`,     // raw comparison (array index)
		`{ $.eventVersion = "1.*" }`,       // every row: printed from every page
		`{ $.eventName = "ConsoleLogin" }`, // typed filter, printed from some pages
	}
	run := func(stream int64) [][]Match {
		old := rawStreamBytes
		rawStreamBytes = stream
		defer func() { rawStreamBytes = old }()
		var out [][]Match
		for _, p := range patterns {
			_, ms := pl.run(t, p, Options{})
			out = append(out, ms)
		}
		return out
	}
	whole, streamed := run(1<<62), run(0)
	for i, p := range patterns {
		if len(whole[i]) == 0 {
			t.Fatalf("%s: no match: the test needs some", p)
		}
		if len(whole[i]) != len(streamed[i]) {
			t.Fatalf("%s: %d matches reading whole chunks, %d streaming pages", p, len(whole[i]), len(streamed[i]))
		}
		for j := range whole[i] {
			a, b := whole[i][j], streamed[i][j]
			if a.EventID != b.EventID || !a.Time.Equal(b.Time) || string(a.Raw) != string(b.Raw) || len(a.Raw) == 0 {
				t.Fatalf("%s: match %d differs: %s %q against %s %q", p, j, a.EventID, a.Raw, b.EventID, b.Raw)
			}
		}
	}
}

// TestPipeline_LimitIsPrefix: a limited query prints the first matches of
// the unlimited one, in order and with their records, whether the limit
// falls inside a row group or across several.
func TestPipeline_LimitIsPrefix(t *testing.T) {
	pl := buildPinLake(t)
	for _, pattern := range []string{`{ $.eventVersion = "1.*" }`, `{ $.readOnly IS TRUE }`} {
		_, all := pl.run(t, pattern, Options{})
		if len(all) < 20000 {
			t.Fatalf("%s: %d matches; the fixture should give many rows per row group", pattern, len(all))
		}
		for _, limit := range []int{1, 7, 1000, 15000, len(all) + 5} {
			_, got := pl.run(t, pattern, Options{Limit: limit})
			want := all[:min(limit, len(all))]
			if len(got) != len(want) {
				t.Fatalf("%s --limit %d: %d matches, want %d", pattern, limit, len(got), len(want))
			}
			for i := range got {
				if got[i].EventID != want[i].EventID || !got[i].Time.Equal(want[i].Time) || !bytes.Equal(got[i].Raw, want[i].Raw) {
					t.Fatalf("%s --limit %d: match %d is %s at %s, want %s at %s", pattern, limit, i, got[i].EventID, got[i].Time, want[i].EventID, want[i].Time)
				}
			}
		}
	}
}

// TestWindows_Plan: a cluster of more rows than a window's splits into an
// untimed window and contiguous time windows that cover its files' range
// (a file whose manifest range starts at the epoch, as one with untimed
// rows does, counts from its partition day); a small one stays whole.
func TestWindows_Plan(t *testing.T) {
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	file := func(name string, rows int64, lo, hi time.Time) scanTask {
		return scanTask{file: partition.File{Path: "account=111122223333/region=us-east-1/day=2024-03-01/" + name, Rows: rows, MinTime: lo, MaxTime: hi}}
	}
	s := &scanPlan{}
	tasks := []scanTask{
		file("a.parquet", 1500, time.Unix(0, 0).UTC(), day.Add(20*time.Hour)),
		file("b.parquet", 1500, day.Add(2*time.Hour), day.Add(23*time.Hour+59*time.Minute)),
	}
	ws := s.windows(tasks, 1000)
	if len(ws) != 4 {
		t.Fatalf("%d windows, want the untimed one and 3 of time", len(ws))
	}
	if _, ok := ws[0].scan.scope.(untimedFilter); !ok || len(ws[0].tasks) != 2 {
		t.Fatalf("window 0: scope %T over %d files, want the untimed rows of both", ws[0].scan.scope, len(ws[0].tasks))
	}
	next := day.UnixMicro()
	for i, w := range ws[1:] {
		tf, ok := w.scan.scope.(*timeFilter)
		if !ok || tf.since != next || tf.until <= tf.since {
			t.Fatalf("window %d: scope %+v, want a time window from %d", i+1, w.scan.scope, next)
		}
		next = tf.until
	}
	if want := day.Add(23*time.Hour+59*time.Minute).UnixMicro() + 1; next != want {
		t.Errorf("the windows end at %d, want %d", next, want)
	}
	if s.scope != nil || s.sel != nil {
		t.Errorf("windows changed the plan itself")
	}
	if ws := s.windows(tasks[1:2], 1000); len(ws) != 3 {
		t.Errorf("1500 rows in windows of 1000: %d windows, want the untimed one and 2", len(ws))
	}
	if ws := s.windows(tasks, 5000); len(ws) != 1 || ws[0].scan != s || len(ws[0].tasks) != 2 {
		t.Errorf("a cluster of fewer rows than a window's: %d windows", len(ws))
	}
}
