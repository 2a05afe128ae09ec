package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// lakeRow is the subset of the lake schema the tests read back.
type lakeRow struct {
	Raw     string  `parquet:"ctqRaw"`
	Key     string  `parquet:"ctqSourceKey"`
	Index   int32   `parquet:"ctqSourceIndex"`
	EventID *string `parquet:"eventID,optional"`
}

// fileRow is a lake row with the lake file it was read from.
type fileRow struct {
	lakeRow
	Path string
}

// srcObj is one source object as the tests expect it in the lake.
type srcObj struct {
	Key     string   // full source key
	Layout  string   // key from "AWSLogs/"
	Records [][]byte // records that must be in the lake, by source index (nil: not kept)
	Size    int64
}

// srcSet maps layout keys to expected source objects.
type srcSet map[string]*srcObj

func (s srcSet) events() int64 {
	var n int64
	for _, o := range s {
		for _, r := range o.Records {
			if r != nil {
				n++
			}
		}
	}
	return n
}

func (s srcSet) merge(o srcSet) srcSet {
	out := srcSet{}
	for k, v := range s {
		out[k] = v
	}
	for k, v := range o {
		out[k] = v
	}
	return out
}

func (s srcSet) filter(keep func(layout.Key) bool) srcSet {
	out := srcSet{}
	for k, v := range s {
		pk, err := layout.ParseKey(v.Key)
		if err != nil {
			panic(err)
		}
		if keep(pk) {
			out[k] = v
		}
	}
	return out
}

// testEnv is a source directory and a lake directory.
type testEnv struct {
	t       *testing.T
	srcDir  string
	lakeDir string
	src     *objstore.Local
	lakeB   *objstore.Local
	lake    *partition.Lake
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{t: t, srcDir: t.TempDir()}
	e.newLake()
	var err error
	if e.src, err = objstore.OpenLocal(e.srcDir); err != nil {
		t.Fatal(err)
	}
	return e
}

// newLake switches the env to a fresh, empty lake (the source is kept).
func (e *testEnv) newLake() {
	e.t.Helper()
	e.lakeDir = e.t.TempDir()
	var err error
	if e.lakeB, err = objstore.OpenLocal(e.lakeDir); err != nil {
		e.t.Fatal(err)
	}
	e.lake = partition.Open(e.lakeB)
}

func (e *testEnv) config() ingest.Config {
	cfg := ingest.DefaultConfig()
	cfg.Source = e.src
	cfg.Lake = e.lake
	cfg.Workers = 3
	cfg.ListConcurrency = 8
	cfg.TempDir = e.t.TempDir()
	return cfg
}

// run runs an ingest and fails the test on error.
func (e *testEnv) run(cfg ingest.Config) *ingest.Result {
	e.t.Helper()
	res, err := runGuarded(cfg)
	if err != nil {
		e.t.Fatalf("ingest.Run: %v", err)
	}
	return res
}

// hangLimit bounds one ingest.Run in the tests: a run over these small
// archives takes well under a second, so a run still going after this long
// is deadlocked. It only turns a hang into a failure; no test asserts on
// elapsed time otherwise.
const hangLimit = 60 * time.Second

var errHang = errors.New("ingest.Run did not return (deadlock?)")

// runGuarded runs ingest.Run and returns errHang if it does not return.
func runGuarded(cfg ingest.Config) (*ingest.Result, error) {
	return runGuardedWithin(cfg, hangLimit)
}

func runGuardedWithin(cfg ingest.Config, limit time.Duration) (*ingest.Result, error) {
	type out struct {
		res *ingest.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		res, err := ingest.Run(context.Background(), cfg)
		ch <- out{res, err}
	}()
	select {
	case o := <-ch:
		return o.res, o.err
	case <-time.After(limit):
		return &ingest.Result{}, errHang
	}
}

