package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/internal/proc"
)

// Local is a Bucket over a directory tree. Keys map to relative paths.
type Local struct {
	root string // absolute, cleaned
}

var _ Bucket = (*Local)(nil)

// OpenLocal returns a Bucket rooted at dir. The directory need not exist yet:
// Put creates parent directories on demand.
func OpenLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local bucket %q: %w", dir, err)
	}
	return &Local{root: filepath.Clean(abs)}, nil
}

// Root returns the absolute directory the bucket is rooted at.
func (l *Local) Root() string { return l.root }

// String implements Bucket.
func (l *Local) String() string { return "file://" + filepath.ToSlash(l.root) }

// path maps a key to a file path, refusing keys that would escape the root.
func (l *Local) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") {
		return "", fmt.Errorf("invalid key %q", key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == ".." || part == "." {
			return "", fmt.Errorf("invalid key %q", key)
		}
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// List implements Bucket. With a "/" delimiter it reads one directory level;
// without one it walks the tree below the prefix's directory.
func (l *Local) List(ctx context.Context, opts ListOptions, fn func(Entry) error) error {
	if opts.Delimiter != "" && opts.Delimiter != "/" {
		return fmt.Errorf("local bucket %s: unsupported delimiter %q", l, opts.Delimiter)
	}
	dirKey := opts.Prefix
	if i := strings.LastIndexByte(dirKey, '/'); i >= 0 {
		dirKey = dirKey[:i+1]
	} else {
		dirKey = ""
	}
	if opts.Delimiter == "/" {
		return l.listLevel(ctx, dirKey, opts, fn)
	}
	return l.walk(ctx, dirKey, opts, fn)
}

func (l *Local) dirOf(dirKey string) string {
	return filepath.Join(l.root, filepath.FromSlash(strings.TrimSuffix(dirKey, "/")))
}

// readSorted returns a directory's entries with their keys, sorted by key.
func (l *Local) readSorted(dirKey string) ([]os.DirEntry, []string, error) {
	ents, err := os.ReadDir(l.dirOf(dirKey))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("list %s/%s: %w", l, dirKey, err)
	}
	keys := make([]string, len(ents))
	for i, e := range ents {
		keys[i] = dirKey + e.Name()
		if e.IsDir() {
			keys[i] += "/"
		}
	}
	idx := make([]int, len(ents))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	se := make([]os.DirEntry, len(ents))
	sk := make([]string, len(ents))
	for i, j := range idx {
		se[i], sk[i] = ents[j], keys[j]
	}
	return se, sk, nil
}

func (l *Local) listLevel(ctx context.Context, dirKey string, opts ListOptions, fn func(Entry) error) error {
	ents, keys, err := l.readSorted(dirKey)
	if err != nil {
		return err
	}
	for i, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := keys[i]
		if !strings.HasPrefix(key, opts.Prefix) || key <= opts.StartAfter || isTempName(e.Name()) {
			continue
		}
		if e.IsDir() {
			if err := fn(Entry{ObjectInfo: ObjectInfo{Key: key}, IsPrefix: true}); err != nil {
				return err
			}
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed while listing
		}
		if !info.Mode().IsRegular() {
			continue
		}
		if err := fn(Entry{ObjectInfo: infoOf(key, info)}); err != nil {
			return err
		}
	}
	return nil
}

