package query

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// partitionFilter keeps the files of some accounts and regions
// (--accounts/--regions). Every row of a file belongs to its partition, so
// it decides at the file level and row groups and rows always pass.
type partitionFilter struct {
	accounts, regions []string // empty: all
}

var _ filter = (*partitionFilter)(nil)

func (f *partitionFilter) fileMayMatch(file *partition.File) bool {
	k := file.Partition()
	return (len(f.accounts) == 0 || slices.Contains(f.accounts, k.Account)) &&
		(len(f.regions) == 0 || slices.Contains(f.regions, k.Region))
}

func (f *partitionFilter) mayMatch(*rowGroupMeta) bool { return true }
func (f *partitionFilter) apply(*batch, *bitmap) error { return nil }
func (f *partitionFilter) cost() int                   { return costConst }

func (f *partitionFilter) explain(sb *strings.Builder, indent string) {
	list := func(v []string) string {
		if len(v) == 0 {
			return "all"
		}
		return strings.Join(v, ",")
	}
	fmt.Fprintf(sb, "%spartitions: accounts %s, regions %s  [partition keys]\n", indent, list(f.accounts), list(f.regions))
}

// prunePages: the page index holds nothing this filter can use.
func (*partitionFilter) prunePages(*batch, *bitmap) error { return nil }

func (*partitionFilter) reads(*rowGroupMeta, func(string)) {}
