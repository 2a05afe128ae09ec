package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ctq-dev/ctq/pkg/schema"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// colSourceKey holds each row's source object key (AWSLogs/...), written by
// ingest and kept by compaction.
const colSourceKey = schema.ColSourceKey

// sourceFilter keeps rows whose source object is in a set (Options.Sources):
// queries limited to verified data. Like the time filter it is applied after
// the pattern, to exact and inexact rows alike, and it prunes row groups
// whose source-key statistics hold no key of the set.
var _ filter = (*sourceFilter)(nil)

type sourceFilter struct {
	keys []string // sorted
	set  map[string]bool
}

func newSourceFilter(set map[string]bool) *sourceFilter {
	if set == nil {
		return nil
	}
	f := &sourceFilter{set: set, keys: make([]string, 0, len(set))}
	for k, ok := range set {
		if ok {
			f.keys = append(f.keys, k)
		}
	}
	sort.Strings(f.keys)
	return f
}

func (f *sourceFilter) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%s%s IN (%d source objects)  [source-key statistics; one lookup per dictionary entry]\n", indent, colSourceKey, len(f.keys))
}

// fileMayMatch: the manifest does not list a file's source objects, so only
// an empty set prunes.
func (f *sourceFilter) fileMayMatch(*partition.File) bool { return len(f.keys) > 0 }

func (f *sourceFilter) cost() int { return costTyped }

// mayMatch reports whether some key of the set lies in the row group's
// [min, max] source keys.
func (f *sourceFilter) mayMatch(rg *rowGroupMeta) bool {
	lo, hi, ok := rg.stringRange(colSourceKey)
	if !ok {
		return !rg.allNull(colSourceKey)
	}
	i := sort.SearchStrings(f.keys, lo)
	return i < len(f.keys) && f.keys[i] <= hi
}

func (f *sourceFilter) apply(b *batch, sel *bitmap) error {
	keep := func(s string) bool { return f.set[s] }
	if handled, err := b.keepStringColumn(colSourceKey, keep, sel); handled {
		return err
	}
	// A file without source keys cannot prove where its rows came from.
	return (&constFilter{}).apply(b, sel)
}

// prunePages: the page index holds nothing this filter can use.
func (*sourceFilter) prunePages(*batch, *bitmap) error { return nil }

func (*sourceFilter) reads(_ *rowGroupMeta, add func(string)) { add(colSourceKey) }
