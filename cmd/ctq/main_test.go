package main

// Shared helpers of the end-to-end tests: the ctq binary, built once, run as
// a subprocess; the records of a source archive; the rows of a lake.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/ctq-dev/ctq/internal/miniotest"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// subprocessTimeout is a safety net for one ctq run; no test relies on it.
const subprocessTimeout = 4 * time.Minute

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := miniotest.Run(m) // reports skipped MinIO tests
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// ctqBinary builds the ctq binary with scripts/release on first use and
// returns its path.
func ctqBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ctq-e2e-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ctq")
		// The release build: static, version and commit stamped.
		cmd := exec.Command("../../scripts/release", binPath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("scripts/release: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("building ctq: %v", binErr)
	}
	return binPath
}

// baseEnv is the environment of a ctq subprocess: the test's, without AWS_
// and CTQ_ settings, with temporary and AWS config locations inside the
// test's temporary directory, plus extra.
func baseEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "CTQ_") ||
			strings.HasPrefix(kv, "TMPDIR=") || strings.HasPrefix(kv, "XDG_DATA_HOME=") {
			continue
		}
		env = append(env, kv)
	}
	dir := t.TempDir()
	env = append(env,
		"TMPDIR="+dir,
		"XDG_DATA_HOME="+filepath.Join(dir, "xdg"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-aws-credentials"),
	)
	return append(env, extra...)
}

// ctqResult is the outcome of one ctq run.
type ctqResult struct {
	code           int
	stdout, stderr string
}

// runCtq runs ctq to completion.
func runCtq(t testing.TB, env []string, args ...string) ctqResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), subprocessTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ctqBinary(t), args...)
	cmd.Env = env
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := ctqResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	default:
		t.Fatalf("ctq %s: %v (ctx: %v)\nstderr:\n%s", strings.Join(args, " "), err, ctx.Err(), res.stderr)
	}
	return res
}

// ingestJSON decodes the --json summary of an ingest run.
func ingestJSON(t testing.TB, r ctqResult) *ingest.Result {
	t.Helper()
	var res ingest.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("ingest --json printed no summary (%v); exit %d\nstdout:\n%s\nstderr:\n%s", err, r.code, r.stdout, r.stderr)
	}
	return &res
}

// rowID identifies a record by its source object and position in it.
type rowID struct {
	key string // layout key, from "AWSLogs/"
	idx int32
}

func (r rowID) String() string { return fmt.Sprintf("%s#%d", r.key, r.idx) }

type digest [sha256.Size]byte

// records maps each record to the SHA-256 of its exact bytes.
type records map[rowID]digest

// layoutKey returns the key from its "AWSLogs/" component on.
func layoutKey(t testing.TB, key string) string {
	t.Helper()
	i := strings.Index("/"+key, "/AWSLogs/")
	if i < 0 {
		t.Fatalf("key %q has no AWSLogs/ component", key)
	}
	return key[i:]
}

// addObject adds the records of one gzip JSON log object to recs.
func (recs records) addObject(t testing.TB, layout string, gz []byte) int {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("%s: %v", layout, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", layout, err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", layout, err)
	}
	for i, r := range doc.Records {
		id := rowID{layout, int32(i)}
		if _, dup := recs[id]; dup {
			t.Fatalf("source record %s seen twice", id)
		}
		recs[id] = sha256.Sum256(r)
	}
	return len(doc.Records)
}

// without returns a copy of recs without the records of one object.
func (recs records) without(layout string) records {
	out := make(records, len(recs))
	for id, d := range recs {
		if id.key != layout {
			out[id] = d
		}
	}
	return out
}

// isEventLog reports whether a layout key names a CloudTrail log file of API
// events (not a digest or an insight file).
func isEventLog(layout string) bool {
	parts := strings.Split(layout, "/")
	return len(parts) >= 8 && parts[len(parts)-6] == "CloudTrail" && strings.HasSuffix(layout, ".json.gz")
}

