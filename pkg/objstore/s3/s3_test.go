package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctq-dev/ctq/internal/miniotest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/objstore/objstoretest"
	"github.com/ctq-dev/ctq/pkg/objstore/s3"
)

const testBucket = "ctq-test"

// s3Env is a MinIO server with a bucket and a Bucket rooted at "root/".
type s3Env struct {
	srv *miniotest.Server
	raw *awss3.Client
	b   objstore.Bucket
}

func newS3Env(t *testing.T) *s3Env {
	t.Helper()
	srv := miniotest.Start(t)
	srv.CreateBucket(t, testBucket)
	return &s3Env{srv: srv, raw: srv.Client(), b: openS3(t, "root", srv.Options())}
}

func openS3(t *testing.T, prefix string, o s3.Options) objstore.Bucket {
	t.Helper()
	b, err := s3.Open(context.Background(), testBucket, prefix, o)
	if err != nil {
		t.Fatalf("s3.Open: %v", err)
	}
	return b
}

// faultyBucket returns a Bucket that reaches the server through a new fault
// proxy, with short backoffs and a short client timeout.
func (e *s3Env) faultyBucket(t *testing.T, maxAttempts int) (objstore.Bucket, *miniotest.FaultProxy) {
	t.Helper()
	p := miniotest.NewFaultProxy(t, e.srv.Endpoint)
	o := e.srv.Options()
	o.EndpointURL = p.URL
	o.MaxAttempts = maxAttempts
	o.MaxBackoff = 20 * time.Millisecond
	o.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	return openS3(t, "root", o), p
}

func put(t *testing.T, b objstore.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
}

func readAll(t *testing.T, b objstore.Bucket, key string) ([]byte, objstore.ObjectInfo) {
	t.Helper()
	rc, info, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return data, info
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	return buf
}

func listKeys(t *testing.T, b objstore.Bucket, opts objstore.ListOptions) []string {
	t.Helper()
	var keys []string
	err := b.List(context.Background(), opts, func(e objstore.Entry) error {
		k := e.Key
		if e.IsPrefix {
			k += "(prefix)"
		} else if e.ETag == "" || strings.Contains(e.ETag, `"`) || e.Size <= 0 {
			t.Errorf("entry %s: bad ETag %q or size %d", e.Key, e.ETag, e.Size)
		}
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%+v): %v", opts, err)
	}
	return keys
}

