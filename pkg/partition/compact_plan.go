package partition

import (
	"fmt"
	"sort"
)

// CompactionPolicy decides which files compaction merges.
type CompactionPolicy struct {
	// TargetBytes is the size compaction aims for per output file.
	TargetBytes int64
	// DoneFraction: a file of at least DoneFraction x TargetBytes is left
	// alone; merging it would rewrite much data for little gain.
	DoneFraction float64
}

// DefaultCompactionPolicy returns the defaults.
func DefaultCompactionPolicy() CompactionPolicy {
	return CompactionPolicy{TargetBytes: 128 << 20, DoneFraction: 0.75}
}

// Validate checks the policy.
func (p CompactionPolicy) Validate() error {
	if p.TargetBytes < 1<<20 {
		return fmt.Errorf("compaction target %d bytes is below 1 MiB", p.TargetBytes)
	}
	if p.DoneFraction <= 0 || p.DoneFraction > 1 {
		return fmt.Errorf("compaction done fraction %v must be in (0, 1]", p.DoneFraction)
	}
	return nil
}

// MergeGroup is one unit of compaction work: files of one partition merged
// into ceil(Bytes / TargetBytes) or fewer new files.
type MergeGroup struct {
	Partition Key
	Inputs    []File // ordered by MinTime, then path
	Bytes     int64
	Rows      int64
	Outputs   int // expected number of output files
}

// PlanCompaction chooses what to merge. It is a pure function of the live
// files and the policy: per partition, every file smaller than the "done"
// size is merged with the partition's other small files, and the merged rows
// are cut into files of about TargetBytes. Partitions with fewer than two
// small files are left as they are. Groups come out ordered by partition.
func PlanCompaction(files []File, p CompactionPolicy) []MergeGroup {
	done := int64(float64(p.TargetBytes) * p.DoneFraction)
	small := map[Key][]File{}
	for _, f := range files {
		if f.Bytes >= done {
			continue
		}
		k := f.Partition()
		small[k] = append(small[k], f)
	}
	var out []MergeGroup
	for k, fs := range small {
		if len(fs) < 2 {
			continue
		}
		sort.Slice(fs, func(i, j int) bool {
			if !fs[i].MinTime.Equal(fs[j].MinTime) {
				return fs[i].MinTime.Before(fs[j].MinTime)
			}
			return fs[i].Path < fs[j].Path
		})
		g := MergeGroup{Partition: k, Inputs: fs}
		for _, f := range fs {
			g.Bytes += f.Bytes
			g.Rows += f.Rows
		}
		g.Outputs = int((g.Bytes + p.TargetBytes - 1) / p.TargetBytes)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition.Dir() < out[j].Partition.Dir() })
	return out
}
