package query

import (
	"sort"
	"strings"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// andFilter narrows the selection with each child in order of cost and stops
// as soon as nothing is left, so later (costlier) columns are never read.
type andFilter struct{ kids []filter }

var _ filter = (*andFilter)(nil)

func newAnd(kids []filter) filter {
	sort.SliceStable(kids, func(i, j int) bool { return kids[i].cost() < kids[j].cost() })
	return &andFilter{kids: kids}
}

func (a *andFilter) fileMayMatch(f *partition.File) bool {
	for _, k := range a.kids {
		if !k.fileMayMatch(f) {
			return false
		}
	}
	return true
}

func (a *andFilter) mayMatch(rg *rowGroupMeta) bool {
	for _, k := range a.kids {
		if !k.mayMatch(rg) {
			return false
		}
	}
	return true
}

func (a *andFilter) apply(b *batch, sel *bitmap) error {
	for _, k := range a.kids {
		if sel.isZero() {
			return nil
		}
		if err := k.apply(b, sel); err != nil {
			return err
		}
	}
	return nil
}

func (a *andFilter) cost() int {
	c := 0
	for _, k := range a.kids {
		c = max(c, k.cost())
	}
	return c
}

func (a *andFilter) explain(sb *strings.Builder, indent string) {
	sb.WriteString(indent + "AND (cheapest first, stops when no row is left)\n")
	for _, k := range a.kids {
		k.explain(sb, indent+"  ")
	}
}

func (a *andFilter) prunePages(b *batch, sel *bitmap) error {
	for _, k := range a.kids {
		if sel.isZero() {
			return nil
		}
		if err := k.prunePages(b, sel); err != nil {
			return err
		}
	}
	return nil
}

// reads: the cheapest child always runs; the others only on what it left.
func (a *andFilter) reads(rg *rowGroupMeta, add func(string)) {
	if len(a.kids) > 0 {
		a.kids[0].reads(rg, add)
	}
}
