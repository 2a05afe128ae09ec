package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// orgGen is the generated organization archive most tests ingest.
func orgGen(seed uint64, start time.Time) gen.Config {
	return gen.Config{
		Seed:     seed,
		Events:   3000,
		OrgID:    "o-a1b2c3d4e5",
		Prefix:   "trail",
		Accounts: 3,
		Regions:  []string{"us-east-1", "eu-west-1", "ap-southeast-2"},
		Start:    start,
		Days:     2,
		Insight:  true,
		Digest:   true,
	}
}

func partitionsOf(snap *partition.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, f := range snap.Files {
		out[f.Partition().Dir()] = true
	}
	return out
}

func checkCleanResult(t *testing.T, res *ingest.Result, want srcSet) {
	t.Helper()
	if res.Objects != int64(len(want)) {
		t.Errorf("Result.Objects = %d, want %d", res.Objects, len(want))
	}
	if res.Events != want.events() {
		t.Errorf("Result.Events = %d, want %d", res.Events, want.events())
	}
	if res.HasFaults() || res.ObjectsPartial != 0 || res.ObjectsInvalid != 0 || res.ObjectsFailed != 0 {
		t.Errorf("unexpected faults: partial %d invalid %d failed %d%s", res.ObjectsPartial, res.ObjectsInvalid, res.ObjectsFailed, fmtProblems(res.Problems))
	}
	for _, p := range res.Problems {
		if !p.Warning {
			t.Errorf("unexpected problem:%s", fmtProblems([]ingest.Problem{p}))
		}
	}
}

func TestRun_GeneratedArchiveEndToEnd(t *testing.T) {
	e := newEnv(t)
	first := genArchive(t, e.srcDir, orgGen(11, gen.DefaultStart))

	res := e.run(e.config())
	checkCleanResult(t, res, first)
	snap, rows := e.checkLake(first)
	for layout, o := range first {
		s := snap.Sources[layout]
		if s.Status != partition.StatusOK || s.Error != "" {
			t.Errorf("manifest: %s status %q error %q, want ok", layout, s.Status, s.Error)
		}
		if !strings.HasSuffix(s.URL, "/"+o.Key) {
			t.Errorf("manifest: %s URL %q does not end in its key", layout, s.URL)
		}
	}
	for lk := range snap.Sources {
		if strings.Contains(lk, layout.KindDigest) || strings.Contains(lk, layout.KindInsight) {
			t.Errorf("digest or insight object ingested: %s", lk)
		}
	}
	if res.Files != int64(len(snap.Files)) {
		t.Errorf("Result.Files = %d, lake has %d files", res.Files, len(snap.Files))
	}
	if parts := partitionsOf(snap); res.Partitions != len(parts) {
		t.Errorf("Result.Partitions = %d, lake has %d partitions", res.Partitions, len(parts))
	}
	if res.Commits != snap.Commits || res.Commits < 1 {
		t.Errorf("Result.Commits = %d, log has %d commits", res.Commits, snap.Commits)
	}
	if int64(len(rows)) != res.Events {
		t.Errorf("lake rows %d != Result.Events %d", len(rows), res.Events)
	}
	// Late deliveries put some events in the day before their path's day:
	// make sure the archive exercises that.
	crossDay := 0
	for _, r := range rows {
		if sk, _ := layout.ParseKey(r.Key); !strings.Contains(r.Path, "day="+sk.Day.Format("2006-01-02")+"/") {
			crossDay++
		}
	}
	if crossDay == 0 {
		t.Errorf("no event lies in a partition other than its delivery day; the test archive does not exercise event-time partitioning")
	}

	// A second run finds nothing new.
	files := lakeFiles(t, e.lakeDir)
	res2 := e.run(e.config())
	if res2.Objects != 0 || res2.Events != 0 || res2.Files != 0 || res2.Commits != 0 {
		t.Errorf("re-run: objects %d events %d files %d commits %d, want all 0", res2.Objects, res2.Events, res2.Files, res2.Commits)
	}
	if s2 := e.snapshot(); s2.Seq != snap.Seq {
		t.Errorf("re-run moved the log from seq %d to %d", snap.Seq, s2.Seq)
	}
	if got := lakeFiles(t, e.lakeDir); !slices.Equal(got, files) {
		t.Errorf("re-run changed the lake's files:\n before %v\n after  %v", files, got)
	}

	// New objects: another generated archive on later days, plus hand-made
	// objects in a day prefix that was already ingested (after its last
	// object, and within the documented late-delivery margin before it).
	second := genArchive(t, e.srcDir, orgGen(12, gen.DefaultStart.AddDate(0, 0, 5)))
	for k := range second {
		if first[k] != nil {
			t.Fatalf("second archive overwrote %s", k)
		}
	}
	var some *srcObj
	for _, layout := range slices.Sorted(maps.Keys(first)) {
		some = first[layout]
		break
	}
	sk, _ := layout.ParseKey(some.Key)
	lastDelivery := sk.Delivery
	dayPrefix := some.Key[:strings.LastIndexByte(some.Key, '/')+1]
	for _, o := range first {
		if strings.HasPrefix(o.Key, dayPrefix) {
			if k, _ := layout.ParseKey(o.Key); k.Delivery.After(lastDelivery) {
				lastDelivery = k.Delivery
			}
		}
	}
	hand := srcSet{}
	for i, d := range []time.Duration{5 * time.Minute, -30 * time.Minute} {
		when := lastDelivery.Add(d)
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_HandMade%08d.json.gz", sk.Account, sk.Region, when.Format("20060102T1504Z"), i)
		recs := []string{
			simpleRecord(900+2*i, when.Add(-10*time.Minute).Format(time.RFC3339), ""),
			simpleRecord(901+2*i, when.Add(-5*time.Minute).Format(time.RFC3339), ""),
		}
		doc, _ := recordsDoc(recs...)
		o := putObject(t, e.srcDir, dayPrefix+name, gzipBytes(t, doc), toBytes(recs))
		hand[o.Layout] = o
	}
	added := second.merge(hand)
	res3 := e.run(e.config())
	checkCleanResult(t, res3, added)
	snap3, _ := e.checkLake(first.merge(added))
	counts, _ := e.logSourceCounts()
	for k, n := range counts {
		if n != 1 {
			t.Errorf("source %s committed %d times", k, n)
		}
	}
	if snap3.Commits != snap.Commits+res3.Commits {
		t.Errorf("commits: %d before, %d added, %d now", snap.Commits, res3.Commits, snap3.Commits)
	}
}

