package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctq-dev/ctq/internal/miniotest"
	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	s3store "github.com/ctq-dev/ctq/pkg/objstore/s3"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// srcObject is one uploaded archive object.
type srcObject struct {
	key    string // full key in the bucket
	layout string // from "AWSLogs/"
	size   int
	events int
	kind   gen.Kind
}

// uploadArchive generates an archive and uploads it to bucket under prefix
// (prefix + "/" + the generator's key). It returns the objects, the
// generator's statistics and the records of the log objects.
func uploadArchive(t *testing.T, srv *miniotest.Server, bucket, prefix string, cfg gen.Config) ([]srcObject, gen.Stats, records) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var (
		objs []srcObject
		data [][]byte
	)
	want := records{}
	st, err := gen.Generate(ctx, cfg, func(o gen.Object) error {
		key := objstore.Join(prefix, o.Key)
		so := srcObject{key: key, layout: layoutKey(t, key), size: len(o.Data), events: o.Events, kind: o.Kind}
		if o.Kind == gen.KindLog {
			if n := want.addObject(t, so.layout, o.Data); n != o.Events {
				t.Fatalf("%s: %d records, the generator says %d", key, n, o.Events)
			}
		}
		objs = append(objs, so)
		data = append(data, o.Data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	client := srv.Client()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, err := client.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(objs[i].key), Body: bytes.NewReader(data[i]),
				})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range objs {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("uploading the archive: %v", errs[0])
	}
	if len(want) != st.Events {
		t.Fatalf("archive holds %d records, the generator reports %d", len(want), st.Events)
	}
	return objs, st, want
}