func (l *Local) walk(ctx context.Context, dirKey string, opts ListOptions, fn func(Entry) error) error {
	ents, keys, err := l.readSorted(dirKey)
	if err != nil {
		return err
	}
	for i, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := keys[i]
		if isTempName(e.Name()) {
			continue
		}
		if e.IsDir() {
			// Descend only where keys below can match the prefix and StartAfter.
			if !strings.HasPrefix(key, opts.Prefix) && !strings.HasPrefix(opts.Prefix, key) {
				continue
			}
			if opts.StartAfter != "" && key < opts.StartAfter && !strings.HasPrefix(opts.StartAfter, key) {
				continue
			}
			if err := l.walk(ctx, key, opts, fn); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(key, opts.Prefix) || key <= opts.StartAfter {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if err := fn(Entry{ObjectInfo: infoOf(key, info)}); err != nil {
			return err
		}
	}
	return nil
}

// Local temp files written by Put/PutIfAbsent are hidden from listings. A
// temp file is named ".<base>.<writer>-<random>.ctq-tmp", where writer is
// proc.Tag of the writing process, so SweepTemps can tell whether its writer
// has died.
const tempSuffix = ".ctq-tmp"

func isTempName(name string) bool { return strings.HasSuffix(name, tempSuffix) }

func infoOf(key string, info fs.FileInfo) ObjectInfo {
	return ObjectInfo{
		Key:      key,
		Size:     info.Size(),
		ETag:     strconv.FormatInt(info.Size(), 16) + "-" + strconv.FormatInt(info.ModTime().UnixNano(), 16),
		Modified: info.ModTime(),
	}
}

// Open implements Bucket.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, ObjectInfo{}, l.wrap("open", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, l.wrap("stat", key, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("open %s/%s: is a directory: %w", l, key, ErrNotExist)
	}
	return f, infoOf(key, st), nil
}

// Stat implements Bucket.
func (l *Local) Stat(_ context.Context, key string) (ObjectInfo, error) {
	p, err := l.path(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return ObjectInfo{}, l.wrap("stat", key, err)
	}
	if st.IsDir() {
		return ObjectInfo{}, fmt.Errorf("stat %s/%s: is a directory: %w", l, key, ErrNotExist)
	}
	return infoOf(key, st), nil
}

func (l *Local) wrap(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s/%s: %w", op, l, key, ErrNotExist)
	}
	return fmt.Errorf("%s %s/%s: %w", op, l, key, err)
}

// inDir runs op, which creates an entry in dir, after making dir. Local
// removes a directory it has emptied (removeEmptyDir), so a concurrent
// Delete or Move can take dir away between the MkdirAll and op: op then
// fails with ErrNotExist and is retried with dir made again. An empty
// directory is only removed by whoever just emptied it, so the retries end.
// An op whose failure has another cause returns it wrapped in final.
func inDir(dir string, op func() error) error {
	for attempt := 0; ; attempt++ {
		err := os.MkdirAll(dir, 0o755)
		if err == nil {
			err = op()
		}
		var f final
		if errors.As(err, &f) {
			return f.err
		}
		if err == nil || !errors.Is(err, fs.ErrNotExist) || attempt == 100 {
			return err
		}
	}
}

// final is an error inDir returns without retrying.
type final struct{ err error }

func (f final) Error() string { return f.err.Error() }

// CreateFile creates (or truncates) the file at path, making its directory;
// see inDir for why it may retry. Writers that stage files straight into a
// local lake use it.
func CreateFile(path string) (*os.File, error) {
	var f *os.File
	err := inDir(filepath.Dir(path), func() (err error) {
		f, err = os.Create(path)
		return err
	})
	return f, err
}

// writeTemp writes r to a synced temp file next to p and returns its name.
func writeTemp(p string, r io.Reader) (string, error) {
	var f *os.File
	err := inDir(filepath.Dir(p), func() (err error) {
		f, err = os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+"."+proc.Tag()+"-*"+tempSuffix)
		return err
	})
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// syncDir makes a rename or link in dir durable. A directory that is gone
// was emptied and removed by a later operation (removeEmptyDir), which took
// the entry elsewhere: there is nothing left here to make durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Put implements Bucket: a synced temp file renamed over the key.
func (l *Local) Put(_ context.Context, key string, r io.Reader, _ int64) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(p, r)
	if err != nil {
		return l.wrap("put", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return l.wrap("put", key, err)
	}
	return l.wrap0("put", key, syncDir(filepath.Dir(p)))
}

func (l *Local) wrap0(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return l.wrap(op, key, err)
}

