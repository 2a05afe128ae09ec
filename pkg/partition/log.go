package partition

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// Reserved names inside the lake. Hive, Spark, Trino, Athena and DuckDB's
// hive partitioning skip names starting with "_", so ctq's own state lives
// under "_ctq/" in the same location as the data.
const (
	MetaDir    = "_ctq"
	LogDir     = MetaDir + "/log/"
	StagingDir = MetaDir + "/staging/"
	RunsDir    = MetaDir + "/runs/"
	// TrashDir holds data files that a committed compaction removed, under
	// their old path, until no reader can still need them: readers that
	// started before the compaction find them there, while engines that
	// read the partition directories no longer see them.
	TrashDir = MetaDir + "/trash/"
)

// FormatVersion is the commit-entry format written by this version of ctq.
const FormatVersion = 1

// ErrConflict is returned when a concurrent writer committed a change that
// overlaps this one (the same source objects, or removal of the same files).
var ErrConflict = errors.New("conflicting concurrent commit")

// File is a data file added by a commit.
type File struct {
	Path    string    `json:"path"`    // final key, "account=.../region=.../day=.../name.parquet"
	Staging string    `json:"staging"` // key it was written under before publishing
	Rows    int64     `json:"rows"`
	Bytes   int64     `json:"bytes"`
	MinTime time.Time `json:"minTime"`
	MaxTime time.Time `json:"maxTime"`
	// Ranges holds [min, max] of selected string columns over the file's
	// non-null values (awsRegion, recipientAccountId), so queries can skip
	// files from the manifest alone.
	Ranges map[string][2]string `json:"ranges,omitempty"`
	// Inexact counts rows whose typed columns do not represent the record
	// exactly (ctqExact = false); pruning on typed values skips no such file.
	Inexact int64 `json:"inexact,omitempty"`
	// Values holds, for a few low-cardinality columns (eventName,
	// eventSource, errorCode, eventType, userIdentity.type), every distinct
	// non-null value in the file, when there are few enough. A column that is
	// missing from the map is unknown; an empty list means all null.
	Values map[string][]string `json:"values,omitempty"`
	// Dups counts rows whose eventID repeats an earlier row of the file
	// (duplicate deliveries ingested together); compaction removes them.
	Dups int64 `json:"dups,omitempty"`
}

// Partition returns the file's partition key.
func (f File) Partition() Key {
	k, _ := ParseDir(f.Path)
	return k
}

// Source statuses recorded for ingested objects.
const (
	StatusOK      = "ok"      // every record ingested
	StatusPartial = "partial" // a fault ended or interrupted decoding; good records kept
	StatusInvalid = "invalid" // nothing usable (empty, not gzip JSON, ...)
)

