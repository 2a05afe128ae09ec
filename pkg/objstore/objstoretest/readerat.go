// Package objstoretest checks objstore.Bucket implementations against the
// interface's contract, so the local and the S3 bucket are held to the same
// tests.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// Changed says what a ReaderAt did when its object was replaced after it
// was opened.
type Changed uint8

const (
	// ChangedOldBytes: reads kept returning the bytes of the version
	// opened (a local file replaced by rename).
	ChangedOldBytes Changed = iota
	// ChangedError: reads failed (S3's If-Match on the ETag).
	ChangedError
)

// ReaderAt checks b's OpenReaderAt below the key prefix dir: sizes and info,
// ranges at the start, middle and end, a read that runs past the end, reads
// at and beyond the end, a negative offset, concurrent reads, a missing key,
// and a read after the object was replaced, which must never return bytes
// of the new version. It returns what the replaced object's reader did.
func ReaderAt(t *testing.T, b objstore.Bucket, dir string) Changed {
	t.Helper()
	ctx := context.Background()
	key := dir + "/ranged.bin"
	data := make([]byte, 300_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if err := b.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	st, err := b.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat(%s): %v", key, err)
	}
	r, info, err := b.OpenReaderAt(ctx, key)
	if err != nil {
		t.Fatalf("OpenReaderAt(%s): %v", key, err)
	}
	defer r.Close()
	size := int64(len(data))
	if r.Size() != size || info.Size != size || info.Key != key || info.ETag != st.ETag {
		t.Fatalf("OpenReaderAt: Size() %d, info %+v; want size %d, key %s, ETag %q", r.Size(), info, size, key, st.ETag)
	}

	for _, c := range []struct{ off, n int64 }{{0, 1}, {0, 8}, {12_345, 70_000}, {size - 8, 8}, {0, size}} {
		p := make([]byte, c.n)
		n, err := r.ReadAt(p, c.off)
		if err != nil && !(err == io.EOF && c.off+c.n == size) || int64(n) != c.n {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", c.n, c.off, n, err)
		}
		if !bytes.Equal(p, data[c.off:c.off+c.n]) {
			t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", c.n, c.off)
		}
	}

	// A read that runs past the end returns the bytes up to it and io.EOF.
	p := make([]byte, 100)
	n, err := r.ReadAt(p, size-40)
	if n != 40 || err != io.EOF || !bytes.Equal(p[:n], data[size-40:]) {
		t.Fatalf("ReadAt past the end = %d, %v; want 40, io.EOF and the last 40 bytes", n, err)
	}
	for _, off := range []int64{size, size + 1000} {
		if n, err := r.ReadAt(p, off); n != 0 || err != io.EOF {
			t.Fatalf("ReadAt at %d (size %d) = %d, %v; want 0, io.EOF", off, size, n, err)
		}
	}
	if _, err := r.ReadAt(p, -1); err == nil {
		t.Fatal("ReadAt at -1 succeeded")
	}

	// Concurrent reads of disjoint ranges.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			off := int64(i) * (size / 8)
			q := make([]byte, size/8)
			if _, err := r.ReadAt(q, off); err != nil && err != io.EOF {
				errs <- err
			} else if !bytes.Equal(q, data[off:off+size/8]) {
				errs <- errors.New("concurrent ReadAt returned wrong bytes")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	if _, _, err := b.OpenReaderAt(ctx, dir+"/missing.bin"); !errors.Is(err, objstore.ErrNotExist) || !strings.Contains(err.Error(), "missing.bin") {
		t.Fatalf("OpenReaderAt(missing) = %v, want ErrNotExist naming the key", err)
	}

	// Replace the object: the reader stays pinned to the version it opened.
	changed := bytes.Repeat([]byte{0xAB}, len(data))
	if err := b.Put(ctx, key, bytes.NewReader(changed), int64(len(changed))); err != nil {
		t.Fatalf("Put(%s) again: %v", key, err)
	}
	q := make([]byte, 1000)
	n, err = r.ReadAt(q, 5000)
	switch {
	case err != nil:
		if n != 0 || !strings.Contains(err.Error(), key) {
			t.Fatalf("ReadAt of a replaced object = %d, %v; want 0 and an error naming the key", n, err)
		}
		return ChangedError
	case n != len(q) || !bytes.Equal(q, data[5000:6000]):
		t.Fatalf("ReadAt of a replaced object returned %d bytes that are not the version opened", n)
	}
	return ChangedOldBytes
}

// RequestCost opens an object of b below the key prefix dir for ranged
// reads and returns what its reader says a request costs: 0 when it is not
// an objstore.RequestCoster.
func RequestCost(t *testing.T, b objstore.Bucket, dir string) int64 {
	t.Helper()
	ctx := context.Background()
	key := dir + "/cost.bin"
	if err := b.Put(ctx, key, strings.NewReader("x"), 1); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	r, _, err := b.OpenReaderAt(ctx, key)
	if err != nil {
		t.Fatalf("OpenReaderAt(%s): %v", key, err)
	}
	defer r.Close()
	if rc, ok := r.(objstore.RequestCoster); ok {
		return rc.RequestCost()
	}
	return 0
}