// archiveRecords reads every CloudTrail log object of a local archive.
func archiveRecords(t testing.TB, dir string) records {
	t.Helper()
	recs := records{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		layout := layoutKey(t, filepath.ToSlash(rel))
		if !isEventLog(layout) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		recs.addObject(t, layout, data)
		return nil
	})
	if err != nil {
		t.Fatalf("reading archive %s: %v", dir, err)
	}
	return recs
}

// lakeRow is the part of a lake row that identifies and holds the record.
type lakeRow struct {
	Key   string `parquet:"ctqSourceKey"`
	Index int32  `parquet:"ctqSourceIndex"`
	Raw   string `parquet:"ctqRaw"`
}

// lakeContent is every row of every live file of a lake.
type lakeContent struct {
	snap  *partition.Snapshot
	rows  records        // first copy of each record
	count map[rowID]int  // copies of each record
	raws  map[digest]int // multiset of record bytes
	total int            // rows read
}

// readLake reads every row of every file live in the lake's snapshot, from
// wherever the file can be read now (its final path, else its staging key).
func readLake(t testing.TB, b objstore.Bucket) *lakeContent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), subprocessTimeout)
	defer cancel()
	lake := partition.Open(b)
	snap, err := lake.Snapshot(ctx)
	if err != nil {
		t.Fatalf("snapshot of %s: %v", b, err)
	}
	lc := &lakeContent{snap: snap, rows: records{}, count: map[rowID]int{}, raws: map[digest]int{}}
	for _, f := range snap.SortedFiles() {
		key, err := lake.DataKey(ctx, f)
		if err != nil {
			t.Fatalf("live file: %v", err)
		}
		rc, _, err := b.Open(ctx, key)
		if err != nil {
			t.Fatalf("open %s: %v", key, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		rows, err := parquet.Read[lakeRow](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("parquet %s: %v", key, err)
		}
		if int64(len(rows)) != f.Rows {
			t.Errorf("file %s holds %d rows; its commit says %d", f.Path, len(rows), f.Rows)
		}
		for _, r := range rows {
			id := rowID{r.Key, r.Index}
			d := sha256.Sum256([]byte(r.Raw))
			lc.count[id]++
			if lc.count[id] == 1 {
				lc.rows[id] = d
			}
			lc.raws[d]++
			lc.total++
		}
	}
	return lc
}

// readLocalLake reads a lake in a local directory.
func readLocalLake(t testing.TB, dir string) *lakeContent {
	t.Helper()
	b, err := objstore.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return readLake(t, b)
}

// rawMultiset returns the multiset of record bytes of recs.
func (recs records) rawMultiset() map[digest]int {
	m := map[digest]int{}
	for _, d := range recs {
		m[d]++
	}
	return m
}

const maxReported = 10

// checkRecords asserts that the lake holds exactly the records want: each
// (source key, index) once, with the same bytes, nothing else.
func checkRecords(t testing.TB, name string, got *lakeContent, want records) {
	t.Helper()
	var dups, missing, extra, changed []string
	for id, n := range got.count {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s x%d", id, n))
		}
	}
	for id, d := range want {
		g, ok := got.rows[id]
		switch {
		case !ok:
			missing = append(missing, id.String())
		case g != d:
			changed = append(changed, id.String())
		}
	}
	for id := range got.rows {
		if _, ok := want[id]; !ok {
			extra = append(extra, id.String())
		}
	}
	report := func(what string, ids []string) {
		if len(ids) == 0 {
			return
		}
		sort.Strings(ids)
		more := ""
		if len(ids) > maxReported {
			ids, more = ids[:maxReported], fmt.Sprintf(" ... (%d in all)", len(ids))
		}
		t.Errorf("%s: %d %s records: %s%s", name, len(ids), what, strings.Join(ids, ", "), more)
	}
	report("duplicated", dups)
	report("missing", missing)
	report("unexpected", extra)
	report("altered (ctqRaw differs from the source bytes)", changed)
	if got.total != len(want) {
		t.Errorf("%s: %d rows, want %d (the source's records)", name, got.total, len(want))
	}
	if !sameMultiset(got.raws, want.rawMultiset()) {
		t.Errorf("%s: the multiset of ctqRaw values differs from the source records'", name)
	}
}