// listKeys returns every key under prefix.
func listKeys(t *testing.T, client *s3.Client, bucket, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var keys []string
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

// envValue returns the last value of name in env.
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// checkNoProblems fails on any problem that is not a warning.
func checkNoProblems(t *testing.T, name string, res *ingest.Result) {
	t.Helper()
	if res.HasFaults() {
		t.Errorf("%s: faults: %d partial, %d invalid, %d unreadable", name, res.ObjectsPartial, res.ObjectsInvalid, res.ObjectsFailed)
	}
	for _, p := range res.Problems {
		if !p.Warning {
			t.Errorf("%s: problem: %+v", name, p)
		}
	}
}

// TestIngest_FromMinIO ingests an archive from a real S3 server, with
// credentials from the SDK's default chain (environment variables).
func TestIngest_FromMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	const bucket = "trail-archive"
	srv.CreateBucket(t, bucket)
	cfg := gen.DefaultConfig()
	cfg.Prefix = "ct"
	cfg.Digest = true // digests share the bucket and must not be ingested
	_, st, want := uploadArchive(t, srv, bucket, "exports", cfg)

	lake := filepath.Join(t.TempDir(), "lake")
	env := baseEnv(t, srv.Env()...)
	args := []string{"ingest", "s3://" + bucket + "/exports", "--endpoint-url", srv.Endpoint, "--lake", lake, "--output", "json"}
	r := runCtq(t, env, args...)
	res := ingestJSON(t, r)
	if r.code != 0 {
		t.Fatalf("ingest: exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	checkNoProblems(t, "ingest", res)
	if res.Events != int64(st.Events) || res.Objects != int64(st.LogObjects) {
		t.Errorf("ingest: %d events from %d objects, want %d events from %d log objects", res.Events, res.Objects, st.Events, st.LogObjects)
	}
	lc := readLocalLake(t, lake)
	checkRecords(t, "lake", lc, want)
	checkLocalLakeTidy(t, "lake", lake, lc.snap)
	if len(lc.snap.Sources) != st.LogObjects {
		t.Errorf("manifest lists %d objects, want %d", len(lc.snap.Sources), st.LogObjects)
	}
	for k, s := range lc.snap.Sources {
		if wantURL := "s3://" + bucket + "/exports/ct/" + k; s.URL != wantURL {
			t.Errorf("manifest: %s has URL %q, want %q", k, s.URL, wantURL)
			break
		}
	}

	r = runCtq(t, env, args...)
	res = ingestJSON(t, r)
	if r.code != 0 {
		t.Fatalf("re-run: exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	checkNoProblems(t, "re-run", res)
	if res.Objects != 0 || res.Events != 0 {
		t.Errorf("re-run ingested %d objects, %d events; want 0", res.Objects, res.Events)
	}
	checkRecords(t, "lake after re-run", readLocalLake(t, lake), want)
}

// TestIngest_MinIOFaults ingests through a proxy that throttles, fails and
// cuts responses: transient faults must cost nothing, a permanent one must
// leave exactly that object for the next run.
func TestIngest_MinIOFaults(t *testing.T) {
	srv := miniotest.Start(t)
	const bucket = "faulty-archive"
	srv.CreateBucket(t, bucket)
	cfg := gen.DefaultConfig()
	cfg.Seed = 3
	objs, st, want := uploadArchive(t, srv, bucket, "org/trail", cfg)
	source := "s3://" + bucket + "/org/trail"

	var logs []srcObject
	for _, o := range objs {
		if o.kind == gen.KindLog {
			logs = append(logs, o)
		}
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].key < logs[j].key })
	bySize := append([]srcObject(nil), logs...)
	sort.SliceStable(bySize, func(i, j int) bool { return bySize[i].size > bySize[j].size })
	if len(bySize) < 8 || bySize[3].size < 16<<10 {
		t.Fatalf("archive too small for the faults: %d log objects", len(bySize))
	}
	env := baseEnv(t, srv.Env()...)

	t.Run("transient", func(t *testing.T) {
		p := miniotest.NewFaultProxy(t, srv.Endpoint)
		get := func(suffix string, kind miniotest.FaultKind, count, after int) miniotest.Fault {
			return miniotest.Fault{Method: "GET", KeySuffix: suffix, Kind: kind, Count: count, AfterBytes: after, StallFor: time.Second}
		}
		faults := []miniotest.Fault{
			get(".json.gz", miniotest.SlowDown, 2, 0),
			get(".json.gz", miniotest.InternalError, 2, 0),
			get(".json.gz", miniotest.DropResponse, 1, 0),
			// Resets after a few KB of large objects: the read resumes with
			// a ranged GET (twice in a row for the first object).
			get(path.Base(bySize[0].key), miniotest.ResetMidBody, 2, 4096),
			get(path.Base(bySize[1].key), miniotest.ResetMidBody, 1, 3000),
			// A body that stops flowing for a second, then is reset.
			get(path.Base(bySize[2].key), miniotest.Stall, 1, 2048),
		}
		total := 0
		for _, f := range faults {
			p.Inject(f)
			total += f.Count
		}
		lake := filepath.Join(t.TempDir(), "lake")
		r := runCtq(t, env, "ingest", source, "--endpoint-url", p.URL, "--lake", lake, "--output", "json")
		res := ingestJSON(t, r)
		if r.code != 0 {
			t.Fatalf("ingest through faults: exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
		}
		if p.Pending() != 0 || p.Fired() != total {
			t.Errorf("faults fired %d, pending %d; want all %d fired", p.Fired(), p.Pending(), total)
		}
		checkNoProblems(t, "ingest through faults", res)
		if res.Events != int64(st.Events) {
			t.Errorf("ingested %d events, want %d", res.Events, st.Events)
		}
		lc := readLocalLake(t, lake)
		checkRecords(t, "lake", lc, want)
		checkLocalLakeTidy(t, "lake", lake, lc.snap)
	})

	t.Run("permanent", func(t *testing.T) {
		// The victim sits inside a day prefix, so the next run must list
		// that day again although later objects of the day were ingested.
		var victim srcObject
		for i := len(logs) / 2; i+1 < len(logs); i++ {
			if path.Dir(logs[i-1].key) == path.Dir(logs[i].key) && path.Dir(logs[i+1].key) == path.Dir(logs[i].key) && logs[i].events > 0 {
				victim = logs[i]
				break
			}
		}
		if victim.key == "" {
			t.Fatal("no log object inside a day prefix")
		}
		p := miniotest.NewFaultProxy(t, srv.Endpoint)
		// Every GET of the victim answers its headers, then resets the
		// connection before any body byte: no attempt makes progress.
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: path.Base(victim.key), Kind: miniotest.ResetMidBody, AfterBytes: 0, Count: 1000})
		lake := filepath.Join(t.TempDir(), "lake")
		// ctq has no flag for its retry policy. AWS_NEW_RETRIES_2026 makes
		// the SDK's backoff start at 50ms instead of 1s (capped at 20s),
		// which keeps this run short; the number of attempts is unchanged.
		penv := append(append([]string(nil), env...), "AWS_NEW_RETRIES_2026=true")
		r := runCtq(t, penv, "ingest", source, "--endpoint-url", p.URL, "--lake", lake, "--output", "json")
		res := ingestJSON(t, r)
		t.Logf("victim %s: %d GETs failed", victim.layout, p.Fired())
		if r.code != 3 {
			t.Errorf("ingest with an unreadable object: exit %d, want 3\nstderr:\n%s", r.code, r.stderr)
		}
		if res.ObjectsFailed != 1 || res.ObjectsPartial != 0 || res.ObjectsInvalid != 0 {
			t.Errorf("faults: %d unreadable, %d partial, %d invalid; want 1 unreadable", res.ObjectsFailed, res.ObjectsPartial, res.ObjectsInvalid)
		}
		found := false
		for _, pr := range res.Problems {
			switch {
			case strings.HasSuffix(pr.Key, victim.layout) && pr.Retry:
				found = true
			case !pr.Warning:
				t.Errorf("unexpected problem: %+v", pr)
			}
		}
		if !found {
			t.Errorf("summary lists no retry problem for %s: %+v", victim.layout, res.Problems)
		}
		if res.Events != int64(st.Events-victim.events) {
			t.Errorf("ingested %d events, want %d (all but the victim's %d)", res.Events, st.Events-victim.events, victim.events)
		}
		lc := readLocalLake(t, lake)
		checkRecords(t, "lake without the victim", lc, want.without(victim.layout))
		if _, ok := lc.snap.Sources[victim.layout]; ok {
			t.Errorf("manifest records the unread victim %s", victim.layout)
		}
		checkLocalLakeTidy(t, "lake without the victim", lake, lc.snap)

		// The fault is gone: the next run reads the victim, and only it.
		r = runCtq(t, env, "ingest", source, "--endpoint-url", srv.Endpoint, "--lake", lake, "--output", "json")
		res = ingestJSON(t, r)
		if r.code != 0 {
			t.Fatalf("re-run: exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
		}
		checkNoProblems(t, "re-run", res)
		if res.Objects != 1 || res.Events != int64(victim.events) {
			t.Errorf("re-run ingested %d objects, %d events; want 1 object, %d events", res.Objects, res.Events, victim.events)
		}
		lc = readLocalLake(t, lake)
		checkRecords(t, "lake after re-run", lc, want)
		checkLocalLakeTidy(t, "lake after re-run", lake, lc.snap)
	})
}

var lakeDataKeyRe = regexp.MustCompile(`^account=[0-9]{12}/region=[a-z0-9-]+/day=[0-9]{4}-[0-9]{2}-[0-9]{2}/[^/]+\.parquet$`)

// checkS3LakeTidy checks the objects of a lake on S3: every data object is
// a live file at a partition path, every live file is published, and no
// staging file or lease is left.
func checkS3LakeTidy(t *testing.T, name string, keys []string, root string, snap *partition.Snapshot) {
	t.Helper()
	present := map[string]bool{}
	var stray, staged, leases []string
	for _, k := range keys {
		rel, ok := strings.CutPrefix(k, root+"/")
		if !ok {
			t.Fatalf("%s: key %s outside %s/", name, k, root)
		}
		present[rel] = true
		switch {
		case strings.HasPrefix(rel, partition.StagingDir):
			staged = append(staged, rel)
		case strings.HasPrefix(rel, partition.RunsDir):
			leases = append(leases, rel)
		case strings.HasPrefix(rel, partition.MetaDir+"/"):
		default:
			if _, live := snap.Files[rel]; !live || !lakeDataKeyRe.MatchString(rel) {
				stray = append(stray, rel)
			}
		}
	}
	if len(stray) > 0 {
		t.Errorf("%s: %d objects outside _ctq/ are not live data files at a partition path: %s", name, len(stray), firstN(stray))
	}
	if len(staged) > 0 {
		t.Errorf("%s: %d objects left under %s: %s", name, len(staged), partition.StagingDir, firstN(staged))
	}
	if len(leases) > 0 {
		t.Errorf("%s: %d run leases left under %s: %s", name, len(leases), partition.RunsDir, firstN(leases))
	}
	var unpublished []string
	for p := range snap.Files {
		if !present[p] {
			unpublished = append(unpublished, p)
		}
	}
	if len(unpublished) > 0 {
		t.Errorf("%s: %d live files are not at their final key: %s", name, len(unpublished), firstN(unpublished))
	}
}

// TestIngest_LakeOnMinIO keeps the lake itself on S3, then runs two ingests
// into one S3 lake at the same time.
func TestIngest_LakeOnMinIO(t *testing.T) {
	tmp := t.TempDir()
	archive := filepath.Join(tmp, "archive")
	cfg := gen.DefaultConfig()
	cfg.Seed = 5
	st, err := gen.WriteDir(context.Background(), cfg, archive)
	if err != nil {
		t.Fatal(err)
	}
	want := archiveRecords(t, archive)
	if len(want) != st.Events {
		t.Fatalf("archive holds %d records, the generator reports %d", len(want), st.Events)
	}
	srv := miniotest.Start(t)
	const bucket = "lakebucket"
	srv.CreateBucket(t, bucket)
	client := srv.Client()
	env := baseEnv(t, srv.Env()...)
	openLakeBucket := func(prefix string) objstore.Bucket {
		b, err := s3store.Open(context.Background(), bucket, prefix, srv.Options())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	const root = "some/prefix"
	r := runCtq(t, env, "ingest", archive, "--lake", "s3://"+bucket+"/"+root, "--endpoint-url", srv.Endpoint, "--output", "json")
	res := ingestJSON(t, r)
	if r.code != 0 {
		t.Fatalf("ingest into an S3 lake: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	checkNoProblems(t, "ingest", res)
	if res.Events != int64(st.Events) {
		t.Errorf("ingested %d events, want %d", res.Events, st.Events)
	}
	keys := listKeys(t, client, bucket, root+"/")
	hasLog, data := false, 0
	for _, k := range keys {
		if k == root+"/_ctq/log/00000000000000000001.json" {
			hasLog = true
		}
		if rel := strings.TrimPrefix(k, root+"/"); lakeDataKeyRe.MatchString(rel) {
			data++
		}
	}
	if !hasLog {
		t.Errorf("no commit log entry %s/_ctq/log/00000000000000000001.json among %d keys", root, len(keys))
	}
	if data == 0 {
		t.Errorf("no %s/account=.../region=.../day=.../*.parquet object among: %s", root, firstN(keys))
	}
	lc := readLake(t, openLakeBucket(root))
	checkRecords(t, "S3 lake", lc, want)
	checkCommittedRows(t, "S3 lake", lc.snap)
	checkS3LakeTidy(t, "S3 lake", keys, root, lc.snap)
	if left, _ := os.ReadDir(envValue(env, "TMPDIR")); len(left) > 0 {
		t.Errorf("ingest left %d scratch files in TMPDIR, e.g. %s", len(left), left[0].Name())
	}

	// Two ingests of the same archive into one new S3 lake at once. One may
	// stop on a conflict; no record may be committed twice.
	const root2 = "concurrent/lake"
	args := []string{"ingest", archive, "--lake", "s3://" + bucket + "/" + root2, "--endpoint-url", srv.Endpoint,
		"--commit-interval", "100ms", "--memory-per-worker", "1048576", "--output", "json"}
	type outcome struct {
		code           int
		stdout, stderr bytes.Buffer
	}
	outs := make([]*outcome, 2)
	cmds := make([]*exec.Cmd, 2)
	for i := range cmds {
		outs[i] = &outcome{}
		ctx, cancel := context.WithTimeout(context.Background(), subprocessTimeout)
		defer cancel()
		cmds[i] = exec.CommandContext(ctx, ctqBinary(t), args...)
		cmds[i].Env = env
		cmds[i].Stdout, cmds[i].Stderr = &outs[i].stdout, &outs[i].stderr
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		outs[i].code = exitCodeOf(t, c.Wait())
		t.Logf("concurrent run %d: exit %d %s", i+1, outs[i].code, strings.TrimSpace(outs[i].stderr.String()))
		switch {
		case outs[i].code == 0:
		case outs[i].code == 1 && strings.Contains(outs[i].stderr.String(), "conflict"):
		default:
			t.Errorf("concurrent run %d: exit %d, want 0 or a conflict (1)\nstderr:\n%s", i+1, outs[i].code, outs[i].stderr.String())
		}
	}
	lc = readLake(t, openLakeBucket(root2))
	checkCommittedRows(t, "concurrent S3 lake", lc.snap)
	var dups []string
	for id, n := range lc.count {
		if n > 1 {
			dups = append(dups, id.String())
		}
	}
	if len(dups) > 0 {
		t.Errorf("after two concurrent ingests, %d records are in the lake more than once: %s", len(dups), firstN(dups))
	}

	// A later run completes whatever a conflict left, exactly once.
	r = runCtq(t, env, args...)
	if r.code != 0 {
		t.Fatalf("run after the concurrent pair: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	lc = readLake(t, openLakeBucket(root2))
	checkRecords(t, "concurrent S3 lake after a final run", lc, want)
	checkS3LakeTidy(t, "concurrent S3 lake after a final run", listKeys(t, client, bucket, root2+"/"), root2, lc.snap)
}

// TestIngest_OverlappingRunsOnMinIO makes two runs overlap in a set order.
// Run B ingests the whole archive into an S3 lake; the proxy it reads
// through holds the first object X of one day prefix U (7s) and the first
// object Y of another day prefix V (4s). While B waits, run A ingests just
// U into the same lake and commits it. B then commits V's objects over A's
// commit (no overlap: correct), and later U's objects, which A committed
// already: B must notice (a conflict) instead of committing them twice.
func TestIngest_OverlappingRunsOnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "src")
	srv.CreateBucket(t, "lakebucket")
	cfg := gen.DefaultConfig()
	cfg.Seed = 9
	objs, _, want := uploadArchive(t, srv, "src", "trail", cfg)
	units := map[string][]srcObject{} // by day prefix
	for _, o := range objs {
		if o.kind == gen.KindLog {
			units[path.Dir(o.key)] = append(units[path.Dir(o.key)], o)
		}
	}
	var dirs []string
	for d, u := range units {
		sort.Slice(u, func(i, j int) bool { return u[i].key < u[j].key })
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	// layout: AWSLogs/o-org/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file
	parts := func(o srcObject) []string { return strings.Split(o.layout, "/") }
	var u, v []srcObject
	for _, d := range dirs {
		if len(units[d]) >= 3 && units[d][0].events > 0 {
			u = units[d]
			break
		}
	}
	for _, d := range dirs {
		if u != nil && len(units[d]) > 0 && parts(units[d][0])[2] != parts(u[0])[2] && units[d][0].events > 0 {
			v = units[d]
			break
		}
	}
	if u == nil || v == nil {
		t.Fatal("archive lacks the day prefixes this test needs")
	}
	up := parts(u[0])
	account, region := up[2], up[4]
	day, err := time.Parse("2006/01/02", strings.Join(up[5:8], "/"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("U = %s (%d objects), V = %s", path.Dir(u[0].layout), len(u), path.Dir(v[0].layout))

	env := baseEnv(t, srv.Env()...)
	lake := "s3://lakebucket/overlap"
	p := miniotest.NewFaultProxy(t, srv.Endpoint)
	p.Inject(miniotest.Fault{Method: "GET", KeySuffix: path.Base(u[0].key), Kind: miniotest.Stall, AfterBytes: 1024, StallFor: 7 * time.Second})
	p.Inject(miniotest.Fault{Method: "GET", KeySuffix: path.Base(v[0].key), Kind: miniotest.Stall, AfterBytes: 1024, StallFor: 4 * time.Second})

	ctx, cancel := context.WithTimeout(context.Background(), subprocessTimeout)
	defer cancel()
	b := exec.CommandContext(ctx, ctqBinary(t), "ingest", "s3://src/trail", "--endpoint-url", p.URL, "--lake", lake,
		"--workers", "4", "--commit-interval", "200ms", "--memory-per-worker", "1048576", "--output", "json")
	b.Env = env
	var bOut, bErr bytes.Buffer
	b.Stdout, b.Stderr = &bOut, &bErr
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	bDone := make(chan error, 1)
	go func() { bDone <- b.Wait() }()
	// Wait until B is held on both X and Y (so it listed U before A runs).
	var bExit error
	bExited := false
	for deadline := time.Now().Add(time.Minute); p.Pending() > 0; {
		select {
		case bExit = <-bDone:
			bExited = true
		case <-time.After(5 * time.Millisecond):
		}
		if bExited || time.Now().After(deadline) {
			break
		}
	}
	if p.Pending() > 0 {
		t.Logf("run B never reached both held objects (%d faults pending); the overlap was not staged", p.Pending())
	}

	ra := runCtq(t, env, "ingest", "s3://src/trail", "--endpoint-url", srv.Endpoint, "--lake", lake,
		"--accounts", account, "--regions", region, "--since", day.Format("2006-01-02"), "--until", day.AddDate(0, 0, 1).Format("2006-01-02"), "--output", "json")
	resA := ingestJSON(t, ra)
	t.Logf("run A (only U): exit %d, %d objects, %d events", ra.code, resA.Objects, resA.Events)
	if ra.code != 0 {
		t.Errorf("run A: exit %d\nstderr:\n%s", ra.code, ra.stderr)
	}

	if !bExited {
		bExit = <-bDone
	}
	codeB := exitCodeOf(t, bExit)
	t.Logf("run B (all): exit %d %s", codeB, strings.TrimSpace(bErr.String()))
	if codeB != 0 && (codeB != 1 || !strings.Contains(bErr.String(), "conflict")) {
		t.Errorf("run B: exit %d, want 0 or a conflict (1)\nstderr:\n%s", codeB, bErr.String())
	}
	lb, err := s3store.Open(context.Background(), "lakebucket", "overlap", srv.Options())
	if err != nil {
		t.Fatal(err)
	}
	lc := readLake(t, lb)
	dupObjects := map[string]int{}
	for id, n := range lc.count {
		if n > 1 {
			dupObjects[id.key] = n
		}
	}
	if len(dupObjects) > 0 {
		var keys []string
		for k, n := range dupObjects {
			keys = append(keys, fmt.Sprintf("%s (x%d)", k, n))
		}
		t.Errorf("records of %d objects are in the lake more than once: %s", len(keys), firstN(keys))
		seqs := map[string][]string{}
		for k := range dupObjects {
			seqs[k] = nil
		}
		logCommitsOf(t, lb, seqs)
	}

	r := runCtq(t, env, "ingest", "s3://src/trail", "--endpoint-url", srv.Endpoint, "--lake", lake, "--output", "json")
	if r.code != 0 {
		t.Fatalf("final run: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	lc = readLake(t, lb)
	checkRecords(t, "lake after a final run", lc, want)
}

// logCommitsOf logs, for each source key in keys, the commits (seq and run)
// that list it.
func logCommitsOf(t *testing.T, b objstore.Bucket, keys map[string][]string) {
	t.Helper()
	ctx := context.Background()
	var names []string
	if err := b.List(ctx, objstore.ListOptions{Prefix: partition.LogDir}, func(e objstore.Entry) error {
		names = append(names, e.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		rc, _, err := b.Open(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		var c partition.Commit
		err = json.NewDecoder(rc).Decode(&c)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, s := range c.Sources {
			if _, ok := keys[s.Key]; ok {
				keys[s.Key] = append(keys[s.Key], fmt.Sprintf("seq %d by run %s", c.Seq, c.RunID))
			}
		}
	}
	n := 0
	for k, cs := range keys {
		if n++; n > 3 {
			break
		}
		t.Logf("%s committed in: %s", k, strings.Join(cs, "; "))
	}
}

// TestIngest_ThreeShardsConcurrentlyOnMinIO runs `ctq ingest --shard i/3`
// as three concurrent processes into one S3 lake, as an indexed Kubernetes
// Job or a Batch array job would, and checks that the lake then holds
// exactly the events of a single run: each once, none missing.
func TestIngest_ThreeShardsConcurrentlyOnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "src")
	srv.CreateBucket(t, "lakebucket")
	cfg := gen.DefaultConfig()
	cfg.Seed = 21
	cfg.Events = 8000
	cfg.Accounts = 3
	cfg.Days = 2
	_, _, want := uploadArchive(t, srv, "src", "trail", cfg)
	env := baseEnv(t, srv.Env()...)

	ctx, cancel := context.WithTimeout(context.Background(), subprocessTimeout)
	defer cancel()
	type outcome struct {
		shard  int
		code   int
		stderr string
		res    *ingest.Result
	}
	results := make(chan outcome, 3)
	for i := range 3 {
		go func() {
			cmd := exec.CommandContext(ctx, ctqBinary(t), "ingest", "s3://src/trail", "--endpoint-url", srv.Endpoint,
				"--lake", "s3://lakebucket/sharded", "--shard", fmt.Sprintf("%d/3", i), "--commit-interval", "300ms", "--output", "json")
			cmd.Env = env
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			o := outcome{shard: i, code: exitCodeOf(t, err), stderr: errb.String()}
			var r ingest.Result
			if json.Unmarshal(out.Bytes(), &r) == nil {
				o.res = &r
			}
			results <- o
		}()
	}
	var events int64
	for range 3 {
		o := <-results
		if o.code != 0 || o.res == nil {
			t.Fatalf("shard %d/3: exit %d\nstderr:\n%s", o.shard, o.code, o.stderr)
		}
		if o.res.Events == 0 {
			t.Errorf("shard %d/3 ingested nothing: the split is not spreading the work", o.shard)
		}
		events += o.res.Events
	}
	if events != int64(len(want)) {
		t.Errorf("the shards ingested %d events in all, the archive holds %d", events, len(want))
	}
	lb, err := s3store.Open(context.Background(), "lakebucket", "sharded", srv.Options())
	if err != nil {
		t.Fatal(err)
	}
	sharded := readLake(t, lb)
	checkRecords(t, "lake filled by 3 concurrent shards", sharded, want)

	r := runCtq(t, env, "ingest", "s3://src/trail", "--endpoint-url", srv.Endpoint, "--lake", "s3://lakebucket/single", "--output", "json")
	if r.code != 0 {
		t.Fatalf("single run: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	ls, err := s3store.Open(context.Background(), "lakebucket", "single", srv.Options())
	if err != nil {
		t.Fatal(err)
	}
	single := readLake(t, ls)
	if len(single.rows) != len(sharded.rows) {
		t.Fatalf("single run: %d records, sharded: %d", len(single.rows), len(sharded.rows))
	}
	for id, d := range single.rows {
		if sharded.rows[id] != d {
			t.Fatalf("record %s differs between the single run and the shards", id)
		}
	}
	if len(sharded.snap.Sources) != len(single.snap.Sources) {
		t.Errorf("sources recorded: %d by the shards, %d by a single run", len(sharded.snap.Sources), len(single.snap.Sources))
	}
}