// realKey builds the key of the i-th real test file.
func realKey(i int) string {
	day := time.Date(2024, 3, 1+i, 0, 0, 0, 0, time.UTC)
	return logKey("", "123456789012", "us-east-1", day, fmt.Sprintf("RealTestData%04d", i))
}

func TestRun_RealTestdataByteIdentical(t *testing.T) {
	e := newEnv(t)
	want := srcSet{}
	noTime := 0
	for i, f := range ingest.RealTestdata(t) {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		recs := mustRecords(t, doc)
		for _, r := range recs {
			if _, ok := eventTimeOf(r); !ok {
				noTime++
			}
		}
		o := putObject(t, e.srcDir, realKey(i), gzipBytes(t, doc), recs)
		want[o.Layout] = o
	}
	if noTime == 0 {
		t.Log("note: every real record has an eventTime")
	}
	res := e.run(e.config())
	checkCleanResult(t, res, want)
	snap, rows := e.checkLake(want)
	for layout := range want {
		if s := snap.Sources[layout]; s.Status != partition.StatusOK {
			t.Errorf("%s: status %q (%s)", layout, s.Status, s.Error)
		}
	}
	// The typed eventID column agrees with the raw record.
	for _, r := range rows {
		id, ok := stringField([]byte(r.Raw), "eventID")
		switch {
		case ok && (r.EventID == nil || *r.EventID != id):
			t.Errorf("%s[%d]: eventID column %v, raw has %q", r.Key, r.Index, r.EventID, id)
		case !ok && r.EventID != nil:
			t.Errorf("%s[%d]: eventID column %q, raw has no string eventID", r.Key, r.Index, *r.EventID)
		}
	}
}

// randomRecords returns n valid records with poorly compressible content.
func randomRecords(seed uint64, n int, day time.Time) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range 24 {
			fmt.Fprintf(&b, "%016x", r.Uint64())
		}
		out[i] = simpleRecord(int(seed)*10000+i, day.Add(time.Duration(i)*time.Second).Format(time.RFC3339), b.String())
	}
	return out
}

// badCase is one faulty source object.
type badCase struct {
	name   string
	data   []byte
	recs   [][]byte // records expected in the lake, by source index (nil = lost)
	status string
	check  func(t *testing.T, ps []ingest.Problem) // problems reported for the key
	// loose: the number of records kept is not known exactly (truncated
	// gzip); recs holds all records and the lake must hold a non-empty
	// strict prefix of them.
	loose bool
}

func hasProblem(ps []ingest.Problem, pred func(ingest.Problem) bool) bool {
	return slices.ContainsFunc(ps, pred)
}

