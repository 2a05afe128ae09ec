package ingest

import (
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// Config configures one ingest run.
type Config struct {
	Source objstore.Bucket // rooted at the user's source location
	Lake   *partition.Lake

	// Since and Until select objects by delivery time (the time in the file
	// name, else the path's day): Since <= t < Until. Zero means unbounded.
	Since, Until time.Time
	Accounts     []string // only these accounts (empty: all)
	Regions      []string // only these regions (empty: all)

	// HashSources records each object's SHA-256 over its uncompressed bytes
	// (Source.SHA256) as they stream through decoding, for validation
	// against CloudTrail digests without a second download.
	HashSources bool

	IncludeInsight         bool // also ingest CloudTrail-Insight objects
	IncludeNetworkActivity bool // also ingest CloudTrail-NetworkActivity objects

	// Shard and Shards split the work deterministically by account x region x
	// delivery day: this run ingests only units with shardOf == Shard.
	Shard, Shards int

	Workers         int           // decode+write workers; 0 = GOMAXPROCS
	ListConcurrency int           // parallel listing requests
	MaxRecordBytes  int           // larger records are reported and skipped
	MemoryPerWorker int           // batch memory that triggers a flush
	CommitInterval  time.Duration // longest time between commits
	TempDir         string        // local scratch for files bound for a remote lake

	// OnProgress, when set, is called every ProgressEvery with the counters.
	OnProgress    func(Progress)
	ProgressEvery time.Duration
}

// DefaultConfig returns the defaults; Source and Lake must still be set.
func DefaultConfig() Config {
	return Config{
		Workers:         runtime.GOMAXPROCS(0),
		ListConcurrency: 32,
		// CloudTrail caps records at 256 KiB; 32 MiB keeps far larger
		// (malformed or future) records while bounding memory per worker.
		MaxRecordBytes: 32 << 20,
		// Two workers at 40 MiB of batch memory plus Parquet buffers keep a
		// whole run under 300 MiB of resident memory (bench/RESULTS.md).
		MemoryPerWorker: 40 << 20,
		CommitInterval:  15 * time.Second,
		ProgressEvery:   250 * time.Millisecond,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Source == nil:
		return fmt.Errorf("ingest: no source")
	case c.Lake == nil:
		return fmt.Errorf("ingest: no lake")
	case c.Workers < 1:
		return fmt.Errorf("ingest: workers = %d; must be at least 1", c.Workers)
	case c.ListConcurrency < 1:
		return fmt.Errorf("ingest: list concurrency = %d; must be at least 1", c.ListConcurrency)
	case c.MaxRecordBytes < 1<<10:
		return fmt.Errorf("ingest: max record size %d is below 1 KiB", c.MaxRecordBytes)
	case c.MaxRecordBytes > maxRecordLimit:
		// A batch addresses its bytes with 32-bit offsets; these two
		// limits keep a batch (spill point plus one record) below 2 GiB.
		return fmt.Errorf("ingest: max record size %d is above %d MiB", c.MaxRecordBytes, maxRecordLimit>>20)
	case c.CommitInterval <= 0:
		return fmt.Errorf("ingest: commit interval %s must be positive", c.CommitInterval)
	case c.MemoryPerWorker < 1<<20:
		return fmt.Errorf("ingest: memory per worker %d is below 1 MiB", c.MemoryPerWorker)
	case c.MemoryPerWorker > maxMemoryPerWorker:
		return fmt.Errorf("ingest: memory per worker %d is above %d MiB", c.MemoryPerWorker, maxMemoryPerWorker>>20)
	case !c.Since.IsZero() && !c.Until.IsZero() && !c.Since.Before(c.Until):
		return fmt.Errorf("ingest: since %s is not before until %s", c.Since.Format(time.RFC3339), c.Until.Format(time.RFC3339))
	case c.Shards < 0 || (c.Shards > 0 && (c.Shard < 0 || c.Shard >= c.Shards)):
		return fmt.Errorf("ingest: shard %d/%d out of range", c.Shard, c.Shards)
	}
	for _, a := range c.Accounts {
		if !layout.ValidAccount(a) {
			return fmt.Errorf("ingest: invalid account %q: want 12 digits", a)
		}
	}
	for _, r := range c.Regions {
		if !layout.ValidRegion(r) {
			return fmt.Errorf("ingest: invalid region %q", r)
		}
	}
	return nil
}

func (c *Config) wantAccount(a string) bool {
	return len(c.Accounts) == 0 || slices.Contains(c.Accounts, a)
}

func (c *Config) wantRegion(r string) bool {
	return len(c.Regions) == 0 || slices.Contains(c.Regions, r)
}

func (c *Config) inWindow(t time.Time) bool {
	return (c.Since.IsZero() || !t.Before(c.Since)) && (c.Until.IsZero() || t.Before(c.Until))
}

func (c *Config) inShard(k layout.Key) bool {
	return c.Shards <= 1 || shardOf(k, c.Shards) == c.Shard
}

// dateOverlaps reports whether the year ("2024"), month ("202403") or day
// ("20240301") prefix given by level can hold objects delivered in the window.
func (c *Config) dateOverlaps(acc string, level int) bool {
	var start time.Time
	var err error
	switch level {
	case 0:
		start, err = time.Parse("2006", acc)
	case 1:
		start, err = time.Parse("200601", acc)
	default:
		start, err = time.Parse("20060102", acc)
	}
	if err != nil {
		return false
	}
	end := [3]time.Time{start.AddDate(1, 0, 0), start.AddDate(0, 1, 0), start.AddDate(0, 0, 1)}[level]
	return (c.Until.IsZero() || start.Before(c.Until)) && (c.Since.IsZero() || end.After(c.Since))
}

// Upper limits of MaxRecordBytes and MemoryPerWorker (see Validate).
const (
	maxRecordLimit     = 256 << 20
	maxMemoryPerWorker = 1 << 30
)