func sameMultiset[K comparable](a, b map[K]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}

// sameLake asserts that two lakes hold the same multisets of record ids and
// record bytes.
func sameLake(t testing.TB, name string, got, ref *lakeContent) {
	t.Helper()
	if !sameMultiset(got.count, ref.count) {
		n := 0
		for id, c := range got.count {
			if ref.count[id] != c && n < maxReported {
				t.Errorf("%s: record %s appears %d times, %d in the reference lake", name, id, c, ref.count[id])
				n++
			}
		}
		for id, c := range ref.count {
			if _, ok := got.count[id]; !ok && n < maxReported {
				t.Errorf("%s: record %s appears 0 times, %d in the reference lake", name, id, c)
				n++
			}
		}
		t.Errorf("%s: the multiset of (ctqSourceKey, ctqSourceIndex) differs from the reference lake's (%d rows vs %d)", name, got.total, ref.total)
	}
	if !sameMultiset(got.raws, ref.raws) {
		t.Errorf("%s: the multiset of ctqRaw differs from the reference lake's", name)
	}
}

// checkCommittedRows asserts the manifest's own bookkeeping: the rows of the
// live files add up to the events of the ingested objects (every commit adds
// an object's files together with the object).
func checkCommittedRows(t testing.TB, name string, snap *partition.Snapshot) {
	t.Helper()
	var rows, events int64
	for _, f := range snap.Files {
		rows += f.Rows
	}
	for _, s := range snap.Sources {
		events += s.Events
	}
	if rows != events {
		t.Errorf("%s: live files hold %d rows but the manifest's objects hold %d events (seq %d)", name, rows, events, snap.Seq)
	}
}

// checkLocalLakeTidy asserts what external engines and later runs see in a
// finished local lake: every *.parquet file outside _ctq is live, every live
// file is at its final path, and nothing is left in staging or leases.
func checkLocalLakeTidy(t testing.TB, name, dir string, snap *partition.Snapshot) {
	t.Helper()
	var stray, staged, leases []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return nil
		}
		switch {
		case strings.HasPrefix(rel, partition.StagingDir):
			staged = append(staged, rel)
		case strings.HasPrefix(rel, partition.RunsDir):
			leases = append(leases, rel)
		case strings.HasPrefix(rel, partition.MetaDir+"/"):
		case strings.HasSuffix(rel, ".parquet"):
			if _, ok := snap.Files[rel]; !ok {
				stray = append(stray, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	if len(stray) > 0 {
		t.Errorf("%s: %d visible *.parquet files are not in the snapshot (external engines would read them): %s", name, len(stray), firstN(stray))
	}
	if len(staged) > 0 {
		t.Errorf("%s: %d files left under %s: %s", name, len(staged), partition.StagingDir, firstN(staged))
	}
	if len(leases) > 0 {
		t.Errorf("%s: %d run leases left under %s after every run ended: %s", name, len(leases), partition.RunsDir, firstN(leases))
	}
	var unpublished []string
	for p := range snap.Files {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			unpublished = append(unpublished, p)
		}
	}
	if len(unpublished) > 0 {
		t.Errorf("%s: %d live files are not at their final path (invisible to external engines): %s", name, len(unpublished), firstN(unpublished))
	}
}

func firstN(s []string) string {
	sort.Strings(s)
	if len(s) > maxReported {
		return strings.Join(s[:maxReported], ", ") + fmt.Sprintf(" ... (%d in all)", len(s))
	}
	return strings.Join(s, ", ")
}
