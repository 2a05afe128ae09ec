package compact

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// eventKey identifies a record by eventID and content.
type eventKey struct {
	id  string
	sum [32]byte
}

// multiset counts the lake's records as a snapshot sees them.
func multiset(t *testing.T, lake *partition.Lake) (map[eventKey]int, *partition.Snapshot) {
	t.Helper()
	ctx := context.Background()
	snap, err := lake.FilesSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[eventKey]int{}
	for _, f := range snap.SortedFiles() {
		c, err := openInput(ctx, lake, f, mergeCols)
		if err != nil {
			t.Fatal(err)
		}
		n := int64(0)
		for {
			err := c.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out[eventKey{string(c.rec.id), sha256.Sum256(c.rec.raw)}]++
			n++
		}
		c.close()
		if n != f.Rows {
			t.Fatalf("%s: %d rows, the manifest says %d", f.Path, n, f.Rows)
		}
	}
	return out, snap
}

// dedup is the multiset with every record once.
func dedup(m map[eventKey]int) map[eventKey]int {
	out := map[eventKey]int{}
	for k := range m {
		out[k] = 1
	}
	return out
}

func total(m map[eventKey]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func diffMultisets(t *testing.T, got, want map[eventKey]int) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	missing, extra := 0, 0
	for k, w := range want {
		if g := got[k]; g < w {
			missing += w - g
		}
	}
	for k, g := range got {
		if w := want[k]; g > w {
			extra += g - w
		}
	}
	t.Fatalf("lake holds %d records, want %d: %d missing, %d extra", total(got), total(want), missing, extra)
}

// smallFileLake generates an archive and ingests it in windows of delivery
// time, as an hourly incremental ingest would, so each partition holds many
// small files.
func smallFileLake(t *testing.T, b objstore.Bucket, cfg gen.Config, window time.Duration) *partition.Lake {
	t.Helper()
	ctx := context.Background()
	archive := filepath.Join(t.TempDir(), "archive")
	if _, err := gen.WriteDir(ctx, cfg, archive); err != nil {
		t.Fatal(err)
	}
	src, err := objstore.OpenLocal(archive)
	if err != nil {
		t.Fatal(err)
	}
	lake := partition.Open(b)
	start := cfg.Start
	end := start.Add(time.Duration(cfg.Days+1) * 24 * time.Hour)
	for lo := start.Add(-window); lo.Before(end); lo = lo.Add(window) {
		ic := ingest.DefaultConfig()
		ic.Source, ic.Lake = src, lake
		ic.Since, ic.Until = lo, lo.Add(window)
		ic.TempDir = t.TempDir()
		if _, err := ingest.Run(ctx, ic); err != nil {
			t.Fatal(err)
		}
	}
	// A last run without bounds picks up anything outside the windows.
	ic := ingest.DefaultConfig()
	ic.Source, ic.Lake, ic.TempDir = src, lake, t.TempDir()
	if _, err := ingest.Run(ctx, ic); err != nil {
		t.Fatal(err)
	}
	return lake
}

func genConfig(events int) gen.Config {
	cfg := gen.DefaultConfig()
	cfg.Seed = 11
	cfg.Events = events
	cfg.Accounts = 2
	cfg.Regions = []string{"us-east-1", "eu-west-1"}
	cfg.Days = 2
	cfg.DuplicateRate = 0.01
	return cfg
}

func localLake(t *testing.T) (objstore.Bucket, string) {
	dir := filepath.Join(t.TempDir(), "lake")
	b, err := objstore.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b, dir
}

// smallPolicy makes a few files per partition out of a test-sized lake.
var smallPolicy = partition.CompactionPolicy{TargetBytes: 1 << 20, DoneFraction: 0.75}

