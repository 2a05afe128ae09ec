package ingest

import (
	"sync"
	"sync/atomic"
	"time"
)

// Problem is one fault found while ingesting. Offsets are positions in the
// object's decompressed byte stream.
type Problem struct {
	Key     string `json:"key"`
	Offset  int64  `json:"offset,omitempty"`
	Record  int    `json:"record,omitempty"`
	Msg     string `json:"message"`
	Warning bool   `json:"warning,omitempty"` // nothing was lost
	// Retry is set for transient failures (network, throttling) after all
	// retries: the object is not recorded and the next run tries it again.
	Retry bool `json:"retry,omitempty"`
}

// Progress is a snapshot of a run's counters.
type Progress struct {
	ObjectsListed int64 // objects found to ingest so far
	ListingDone   bool
	BytesListed   int64
	Objects       int64 // objects finished
	Bytes         int64 // compressed bytes read
	Events        int64
	Elapsed       time.Duration
}

// Result summarises a run.
type Result struct {
	Objects        int64 `json:"objects"`        // objects read this run
	ObjectsSkipped int64 `json:"objectsSkipped"` // already in the manifest
	ObjectsPartial int64 `json:"objectsPartial"` // some records lost to a fault
	ObjectsInvalid int64 `json:"objectsInvalid"` // nothing usable
	ObjectsFailed  int64 `json:"objectsFailed"`  // transient failure; retried next run
	Events         int64 `json:"events"`         // records written
	// EventsInWindow counts the records written whose eventTime lies in
	// the window [Since, Until); EventsOutsideWindow the others (events
	// of the objects delivered near the window's ends, and records
	// without an eventTime), which come along because objects are
	// ingested whole. Without a window every timed record is in it.
	EventsInWindow      int64     `json:"eventsInWindow"`
	EventsOutsideWindow int64     `json:"eventsOutsideWindow"`
	BytesRead           int64     `json:"bytesRead"` // compressed source bytes
	BytesDecompressed   int64     `json:"bytesDecompressed"`
	BytesWritten        int64     `json:"bytesWritten"` // Parquet bytes
	Files               int64     `json:"files"`
	Partitions          int       `json:"partitions"`
	Commits             int       `json:"commits"`
	Recovered           int       `json:"recoveredFiles"` // files a crashed run left, published
	OrphansRemoved      int       `json:"orphansRemoved"` // staged and temp files killed runs left, removed
	ElapsedSeconds      float64   `json:"elapsedSeconds"`
	Problems            []Problem `json:"problems"`
	ProblemsDropped     int       `json:"problemsDropped,omitempty"` // beyond maxProblems
}

// HasFaults reports whether any object lost data, was invalid or failed.
func (r *Result) HasFaults() bool {
	return r.ObjectsPartial+r.ObjectsInvalid+r.ObjectsFailed > 0
}

// maxProblems bounds the problems kept in memory for the summary; the rest
// are counted.
const maxProblems = 10000

type reporter struct {
	listed, listedBytes      atomic.Int64
	objects, bytes, events   atomic.Int64
	inWindow                 atomic.Int64 // events in the event-time window
	decompressed, written    atomic.Int64
	files                    atomic.Int64
	partial, invalid, failed atomic.Int64
	skipped                  atomic.Int64
	listingDone              atomic.Bool

	mu       sync.Mutex
	problems []Problem
	dropped  int
	parts    map[string]struct{}
}

func (r *reporter) problem(p Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) >= maxProblems {
		r.dropped++
		return
	}
	r.problems = append(r.problems, p)
}

func (r *reporter) partition(dir string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parts == nil {
		r.parts = map[string]struct{}{}
	}
	r.parts[dir] = struct{}{}
}

func (r *reporter) progress(start time.Time) Progress {
	return Progress{
		ObjectsListed: r.listed.Load(),
		BytesListed:   r.listedBytes.Load(),
		ListingDone:   r.listingDone.Load(),
		Objects:       r.objects.Load(),
		Bytes:         r.bytes.Load(),
		Events:        r.events.Load(),
		Elapsed:       time.Since(start),
	}
}