// snapshot returns the lake's current snapshot.
func (e *testEnv) snapshot() *partition.Snapshot {
	e.t.Helper()
	snap, err := e.lake.Snapshot(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return snap
}

// readLake reads every row of every live file of the lake.
func (e *testEnv) readLake() (*partition.Snapshot, []fileRow) {
	e.t.Helper()
	snap := e.snapshot()
	var rows []fileRow
	for _, f := range snap.SortedFiles() {
		p := filepath.Join(e.lakeDir, filepath.FromSlash(f.Path))
		rs, err := parquet.ReadFile[lakeRow](p)
		if err != nil {
			e.t.Fatalf("read lake file %s: %v", f.Path, err)
		}
		if int64(len(rs)) != f.Rows {
			e.t.Errorf("lake file %s has %d rows, manifest says %d", f.Path, len(rs), f.Rows)
		}
		for _, r := range rs {
			rows = append(rows, fileRow{lakeRow: r, Path: f.Path})
		}
	}
	return snap, rows
}

// rowID names a lake row by its source.
type rowID struct {
	Key   string
	Index int32
}

func rowIDs(rows []fileRow) map[rowID]int {
	out := map[rowID]int{}
	for _, r := range rows {
		out[rowID{r.Key, r.Index}]++
	}
	return out
}

// checkLake asserts that the lake holds exactly the expected records, each
// once and byte for byte, in the right partition, and that the manifest
// lists every expected object.
func (e *testEnv) checkLake(want srcSet) (*partition.Snapshot, []fileRow) {
	e.t.Helper()
	t := e.t
	snap, rows := e.readLake()

	// Multiset of raw records: lake vs source.
	wantRaw := map[string]int{}
	for _, o := range want {
		for _, r := range o.Records {
			if r != nil {
				wantRaw[string(r)]++
			}
		}
	}
	gotRaw := map[string]int{}
	for _, r := range rows {
		gotRaw[r.Raw]++
	}
	missing, extra := 0, 0
	for k, n := range wantRaw {
		if gotRaw[k] < n {
			missing += n - gotRaw[k]
			if missing <= 3 {
				t.Errorf("record missing from the lake (%d of %d copies): %.160s", n-gotRaw[k], n, k)
			}
		}
	}
	for k, n := range gotRaw {
		if n > wantRaw[k] {
			extra += n - wantRaw[k]
			if extra <= 3 {
				t.Errorf("record in the lake %d times, want %d: %.160s", n, wantRaw[k], k)
			}
		}
	}
	if missing+extra > 0 {
		t.Errorf("lake records: %d missing, %d extra (lake has %d rows, want %d)", missing, extra, len(rows), want.events())
	}

	// Each row maps back to its source record, exactly once.
	seen := map[rowID]int{}
	bad, dupIDs := 0, 0
	for _, r := range rows {
		id := rowID{r.Key, r.Index}
		seen[id]++
		if seen[id] == 2 {
			if dupIDs++; dupIDs <= 3 {
				t.Errorf("source record %s[%d] is in the lake more than once", r.Key, r.Index)
			}
		}
		o := want[r.Key]
		if o == nil || int(r.Index) >= len(o.Records) || o.Records[r.Index] == nil {
			if bad++; bad <= 3 {
				t.Errorf("lake row from unexpected source %s[%d] (file %s): %.120s", r.Key, r.Index, r.Path, r.Raw)
			}
			continue
		}
		if r.Raw != string(o.Records[r.Index]) {
			if bad++; bad <= 3 {
				t.Errorf("lake row %s[%d] differs from the source record:\n got %.200s\nwant %.200s", r.Key, r.Index, r.Raw, o.Records[r.Index])
			}
		}
		checkPartition(t, r)
	}
	if dupIDs > 3 {
		t.Errorf("%d source records are in the lake more than once", dupIDs)
	}

	// Manifest: every expected object, with the number of records kept.
	for layout, o := range want {
		s, ok := snap.Sources[layout]
		if !ok {
			t.Errorf("manifest lacks source %s", layout)
			continue
		}
		var kept int64
		for _, r := range o.Records {
			if r != nil {
				kept++
			}
		}
		if s.Events != kept {
			t.Errorf("manifest: %s has %d events, want %d", layout, s.Events, kept)
		}
		if o.Size > 0 && s.Size != o.Size {
			t.Errorf("manifest: %s has size %d, want %d", layout, s.Size, o.Size)
		}
	}
	for layout := range snap.Sources {
		if want[layout] == nil {
			t.Errorf("manifest has unexpected source %s", layout)
		}
	}

	// File metadata.
	var total int64
	for _, f := range snap.Files {
		total += f.Rows
		if f.Partition() == (partition.Key{}) {
			t.Errorf("lake file %s is not under account=/region=/day=", f.Path)
		}
	}
	if total != int64(len(rows)) {
		t.Errorf("manifest rows %d != rows read %d", total, len(rows))
	}
	return snap, rows
}

// checkPartition asserts that a row's file lies in the partition of its
// source account and region and of its eventTime's UTC day (the source
// path's delivery day when the record has no usable eventTime).
func checkPartition(t *testing.T, r fileRow) {
	t.Helper()
	pk, err := partition.ParseDir(r.Path)
	if err != nil {
		t.Errorf("lake file %s: %v", r.Path, err)
		return
	}
	if !strings.HasPrefix(r.Path, pk.Dir()+"/") || strings.Count(strings.TrimPrefix(r.Path, pk.Dir()+"/"), "/") != 0 {
		t.Errorf("lake file %s is not directly inside its partition directory", r.Path)
	}
	sk, err := layout.ParseKey(r.Key)
	if err != nil {
		t.Errorf("row source key %q does not parse: %v", r.Key, err)
		return
	}
	wantDay := sk.Day.UTC().Format("2006-01-02")
	if tm, ok := eventTimeOf([]byte(r.Raw)); ok {
		wantDay = tm.UTC().Format("2006-01-02")
	}
	if pk.Account != sk.Account || pk.Region != sk.Region || pk.Day != wantDay {
		t.Errorf("row %s[%d] is in %s, want account=%s/region=%s/day=%s", r.Key, r.Index, pk.Dir(), sk.Account, sk.Region, wantDay)
	}
}

// eventTimeOf parses a record's eventTime (RFC 3339), if it has a usable one.
func eventTimeOf(raw []byte) (time.Time, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return time.Time{}, false
	}
	v, ok := m["eventTime"]
	if !ok {
		return time.Time{}, false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return time.Time{}, false
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return tm, true
}

// logSourceCounts counts how often each source key was committed across the
// whole commit log (the manifest map would hide a second commit).
func (e *testEnv) logSourceCounts() (map[string]int, int) {
	e.t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.lakeDir, filepath.FromSlash(partition.LogDir)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		e.t.Fatal(err)
	}
	counts := map[string]int{}
	n := 0
	for _, ent := range ents {
		if !strings.HasSuffix(ent.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(e.lakeDir, filepath.FromSlash(partition.LogDir), ent.Name()))
		if err != nil {
			e.t.Fatal(err)
		}
		var c partition.Commit
		if err := json.Unmarshal(data, &c); err != nil {
			e.t.Fatalf("commit %s: %v", ent.Name(), err)
		}
		n++
		for _, s := range c.Sources {
			counts[s.Key]++
		}
	}
	return counts, n
}