// checkExternalView checks that the partition directories hold exactly the
// snapshot's live files (what Hive-partitioned engines read) and that no
// staging file is left.
func checkExternalView(t *testing.T, lake *partition.Lake) {
	t.Helper()
	ctx := context.Background()
	snap, err := lake.FilesSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = lake.Bucket().List(ctx, objstore.ListOptions{}, func(e objstore.Entry) error {
		switch {
		case strings.HasPrefix(e.Key, partition.StagingDir):
			t.Errorf("staging file left: %s", e.Key)
		case strings.HasPrefix(e.Key, partition.MetaDir+"/"):
		case strings.HasSuffix(e.Key, ".parquet"):
			if _, ok := snap.Files[e.Key]; !ok {
				t.Errorf("partition holds %s, which is not live", e.Key)
			}
			seen[e.Key] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range snap.Files {
		if !seen[p] {
			t.Errorf("live file %s is not in its partition", p)
		}
	}
}

func TestCompact_MergesAndDeduplicates(t *testing.T) {
	b, _ := localLake(t)
	lake := smallFileLake(t, b, genConfig(20000), 3*time.Hour)
	before, snap0 := multiset(t, lake)
	dups := total(before) - len(before)
	if dups == 0 {
		t.Fatal("the test archive has no duplicates; raise DuplicateRate")
	}
	plan := partition.PlanCompaction(snap0.SortedFiles(), smallPolicy)
	if len(plan) == 0 {
		t.Fatal("nothing to compact: the test lake has no small files")
	}
	res, err := Run(context.Background(), lake, Config{Policy: smallPolicy, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	after, snap := multiset(t, lake)
	// Every event is still there, none more often than before, and the
	// report counts what went.
	for k, n := range before {
		if after[k] == 0 || after[k] > n {
			t.Fatalf("an event held %d times is there %d times after compaction", n, after[k])
		}
	}
	if len(after) != len(before) {
		t.Fatalf("%d distinct events after, %d before", len(after), len(before))
	}
	if res.Duplicates == 0 || res.Duplicates != int64(total(before)-total(after)) {
		t.Errorf("reported %d duplicates removed; the lake lost %d rows", res.Duplicates, total(before)-total(after))
	}
	// Duplicates left are only in pairs of files both large enough to be
	// left alone; a full compaction removes those too.
	for _, f := range snap.Files {
		if f.Dups != 0 {
			t.Errorf("%s still has %d duplicate rows", f.Path, f.Dups)
		}
	}
	full := smallPolicy
	full.Full = true
	resFull, err := Run(context.Background(), lake, Config{Policy: full, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	after, snap = multiset(t, lake)
	diffMultisets(t, after, dedup(before))
	if got := res.Duplicates + resFull.Duplicates; got != int64(dups) {
		t.Errorf("reported %d duplicates removed in all, want %d", got, dups)
	}
	if res.RowsIn-res.RowsOut != res.Duplicates {
		t.Errorf("rows in %d - rows out %d != duplicates %d", res.RowsIn, res.RowsOut, res.Duplicates)
	}
	if res.Merged != len(plan) || res.Merged == 0 {
		t.Errorf("merged %d groups, planned %d", res.Merged, len(plan))
	}
	// Every partition holds at most ceil(bytes/target) files now, bytes
	// being what it held before, and no output is above the target.
	bytes, files := map[partition.Key]int64{}, map[partition.Key]int{}
	for _, f := range snap0.Files {
		bytes[f.Partition()] += f.Bytes
	}
	for _, f := range snap.Files {
		files[f.Partition()]++
		if _, old := snap0.Files[f.Path]; !old && f.Bytes > smallPolicy.TargetBytes {
			t.Errorf("%s: %d bytes, above the %d target", f.Path, f.Bytes, smallPolicy.TargetBytes)
		}
	}
	for k, n := range files {
		limit := int((bytes[k] + smallPolicy.TargetBytes - 1) / smallPolicy.TargetBytes)
		if n > limit {
			t.Errorf("%s: %d files after compaction, want <= %d", k.Dir(), n, limit)
		}
	}
	if len(snap.Files) >= len(snap0.Files) {
		t.Errorf("%d files before, %d after", len(snap0.Files), len(snap.Files))
	}
	checkExternalView(t, lake)
	// The rows of every new file are in (eventTime, eventID) order and in
	// their partition's day; the manifest's statistics match.
	for _, f := range snap.SortedFiles() {
		checkFileOrder(t, lake, f)
	}
	// A second run finds nothing to do.
	res2, err := Run(context.Background(), lake, Config{Policy: smallPolicy, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Merged != 0 || res2.Duplicates != 0 {
		t.Errorf("second run merged %d groups, removed %d duplicates; want none", res2.Merged, res2.Duplicates)
	}
}

func checkFileOrder(t *testing.T, lake *partition.Lake, f partition.File) {
	t.Helper()
	c, err := openInput(context.Background(), lake, f, mergeCols)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	var prev record
	n := 0
	for {
		err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && compareRecords(&prev, &c.rec) > 0 {
			t.Fatalf("%s: row %d is out of (eventTime, eventID) order", f.Path, n)
		}
		if day := time.UnixMicro(c.rec.time).UTC().Format("2006-01-02"); day != f.Partition().Day {
			t.Fatalf("%s: row %d has eventTime on %s", f.Path, n, day)
		}
		tm := time.UnixMicro(c.rec.time).UTC()
		if tm.Before(f.MinTime) || tm.After(f.MaxTime) {
			t.Fatalf("%s: row %d time %s outside the manifest's [%s, %s]", f.Path, n, tm, f.MinTime, f.MaxTime)
		}
		prev.time, prev.id = c.rec.time, append(prev.id[:0], c.rec.id...)
		n++
	}
}

func TestCompact_SelectsPartitions(t *testing.T) {
	b, _ := localLake(t)
	cfg := genConfig(6000)
	lake := smallFileLake(t, b, cfg, 4*time.Hour)
	_, snap0 := multiset(t, lake)
	accounts := cfg.AccountIDs()
	day := cfg.Start.Format("2006-01-02")
	res, err := Run(context.Background(), lake, Config{
		Policy: smallPolicy, Accounts: accounts[:1], Regions: []string{"eu-west-1"},
		Since: cfg.Start, Until: cfg.Start.Add(24 * time.Hour), TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Merged != 1 {
		t.Fatalf("merged %d groups, want exactly the one selected partition", res.Merged)
	}
	_, snap := multiset(t, lake)
	want := partition.Key{Account: accounts[0], Region: "eu-west-1", Day: day}
	for p, f := range snap0.Files {
		if _, still := snap.Files[p]; !still && f.Partition() != want {
			t.Errorf("%s of an unselected partition was compacted", p)
		}
	}
}

// TestCompact_ConsistentReads runs queries at every step of the compaction,
// with a snapshot read before it started and with a fresh one: both must see
// every event exactly once (this lake has no duplicates).
func TestCompact_ConsistentReads(t *testing.T) {
	b, _ := localLake(t)
	cfg := genConfig(8000)
	cfg.DuplicateRate = -1
	lake := smallFileLake(t, b, cfg, 3*time.Hour)
	before, oldSnap := multiset(t, lake)
	want := int64(total(before))
	ctx := context.Background()
	pat, err := query.Parse("", query.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	count := func(snap *partition.Snapshot) (int64, error) {
		plan, err := query.NewPlan(pat.Root, query.Options{CountOnly: true})
		if err != nil {
			return 0, err
		}
		st, err := plan.Run(ctx, lake, snap, func(query.Match) error { return nil })
		if err != nil {
			return 0, err
		}
		return st.RowsMatched, nil
	}
	steps := 0
	hook := func(step string, g partition.MergeGroup) error {
		steps++
		fresh, err := lake.FilesSnapshot(ctx)
		if err != nil {
			return err
		}
		for name, snap := range map[string]*partition.Snapshot{"old": oldSnap, "fresh": fresh} {
			n, err := count(snap)
			if err != nil {
				t.Errorf("after step %s of %s, a query over the %s snapshot failed: %v", step, g.Partition.Dir(), name, err)
				continue
			}
			if n != want {
				t.Errorf("after step %s of %s, a query over the %s snapshot counted %d events, want %d", step, g.Partition.Dir(), name, n, want)
			}
		}
		return nil
	}
	res, err := Run(ctx, lake, Config{Policy: smallPolicy, TempDir: t.TempDir(), Workers: 1, Hook: hook})
	if err != nil {
		t.Fatal(err)
	}
	if res.Merged == 0 || steps != 4*res.Merged {
		t.Fatalf("%d merges, %d hook calls", res.Merged, steps)
	}
	// Files removed by the compaction stay readable from the trash until
	// the retention passes; a later run purges them.
	n, err := count(oldSnap)
	if err != nil || n != want {
		t.Fatalf("old snapshot after compaction: %d events, %v; want %d", n, err, want)
	}
	snap, _ := lake.FilesSnapshot(ctx)
	cs, err := cleanup(ctx, lake, snap, time.Minute, time.Now().Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if cs.Purged != res.FilesIn {
		t.Errorf("purged %d trash entries, want the %d replaced files", cs.Purged, res.FilesIn)
	}
	if _, err := count(oldSnap); err == nil {
		t.Error("a snapshot whose files were purged still reads; the test proves nothing")
	}
}

// Crash injection: the test binary re-runs itself as a compaction that
// kills itself with SIGKILL at a chosen step of a chosen merge.
const (
	crashLakeEnv = "CTQ_TEST_COMPACT_LAKE"
	crashStepEnv = "CTQ_TEST_COMPACT_CRASH_STEP"
	crashNthEnv  = "CTQ_TEST_COMPACT_CRASH_NTH"
)

func TestCompact_CrashChild(t *testing.T) {
	dir := os.Getenv(crashLakeEnv)
	if dir == "" {
		t.Skip("run by TestCompact_CrashAtEachStep")
	}
	step := os.Getenv(crashStepEnv)
	var nth int
	fmt.Sscan(os.Getenv(crashNthEnv), &nth)
	b, err := objstore.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	_, err = Run(context.Background(), partition.Open(b), Config{Policy: smallPolicy, Workers: 1, Hook: func(s string, _ partition.MergeGroup) error {
		if s == step {
			seen++
			if seen == nth {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
		return nil
	}})
	t.Fatalf("compaction finished without reaching step %s #%d: %v", step, nth, err)
}

func TestCompact_CrashAtEachStep(t *testing.T) {
	b, dir := localLake(t)
	lake := smallFileLake(t, b, genConfig(12000), 3*time.Hour)
	before, snap0 := multiset(t, lake)
	want := dedup(before)
	groups := len(partition.PlanCompaction(snap0.SortedFiles(), smallPolicy))
	if groups < 3 {
		t.Fatalf("only %d merges planned; the test needs a few", groups)
	}
	pristine := filepath.Join(t.TempDir(), "pristine")
	copyDir(t, dir, pristine)
	for _, step := range []string{StepStaged, StepCommitted, StepPublished, StepTrashed} {
		for _, nth := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s#%d", step, nth), func(t *testing.T) {
				os.RemoveAll(dir)
				copyDir(t, pristine, dir)
				cmd := exec.Command(os.Args[0], "-test.run=^TestCompact_CrashChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), crashLakeEnv+"="+dir, crashStepEnv+"="+step, fmt.Sprintf("%s=%d", crashNthEnv, nth))
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("the child was not killed (%v):\n%s", err, out)
				}
				// What a reader sees right after the crash: every event,
				// duplicates at most as before (merges either committed or not).
				mid, _ := multiset(t, lake)
				for k, n := range mid {
					if n > before[k] {
						t.Fatalf("after the crash an event is there %d times, %d before", n, before[k])
					}
				}
				for k := range before {
					if mid[k] == 0 {
						t.Fatal("after the crash an event is missing")
					}
				}
				res, err := Run(context.Background(), lake, Config{Policy: smallPolicy, TempDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				after, _ := multiset(t, lake)
				diffMultisets(t, after, want)
				checkExternalView(t, lake)
				if step == StepStaged && res.Recovered.Removed == 0 {
					t.Error("the re-run removed no orphaned staging file after a crash with staged files")
				}
				if step == StepCommitted && res.Recovered.Published == 0 {
					t.Error("the re-run published no file after a crash between commit and publish")
				}
				if step == StepPublished && res.Cleanup.Trashed == 0 {
					t.Error("the re-run trashed no replaced file after a crash before trashing")
				}
			})
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMaxOverlap(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 3, 14, h, 0, 0, 0, time.UTC) }
	f := func(lo, hi int) partition.File { return partition.File{MinTime: at(lo), MaxTime: at(hi)} }
	for _, tc := range []struct {
		files []partition.File
		want  int
	}{
		{nil, 0},
		{[]partition.File{f(0, 1)}, 1},
		{[]partition.File{f(0, 1), f(2, 3), f(4, 5)}, 1},
		{[]partition.File{f(0, 2), f(1, 3), f(2, 4)}, 3}, // touching at 2
		{[]partition.File{f(0, 10), f(1, 2), f(3, 4), f(5, 6)}, 2},
	} {
		if got := maxOverlap(tc.files); got != tc.want {
			t.Errorf("maxOverlap(%v) = %d, want %d", tc.files, got, tc.want)
		}
	}
}

// TestCompact_StrayFilesLeftAlone: a Parquet file in a partition directory
// that no commit mentions is reported and never touched.
func TestCompact_StrayFilesLeftAlone(t *testing.T) {
	b, dir := localLake(t)
	lake := smallFileLake(t, b, genConfig(3000), 6*time.Hour)
	_, snap := multiset(t, lake)
	var some partition.File
	for _, f := range snap.SortedFiles() {
		some = f
		break
	}
	stray := filepath.Join(dir, filepath.FromSlash(some.Partition().Dir()), "foreign.parquet")
	if err := os.WriteFile(stray, []byte("not ctq's"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), lake, Config{Policy: smallPolicy, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cleanup.Stray) != 1 || !strings.HasSuffix(res.Cleanup.Stray[0], "/foreign.parquet") {
		t.Errorf("stray files reported: %v", res.Cleanup.Stray)
	}
	if data, err := os.ReadFile(stray); err != nil || string(data) != "not ctq's" {
		t.Errorf("the stray file was touched: %v", err)
	}
}