func badCases(t *testing.T) []badCase {
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var cases []badCase

	// Truncated gzip: the second half of the compressed stream is missing.
	{
		recs := randomRecords(1, 200, day)
		doc, offs := recordsDoc(recs...)
		gz := gzipBytes(t, doc)
		cases = append(cases, badCase{
			name: "truncated gzip", data: gz[:len(gz)/2], recs: toBytes(recs), status: partition.StatusPartial, loose: true,
			check: func(t *testing.T, ps []ingest.Problem) {
				if !hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning && !p.Retry && p.Offset > int64(offs[1]) }) {
					t.Errorf("want a (non-retry) problem with an offset past the first records:%s", fmtProblems(ps))
				}
			},
		})
	}
	// Invalid JSON in the third record.
	{
		recs := randomRecords(2, 5, day)
		bad := `{"eventVersion":"1.08","eventTime":"2024-03-01T00:00:02Z","eventName":tru}`
		all := []string{recs[0], recs[1], bad, recs[3], recs[4]}
		doc, offs := recordsDoc(all...)
		cases = append(cases, badCase{
			name: "invalid json in record 2", data: gzipBytes(t, doc), recs: [][]byte{[]byte(recs[0]), []byte(recs[1])}, status: partition.StatusPartial,
			check: func(t *testing.T, ps []ingest.Problem) {
				if !hasProblem(ps, func(p ingest.Problem) bool {
					return !p.Warning && p.Record == 2 && p.Offset >= int64(offs[2]) && p.Offset < int64(offs[2]+len(bad))
				}) {
					t.Errorf("want a problem naming record 2 at an offset in [%d,%d):%s", offs[2], offs[2]+len(bad), fmtProblems(ps))
				}
			},
		})
	}
	anyError := func(t *testing.T, ps []ingest.Problem) {
		if !hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning }) {
			t.Errorf("want an error problem:%s", fmtProblems(ps))
		}
	}
	cases = append(cases,
		badCase{name: "no records member", data: gzipBytes(t, []byte(`{"foo":1}`)), status: partition.StatusInvalid, check: anyError},
		badCase{name: "top-level array", data: gzipBytes(t, []byte(`[`+simpleRecord(1, "2024-03-01T00:00:00Z", "")+`]`)), status: partition.StatusInvalid, check: anyError},
		badCase{name: "empty object", data: []byte{}, status: partition.StatusInvalid, check: anyError},
	)
	// Plain JSON, not gzip: read with a warning.
	{
		recs := randomRecords(3, 4, day)
		doc, _ := recordsDoc(recs...)
		cases = append(cases, badCase{
			name: "plain json", data: doc, recs: toBytes(recs), status: partition.StatusOK,
			check: func(t *testing.T, ps []ingest.Problem) {
				if !hasProblem(ps, func(p ingest.Problem) bool { return p.Warning }) {
					t.Errorf("want a warning:%s", fmtProblems(ps))
				}
				if hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning }) {
					t.Errorf("want only warnings:%s", fmtProblems(ps))
				}
			},
		})
	}
	// Binary, not gzip.
	{
		bin := make([]byte, 4096)
		cc := rand.NewChaCha8([32]byte{4})
		_, _ = cc.Read(bin)
		bin[0], bin[1] = 0x00, 0x9c
		cases = append(cases, badCase{
			name: "binary", data: bin, status: partition.StatusInvalid,
			check: func(t *testing.T, ps []ingest.Problem) {
				if !hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning && p.Offset == 0 }) {
					t.Errorf("want an error at offset 0:%s", fmtProblems(ps))
				}
			},
		})
	}
	// Invalid UTF-8 inside one record.
	{
		recs := randomRecords(5, 3, day)
		badRec := strings.Replace(recs[1], `"eventName":"GetObject`, "\"eventName\":\"Get\xffObject", 1)
		doc, offs := recordsDoc(recs[0], badRec, recs[2])
		badAt := offs[1] + strings.IndexByte(badRec, 0xff)
		cases = append(cases, badCase{
			name: "invalid utf-8", data: gzipBytes(t, doc), recs: [][]byte{[]byte(recs[0]), nil, []byte(recs[2])}, status: partition.StatusPartial,
			check: func(t *testing.T, ps []ingest.Problem) {
				if !hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning && p.Record == 1 && p.Offset == int64(badAt) }) {
					t.Errorf("want a problem for record 1 at offset %d:%s", badAt, fmtProblems(ps))
				}
			},
		})
	}
	// Records of several MiB (the run's MaxRecordBytes is 4 MiB).
	big := func(id, size int) string {
		r := simpleRecord(id, "2024-03-01T00:00:00Z", "")
		pad := `"padding":"` + strings.Repeat("p", size-len(r)-len(`"padding":"",`)) + `",`
		out := r[:1] + pad + r[1:]
		if len(out) != size {
			panic("size")
		}
		return out
	}
	{
		recs := randomRecords(6, 2, day)
		b := big(7001, 3<<20)
		doc, offs := recordsDoc(recs[0], b, recs[1])
		cases = append(cases, badCase{
			name: "3 MiB record under the limit", data: gzipBytes(t, doc), recs: toBytes([]string{recs[0], b, recs[1]}), status: partition.StatusOK,
			check: func(t *testing.T, ps []ingest.Problem) {
				if !hasProblem(ps, func(p ingest.Problem) bool { return p.Warning && p.Record == 1 && p.Offset == int64(offs[1]) }) {
					t.Errorf("want a warning for record 1 at offset %d:%s", offs[1], fmtProblems(ps))
				}
				if hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning }) {
					t.Errorf("want only warnings:%s", fmtProblems(ps))
				}
			},
		})
	}
	{
		recs := randomRecords(7, 2, day)
		b := big(7002, 5<<20)
		doc, offs := recordsDoc(recs[0], b, recs[1])
		cases = append(cases, badCase{
			name: "5 MiB record over the limit", data: gzipBytes(t, doc), recs: [][]byte{[]byte(recs[0]), nil, []byte(recs[1])}, status: partition.StatusPartial,
			check: func(t *testing.T, ps []ingest.Problem) {
				if !hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning && p.Record == 1 && p.Offset == int64(offs[1]) }) {
					t.Errorf("want an error for record 1 at offset %d:%s", offs[1], fmtProblems(ps))
				}
			},
		})
	}
	return cases
}