// genArchive writes a generated archive into dir and returns its log
// objects (Insight and Digest objects are written but not expected).
func genArchive(t *testing.T, dir string, cfg gen.Config) srcSet {
	t.Helper()
	out := srcSet{}
	_, err := gen.Generate(context.Background(), cfg, func(o gen.Object) error {
		p := filepath.Join(dir, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, o.Data, 0o644); err != nil {
			return err
		}
		if o.Kind != gen.KindLog {
			return nil
		}
		recs := mustRecords(t, gunzip(t, o.Data))
		if len(recs) != o.Events {
			return fmt.Errorf("%s: %d records, gen says %d", o.Key, len(recs), o.Events)
		}
		pk, err := layout.ParseKey(o.Key)
		if err != nil {
			return err
		}
		if _, dup := out[pk.Layout]; dup {
			return fmt.Errorf("gen wrote %s twice", o.Key)
		}
		out[pk.Layout] = &srcObj{Key: o.Key, Layout: pk.Layout, Records: recs, Size: int64(len(o.Data))}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("gen wrote no log objects")
	}
	return out
}

// putObject writes one source object and returns its expectation with all
// records kept (adjust Records for faulty objects).
func putObject(t *testing.T, dir, key string, data []byte, recs [][]byte) *srcObj {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	lk := key
	if pk, err := layout.ParseKey(key); err == nil {
		lk = pk.Layout
	}
	return &srcObj{Key: key, Layout: lk, Records: recs, Size: int64(len(data))}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustRecords splits a {"Records":[...]} document into its records' bytes.
func mustRecords(t testing.TB, doc []byte) [][]byte {
	t.Helper()
	var v struct{ Records []json.RawMessage }
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(v.Records))
	for i, r := range v.Records {
		out[i] = []byte(r)
	}
	return out
}

// recordsDoc joins records into a {"Records":[...]} document and returns
// each record's start offset in it.
func recordsDoc(recs ...string) ([]byte, []int) {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	offs := make([]int, len(recs))
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		offs[i] = b.Len()
		b.WriteString(r)
	}
	b.WriteString("]}")
	return b.Bytes(), offs
}