// Source is one ingested source object.
type Source struct {
	Key    string `json:"key"` // layout key from "AWSLogs/"
	URL    string `json:"url"` // where it was read from
	Size   int64  `json:"size"`
	ETag   string `json:"etag,omitempty"`
	Events int64  `json:"events"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// SHA256 is the hex SHA-256 of the object's uncompressed bytes, recorded
	// by ingest --verify (the hash CloudTrail digests list).
	SHA256 string `json:"sha256,omitempty"`
	// Verified is the integrity verdict against the trail's digests
	// ("valid", "pending", or a failure such as "hash-mismatch"), with
	// VerifyDetail saying why; empty when never verified.
	Verified     string `json:"verified,omitempty"`
	VerifyDetail string `json:"verifyDetail,omitempty"`
}

// Commit is one entry of the lake's commit log.
type Commit struct {
	Version   int       `json:"version"`
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Operation string    `json:"operation"` // "ingest" or "compact"
	RunID     string    `json:"runId"`
	Add       []File    `json:"add,omitempty"`
	Remove    []string  `json:"remove,omitempty"`
	Sources   []Source  `json:"sources,omitempty"`
	Days      []DayMark `json:"days,omitempty"`
}

// DayMark records that every object of a source day prefix up to a key was
// ingested (or recorded as bad), so later runs can list from there.
type DayMark struct {
	Prefix string `json:"prefix"` // layout key prefix ".../yyyy/mm/dd/"
	UpTo   string `json:"upTo"`   // largest layout key covered
}

func logKey(seq int64) string { return fmt.Sprintf("%s%020d.json", LogDir, seq) }

func parseLogKey(key string) (int64, bool) {
	name, ok := strings.CutPrefix(key, LogDir)
	if !ok || !strings.HasSuffix(name, ".json") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(name, ".json"), 10, 64)
	return n, err == nil
}

// Lake is a Parquet lake in a bucket.
type Lake struct {
	b objstore.Bucket
}

// Open returns the lake stored in b. An empty bucket is an empty lake.
func Open(b objstore.Bucket) *Lake { return &Lake{b: b} }

// Bucket returns the underlying bucket.
func (l *Lake) Bucket() objstore.Bucket { return l.b }

// String names the lake.
func (l *Lake) String() string { return l.b.String() }

// readCommits reads the log entries with seq > after, in order.
func (l *Lake) readCommits(ctx context.Context, after int64) ([]logEntry, error) {
	return l.readCommitsAs(ctx, after, false)
}

// logEntry is a decoded commit with the size of its log object.
type logEntry struct {
	entry *Commit
	size  int64
}

// readCommitsAs reads log entries; filesOnly skips decoding the source
// objects and day marks, which readers of data never need and which make up
// most of an ingest commit.
func (l *Lake) readCommitsAs(ctx context.Context, after int64, filesOnly bool) ([]logEntry, error) {
	var out []logEntry
	err := l.eachCommit(ctx, after, filesOnly, func(e logEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// eachCommit reads the log entries with seq > after in order and hands
// each to fn before the next is read, so a reader holds one entry at a time.
func (l *Lake) eachCommit(ctx context.Context, after int64, filesOnly bool, fn func(logEntry) error) error {
	var seqs []int64
	err := l.b.List(ctx, objstore.ListOptions{Prefix: LogDir, StartAfter: logKey(after)}, func(e objstore.Entry) error {
		if n, ok := parseLogKey(e.Key); ok && n > after {
			seqs = append(seqs, n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list commit log of %s: %w", l, err)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for _, n := range seqs {
		c, size, err := l.readCommit(ctx, n, filesOnly)
		if err != nil {
			return err
		}
		if err := fn(logEntry{c, size}); err != nil {
			return err
		}
	}
	return nil
}

// commitFiles is the part of a commit entry that describes data files.
type commitFiles struct {
	Version int       `json:"version"`
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Add     []File    `json:"add"`
	Remove  []string  `json:"remove"`
}

// readCommit reads and decodes one log entry; it also returns the entry's
// size in bytes.
func (l *Lake) readCommit(ctx context.Context, seq int64, filesOnly bool) (*Commit, int64, error) {
	rc, _, err := l.b.Open(ctx, logKey(seq))
	if err != nil {
		return nil, 0, fmt.Errorf("read commit %d of %s: %w", seq, l, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, 0, fmt.Errorf("read commit %d of %s: %w", seq, l, err)
	}
	var c Commit
	if filesOnly {
		var cf commitFiles
		if err := json.Unmarshal(data, &cf); err != nil {
			return nil, 0, fmt.Errorf("commit %d of %s is corrupt: %w", seq, l, err)
		}
		c = Commit{Version: cf.Version, Seq: cf.Seq, Time: cf.Time, Add: cf.Add, Remove: cf.Remove}
	} else if err := json.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		return nil, 0, fmt.Errorf("commit %d of %s is corrupt: %w", seq, l, err)
	}
	if c.Version > FormatVersion {
		return nil, 0, fmt.Errorf("commit %d of %s has format version %d; this ctq reads up to %d: upgrade ctq", seq, l, c.Version, FormatVersion)
	}
	if c.Seq != seq {
		return nil, 0, fmt.Errorf("commit %d of %s claims seq %d", seq, l, c.Seq)
	}
	return &c, int64(len(data)), nil
}

// Snapshot is the lake's committed state at one log sequence number.
type Snapshot struct {
	Seq     int64
	Files   map[string]File   // live files by final path (those the filter kept)
	Sources map[string]Source // ingested objects by layout key
	Days    map[string]string // DayMark.UpTo by prefix
	// Removed holds the paths of files that commits removed, with the
	// time of the removing commit.
	Removed map[string]time.Time
	// Dropped holds the paths of the live files a FileFilter did not keep
	// (FilteredSnapshot); it is nil in a snapshot read without a filter.
	Dropped map[string]struct{}
	Commits int

	full        bool       // Sources and Days are filled (Snapshot, not FilesSnapshot)
	keep        FileFilter // nil: every file is kept as decoded
	base        int64      // seq of the checkpoint it was loaded from, 0 for none
	tailCommits int        // log entries replayed or committed after base
	tailBytes   int64      // and their size
}

// FileFilter decides, while a reader's snapshot is read, which of the
// manifest's files it keeps. It is called once for every file a checkpoint
// or commit adds, in log order, as the file is decoded; it may change *f
// (drop the value sets and ranges the reader no longer needs) and reports
// whether the snapshot keeps the file. It must not retain f. A file that a
// later commit removes leaves the snapshot whatever the filter said.
type FileFilter func(f *File) bool

func newSnapshot(filesOnly bool, keep FileFilter) *Snapshot {
	s := &Snapshot{Files: map[string]File{}, Sources: map[string]Source{}, Days: map[string]string{}, Removed: map[string]time.Time{},
		full: !filesOnly, keep: keep}
	if keep != nil {
		s.Dropped = map[string]struct{}{}
	}
	return s
}

// Filtered reports whether the snapshot was read through a FileFilter,
// so that Files holds only the files the filter kept.
func (s *Snapshot) Filtered() bool { return s.Dropped != nil }

// add records a live file, through the filter if there is one.
func (s *Snapshot) add(f File) {
	if s.keep != nil {
		if !s.keep(&f) {
			delete(s.Files, f.Path)
			s.Dropped[f.Path] = struct{}{}
			return
		}
		delete(s.Dropped, f.Path)
	}
	s.Files[f.Path] = f
}

// remove records that a commit at t removed the file at p.
func (s *Snapshot) remove(p string, t time.Time) {
	delete(s.Files, p)
	delete(s.Dropped, p)
	s.Removed[p] = t
}

func (s *Snapshot) apply(c *Commit, size int64) {
	s.tailCommits++
	s.tailBytes += size
	for _, p := range c.Remove {
		s.remove(p, c.Time)
	}
	for _, f := range c.Add {
		s.add(f)
	}
	for _, src := range c.Sources {
		s.Sources[src.Key] = src
	}
	for _, d := range c.Days {
		if d.UpTo > s.Days[d.Prefix] {
			s.Days[d.Prefix] = d.UpTo
		}
	}
	s.Seq = c.Seq
	s.Commits++
}

// Snapshot is the lake's state: the newest checkpoint and the commit log
// entries after it.
func (l *Lake) Snapshot(ctx context.Context) (*Snapshot, error) {
	return l.loadSnapshot(ctx, false, true, nil)
}

// FilesSnapshot is the lake's state for readers of data: Files, Removed and
// Seq are filled, Sources and Days are left empty.
func (l *Lake) FilesSnapshot(ctx context.Context) (*Snapshot, error) {
	return l.loadSnapshot(ctx, true, true, nil)
}

// FilteredSnapshot is FilesSnapshot with every file passed through keep as
// it is decoded: Files holds the live files keep kept (as keep left them)
// and Dropped the paths of the others. The checkpoint and the log entries
// are read one file and one entry at a time, so a reader's memory holds
// what it keeps, never the whole manifest's value sets.
func (l *Lake) FilteredSnapshot(ctx context.Context, keep FileFilter) (*Snapshot, error) {
	if keep == nil {
		return nil, fmt.Errorf("filtered snapshot of %s: nil filter", l)
	}
	return l.loadSnapshot(ctx, true, true, keep)
}

// SortedFiles returns the live files ordered by path.
func (s *Snapshot) SortedFiles() []File {
	out := make([]File, 0, len(s.Files))
	for _, f := range s.Files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Commit appends c to the log after snap.Seq with put-if-absent. When another
// writer took the next number first, Commit reads the newer entries, asks
// conflicts whether they overlap c (it should return an error wrapping
// ErrConflict if so), applies them to snap and tries the next number. On
// success snap includes c.
func (l *Lake) Commit(ctx context.Context, snap *Snapshot, c *Commit, conflicts func(newer *Commit) error) error {
	c.Version = FormatVersion
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.Seq = snap.Seq + 1
		c.Time = time.Now().UTC()
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode commit: %w", err)
		}
		err = l.b.PutIfAbsent(ctx, logKey(c.Seq), append(data, '\n'))
		if err == nil {
			snap.apply(c, int64(len(data)+1))
			return nil
		}
		if !errors.Is(err, objstore.ErrExists) {
			return fmt.Errorf("write commit %d to %s: %w", c.Seq, l, err)
		}
		newer, err := l.readCommits(ctx, snap.Seq)
		if err != nil {
			return err
		}
		if len(newer) == 0 {
			// The winner's entry is not listable yet (or a conditional
			// write conflict was transient): wait before trying again.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(min(attempt+1, 20)) * 50 * time.Millisecond):
			}
		}
		for _, n := range newer {
			if err := conflicts(n.entry); err != nil {
				return err
			}
			snap.apply(n.entry, n.size)
		}
	}
}

// Publish makes committed files visible under their final paths. It is
// idempotent, so recovery can repeat it after a crash.
func (l *Lake) Publish(ctx context.Context, files []File) error {
	for _, f := range files {
		if f.Staging == "" || f.Staging == f.Path {
			continue
		}
		if err := l.b.Move(ctx, f.Staging, f.Path); err != nil {
			if errors.Is(err, objstore.ErrNotExist) {
				if _, serr := l.b.Stat(ctx, f.Path); serr == nil {
					continue
				}
			}
			return fmt.Errorf("publish %s: %w", f.Path, err)
		}
	}
	return nil
}

// TrashKey is where a removed file waits until it is purged.
func TrashKey(path string) string { return TrashDir + path }

// DataKey returns where a file of a snapshot can be read now: its final
// path, its staging key if a crash interrupted publishing, or its trash key
// if a compaction committed after the snapshot was read.
func (l *Lake) DataKey(ctx context.Context, f File) (string, error) {
	if _, err := l.b.Stat(ctx, f.Path); err == nil {
		return f.Path, nil
	}
	if f.Staging != "" {
		if _, err := l.b.Stat(ctx, f.Staging); err == nil {
			return f.Staging, nil
		}
	}
	if _, err := l.b.Stat(ctx, TrashKey(f.Path)); err == nil {
		return TrashKey(f.Path), nil
	}
	return "", fmt.Errorf("data file %s of %s is missing: %w", f.Path, l, objstore.ErrNotExist)
}
