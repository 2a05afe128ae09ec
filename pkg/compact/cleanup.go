package compact

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// CleanupStats reports what a run tidied before merging.
type CleanupStats struct {
	Trashed int      // removed files a crash had left in their partition
	Purged  int      // trash entries past the retention
	Stray   []string // data files in partitions that no commit mentions (left alone)
}

// trash moves files that a committed compaction removed out of their
// partition, so engines reading the partition directories stop seeing them,
// into the trash, where ctq readers of an older snapshot still find them.
func trash(ctx context.Context, lake *partition.Lake, paths []string) error {
	b := lake.Bucket()
	for _, p := range paths {
		err := b.Move(ctx, p, partition.TrashKey(p))
		if err == nil || errors.Is(err, objstore.ErrNotExist) {
			continue // moved now, or by an earlier attempt
		}
		return fmt.Errorf("move removed file %s to the trash: %w", p, err)
	}
	return nil
}

// cleanup finishes the work of interrupted compactions and purges the
// trash: files that a commit removed but that still sit in a partition are
// trashed; trash entries whose removal is older than retention are deleted.
// Files in partitions that the log does not know are reported, not touched:
// they may be a concurrent writer's, just published after snap was read.
func cleanup(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, retention time.Duration, now time.Time) (CleanupStats, error) {
	var st CleanupStats
	var leftover, purge []string
	err := lake.Bucket().List(ctx, objstore.ListOptions{}, func(e objstore.Entry) error {
		key := e.Key
		if rest, ok := strings.CutPrefix(key, partition.TrashDir); ok {
			if t, removed := snap.Removed[rest]; removed && now.Sub(t) > retention {
				purge = append(purge, key)
			}
			return nil
		}
		if strings.HasPrefix(key, partition.MetaDir+"/") || !strings.HasSuffix(key, ".parquet") {
			return nil
		}
		if _, live := snap.Files[key]; live {
			return nil
		}
		if _, removed := snap.Removed[key]; removed {
			leftover = append(leftover, key)
			return nil
		}
		st.Stray = append(st.Stray, key)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("list %s: %w", lake, err)
	}
	if len(st.Stray) > 0 {
		// A file published after snap was read is live in a newer snapshot.
		fresh, err := lake.FilesSnapshot(ctx)
		if err != nil {
			return st, err
		}
		stray := st.Stray[:0]
		for _, key := range st.Stray {
			if _, live := fresh.Files[key]; !live {
				stray = append(stray, key)
			}
		}
		st.Stray = stray
	}
	if err := trash(ctx, lake, leftover); err != nil {
		return st, err
	}
	st.Trashed = len(leftover)
	for _, key := range purge {
		if err := lake.Bucket().Delete(ctx, key); err != nil && !errors.Is(err, objstore.ErrNotExist) {
			return st, fmt.Errorf("purge %s: %w", key, err)
		}
		st.Purged++
	}
	return st, nil
}