// PutIfAbsent implements Bucket: a fully written temp file hard-linked to the
// key, which fails if the key exists, so a reader never sees a partial object.
func (l *Local) PutIfAbsent(_ context.Context, key string, data []byte) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(p, strings.NewReader(string(data)))
	if err != nil {
		return l.wrap("put-if-absent", key, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("put-if-absent %s/%s: %w", l, key, ErrExists)
		}
		return l.wrap("put-if-absent", key, err)
	}
	return l.wrap0("put-if-absent", key, syncDir(filepath.Dir(p)))
}

// Move implements Bucket with rename(2).
func (l *Local) Move(_ context.Context, src, dst string) error {
	ps, err := l.path(src)
	if err != nil {
		return err
	}
	pd, err := l.path(dst)
	if err != nil {
		return err
	}
	err = inDir(filepath.Dir(pd), func() error {
		err := os.Rename(ps, pd)
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Lstat(ps); serr != nil {
				return final{err} // the source is what is missing
			}
		}
		return err
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(pd); serr == nil {
				return nil // an earlier interrupted move already completed
			}
		}
		return l.wrap("move", src, err)
	}
	removeEmptyDir(filepath.Dir(ps), l.root)
	return l.wrap0("move", dst, syncDir(filepath.Dir(pd)))
}

// removeEmptyDir removes dir if it is empty and below root, so staging
// directories do not accumulate. A non-empty directory is left alone.
func removeEmptyDir(dir, root string) {
	if dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)) {
		_ = os.Remove(dir)
	}
}

// Delete implements Bucket. An emptied parent directory is removed.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return l.wrap("delete", key, err)
	}
	removeEmptyDir(filepath.Dir(p), l.root)
	return nil
}

// Join returns the key made of the non-empty parts joined by "/".
func Join(parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return path.Join(nonEmpty...)
}

// localReaderAt is an open local file; ReadAt is pread(2).
type localReaderAt struct {
	*os.File
	size int64
}

func (r localReaderAt) Size() int64 { return r.size }

// OpenReaderAt implements Bucket.
func (l *Local) OpenReaderAt(ctx context.Context, key string) (ReaderAt, ObjectInfo, error) {
	rc, info, err := l.Open(ctx, key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	return localReaderAt{File: rc.(*os.File), size: info.Size}, info, nil
}

// TempSweeper is an optional Bucket capability: writes go through temp
// files that a killed process leaves behind, hidden from listings.
// SweepTemps removes those under prefix whose writer on this host has
// exited, or that were not modified for stale, and returns their keys.
type TempSweeper interface {
	SweepTemps(ctx context.Context, prefix string, stale time.Duration) ([]string, error)
}

var _ TempSweeper = (*Local)(nil)

// SweepTemps removes the temp files below prefix that Put or PutIfAbsent
// left when their process died: those whose writer ran on this host and has
// exited, and any not modified for longer than stale (a writer on another
// host sharing the directory, or one that stalled that long). stale must
// exceed the longest time a live writer may leave a temp file untouched.
// Directories it empties are removed. It returns the keys of the removed
// temp files.
func (l *Local) SweepTemps(ctx context.Context, prefix string, stale time.Duration) ([]string, error) {
	root := l.dirOf(prefix[:strings.LastIndexByte(prefix, '/')+1])
	var removed []string
	now := time.Now()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while sweeping
			}
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() || !isTempName(d.Name()) {
			return nil
		}
		rel, _ := filepath.Rel(l.root, p)
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // renamed or removed by its writer meanwhile
		}
		if !proc.Gone(tempWriter(d.Name())) && now.Sub(info.ModTime()) <= stale {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove abandoned temp file %s/%s: %w", l, key, err)
		}
		removed = append(removed, key)
		removeEmptyDir(filepath.Dir(p), l.root)
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("sweep temp files of %s/%s: %w", l, prefix, err)
	}
	return removed, nil
}

// tempWriter returns the writer tag of a temp file name (see tempSuffix),
// or "" for a name without one.
func tempWriter(name string) string {
	name = strings.TrimSuffix(name, tempSuffix)
	tag := name[strings.LastIndexByte(name, '.')+1:]
	if i := strings.LastIndexByte(tag, '-'); i > 0 {
		return tag[:i]
	}
	return ""
}
