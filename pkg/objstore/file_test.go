package objstore_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// remote hides Local's FileBacked capability, as an S3 bucket would lack it.
type remote struct{ objstore.Bucket }

func TestObjectFile(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		inPlace bool
	}{{"file-backed", true}, {"uploaded", false}} {
		t.Run(c.name, func(t *testing.T) {
			root, tmp := t.TempDir(), t.TempDir()
			l, err := objstore.OpenLocal(root)
			if err != nil {
				t.Fatal(err)
			}
			var b objstore.Bucket = l
			if !c.inPlace {
				b = remote{l}
			}
			const key = "_ctq/staging/run/part-1.parquet"
			f, err := objstore.CreateObjectFile(b, key, tmp)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Name() == filepath.Join(root, filepath.FromSlash(key)); got != c.inPlace {
				t.Errorf("file %s: in place = %v, want %v", f.Name(), got, c.inPlace)
			}
			if _, err := io.WriteString(f, "parquet bytes"); err != nil {
				t.Fatal(err)
			}
			size, err := f.Commit(ctx)
			if err != nil || size != 13 {
				t.Fatalf("Commit = %d, %v; want 13", size, err)
			}
			rc, _, err := b.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if string(data) != "parquet bytes" {
				t.Errorf("object holds %q", data)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}

			// Abort leaves neither an object nor a temporary file.
			f, err = objstore.CreateObjectFile(b, "_ctq/staging/run/part-2.parquet", tmp)
			if err != nil {
				t.Fatal(err)
			}
			f.Abort()
			if _, err := b.Stat(ctx, "_ctq/staging/run/part-2.parquet"); !errors.Is(err, objstore.ErrNotExist) {
				t.Errorf("aborted object: Stat = %v, want ErrNotExist", err)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temporary files left after Abort: %v", left)
			}
		})
	}
	if _, err := objstore.CreateObjectFile(mustLocal(t), "../escape", t.TempDir()); err == nil {
		t.Error("CreateObjectFile accepted a key escaping the bucket")
	}
}

func mustLocal(t *testing.T) *objstore.Local {
	l, err := objstore.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}
