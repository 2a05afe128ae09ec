package objstore

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Local removes a directory it has emptied. Writers that create files in
// the same directory at the same moment (ingest and compaction staging
// files, Puts, Moves into a partition) must not fail because the
// directory vanished between making it and creating the file. One
// goroutine keeps emptying the directory through Delete and Move while
// others create files in it every way Local and its users do.
func TestLocal_CreateRacesEmptiedDirectory(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	l, err := OpenLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	const dir = "_ctq/staging/run"
	const rounds = 1000
	var wg sync.WaitGroup
	errs := make(chan error, 4*rounds)
	wg.Add(4)
	go func() { // empties the directory over and over
		defer wg.Done()
		for i := range rounds {
			k := dir + "/e" + strconv.Itoa(i)
			if err := l.Put(ctx, k, strings.NewReader("x"), 1); err != nil {
				errs <- err
				continue
			}
			if i%2 == 0 {
				errs <- l.Delete(ctx, k)
			} else {
				errs <- l.Move(ctx, k, "account=111122223333/region=us-east-1/day=2024-03-01/e"+strconv.Itoa(i))
			}
		}
	}()
	go func() { // CreateFile, as ingest and compaction stage files
		defer wg.Done()
		for i := range rounds {
			p := filepath.Join(root, filepath.FromSlash(dir), "c"+strconv.Itoa(i))
			f, err := CreateFile(p)
			if err != nil {
				errs <- err
				continue
			}
			f.Close()
			errs <- os.Remove(p)
		}
	}()
	go func() { // Put
		defer wg.Done()
		for i := range rounds {
			k := dir + "/p" + strconv.Itoa(i)
			if err := l.Put(ctx, k, strings.NewReader("y"), 1); err != nil {
				errs <- err
				continue
			}
			errs <- os.Remove(filepath.Join(root, filepath.FromSlash(k)))
		}
	}()
	go func() { // Move into the directory from elsewhere
		defer wg.Done()
		for i := range rounds {
			src := "other/m" + strconv.Itoa(i)
			if err := l.Put(ctx, src, strings.NewReader("z"), 1); err != nil {
				errs <- err
				continue
			}
			k := dir + "/m" + strconv.Itoa(i)
			if err := l.Move(ctx, src, k); err != nil {
				errs <- err
				continue
			}
			errs <- os.Remove(filepath.Join(root, filepath.FromSlash(k)))
		}
	}()
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if err != nil {
			if n++; n <= 5 {
				t.Error(err)
			}
		}
	}
	if n > 0 {
		t.Errorf("%d of the operations failed", n)
	}
}