func TestRun_BadObjects(t *testing.T) {
	e := newEnv(t)
	good := genArchive(t, e.srcDir, gen.Config{Seed: 3, Events: 600, Accounts: 1, Regions: []string{"us-east-1"}})
	cases := badCases(t)
	want := srcSet{}
	for k, v := range good {
		want[k] = v
	}
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	keys := make([]string, len(cases))
	wantPartial, wantInvalid := 0, 0
	for i, c := range cases {
		keys[i] = logKey("", "111122223333", "us-west-2", base.Add(time.Duration(i)*5*time.Minute), fmt.Sprintf("BadObject%07d", i))
		want[keys[i][strings.Index(keys[i], "AWSLogs/"):]] = putObject(t, e.srcDir, keys[i], c.data, c.recs)
		switch c.status {
		case partition.StatusPartial:
			wantPartial++
		case partition.StatusInvalid:
			wantInvalid++
		}
	}
	cfg := e.config()
	cfg.MaxRecordBytes = 4 << 20
	res, err := runGuarded(cfg)
	if err != nil {
		t.Fatalf("ingest.Run: %v", err)
	}

	snap, rows := e.readLake()
	got := rowIDs(rows)
	// Loose cases: the lake holds a non-empty strict prefix of the records;
	// narrow the expectation to what was kept before the full comparison.
	for i, c := range cases {
		if !c.loose {
			continue
		}
		layout := keys[i]
		n := 0
		for got[rowID{layout, int32(n)}] > 0 {
			n++
		}
		for j := n; j < len(c.recs); j++ {
			if got[rowID{layout, int32(j)}] > 0 {
				t.Errorf("%s: record %d kept after lost record %d", c.name, j, n)
			}
		}
		if n == 0 || n >= len(c.recs) {
			t.Errorf("%s: %d of %d records kept, want a non-empty strict prefix", c.name, n, len(c.recs))
		}
		o := *want[layout]
		o.Records = o.Records[:n]
		want[layout] = &o
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			layout := keys[i]
			s, ok := snap.Sources[layout]
			if !ok {
				t.Fatalf("not in the manifest; problems:%s", fmtProblems(problemsFor(res, keys[i])))
			}
			if s.Status != c.status {
				t.Errorf("status %q, want %q (error %q)", s.Status, c.status, s.Error)
			}
			if (s.Status == partition.StatusOK) != (s.Error == "") {
				t.Errorf("status %q with error %q", s.Status, s.Error)
			}
			ps := problemsFor(res, keys[i])
			if c.check != nil {
				c.check(t, ps)
			}
			for _, p := range ps {
				if p.Retry {
					t.Errorf("content fault reported as transient (retry):%s", fmtProblems([]ingest.Problem{p}))
				}
			}
		})
	}
	e.checkLake(want)
	for layout := range good {
		if s := snap.Sources[layout]; s.Status != partition.StatusOK {
			t.Errorf("good object %s: status %q", layout, s.Status)
		}
	}
	if !res.HasFaults() {
		t.Errorf("HasFaults() = false")
	}
	if res.ObjectsPartial != int64(wantPartial) || res.ObjectsInvalid != int64(wantInvalid) || res.ObjectsFailed != 0 {
		t.Errorf("partial %d invalid %d failed %d, want %d %d 0", res.ObjectsPartial, res.ObjectsInvalid, res.ObjectsFailed, wantPartial, wantInvalid)
	}
	if res.Objects != int64(len(want)) || res.Events != want.events() {
		t.Errorf("Result objects %d events %d, want %d %d", res.Objects, res.Events, len(want), want.events())
	}

	// A re-run does not read the bad objects again.
	res2, err := runGuarded(cfg)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if res2.Objects != 0 || res2.Events != 0 || res2.Commits != 0 || res2.HasFaults() {
		t.Errorf("re-run: objects %d events %d commits %d faults %v%s", res2.Objects, res2.Events, res2.Commits, res2.HasFaults(), fmtProblems(res2.Problems))
	}
	e.checkLake(want)
}

func TestRun_MaxRecordBytes(t *testing.T) {
	cases := []struct {
		name     string
		limit    int
		size     int
		wantKept bool
	}{
		{"300 KiB under 1 MiB", 1 << 20, 300 << 10, true},
		{"300 KiB over 64 KiB", 64 << 10, 300 << 10, false},
		{"1.5 MiB over 1 MiB", 1 << 20, 3 << 19, false},
		{"3.5 MiB over 3 MiB", 3 << 20, 7 << 19, false},
		{"5 MiB over 4 MiB", 4 << 20, 5 << 20, false},
		{"4 MiB minus 1 KiB under 4 MiB", 4 << 20, 4<<20 - 1<<10, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			small := randomRecords(9, 2, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
			r := simpleRecord(42, "2024-03-01T00:00:01Z", "")
			pad := `"padding":"` + strings.Repeat("p", c.size-len(r)-len(`"padding":"",`)) + `",`
			big := r[:1] + pad + r[1:]
			doc, offs := recordsDoc(small[0], big, small[1])
			key := logKey("", "111122223333", "us-west-2", time.Date(2024, 3, 1, 0, 5, 0, 0, time.UTC), "BigRecord0000000")
			recs := [][]byte{[]byte(small[0]), nil, []byte(small[1])}
			status := partition.StatusPartial
			if c.wantKept {
				recs[1], status = []byte(big), partition.StatusOK
			}
			o := putObject(t, e.srcDir, key, gzipBytes(t, doc), recs)
			cfg := e.config()
			cfg.MaxRecordBytes = c.limit
			res, err := runGuarded(cfg)
			if err != nil {
				t.Fatal(err)
			}
			snap, _ := e.checkLake(srcSet{o.Layout: o})
			if s := snap.Sources[o.Layout]; s.Status != status {
				t.Errorf("status %q, want %q", s.Status, status)
			}
			ps := problemsFor(res, key)
			if !c.wantKept && !hasProblem(ps, func(p ingest.Problem) bool { return !p.Warning && p.Record == 1 && p.Offset == int64(offs[1]) }) {
				t.Errorf("want an error for record 1 at offset %d:%s", offs[1], fmtProblems(ps))
			}
		})
	}
}

type layoutCase struct {
	key      string
	marker   string // must not appear in the lake or the manifest
	reported string // a problem key containing this is expected ("" = none required)
}

