package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/pkg/gen"
)

// realTestdata returns the real-world CloudTrail test files (one
// {"Records":[...]} document each), sorted. They sit beside the repository
// in shared/testdata. A checkout with no such directory beside it gets
// generated log objects of the same shape instead, so the tests still run
// and assert; the test log says which data was used.
func realTestdata(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail-real", "*.records.json"))
	if len(files) > 0 {
		slices.Sort(files)
		return files
	}
	t.Logf("no shared/testdata/cloudtrail-real beside the repository: using generated log objects")
	return generatedRecordFiles(t, 6)
}

// generatedRecordFiles writes the uncompressed JSON of the first n log
// objects of a small generated archive into a temporary directory.
func generatedRecordFiles(t testing.TB, n int) []string {
	t.Helper()
	cfg := gen.DefaultConfig()
	cfg.Events = 3000
	dir := t.TempDir()
	var files []string
	_, err := gen.Generate(context.Background(), cfg, func(o gen.Object) error {
		if o.Kind != gen.KindLog || len(files) == n {
			return nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(o.Data))
		if err != nil {
			return fmt.Errorf("%s: %w", o.Key, err)
		}
		doc, err := io.ReadAll(zr)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Key, err)
		}
		path := filepath.Join(dir, fmt.Sprintf("generated-%02d.records.json", len(files)))
		files = append(files, path)
		return os.WriteFile(path, doc, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the generator wrote no log objects")
	}
	return files
}

// RealTestdata is realTestdata for the package's external tests.
var RealTestdata = realTestdata
