// Package objstore is the small storage abstraction that ctq reads sources from
// and keeps its lake in: a local directory tree or an S3 (or S3-compatible)
// bucket, addressed by slash-separated keys relative to a root.
package objstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors. Implementations wrap them so callers test with errors.Is.
var (
	// ErrNotExist is returned when a key does not exist.
	ErrNotExist = errors.New("object does not exist")
	// ErrExists is returned by PutIfAbsent when the key already exists.
	ErrExists = errors.New("object already exists")
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key      string    // key relative to the bucket root
	Size     int64     // bytes
	ETag     string    // S3 ETag without quotes; for local files a size+mtime tag
	Modified time.Time // last modification time
	// Metadata holds user metadata (S3 x-amz-meta-*, lower-case names without
	// the prefix). Only Open and Stat fill it; List leaves it nil.
	Metadata map[string]string
}

// Entry is one row of a List result: an object, or a common prefix when the
// listing used a delimiter.
type Entry struct {
	ObjectInfo
	IsPrefix bool // Key is a common prefix ending in the delimiter
}

// ListOptions selects what List returns.
type ListOptions struct {
	Prefix     string // only keys that start with Prefix
	Delimiter  string // "" lists recursively; "/" groups keys into common prefixes
	StartAfter string // only keys (and prefixes) strictly greater than StartAfter
}

// ReaderAt is an object opened for ranged reads.
type ReaderAt interface {
	io.ReaderAt
	io.Closer
	// Size is the object's length in bytes.
	Size() int64
}

// RequestCoster is an optional ReaderAt capability of readers whose every
// ReadAt is a request with a fixed cost beyond the bytes it carries (a
// round trip to a remote store). RequestCost reports that cost as the
// number of bytes that could be transferred in the same time. Callers
// may merge nearby ranges into one ReadAt and fetch ranges they will read
// later ahead of time when the cost is positive. A reader without the
// method (a local file: pread) costs nothing per request, and callers
// must read exactly the ranges they need from it.
type RequestCoster interface {
	RequestCost() int64
}

// Bucket is a flat key space of immutable objects.
//
// Keys use "/" separators and never start with "/". Implementations must be
// safe for concurrent use by multiple goroutines.
type Bucket interface {
	// List calls fn for each key or common prefix under opts, in ascending
	// key order. It stops and returns fn's error if fn returns one.
	List(ctx context.Context, opts ListOptions, fn func(Entry) error) error
	// Open returns a reader over the object's bytes. Transient failures while
	// reading (connection resets, timeouts) must be retried by the
	// implementation, resuming at the offset already returned, so the caller
	// sees either the complete byte stream or a final error. The caller must
	// close the reader.
	Open(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// OpenReaderAt opens the object for random access: each ReadAt fetches
	// only the bytes it asks for (a ranged GET on S3, pread on local files),
	// pinned to the version opened (S3: If-Match on the ETag), with
	// transient failures retried. The returned value must be safe for
	// concurrent ReadAt calls and must be closed by the caller.
	OpenReaderAt(ctx context.Context, key string) (ReaderAt, ObjectInfo, error)
	// Stat returns the object's info, or an error wrapping ErrNotExist.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// Put stores the object, replacing any existing one. Readers see the old or
	// the new object, never a partial one.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// PutIfAbsent stores data only if key does not exist; otherwise it returns
	// an error wrapping ErrExists. It is the commit primitive of the lake.
	PutIfAbsent(ctx context.Context, key string, data []byte) error
	// Move makes the object at src available at dst and removes src. It is
	// atomic on local file systems (rename) and copy-then-delete on S3; dst
	// may already hold identical bytes from an interrupted earlier Move.
	Move(ctx context.Context, src, dst string) error
	// Delete removes the key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the bucket for messages, e.g. "s3://bucket/prefix".
	String() string
}