func TestRun_LayoutProblems(t *testing.T) {
	e := newEnv(t)
	gc := gen.Config{Seed: 5, Events: 800, Accounts: 1, Regions: []string{"us-east-1"}, Digest: true, Insight: true}
	want := genArchive(t, e.srcDir, gc)
	acct := gc.AccountIDs()[0]
	day := gen.DefaultStart.Add(3 * time.Hour)
	recs := randomRecords(11, 3, gen.DefaultStart)
	doc, _ := recordsDoc(recs...)
	gz := gzipBytes(t, doc)
	bad := []layoutCase{
		{logKey("", acct, "US-EAST-1", day, "UpperRegion00000"), "US-EAST-1", "/US-EAST-1/"},
		{strings.ReplaceAll(logKey("", acct, "us-east-1", day, "SemiRegion000000"), "us-east-1/", "us-east-1;x/"), "us-east-1;x", "/us-east-1;x/"},
		{"AWSLogs/not-an-account/CloudTrail/us-east-1/2025/03/14/notanaccount_CloudTrail_us-east-1_20250314T0300Z_NotAccount000000.json.gz", "not-an-account", "/not-an-account/"},
		{"AWSLogs/" + acct + "/CloudTrail/us-east-1/2025/3/14/" + acct + "_CloudTrail_us-east-1_20250314T0300Z_ShortMonth000000.json.gz", "ShortMonth", "/2025/3/"},
		{"AWSLogs/" + acct + "/CloudTrail/us-east-1/2025/03/14/notes.txt", "notes.txt", ""},
		{"AWSLogs/" + acct + "/CloudTrail/us-east-1/2025/03/14/index.html", "index.html", ""},
		{"AWSLogs/" + acct + "/CloudTrail/us-east-1/stray.json.gz", "stray.json.gz", ""},
		{"AWSLogs/README.json.gz", "README", ""},
		{"AWSLogs/" + acct + "/CloudTrail-Digest/us-east-1/2025/03/14/" + acct + "_CloudTrail-Digest_us-east-1_trail_us-east-1_20250314T030000Z.json.gz", "HandDigest", ""},
	}
	for _, b := range bad {
		data := gz
		if !strings.HasSuffix(b.key, ".json.gz") {
			// A stray non-log file: text content.
			data = []byte("not a log file: " + b.key + "\n")
		}
		putObject(t, e.srcDir, b.key, data, nil)
	}
	res := e.run(e.config())
	if res.Objects != int64(len(want)) || res.Events != want.events() || res.HasFaults() {
		t.Errorf("Result: objects %d events %d faults %v, want %d %d false", res.Objects, res.Events, res.HasFaults(), len(want), want.events())
	}
	// The only errors are the skipped prefixes.
	for _, p := range res.Problems {
		if !p.Warning && !slices.ContainsFunc(bad, func(b layoutCase) bool { return b.reported != "" && strings.Contains(p.Key, b.reported) }) {
			t.Errorf("unexpected problem:%s", fmtProblems([]ingest.Problem{p}))
		}
	}
	snap, rows := e.checkLake(want)
	for _, b := range bad {
		for layout := range snap.Sources {
			if strings.Contains(layout, b.marker) {
				t.Errorf("%s: ingested as %s", b.key, layout)
			}
		}
		for _, f := range lakeFiles(t, e.lakeDir) {
			if strings.Contains(f, b.marker) {
				t.Errorf("%s: lake path %s", b.key, f)
			}
		}
		for _, r := range rows {
			if strings.Contains(r.Key, b.marker) {
				t.Errorf("%s: lake row from %s", b.key, r.Key)
				break
			}
		}
		if b.reported != "" && !hasProblem(res.Problems, func(p ingest.Problem) bool { return strings.Contains(p.Key, b.reported) }) {
			t.Errorf("%s: no problem reported for %q:%s", b.key, b.reported, fmtProblems(res.Problems))
		}
	}
	for _, f := range snap.Files {
		if _, err := partition.ParseDir(f.Path); err != nil {
			t.Errorf("bad lake path: %v", err)
		}
	}
}

func TestRun_Filters(t *testing.T) {
	srcEnv := newEnv(t)
	gc := orgGen(21, gen.DefaultStart)
	gc.Days = 3
	all := genArchive(t, srcEnv.srcDir, gc)
	accts := gc.AccountIDs()
	since := gen.DefaultStart.Add(20 * time.Hour)
	until := gen.DefaultStart.Add(50*time.Hour + 30*time.Minute)
	// Objects are selected by delivery time up to the maximum delivery
	// delay past the (event-time) window's end.
	deliveredBy := until.Add(ingest.DefaultMaxDeliveryDelay)
	cases := []struct {
		name string
		set  func(*ingest.Config)
		keep func(layout.Key) bool
	}{
		{"since", func(c *ingest.Config) { c.Since = since },
			func(k layout.Key) bool { return !k.Delivery.Before(since) }},
		{"until", func(c *ingest.Config) { c.Until = until },
			func(k layout.Key) bool { return k.Delivery.Before(deliveredBy) }},
		{"since and until", func(c *ingest.Config) { c.Since, c.Until = since, until },
			func(k layout.Key) bool { return !k.Delivery.Before(since) && k.Delivery.Before(deliveredBy) }},
		{"one account", func(c *ingest.Config) { c.Accounts = []string{accts[1]} },
			func(k layout.Key) bool { return k.Account == accts[1] }},
		{"two regions", func(c *ingest.Config) { c.Regions = []string{"eu-west-1", "ap-southeast-2"} },
			func(k layout.Key) bool { return k.Region != "us-east-1" }},
		{"account, region and window", func(c *ingest.Config) {
			c.Accounts, c.Regions, c.Since, c.Until = []string{accts[0], accts[2]}, []string{"us-east-1"}, since, until
		}, func(k layout.Key) bool {
			return (k.Account == accts[0] || k.Account == accts[2]) && k.Region == "us-east-1" && !k.Delivery.Before(since) && k.Delivery.Before(deliveredBy)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &testEnv{t: t, srcDir: srcEnv.srcDir, src: srcEnv.src}
			e.newLake()
			want := all.filter(c.keep)
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("filter selects %d of %d objects; the test needs a strict non-empty subset", len(want), len(all))
			}
			cfg := e.config()
			c.set(&cfg)
			res := e.run(cfg)
			checkCleanResult(t, res, want)
			e.checkLake(want)
			// An unfiltered run then ingests exactly the rest.
			res2 := e.run(e.config())
			checkCleanResult(t, res2, all.filter(func(k layout.Key) bool { return !c.keep(k) }))
			e.checkLake(all)
		})
	}
}

