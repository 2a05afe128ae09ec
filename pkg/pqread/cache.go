package pqread

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// FooterCache keeps the ends of Parquet files on local disk, one file per
// object version: the footer, and the page indexes and bloom filters
// written just before it when the footer's first read held them, so
// repeated queries on a remote lake skip the footer reads and prune
// without a request.
// Data files are immutable: a key that names one version (path, size and
// ETag) never needs invalidation. The cache holds at most MaxBytes; the
// least recently written footers are removed first. Errors only make it
// miss: a cache never fails a read.
type FooterCache struct {
	Dir      string // created on first Put
	MaxBytes int64  // <= 0: 64 MiB

	mu    sync.Mutex
	total int64 // bytes in Dir as of the last scan, -1: unknown
	init  bool
}

func (c *FooterCache) path(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(h[:])+".tail")
}

// cacheFile reports whether a file of the cache directory is an entry:
// ".tail", or ".footer" of older versions, which kept the footer alone
// (they are never read, only trimmed).
func cacheFile(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".tail" || ext == ".footer"
}

// Get returns the bytes stored under key, or nil.
func (c *FooterCache) Get(key string) []byte {
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil
	}
	return b
}

// Put stores footer (the bytes to keep) under key, then trims the cache
// to its bound.
func (c *FooterCache) Put(key string, footer []byte) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, "put-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(footer)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path(key))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.init {
		c.init, c.total = true, -1
	}
	if c.total >= 0 {
		c.total += int64(len(footer))
	}
	if c.total < 0 || c.total > c.limit() {
		c.trim()
	}
}

func (c *FooterCache) limit() int64 {
	if c.MaxBytes <= 0 {
		return 64 << 20
	}
	return c.MaxBytes
}

// trim removes the oldest footers until the cache is within 3/4 of its
// bound (so it is not rescanned at every Put).
func (c *FooterCache) trim() {
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return
	}
	type fi struct {
		name string
		size int64
		mod  int64
	}
	var files []fi
	var total int64
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || !cacheFile(e.Name()) {
			continue
		}
		files = append(files, fi{e.Name(), info.Size(), info.ModTime().UnixNano()})
		total += info.Size()
	}
	if total > c.limit() {
		sort.Slice(files, func(i, j int) bool { return files[i].mod < files[j].mod })
		for _, f := range files {
			if total <= c.limit()*3/4 {
				break
			}
			if os.Remove(filepath.Join(c.Dir, f.name)) == nil {
				total -= f.size
			}
		}
	}
	c.total = total
}
