package detect_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// benchLake opens $CTQ_DETECT_BENCH_LAKE (e.g. the 1M-event benchmark
// lake) or builds a small generated lake.
func benchLake(b *testing.B) (*partition.Lake, *partition.Snapshot) {
	b.Helper()
	dir := os.Getenv("CTQ_DETECT_BENCH_LAKE")
	if dir == "" {
		tmp := b.TempDir()
		cfg := gen.DefaultConfig()
		cfg.Events = 20000
		if _, err := gen.WriteDir(context.Background(), cfg, filepath.Join(tmp, "archive")); err != nil {
			b.Fatal(err)
		}
		dir = filepath.Join(tmp, "lake")
		ingestDir(b, filepath.Join(tmp, "archive"), dir)
	}
	lb, err := objstore.OpenLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	lake := partition.Open(lb)
	snap, err := lake.FilesSnapshot(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return lake, snap
}

// BenchmarkEvaluate compares the whole built-in pack (one pass) with
// single rules: the pack must cost less than 3x the slowest rule alone
// (console-login-without-mfa on the 1M-event benchmark lake: it reads two
// JSON columns of every row group holding console sign-ins).
func BenchmarkEvaluate(b *testing.B) {
	lake, snap := benchLake(b)
	var rows int64
	for _, f := range snap.Files {
		rows += f.Rows
	}
	pack := detect.Builtin()
	byName := map[string]*detect.Rule{}
	for _, r := range detect.BuiltinAll() {
		byName[r.Name] = r
	}
	cases := []struct {
		name  string
		rules []*detect.Rule
	}{
		{"pack", pack},
		{"console-login-without-mfa-slowest-alone", []*detect.Rule{byName["console-login-without-mfa"]}},
		{"root-account-use", []*detect.Rule{byName["root-account-use"]}},
		{"cis-1.5-4.1-matches-all", []*detect.Rule{byName["cis-1.5-4.1"]}},
		{"cis-3.0-4.4-iam", []*detect.Rule{byName["cis-3.0-4.4"]}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := detect.Evaluate(context.Background(), lake, snap, c.rules, detect.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