func TestRun_ShardsUnionEqualsSingleRun(t *testing.T) {
	e := newEnv(t)
	gc := orgGen(31, gen.DefaultStart)
	all := genArchive(t, e.srcDir, gc)

	res := e.run(e.config())
	checkCleanResult(t, res, all)
	_, fullRows := e.checkLake(all)
	full := rowIDs(fullRows)

	e.newLake()
	const n = 3
	prev := map[rowID]int{}
	union := srcSet{}
	for i := range n {
		cfg := e.config()
		cfg.Shard, cfg.Shards = i, n
		res := e.run(cfg)
		_, rows := e.readLake()
		now := rowIDs(rows)
		added := map[rowID]int{}
		for id, c := range now {
			if c != 1 {
				t.Errorf("shard %d: %v in the lake %d times", i, id, c)
			}
			if prev[id] == 0 {
				added[id] = c
			}
		}
		if len(added) == 0 || len(added) >= len(full) {
			t.Errorf("shard %d/%d added %d of %d records; want a non-empty strict subset", i, n, len(added), len(full))
		}
		for id := range added {
			if full[id] == 0 {
				t.Errorf("shard %d added %v, which the single run does not have", i, id)
			}
		}
		if res.Events != int64(len(added)) {
			t.Errorf("shard %d: Result.Events %d, added %d rows", i, res.Events, len(added))
		}
		// Shards split by account x region x delivery day.
		shardUnits := map[string]bool{}
		for id := range added {
			k, _ := layout.ParseKey(id.Key)
			shardUnits[k.Account+"/"+k.Region+"/"+k.Day.Format("2006-01-02")] = true
			union[id.Key] = all[id.Key]
		}
		for id := range prev {
			k, _ := layout.ParseKey(id.Key)
			if shardUnits[k.Account+"/"+k.Region+"/"+k.Day.Format("2006-01-02")] {
				t.Errorf("shard %d took part of a unit of an earlier shard (%s)", i, id.Key)
				break
			}
		}
		prev = now
	}
	if len(prev) != len(full) {
		t.Errorf("union of shards has %d records, single run %d", len(prev), len(full))
	}
	for id := range full {
		if prev[id] != 1 {
			t.Errorf("record %v: %d times in the union of shards, want 1", id, prev[id])
		}
	}
	e.checkLake(all)
	// Nothing is left for an unsharded run.
	if res := e.run(e.config()); res.Objects != 0 || res.Events != 0 {
		t.Errorf("unsharded run after all shards: objects %d events %d", res.Objects, res.Events)
	}
}

func TestRun_ConcurrentRunsNoDuplicates(t *testing.T) {
	srcEnv := newEnv(t)
	gc := orgGen(41, gen.DefaultStart)
	gc.Events = 1500
	gc.Days = 4
	all := genArchive(t, srcEnv.srcDir, gc)
	modes := []struct {
		name string
		set  func(*ingest.Config)
	}{
		{"one commit per run", func(*ingest.Config) {}},
		{"frequent commits", func(c *ingest.Config) {
			c.CommitInterval = time.Millisecond
			c.MemoryPerWorker = 1 << 20
		}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for iter := range 3 {
				e := &testEnv{t: t, srcDir: srcEnv.srcDir, src: srcEnv.src}
				e.newLake()
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i := range 2 {
					cfg := e.config()
					cfg.Workers = 2
					m.set(&cfg)
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = runGuarded(cfg)
					}()
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil && !errors.Is(err, partition.ErrConflict) {
						t.Fatalf("iteration %d run %d: %v (want nil or ErrConflict)", iter, i, err)
					}
				}
				counts, _ := e.logSourceCounts()
				for k, n := range counts {
					if n != 1 {
						t.Errorf("iteration %d: source %s committed %d times (errors %v)", iter, k, n, errs)
					}
				}
				_, rows := e.readLake()
				for id, n := range rowIDs(rows) {
					if n != 1 {
						t.Errorf("iteration %d: record %v in the lake %d times (errors %v)", iter, id, n, errs)
						break
					}
				}
				if errs[0] == nil || errs[1] == nil {
					// At least one run finished: everything is in.
					e.checkLake(all)
				}
				// A later run completes whatever a stopped run left.
				e.run(e.config())
				e.checkLake(all)
				if t.Failed() {
					return
				}
			}
		})
	}
}

