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

	// Since and Until are the event-time window (Since <= eventTime <
	// Until; zero is unbounded). Objects are selected by delivery time (the
	// time in the file name, else the path's day) in [Since, Until +
	// MaxDeliveryDelay), so every event of the window delivered within that
	// delay is ingested. Objects are ingested whole: events of the objects
	// delivered near the window's ends that lie outside it come along, and
	// the Result counts them.
	Since, Until time.Time
	// MaxDeliveryDelay is how long after an event its log object may be
	// delivered and still count for the window (see
	// DefaultMaxDeliveryDelay). It must not be negative.
	MaxDeliveryDelay time.Duration
	Accounts         []string // only these accounts (empty: all)
	Regions          []string // only these regions (empty: all)

	// HashSources records each object's SHA-256 over its uncompressed bytes
	// (Source.SHA256) as they stream through decoding, for validation
	// against CloudTrail digests without a second download.
	HashSources bool

	IncludeInsight         bool // also ingest CloudTrail-Insight objects
	IncludeNetworkActivity bool // also ingest CloudTrail-NetworkActivity objects

	// Shard and Shards split the work deterministically by account x region x
	// delivery day: this run ingests only units with shardOf == Shard.
	Shard, Shards int

	Workers         int // decode+write workers; 0 = GOMAXPROCS
	ListConcurrency int // parallel listing requests
	MaxRecordBytes  int // larger records are reported and skipped
	MemoryPerWorker int // batch memory that triggers a flush
	// RawPageBytes, when positive, writes the raw record column (ctqRaw)
	// in pages of about that many uncompressed bytes instead of the
	// writer's 256 KiB page buffer: printing a few records of a remote
	// lake then fetches small pages, at the price of a larger lake (zstd
	// sees less data per page). Every writer of a lake (ingest, compact,
	// watch) should use the same value; readers take any page layout.
	RawPageBytes   int
	CommitInterval time.Duration // longest time between commits
	TempDir        string        // local scratch for files bound for a remote lake

	// OnProgress, when set, is called every ProgressEvery with the counters.
	OnProgress    func(Progress)
	ProgressEvery time.Duration
}

// DefaultMaxDeliveryDelay is the default Config.MaxDeliveryDelay (see
// layout.DefaultMaxDeliveryDelay for how it was chosen).
const DefaultMaxDeliveryDelay = layout.DefaultMaxDeliveryDelay

// DefaultConfig returns the defaults; Source and Lake must still be set.
func DefaultConfig() Config {
	return Config{
		MaxDeliveryDelay: DefaultMaxDeliveryDelay,
		Workers:          runtime.GOMAXPROCS(0),
		ListConcurrency:  32,
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
	case c.MaxDeliveryDelay < 0:
		return fmt.Errorf("ingest: max delivery delay %s is negative", c.MaxDeliveryDelay)
	case !c.Since.IsZero() && !c.Until.IsZero() && !c.Since.Before(c.Until):
		return fmt.Errorf("ingest: since %s is not before until %s", c.Since.Format(time.RFC3339), c.Until.Format(time.RFC3339))
	case c.Shards < 0 || (c.Shards > 0 && (c.Shard < 0 || c.Shard >= c.Shards)):
		return fmt.Errorf("ingest: shard %d/%d out of range", c.Shard, c.Shards)
	}
	if err := (FileOptions{RawPageBytes: c.RawPageBytes}).Validate(); err != nil {
		return fmt.Errorf("ingest: %w", err)
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

// deliveryUntil returns the end of the delivery window: Until plus
// MaxDeliveryDelay (zero if Until is).
func (c *Config) deliveryUntil() time.Time {
	if c.Until.IsZero() {
		return c.Until
	}
	return c.Until.Add(c.MaxDeliveryDelay)
}

// inDelivery reports whether an object delivered at t can hold events of
// the window: Since <= t < Until + MaxDeliveryDelay. (An event is never
// delivered before it happened.)
func (c *Config) inDelivery(t time.Time) bool {
	until := c.deliveryUntil()
	return (c.Since.IsZero() || !t.Before(c.Since)) && (until.IsZero() || t.Before(until))
}

// inEventWindow reports whether an eventTime (Unix microseconds) lies in
// [Since, Until).
func (c *Config) inEventWindow(micros int64) bool {
	return (c.Since.IsZero() || micros >= c.Since.UnixMicro()) && (c.Until.IsZero() || micros < c.Until.UnixMicro())
}

func (c *Config) inShard(k layout.Key) bool {
	return c.Shards <= 1 || shardOf(k, c.Shards) == c.Shard
}

// dateOverlaps reports whether the year ("2024"), month ("202403") or day
// ("20240301") prefix given by level can hold objects delivered in the
// delivery window (see inDelivery).
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
	until := c.deliveryUntil()
	return (until.IsZero() || start.Before(until)) && (c.Since.IsZero() || end.After(c.Since))
}

// minRawPageBytes is the smallest RawPageBytes: below it page headers and
// the page index outweigh what smaller pages save.
const minRawPageBytes = 4 << 10

// Upper limits of MaxRecordBytes and MemoryPerWorker (see Validate).
const (
	maxRecordLimit     = 256 << 20
	maxMemoryPerWorker = 1 << 30
)
