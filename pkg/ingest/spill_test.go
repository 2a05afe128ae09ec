package ingest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// failingSource serves objects from a bucket, except that reading the
// object named fail breaks with a read error after failAt bytes, as a
// connection reset the retries could not cure would.
type failingSource struct {
	objstore.Bucket
	fail   string
	failAt int64
}

var errReset = errors.New("connection reset by peer (injected)")

func (s *failingSource) Open(ctx context.Context, key string) (io.ReadCloser, objstore.ObjectInfo, error) {
	rc, info, err := s.Bucket.Open(ctx, key)
	if err != nil || key != s.fail {
		return rc, info, err
	}
	return &breakingReader{rc: rc, left: s.failAt}, info, nil
}

type breakingReader struct {
	rc   io.ReadCloser
	left int64
}

func (r *breakingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errReset
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	return n, err
}

func (r *breakingReader) Close() error { return r.rc.Close() }

// spillArchive writes two small objects and, after them in the same day
// prefix, one object large enough to outgrow a 1 MiB batch budget several
// times over. It returns the expectation and the large object's key.
func spillArchive(t *testing.T, e *testEnv) (srcSet, string, int64) {
	t.Helper()
	want := srcSet{}
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	id := 0
	object := func(unique string, n int) (string, int64) {
		recs := make([]string, n)
		for i := range recs {
			id++
			recs[i] = simpleRecord(id, base.Add(time.Duration(id)*time.Second).Format(time.RFC3339), "")
		}
		doc, _ := recordsDoc(recs...)
		key := logKey("", "111122223333", "us-west-2", base, unique)
		data := gzipBytes(t, doc)
		want[key] = putObject(t, e.srcDir, key, data, toBytes(recs))
		return key, int64(len(data))
	}
	object("A-small", 50)
	object("B-small", 70)
	big, size := object("C-large", 8000) // about 5 MB of JSON
	return want, big, size
}

// An object that alone outgrows the batch budget is written out in the
// middle (spilled) instead of growing memory with it, and its records
// still land exactly once.
func TestRun_LargeObjectSpillsAndStaysExact(t *testing.T) {
	e := newEnv(t)
	want, _, _ := spillArchive(t, e)
	cfg := e.config()
	cfg.Workers = 1
	cfg.MemoryPerWorker = 1 << 20
	res := e.run(cfg)
	if res.HasFaults() || len(res.Problems) > 0 {
		t.Fatalf("faults: %+v%s", res, fmtProblems(res.Problems))
	}
	snap, _ := e.checkLake(want)
	// All records fall into one partition: more than one file means the
	// large object was written out in parts.
	if len(snap.Files) < 3 {
		t.Errorf("%d files for one partition; want the large object spilled (at least 3 files)", len(snap.Files))
	}
	for _, f := range lakeFiles(t, e.lakeDir) {
		if strings.HasPrefix(f, "_ctq/staging/") {
			t.Errorf("staging file left behind: %s", f)
		}
	}
}

// When the large object fails to read after it spilled, its spilled files
// also hold the records of the objects before it, so none of them may be
// committed: the run leaves all three for the next run, which then ingests
// every record exactly once.
func TestRun_LargeObjectFailsAfterSpill(t *testing.T) {
	e := newEnv(t)
	want, big, size := spillArchive(t, e)
	cfg := e.config()
	cfg.Workers = 1
	cfg.MemoryPerWorker = 1 << 20
	cfg.Source = &failingSource{Bucket: e.src, fail: big, failAt: size * 9 / 10}
	res := e.run(cfg)
	if res.ObjectsFailed != 3 {
		t.Errorf("objects failed: %d, want 3 (the large object and the two before it)%s", res.ObjectsFailed, fmtProblems(res.Problems))
	}
	if res.Events != 0 {
		t.Errorf("events reported: %d, want 0 (nothing was committed)", res.Events)
	}
	ps := problemsFor(res, big)
	found := false
	for _, p := range ps {
		if p.Retry && strings.Contains(p.Msg, "2 earlier objects") {
			found = true
		}
	}
	if !found {
		t.Errorf("no retry problem naming the 2 earlier objects for %s:%s", big, fmtProblems(res.Problems))
	}
	e.checkLake(srcSet{})
	for _, f := range lakeFiles(t, e.lakeDir) {
		if strings.HasSuffix(f, ".parquet") {
			t.Errorf("data file left behind by the failed run: %s", f)
		}
	}

	cfg.Source = e.src
	res = e.run(cfg)
	if res.HasFaults() {
		t.Fatalf("second run: %+v%s", res, fmtProblems(res.Problems))
	}
	if res.Objects != 3 {
		t.Errorf("second run read %d objects, want 3", res.Objects)
	}
	e.checkLake(want)
}