func toBytes(recs []string) [][]byte {
	out := make([][]byte, len(recs))
	for i, r := range recs {
		out[i] = []byte(r)
	}
	return out
}

// simpleRecord is a small, valid CloudTrail record.
func simpleRecord(id int, eventTime string, extra string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA%012d","arn":"arn:aws:iam::111122223333:user/u%d","accountId":"111122223333"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject%s","awsRegion":"us-west-2","sourceIPAddress":"192.0.2.%d","userAgent":"test","requestParameters":{"bucketName":"b","key":"k%d"},"responseElements":null,"requestID":"R%d","eventID":"00000000-0000-4000-8000-%012d","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}`,
		id, id, eventTime, extra, id%250, id, id, id)
}

// logKey builds a valid single-account CloudTrail log key.
func logKey(prefix, account, region string, delivered time.Time, unique string) string {
	k := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		account, region, delivered.UTC().Format("2006/01/02"), account, region, delivered.UTC().Format("20060102T1504Z"), unique)
	if prefix != "" {
		k = prefix + "/" + k
	}
	return k
}

// lakeFiles lists every regular file below the lake directory, relative and
// slash-separated.
func lakeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// hookBucket wraps a lake bucket and calls before() once, just before the
// first commit-log write.
type hookBucket struct {
	objstore.Bucket
	once   sync.Once
	before func(key string, data []byte)
}

func (h *hookBucket) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if strings.HasPrefix(key, partition.LogDir) && h.before != nil {
		h.once.Do(func() { h.before(key, data) })
	}
	return h.Bucket.PutIfAbsent(ctx, key, data)
}

func problemsFor(res *ingest.Result, key string) []ingest.Problem {
	var out []ingest.Problem
	for _, p := range res.Problems {
		if p.Key == key {
			out = append(out, p)
		}
	}
	return out
}

func fmtProblems(ps []ingest.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\n  key=%s off=%d rec=%d warn=%v retry=%v: %s", p.Key, p.Offset, p.Record, p.Warning, p.Retry, p.Msg)
	}
	return b.String()
}

// stringField returns a top-level string member of a record.
func stringField(raw []byte, name string) (string, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", false
	}
	var s string
	if v, ok := m[name]; !ok || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// gateBucket wraps a source bucket: recursive (day) listings under prefix
// wait until open() is called.
type gateBucket struct {
	objstore.Bucket
	prefix string
	gate   chan struct{}
	once   sync.Once
}

func newGateBucket(b objstore.Bucket, prefix string) *gateBucket {
	return &gateBucket{Bucket: b, prefix: prefix, gate: make(chan struct{})}
}

func (g *gateBucket) open() { g.once.Do(func() { close(g.gate) }) }

func (g *gateBucket) List(ctx context.Context, opts objstore.ListOptions, fn func(objstore.Entry) error) error {
	if opts.Delimiter == "" && strings.HasPrefix(opts.Prefix, g.prefix) {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.Bucket.List(ctx, opts, fn)
}
