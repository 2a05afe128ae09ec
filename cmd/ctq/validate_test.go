package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sort"
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
	if r.code != exitFaults || !strings.Contains(r.stdout, "hash-mismatch") || !strings.Contains(r.stdout, filepath.Base(victim)) {
		t.Fatalf("tampered archive: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCtq(t, env, "validate", src, "--public-keys", keys, "--output", "json")
	if r.code != exitFaults || !strings.Contains(r.stdout, `"status": "hash-mismatch"`) {
		t.Fatalf("json output: exit %d\n%s", r.code, r.stdout)
	}
}

func TestIngestVerify_CLI(t *testing.T) {
	env := baseEnv(t)
	src, keys := genSigned(t, env)
	victim := logFiles(t, src)[2]
	data, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	// Re-compressing the same JSON keeps it valid: digests hash the
	// uncompressed bytes.
	zr, err := gzip.NewReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	var raw strings.Builder
	if _, err := io.Copy(&raw, zr); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(victim)
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	zw.Write([]byte(strings.Replace(raw.String(), `"eventName":"`, `"eventName":"X`, 1)))
	zw.Close()
	f.Close()

	lake := filepath.Join(t.TempDir(), "lake")
	r := runCtq(t, env, "ingest", src, "--lake", lake, "--verify", "--public-keys", keys)
	if r.code != exitFaults || !strings.Contains(r.stderr, "hash-mismatch") {
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
