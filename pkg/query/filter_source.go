package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// colSourceKey holds each row's source object key (AWSLogs/...), written by
// ingest and kept by compaction.
const colSourceKey = "ctqSourceKey"

// sourceFilter keeps rows whose source object is in a set (Options.Sources):
// queries limited to verified data. Like the time filter it is applied after
// the pattern, to exact and inexact rows alike, and it prunes row groups
// whose source-key statistics hold no key of the set.
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
	arr, ok, err := b.leaf(colSourceKey)
	if err != nil {
		return err
	}
	if !ok {
		// A file without source keys cannot prove where its rows came from.
		return (&constFilter{}).apply(b, sel)
	}
	switch a := arr.(type) {
	case *array.Dictionary:
		dict, ok := a.Dictionary().(*array.String)
		if !ok {
			return fmt.Errorf("column %s: unexpected dictionary type %s", colSourceKey, a.Dictionary().DataType())
		}
		table := make([]bool, dict.Len())
		for i := range table {
			table[i] = dict.IsValid(i) && f.set[dict.Value(i)]
		}
		get := dictIndexGetter(a.Indices())
		sel.keep(func(i int) bool { return a.IsValid(i) && table[get(i)] })
	case *array.String:
		sel.keep(func(i int) bool { return a.IsValid(i) && f.set[a.Value(i)] })
	default:
		return fmt.Errorf("column %s: unsupported type %s", colSourceKey, arr.DataType())
	}
	return nil
}