// TestRun_ConflictWithAbsorbedCommit makes another run commit objects that
// this run listed (but had not committed) just before this run's first
// commit, which does not contain them. The first commit succeeds on the
// next log number; the later commit of those objects must then be refused
// (ErrConflict) or the objects skipped: they must not be committed twice.
func TestRun_ConflictWithAbsorbedCommit(t *testing.T) {
	e := newEnv(t)
	gc := orgGen(51, gen.DefaultStart)
	gc.Accounts = 4
	all := genArchive(t, e.srcDir, gc)
	accts := gc.AccountIDs()

	var listed atomic.Bool
	var other struct {
		res *ingest.Result
		err error
		acc string
		reg string
	}
	hb := &hookBucket{Bucket: e.lakeB}
	hb.before = func(_ string, data []byte) {
		// Wait (bounded) until this run has listed every object.
		for i := 0; i < 10000 && !listed.Load(); i++ {
			time.Sleep(time.Millisecond)
		}
		var c partition.Commit
		if err := json.Unmarshal(data, &c); err != nil {
			t.Errorf("decode first commit: %v", err)
			return
		}
		inFirst := map[string]bool{}
		for _, s := range c.Sources {
			k, _ := layout.ParseKey(s.Key)
			inFirst[k.Account+"/"+k.Region] = true
		}
		for _, a := range accts {
			for _, r := range gc.Regions {
				if !inFirst[a+"/"+r] && other.acc == "" {
					other.acc, other.reg = a, r
				}
			}
		}
		if other.acc == "" {
			t.Errorf("first commit covers every account and region; cannot build the scenario")
			return
		}
		cfg := e.config()
		cfg.Accounts, cfg.Regions = []string{other.acc}, []string{other.reg}
		other.res, other.err = runGuarded(cfg)
	}
	cfg := e.config()
	cfg.Lake = partition.Open(hb)
	cfg.Workers = 1
	cfg.CommitInterval = time.Millisecond
	cfg.MemoryPerWorker = 1 << 20
	cfg.ProgressEvery = time.Millisecond
	cfg.OnProgress = func(p ingest.Progress) {
		if p.ListingDone {
			listed.Store(true)
		}
	}
	res, err := runGuarded(cfg)
	if other.err != nil {
		t.Fatalf("other run: %v", other.err)
	}
	if other.res == nil || other.res.Objects == 0 {
		t.Fatalf("the other run ingested nothing; scenario not built")
	}
	t.Logf("other run ingested %d objects of %s/%s; this run: objects %d, commits %d, err %v", other.res.Objects, other.acc, other.reg, res.Objects, res.Commits, err)
	if err != nil && !errors.Is(err, partition.ErrConflict) {
		t.Fatalf("run: %v (want nil or ErrConflict)", err)
	}
	counts, _ := e.logSourceCounts()
	dups := 0
	for k, n := range counts {
		if n != 1 {
			if dups++; dups <= 3 {
				t.Errorf("source %s committed %d times", k, n)
			}
		}
	}
	if dups > 0 {
		t.Errorf("%d sources committed more than once", dups)
	}
	_, rows := e.readLake()
	dupRows := 0
	for _, n := range rowIDs(rows) {
		if n != 1 {
			dupRows += n - 1
		}
	}
	if dupRows > 0 {
		t.Errorf("%d duplicate rows in the lake", dupRows)
	}
	e.run(e.config())
	e.checkLake(all)
}

// TestRun_ConflictReturns makes another run commit one of the objects of
// this run's first commit just before it, while hundreds of day prefixes
// are still queued: this run must stop with ErrConflict (not hang, not go on
// reading the whole archive) and leave no staging files behind.
func TestRun_ConflictReturns(t *testing.T) {
	e := newEnv(t)
	all := srcSet{}
	day0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const days = 200
	for d := range days {
		when := day0.AddDate(0, 0, d).Add(10 * time.Hour)
		var recs []string
		for i := range 2 {
			r := simpleRecord(d*10+i, when.Add(-time.Hour).Format(time.RFC3339), "")
			recs = append(recs, r[:1]+`"padding":"`+strings.Repeat("q", 50<<10)+`",`+r[1:])
		}
		doc, _ := recordsDoc(recs...)
		o := putObject(t, e.srcDir, logKey("", "111122223333", "us-west-2", when, fmt.Sprintf("ManyDays%08d", d)), gzipBytes(t, doc), toBytes(recs))
		all[o.Layout] = o
	}

	var otherErr error
	var otherRes *ingest.Result
	hb := &hookBucket{Bucket: e.lakeB}
	hb.before = func(_ string, data []byte) {
		var c partition.Commit
		if err := json.Unmarshal(data, &c); err != nil || len(c.Sources) == 0 {
			otherErr = fmt.Errorf("first commit has no sources (%v)", err)
			return
		}
		k, err := layout.ParseKey(c.Sources[0].Key)
		if err != nil {
			otherErr = err
			return
		}
		cfg := e.config()
		cfg.Since, cfg.Until = k.Delivery, k.Delivery.Add(time.Minute)
		cfg.MaxDeliveryDelay = 0 // the one object delivered in that minute
		otherRes, otherErr = runGuarded(cfg)
	}
	cfg := e.config()
	cfg.Lake = partition.Open(hb)
	cfg.Workers = 1
	cfg.CommitInterval = time.Millisecond
	cfg.MemoryPerWorker = 1 << 20
	res, err := runGuardedWithin(cfg, 20*time.Second)
	t.Logf("run: objects %d of %d, files %d, commits %d, err %v", res.Objects, len(all), res.Files, res.Commits, err)
	if otherErr != nil {
		t.Fatalf("other run: %v", otherErr)
	}
	if otherRes == nil || otherRes.Objects != 1 {
		t.Fatalf("the other run did not ingest exactly one object: %+v", otherRes)
	}
	if errors.Is(err, errHang) {
		t.Fatalf("run after a commit conflict: %v", err)
	}
	if !errors.Is(err, partition.ErrConflict) {
		t.Fatalf("run: %v, want ErrConflict", err)
	}
	if res.Objects >= days {
		t.Errorf("run read all %d objects although its first commit failed; it should stop", res.Objects)
	}
	for _, f := range lakeFiles(t, e.lakeDir) {
		if strings.HasPrefix(f, partition.StagingDir) {
			t.Errorf("staging file left after the conflict: %s", f)
		}
	}
	counts, _ := e.logSourceCounts()
	for k, n := range counts {
		if n != 1 {
			t.Errorf("source %s committed %d times", k, n)
		}
	}
	_, rows := e.readLake()
	for id, n := range rowIDs(rows) {
		if n != 1 {
			t.Errorf("record %v in the lake %d times", id, n)
		}
	}
}