func TestS3Bucket(t *testing.T) {
	e := newS3Env(t)
	ctx := context.Background()

	t.Run("List", func(t *testing.T) {
		for _, k := range []string{"list/a/1.json", "list/a/2.json", "list/a/b/3.json", "list/c.json", "list/d/4.json"} {
			put(t, e.b, k, []byte(k))
		}
		tests := []struct {
			opts objstore.ListOptions
			want []string
		}{
			{objstore.ListOptions{Prefix: "list/"},
				[]string{"list/a/1.json", "list/a/2.json", "list/a/b/3.json", "list/c.json", "list/d/4.json"}},
			{objstore.ListOptions{Prefix: "list/", Delimiter: "/"},
				[]string{"list/a/(prefix)", "list/c.json", "list/d/(prefix)"}},
			{objstore.ListOptions{Prefix: "list/a/", Delimiter: "/"},
				[]string{"list/a/1.json", "list/a/2.json", "list/a/b/(prefix)"}},
			{objstore.ListOptions{Prefix: "list/", StartAfter: "list/a/2.json"},
				[]string{"list/a/b/3.json", "list/c.json", "list/d/4.json"}},
			{objstore.ListOptions{Prefix: "list/", Delimiter: "/", StartAfter: "list/a/1.json"},
				[]string{"list/c.json", "list/d/(prefix)"}},
			{objstore.ListOptions{Prefix: "list/none/"}, nil},
		}
		for _, tc := range tests {
			if got := listKeys(t, e.b, tc.opts); !slices.Equal(got, tc.want) {
				t.Errorf("List(%+v) = %q, want %q", tc.opts, got, tc.want)
			}
		}
	})

	t.Run("ListStopsOnCallbackError", func(t *testing.T) {
		put(t, e.b, "stop/1", []byte("1"))
		put(t, e.b, "stop/2", []byte("2"))
		errStop := errors.New("stop")
		calls := 0
		err := e.b.List(ctx, objstore.ListOptions{Prefix: "stop/"}, func(objstore.Entry) error {
			calls++
			return errStop
		})
		if !errors.Is(err, errStop) || calls != 1 {
			t.Fatalf("List = %v after %d calls, want errStop after 1", err, calls)
		}
	})

	t.Run("OpenStatMetadata", func(t *testing.T) {
		data := []byte(`{"Records":[]}`)
		_, err := e.raw.PutObject(ctx, &awss3.PutObjectInput{
			Bucket:   aws.String(testBucket),
			Key:      aws.String("root/meta/x.json"),
			Body:     bytes.NewReader(data),
			Metadata: map[string]string{"Source-Account": "123456789012"},
		})
		if err != nil {
			t.Fatalf("raw PutObject: %v", err)
		}
		got, info := readAll(t, e.b, "meta/x.json")
		if !bytes.Equal(got, data) {
			t.Errorf("Open read %q, want %q", got, data)
		}
		st, err := e.b.Stat(ctx, "meta/x.json")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		for _, in := range []objstore.ObjectInfo{info, st} {
			if in.Key != "meta/x.json" || in.Size != int64(len(data)) || in.ETag == "" ||
				strings.Contains(in.ETag, `"`) || in.Modified.IsZero() {
				t.Errorf("info = %+v", in)
			}
			if in.Metadata["source-account"] != "123456789012" {
				t.Errorf("metadata = %v, want source-account", in.Metadata)
			}
		}
		if info.ETag != st.ETag {
			t.Errorf("Open ETag %q != Stat ETag %q", info.ETag, st.ETag)
		}
	})

	t.Run("NotExist", func(t *testing.T) {
		if _, err := e.b.Stat(ctx, "missing/key"); !errors.Is(err, objstore.ErrNotExist) || !strings.Contains(err.Error(), "missing/key") {
			t.Errorf("Stat missing = %v, want ErrNotExist naming the key", err)
		}
		if _, _, err := e.b.Open(ctx, "missing/key"); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("Open missing = %v, want ErrNotExist", err)
		}
	})

	t.Run("PutIfAbsent", func(t *testing.T) {
		if err := e.b.PutIfAbsent(ctx, "commit/0001.json", []byte("first")); err != nil {
			t.Fatalf("first PutIfAbsent: %v", err)
		}
		err := e.b.PutIfAbsent(ctx, "commit/0001.json", []byte("second"))
		if !errors.Is(err, objstore.ErrExists) {
			t.Fatalf("second PutIfAbsent = %v, want ErrExists", err)
		}
		if got, _ := readAll(t, e.b, "commit/0001.json"); string(got) != "first" {
			t.Errorf("content = %q, want first", got)
		}
	})

	t.Run("PutReaders", func(t *testing.T) {
		data := randomBytes(100_000, 1)
		// Not seekable: buffered.
		r := io.MultiReader(bytes.NewReader(data[:10]), bytes.NewReader(data[10:]))
		if err := e.b.Put(ctx, "put/stream", r, int64(len(data))); err != nil {
			t.Fatalf("Put stream: %v", err)
		}
		// A file positioned past its start.
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, append([]byte("skip"), data...), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Seek(4, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if err := e.b.Put(ctx, "put/file", f, int64(len(data))); err != nil {
			t.Fatalf("Put file: %v", err)
		}
		// Unknown size.
		if err := e.b.Put(ctx, "put/unknown", bytes.NewBuffer(data), -1); err != nil {
			t.Fatalf("Put unknown size: %v", err)
		}
		for _, k := range []string{"put/stream", "put/file", "put/unknown"} {
			if got, _ := readAll(t, e.b, k); !bytes.Equal(got, data) {
				t.Errorf("%s: read %d bytes, differ from the %d put", k, len(got), len(data))
			}
		}
	})

	t.Run("PutMultipart", func(t *testing.T) {
		data := randomBytes(70<<20, 2)
		put(t, e.b, "big/obj.bin", data)
		got, info := readAll(t, e.b, "big/obj.bin")
		if info.Size != int64(len(data)) || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("multipart object: size %d, bytes equal %v", info.Size, bytes.Equal(got, data))
		}
	})

	t.Run("Move", func(t *testing.T) {
		put(t, e.b, "mv/src", []byte("payload"))
		if err := e.b.Move(ctx, "mv/src", "mv/dst"); err != nil {
			t.Fatalf("Move: %v", err)
		}
		if _, err := e.b.Stat(ctx, "mv/src"); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("src after Move: %v, want ErrNotExist", err)
		}
		if got, _ := readAll(t, e.b, "mv/dst"); string(got) != "payload" {
			t.Errorf("dst = %q", got)
		}
		if err := e.b.Move(ctx, "mv/src", "mv/dst"); err != nil {
			t.Errorf("repeated Move = %v, want nil", err)
		}
		if err := e.b.Move(ctx, "mv/none", "mv/none2"); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("Move of missing = %v, want ErrNotExist", err)
		}
	})

	t.Run("MoveSpecialKeys", func(t *testing.T) {
		src, dst := "mv/a b+c%d=é.json", "mv/x y+z.json"
		put(t, e.b, src, []byte("odd"))
		if err := e.b.Move(ctx, src, dst); err != nil {
			t.Fatalf("Move: %v", err)
		}
		if got, _ := readAll(t, e.b, dst); string(got) != "odd" {
			t.Errorf("dst = %q", got)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		put(t, e.b, "del/x", []byte("x"))
		if err := e.b.Delete(ctx, "del/x"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := e.b.Stat(ctx, "del/x"); !errors.Is(err, objstore.ErrNotExist) {
			t.Errorf("after Delete: %v, want ErrNotExist", err)
		}
		if err := e.b.Delete(ctx, "del/x"); err != nil {
			t.Errorf("Delete missing = %v, want nil", err)
		}
	})

	t.Run("PrefixRooting", func(t *testing.T) {
		put(t, e.b, "rooted.txt", []byte("r"))
		if _, err := e.raw.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("root/rooted.txt")}); err != nil {
			t.Errorf("raw HeadObject root/rooted.txt: %v", err)
		}
		_, err := e.raw.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("outside.txt"), Body: strings.NewReader("o")})
		if err != nil {
			t.Fatalf("raw PutObject: %v", err)
		}
		for _, k := range listKeys(t, e.b, objstore.ListOptions{}) {
			if strings.HasPrefix(k, "root/") || k == "outside.txt" {
				t.Errorf("listing under root returned %q", k)
			}
		}
		for _, prefix := range []string{"root/", "/root", "root"} {
			b := openS3(t, prefix, e.srv.Options())
			if got := b.String(); got != "s3://"+testBucket+"/root" {
				t.Errorf("String() for prefix %q = %q", prefix, got)
			}
			if _, err := b.Stat(ctx, "rooted.txt"); err != nil {
				t.Errorf("prefix %q: Stat rooted.txt: %v", prefix, err)
			}
		}
		top := openS3(t, "", e.srv.Options())
		if got := top.String(); got != "s3://"+testBucket {
			t.Errorf("String() without prefix = %q", got)
		}
		if _, err := top.Stat(ctx, "root/rooted.txt"); err != nil {
			t.Errorf("unrooted Stat root/rooted.txt: %v", err)
		}
		if keys := listKeys(t, top, objstore.ListOptions{Delimiter: "/"}); !slices.Contains(keys, "root/(prefix)") || !slices.Contains(keys, "outside.txt") {
			t.Errorf("unrooted listing = %q", keys)
		}
	})
}

