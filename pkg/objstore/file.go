package objstore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/ctq-dev/ctq/internal/scratch"
)

// FileBacked is an optional Bucket capability: the bucket's objects are
// files of the local file system (Local is). Writers that produce an object
// in a local file anyway create it in place through CreateObjectFile instead
// of writing a temporary file and uploading it.
type FileBacked interface {
	Bucket
	// FilePath returns the file-system path that holds key's object, or an
	// error for a key that is not valid in the bucket. Writing the file
	// there makes the object exist; callers must only write keys no reader
	// looks at until they are complete (staging keys), since a file being
	// written is visible as it grows.
	FilePath(key string) (string, error)
}

var _ FileBacked = (*Local)(nil)

// FilePath implements FileBacked.
func (l *Local) FilePath(key string) (string, error) { return l.path(key) }

// ObjectFile is a local file that becomes an object of a bucket on Commit.
// Write it through the embedded *os.File; it is not safe for concurrent use.
type ObjectFile struct {
	*os.File
	bucket  Bucket
	key     string
	inPlace bool // the file is the object's own (a FileBacked bucket)
}

// CreateObjectFile returns a file to write the object key of b into: the
// object's own file when b is FileBacked, else a new temporary file in
// tmpDir that Commit uploads. The caller must end it with Commit or Abort.
func CreateObjectFile(b Bucket, key, tmpDir string) (*ObjectFile, error) {
	if fb, ok := b.(FileBacked); ok {
		p, err := fb.FilePath(key)
		if err != nil {
			return nil, err
		}
		f, err := CreateFile(p) // also makes the directory, again if emptied meanwhile
		if err != nil {
			return nil, err
		}
		return &ObjectFile{File: f, bucket: b, key: key, inPlace: true}, nil
	}
	f, err := os.CreateTemp(tmpDir, scratch.Pattern("*-"+path.Base(key)))
	if err != nil {
		return nil, fmt.Errorf("temporary file for %s: %w", key, err)
	}
	return &ObjectFile{File: f, bucket: b, key: key}, nil
}

// Commit syncs and closes the file and makes it the object: in place on a
// FileBacked bucket, else with a Put, after which the temporary file is
// removed. It returns the object's size. On error the file is removed and
// no object is left behind on a FileBacked bucket (a failed Put leaves none
// either). The ObjectFile must not be used after Commit.
func (o *ObjectFile) Commit(ctx context.Context) (int64, error) {
	err := o.Sync()
	info, serr := o.Stat()
	if err == nil {
		err = serr
	}
	if err == nil && !o.inPlace {
		if _, err = o.Seek(0, io.SeekStart); err == nil {
			err = o.bucket.Put(ctx, o.key, o.File, info.Size())
		}
	}
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	if err != nil || !o.inPlace {
		os.Remove(o.Name())
	}
	if err != nil {
		return 0, fmt.Errorf("write %s to %s: %w", o.key, o.bucket, err)
	}
	return info.Size(), nil
}

// Abort closes and removes the file; the object is not created.
func (o *ObjectFile) Abort() {
	o.Close()
	os.Remove(o.Name())
}
