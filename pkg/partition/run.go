package partition

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ctq-dev/ctq/internal/proc"
	"github.com/ctq-dev/ctq/pkg/objstore"
)

// Writers hold a lease while they run: a small object under _ctq/runs/ that
// is refreshed periodically. Recovery uses it to tell the staging files of a
// live concurrent writer from the orphans of a crashed one.

// leaseTTL is how long a lease stays valid without a heartbeat. It is far
// above heartbeatEvery so a briefly stalled writer is never taken for dead.
const (
	heartbeatEvery = 30 * time.Second
	leaseTTL       = 5 * time.Minute
)

// Lease describes a running writer.
type Lease struct {
	RunID     string    `json:"runId"`
	Operation string    `json:"operation"`
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Started   time.Time `json:"started"`
	Heartbeat time.Time `json:"heartbeat"`
}

// Run is a writer's session on the lake.
type Run struct {
	lake  *Lake
	lease Lease
	stop  chan struct{}
	wg    sync.WaitGroup
}

// NewRunID returns a unique, time-ordered run id.
func NewRunID(now time.Time) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:])
}

// BeginRun registers a writer and starts its heartbeat.
func (l *Lake) BeginRun(ctx context.Context, operation string) (*Run, error) {
	host, _ := os.Hostname()
	now := time.Now().UTC()
	r := &Run{lake: l, stop: make(chan struct{}), lease: Lease{
		RunID: NewRunID(now), Operation: operation, Host: host, PID: os.Getpid(), Started: now, Heartbeat: now,
	}}
	if err := r.beat(ctx); err != nil {
		return nil, err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				_ = r.beat(context.Background()) // a missed beat is retried on the next tick
			}
		}
	}()
	return r, nil
}

func (r *Run) beat(ctx context.Context) error {
	r.lease.Heartbeat = time.Now().UTC()
	data, _ := json.Marshal(r.lease)
	if err := r.lake.b.Put(ctx, RunsDir+r.lease.RunID+".json", strings.NewReader(string(data)), int64(len(data))); err != nil {
		return fmt.Errorf("write run lease to %s: %w", r.lake, err)
	}
	return nil
}

// ID returns the run id.
func (r *Run) ID() string { return r.lease.RunID }

// StagingKey returns the staging key for a new data file of this run.
func (r *Run) StagingKey(name string) string {
	return StagingDir + r.lease.RunID + "/" + name
}

// End stops the heartbeat and removes the lease.
func (r *Run) End(ctx context.Context) error {
	close(r.stop)
	r.wg.Wait()
	return r.lake.b.Delete(ctx, RunsDir+r.lease.RunID+".json")
}

// RecoverStats reports what Recover did.
type RecoverStats struct {
	Published int // committed files whose publishing a crash had interrupted
	Removed   int // orphaned staging files of dead runs
	Temps     int // temp files of writes a dead process left (local lakes)
}

// tempSweeper is objstore.TempSweeper: a bucket whose writes go through
// temp files that a killed process leaves behind, hidden from listings.
type tempSweeper = objstore.TempSweeper

// Recover finishes what crashed writers left: committed files still under
// their staging key are published, and staging files that no commit
// references are deleted once their run is dead. self is the caller's run id
// (its files are never touched). On a bucket that writes through temp files
// (a local lake), the temp files under MetaDir that a killed process left
// (of a lease, a commit, a checkpoint or a staged file) are removed too, by
// the rule that declares a run dead: their writer on this host has exited,
// or they were not modified for leaseTTL.
func (l *Lake) Recover(ctx context.Context, snap *Snapshot, self string) (RecoverStats, error) {
	var st RecoverStats
	committed := map[string]File{}
	for _, f := range snap.Files {
		if f.Staging != "" {
			committed[f.Staging] = f
		}
	}
	var staged []string
	err := l.b.List(ctx, objstore.ListOptions{Prefix: StagingDir}, func(e objstore.Entry) error {
		staged = append(staged, e.Key)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("list staging area of %s: %w", l, err)
	}
	// A run may have committed after snap was read: its files are not
	// orphans even if that run has ended since.
	newer, err := l.readCommits(ctx, snap.Seq)
	if err != nil {
		return st, err
	}
	for _, c := range newer {
		for _, f := range c.entry.Add {
			if f.Staging != "" {
				committed[f.Staging] = f
			}
		}
	}
	alive := map[string]bool{}
	for _, key := range staged {
		if f, ok := committed[key]; ok {
			if err := l.Publish(ctx, []File{f}); err != nil {
				return st, err
			}
			st.Published++
			continue
		}
		run, _, _ := strings.Cut(strings.TrimPrefix(key, StagingDir), "/")
		if run == self {
			continue
		}
		live, seen := alive[run]
		if !seen {
			live = l.runAlive(ctx, run)
			alive[run] = live
		}
		if live {
			continue
		}
		if err := l.b.Delete(ctx, key); err != nil {
			return st, fmt.Errorf("remove orphan %s: %w", key, err)
		}
		st.Removed++
	}
	// Leases of dead runs are removed too, so they do not accumulate; this
	// includes runs killed before they staged anything.
	err = l.b.List(ctx, objstore.ListOptions{Prefix: RunsDir}, func(e objstore.Entry) error {
		run, ok := strings.CutSuffix(strings.TrimPrefix(e.Key, RunsDir), ".json")
		if ok && run != self {
			if _, seen := alive[run]; !seen {
				alive[run] = l.runAlive(ctx, run)
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("list run leases of %s: %w", l, err)
	}
	for run, live := range alive {
		if !live {
			_ = l.b.Delete(ctx, RunsDir+run+".json")
		}
	}
	if sw, ok := l.b.(tempSweeper); ok {
		removed, err := sw.SweepTemps(ctx, MetaDir+"/", leaseTTL)
		st.Temps = len(removed)
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// runAlive reports whether a run's lease is current. A lease on this host
// whose process is gone is dead at once; elsewhere it expires after leaseTTL.
func (l *Lake) runAlive(ctx context.Context, run string) bool {
	rc, _, err := l.b.Open(ctx, RunsDir+run+".json")
	if err != nil {
		return !errors.Is(err, objstore.ErrNotExist) // unsure: keep the files
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return true
	}
	var ls Lease
	if json.Unmarshal(data, &ls) != nil {
		return false
	}
	if host, _ := os.Hostname(); host == ls.Host && ls.PID > 0 {
		if !proc.Alive(ls.PID) {
			return false
		}
	}
	return time.Since(ls.Heartbeat) < leaseTTL
}
