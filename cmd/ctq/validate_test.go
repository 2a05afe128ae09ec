package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// genSigned writes a small sample archive with signed digests and returns
// the archive directory and the public-keys file.
func genSigned(t *testing.T, env []string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	src, keys := filepath.Join(dir, "src"), filepath.Join(dir, "keys.json")
	if r := runCtq(t, env, "gen", src, "--events", "2000", "--days", "1", "--accounts", "1", "--digest-keys", keys); r.code != 0 {
		t.Fatalf("gen: exit %d\n%s", r.code, r.stderr)
	}
	return src, keys
}

// logFiles returns the archive's log files, sorted.
func logFiles(t *testing.T, src string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, string(filepath.Separator)+"CloudTrail"+string(filepath.Separator)) && strings.HasSuffix(p, ".json.gz") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	if len(out) < 3 {
		t.Fatalf("only %d log files generated", len(out))
	}
	return out
}

func TestValidate_CLI(t *testing.T) {
	env := baseEnv(t)
	src, keys := genSigned(t, env)

	r := runCtq(t, env, "validate", src, "--public-keys", keys)
	if r.code != exitOK || !strings.Contains(r.stdout, "result     valid") {
		t.Fatalf("intact archive: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// A local copy needs the keys file.
	if r := runCtq(t, env, "validate", src); r.code != exitUsage || !strings.Contains(r.stderr, "--public-keys") {
		t.Fatalf("without --public-keys: exit %d, stderr %s", r.code, r.stderr)
	}

	// Tamper with one log file: exit 3 and the reason, with the file.
	victim := logFiles(t, src)[1]
	f, err := os.Create(victim)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte("{\"Records\":[{\"eventName\":\"\x1b[31mforged\"}]}"))
	zw.Close()
	f.Close()
	r = runCtq(t, env, "validate", src, "--public-keys", keys)
	if r.code != exitIntegrity || !strings.Contains(r.stdout, "hash-mismatch") || !strings.Contains(r.stdout, filepath.Base(victim)) {
		t.Fatalf("tampered archive: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCtq(t, env, "validate", src, "--public-keys", keys, "--output", "json")
	if r.code != exitIntegrity || !strings.Contains(r.stdout, `"status": "hash-mismatch"`) {
		t.Fatalf("json output: exit %d\n%s", r.code, r.stdout)
	}
}

func TestIngestVerify_CLI(t *testing.T) {
	env := baseEnv(t)
	src, keys := genSigned(t, env)
	victim := logFiles(t, src)[2]
	rewriteGzip(t, victim, func(raw []byte) []byte {
		return bytes.Replace(raw, []byte(`"eventName":"`), []byte(`"eventName":"X`), 1)
	})

	lake := filepath.Join(t.TempDir(), "lake")
	r := runCtq(t, env, "ingest", src, "--lake", lake, "--verify", "--public-keys", keys)
	if r.code != exitIntegrity || !strings.Contains(r.stderr, "hash-mismatch") {
		t.Fatalf("ingest --verify of a tampered archive: exit %d\n%s", r.code, r.stderr)
	}
	logs, _ := filepath.Glob(filepath.Join(lake, "_ctq", "log", "*.json"))
	var manifest strings.Builder
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		manifest.Write(b)
	}
	m := manifest.String()
	if strings.Count(m, `"verified":"hash-mismatch"`) != 1 || !strings.Contains(m, `"verified":"valid"`) || !strings.Contains(m, `"sha256":"`) {
		t.Fatalf("manifest verdicts: hash-mismatch %d, valid %d", strings.Count(m, `"verified":"hash-mismatch"`), strings.Count(m, `"verified":"valid"`))
	}
}

// After an ingest --verify that found one tampered object: --json carries
// the verdict counts, --verified-only leaves exactly that object's events
// out, and coverage reports the failure (exit 3) per account and region.
func TestVerifiedOnlyAndCoverage_CLI(t *testing.T) {
	env := baseEnv(t)
	src, keys := genSigned(t, env)
	victim := logFiles(t, src)[2]
	// Rewrite the object with one more space: same records, other hash.
	raw := rewriteGzip(t, victim, func(raw []byte) []byte { return append([]byte(" "), raw...) })
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	tampered := len(doc.Records)

	lake := filepath.Join(t.TempDir(), "lake")
	r := runCtq(t, env, "ingest", src, "--lake", lake, "--verify", "--public-keys", keys, "--output", "json")
	if r.code != exitIntegrity {
		t.Fatalf("ingest --verify --json: exit %d\n%s", r.code, r.stderr)
	}
	var sum struct {
		Events int64
		Verify struct {
			Checked, Valid, Pending, Failures int
			Problems                          []struct{ Status, Key string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("--json output: %v\n%s", err, r.stdout)
	}
	v := sum.Verify
	if v.Failures != 1 || v.Checked < 3 || v.Valid+v.Pending != v.Checked-1 || len(v.Problems) != 1 || v.Problems[0].Status != "hash-mismatch" {
		t.Fatalf("verify summary = %+v", v)
	}

	count := func(args ...string) int64 {
		t.Helper()
		r := runCtq(t, env, append([]string{"query", "--lake", lake, "--count"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("query %v: exit %d\n%s", args, r.code, r.stderr)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(r.stdout), 10, 64)
		if err != nil {
			t.Fatalf("query %v: %q", args, r.stdout)
		}
		return n
	}
	all, verified := count(""), count("--verified-only", "")
	if all != sum.Events || verified != all-int64(tampered) {
		t.Fatalf("events: all %d (ingested %d), verified-only %d; want all minus the %d of the tampered object", all, sum.Events, verified, tampered)
	}
	var first struct{ EventID string }
	json.Unmarshal(doc.Records[0], &first)
	byID := fmt.Sprintf(`{ $.eventID = %q }`, first.EventID)
	if count(byID) < 1 || count("--verified-only", byID) != 0 {
		t.Fatalf("an event of the tampered object: %d without, %d with --verified-only", count(byID), count("--verified-only", byID))
	}

	r = runCtq(t, env, "coverage", "--lake", lake, "--output", "json", "--min-gap", "48h")
	if r.code != exitIntegrity || !strings.Contains(r.stderr, "1 file(s) failed integrity verification") {
		t.Fatalf("coverage: exit %d\n%s", r.code, r.stderr)
	}
	var rep struct {
		Hours   int
		Streams []struct {
			Account, Region string
			Objects         int
			Verification    struct{ Valid, Pending, Failed, Unverified int }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("coverage json: %v\n%s", err, r.stdout)
	}
	objects, failed := 0, 0
	for _, s := range rep.Streams {
		objects += s.Objects
		failed += s.Verification.Failed
		if s.Verification.Unverified != 0 {
			t.Errorf("stream %s/%s: %d unverified after ingest --verify", s.Account, s.Region, s.Verification.Unverified)
		}
	}
	if rep.Hours < 1 || objects != v.Checked || failed != 1 {
		t.Fatalf("coverage: %d hours, %d objects (verified %d), %d failed", rep.Hours, objects, v.Checked, failed)
	}
	r = runCtq(t, env, "coverage", "--lake", lake, "--output", "table", "--min-gap", "1h")
	if !strings.Contains(r.stdout, "FAILED") || !strings.Contains(r.stdout, "gaps (") {
		t.Fatalf("coverage table:\n%s", r.stdout)
	}
}

// rewriteGzip replaces a gzip log object with edit applied to its JSON and
// returns the original JSON. Re-compressing keeps an unedited object valid:
// digests hash the uncompressed bytes.
func rewriteGzip(t *testing.T, path string, edit func([]byte) []byte) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(edit(bytes.Clone(raw)))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return raw
}