// TestRun_CommitWhileListing holds back the listing of one day prefix until
// the run's first commit, so the run commits while it is still listing (as
// it does on any large archive: CommitInterval is far shorter than listing a
// big bucket). Everything must still be ingested exactly once; run with
// -race, this also checks that listing and committing share no
// unsynchronized state.
func TestRun_CommitWhileListing(t *testing.T) {
	e := newEnv(t)
	gc := orgGen(91, gen.DefaultStart)
	all := genArchive(t, e.srcDir, gc)
	// Gate the last account's whole tree (all its day prefixes).
	acct := gc.AccountIDs()[len(gc.AccountIDs())-1]
	src := newGateBucket(e.src, "trail/AWSLogs/"+gc.OrgID+"/"+acct+"/")
	defer src.open()
	// Fallback so a run that never commits early cannot hang the test.
	fallback := time.AfterFunc(20*time.Second, src.open)
	defer fallback.Stop()
	committed := false
	hb := &hookBucket{Bucket: e.lakeB, before: func(string, []byte) {
		select {
		case <-src.gate:
		default:
			committed = true
		}
		src.open()
	}}
	cfg := e.config()
	cfg.Source = src
	cfg.Lake = partition.Open(hb)
	cfg.Workers = 2
	cfg.CommitInterval = time.Millisecond
	cfg.MemoryPerWorker = 1 << 20
	res := e.run(cfg)
	if !committed {
		t.Errorf("the run did not commit before listing finished; the scenario was not built")
	}
	checkCleanResult(t, res, all)
	e.checkLake(all)
}

func TestRun_CrashLeftovers(t *testing.T) {
	e := newEnv(t)
	all := genArchive(t, e.srcDir, gen.Config{Seed: 71, Events: 1500, Accounts: 2, Regions: []string{"us-east-1", "eu-west-1"}})
	ctx := context.Background()

	// A dead run's staging file (no lease) and a live run's (fresh lease of
	// this process).
	dead := partition.StagingDir + "20240101T000000Z-deadbeef/x.parquet"
	live := partition.StagingDir + "20990101T000000Z-0a0b0c0d/y.parquet"
	for _, k := range []string{dead, live} {
		if err := e.lakeB.Put(ctx, k, strings.NewReader("junk, not parquet"), 17); err != nil {
			t.Fatal(err)
		}
	}
	host, _ := os.Hostname()
	now := time.Now().UTC()
	lease := fmt.Sprintf(`{"runId":"20990101T000000Z-0a0b0c0d","operation":"ingest","host":%q,"pid":%d,"started":%q,"heartbeat":%q}`,
		host, os.Getpid(), now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	if err := e.lakeB.Put(ctx, partition.RunsDir+"20990101T000000Z-0a0b0c0d.json", strings.NewReader(lease), int64(len(lease))); err != nil {
		t.Fatal(err)
	}
	res := e.run(e.config())
	if res.OrphansRemoved != 1 {
		t.Errorf("OrphansRemoved = %d, want 1", res.OrphansRemoved)
	}
	if _, err := e.lakeB.Stat(ctx, dead); err == nil {
		t.Errorf("dead run's staging file %s not removed", dead)
	}
	if _, err := e.lakeB.Stat(ctx, live); err != nil {
		t.Errorf("live run's staging file %s removed: %v", live, err)
	}
	checkCleanResult(t, res, all)
	snap, _ := e.checkLake(all)

	// A committed file whose publishing was interrupted.
	files := snap.SortedFiles()
	f := files[len(files)/2]
	if f.Staging == "" || f.Staging == f.Path {
		t.Fatalf("file %s has no staging key", f.Path)
	}
	src := filepath.Join(e.lakeDir, filepath.FromSlash(f.Path))
	dst := filepath.Join(e.lakeDir, filepath.FromSlash(f.Staging))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(src, dst); err != nil {
		t.Fatal(err)
	}
	res2 := e.run(e.config())
	if res2.Recovered != 1 {
		t.Errorf("Recovered = %d, want 1", res2.Recovered)
	}
	if res2.OrphansRemoved != 0 {
		t.Errorf("OrphansRemoved = %d, want 0 (the recovered file is not an orphan)", res2.OrphansRemoved)
	}
	if res2.Objects != 0 {
		t.Errorf("recovery run ingested %d objects", res2.Objects)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Errorf("staging key %s still present after recovery", f.Staging)
	}
	e.checkLake(all)
}

// TestRun_FlushesAreBatched checks that MemoryPerWorker batches many
// objects into each file: after the first memory-triggered flush, a worker
// must not flush after every object.
func TestRun_FlushesAreBatched(t *testing.T) {
	e := newEnv(t)
	all := genArchive(t, e.srcDir, gen.Config{Seed: 81, Events: 3000, Accounts: 1, Regions: []string{"us-east-1"}, Days: 1})
	cfg := e.config()
	cfg.Workers = 1
	cfg.MemoryPerWorker = 1 << 20
	res := e.run(cfg)
	checkCleanResult(t, res, all)
	e.checkLake(all)
	// About 3000 events of ~1.5 KB: a few MiB of batch memory, so a handful
	// of flushes of a couple of partitions each; flushing per object would
	// give about one file per object.
	t.Logf("objects %d, files %d, partitions %d, decompressed %d bytes", res.Objects, res.Files, res.Partitions, res.BytesDecompressed)
	if res.Files*2 > res.Objects {
		t.Errorf("%d files for %d objects (%d bytes decompressed) with MemoryPerWorker 1 MiB: flushing far more often than the memory bound requires",
			res.Files, res.Objects, res.BytesDecompressed)
	}
}