func TestS3Faults(t *testing.T) {
	e := newS3Env(t)
	ctx := context.Background()
	obj := randomBytes(3<<20, 3)
	const key = "faults/obj.json.gz"
	put(t, e.b, key, obj)

	checkFired := func(t *testing.T, p *miniotest.FaultProxy, want int) {
		t.Helper()
		if got := p.Fired(); got != want {
			t.Errorf("faults fired = %d, want %d", got, want)
		}
	}
	checkRead := func(t *testing.T, b objstore.Bucket) {
		t.Helper()
		got, info := readAll(t, b, key)
		if info.Size != int64(len(obj)) || sha256.Sum256(got) != sha256.Sum256(obj) {
			t.Errorf("read %d bytes (info size %d), content differs from the %d put", len(got), info.Size, len(obj))
		}
	}

	t.Run("SlowDownTwice", func(t *testing.T) {
		b, p := e.faultyBucket(t, 0)
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.SlowDown, Count: 2})
		checkRead(t, b)
		checkFired(t, p, 2)
	})

	t.Run("InternalErrorOnPut", func(t *testing.T) {
		b, p := e.faultyBucket(t, 0)
		p.Inject(miniotest.Fault{Method: "PUT", KeySuffix: "/put500", Kind: miniotest.InternalError})
		put(t, b, "faults/put500", []byte("ok"))
		checkFired(t, p, 1)
		if got, _ := readAll(t, e.b, "faults/put500"); string(got) != "ok" {
			t.Errorf("content = %q", got)
		}
	})

	t.Run("ResetMidBody", func(t *testing.T) {
		b, p := e.faultyBucket(t, 0)
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.ResetMidBody, AfterBytes: 1 << 20})
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.ResetMidBody, AfterBytes: 300_000})
		checkRead(t, b)
		checkFired(t, p, 2)
	})

	t.Run("StallMidBody", func(t *testing.T) {
		b, p := e.faultyBucket(t, 0)
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.Stall, AfterBytes: 1 << 20, StallFor: 10 * time.Second})
		checkRead(t, b)
		checkFired(t, p, 1)
	})

	t.Run("ObjectChangedWhileResuming", func(t *testing.T) {
		put(t, e.b, "faults/changing.json.gz", obj)
		b, p := e.faultyBucket(t, 0)
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: "changing.json.gz", Kind: miniotest.Stall, AfterBytes: 1 << 20, StallFor: 10 * time.Second})
		rc, _, err := b.Open(ctx, "faults/changing.json.gz")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer rc.Close()
		if _, err := io.ReadFull(rc, make([]byte, 1000)); err != nil {
			t.Fatalf("first read: %v", err)
		}
		put(t, e.b, "faults/changing.json.gz", []byte("replaced"))
		got, err := io.ReadAll(rc)
		if err == nil || !strings.Contains(err.Error(), "faults/changing.json.gz") {
			t.Fatalf("read across a replacement = %v, want an error naming the key", err)
		}
		if !bytes.Equal(got, obj[1000:1000+len(got)]) {
			t.Errorf("bytes before the error differ from the original object")
		}
	})

	t.Run("PermanentReadFailure", func(t *testing.T) {
		b, p := e.faultyBucket(t, 3)
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.ResetMidBody, AfterBytes: 64 << 10})
		p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.InternalError, Count: 100})
		rc, _, err := b.Open(ctx, key)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "offset") {
			t.Fatalf("ReadAll = %v, want an error naming the key and offset", err)
		}
		if !bytes.Equal(got, obj[:len(got)]) {
			t.Errorf("bytes before the error differ from the object")
		}
		if _, err := rc.Read(make([]byte, 1)); err == nil {
			t.Errorf("Read after the final error succeeded")
		}
	})

	t.Run("PermanentStatFailure", func(t *testing.T) {
		b, p := e.faultyBucket(t, 2)
		p.Inject(miniotest.Fault{Method: "HEAD", KeySuffix: ".json.gz", Kind: miniotest.InternalError, Count: 10})
		_, err := b.Stat(ctx, key)
		if err == nil || errors.Is(err, objstore.ErrNotExist) || !strings.Contains(err.Error(), key) {
			t.Fatalf("Stat = %v, want a non-NotExist error naming the key", err)
		}
		checkFired(t, p, 2)
	})

	t.Run("PutIfAbsentLostResponse", func(t *testing.T) {
		b, p := e.faultyBucket(t, 0)
		p.Inject(miniotest.Fault{Method: "PUT", KeySuffix: "/commit.json", Kind: miniotest.DropResponse})
		if err := b.PutIfAbsent(ctx, "faults/commit.json", []byte("mine")); err != nil {
			t.Fatalf("PutIfAbsent with a lost response = %v, want nil", err)
		}
		checkFired(t, p, 1)
		if err := b.PutIfAbsent(ctx, "faults/commit.json", []byte("mine")); !errors.Is(err, objstore.ErrExists) {
			t.Fatalf("second PutIfAbsent = %v, want ErrExists", err)
		}
	})

	t.Run("PutIfAbsentSlowDown", func(t *testing.T) {
		b, p := e.faultyBucket(t, 0)
		p.Inject(miniotest.Fault{Method: "PUT", KeySuffix: "/commit2.json", Kind: miniotest.SlowDown, Count: 2})
		if err := b.PutIfAbsent(ctx, "faults/commit2.json", []byte("v")); err != nil {
			t.Fatalf("PutIfAbsent = %v", err)
		}
		checkFired(t, p, 2)
	})
}

// An S3 ReaderAt issues ranged GETs with If-Match on the ETag opened: once
// the object is replaced, reads fail instead of mixing two versions. Each
// GET is a request with a cost (objstore.RequestCoster).
func TestS3ReaderAt(t *testing.T) {
	e := newS3Env(t)
	if got := objstoretest.ReaderAt(t, e.b, "ra"); got != objstoretest.ChangedError {
		t.Errorf("replaced object: reader returned the old bytes, want an If-Match failure")
	}
	if c := objstoretest.RequestCost(t, e.b, "ra"); c <= 0 {
		t.Errorf("an S3 reader says a request costs %d bytes: readers would not merge ranges", c)
	}
}
