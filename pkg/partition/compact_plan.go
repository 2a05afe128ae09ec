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
	// Full rewrites every file of every partition with more than one file,
	// which also removes duplicates that sit in two files both large enough
	// to be left alone otherwise.
	Full bool
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
// files and the policy. Per partition, the candidates are the files smaller
// than the "done" size and the files that hold duplicate rows; they are
// merged when there are two or more of them, or one with duplicates, and the
// merged rows are cut into files of about TargetBytes. When leaving the done
// files alone would keep the partition above ceil(bytes / TargetBytes) files,
// the whole partition is merged. With Full, every partition of more than one
// file is merged whole. Groups come out ordered by partition.
func PlanCompaction(files []File, p CompactionPolicy) []MergeGroup {
	done := int64(float64(p.TargetBytes) * p.DoneFraction)
	byPart := map[Key][]File{}
	for _, f := range files {
		k := f.Partition()
		byPart[k] = append(byPart[k], f)
	}
	ceil := func(n int64) int { return int((n + p.TargetBytes - 1) / p.TargetBytes) }
	var out []MergeGroup
	for k, all := range byPart {
		var cand []File
		var dups bool
		var total int64
		for _, f := range all {
			total += f.Bytes
			if p.Full || f.Bytes < done || f.Dups > 0 {
				cand = append(cand, f)
				dups = dups || f.Dups > 0
			}
		}
		if len(cand) < 2 && !dups {
			continue
		}
		var candBytes int64
		for _, f := range cand {
			candBytes += f.Bytes
		}
		if len(all)-len(cand)+ceil(candBytes) > max(ceil(total), 1) {
			cand = all
		}
		fs := append([]File(nil), cand...)
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
		g.Outputs = ceil(g.Bytes)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition.Dir() < out[j].Partition.Dir() })
	return out
}
