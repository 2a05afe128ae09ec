package query

import (
	"strings"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// orFilter keeps rows that match any child. Each child sees only the rows no
// earlier child has matched yet.
type orFilter struct{ kids []filter }

var _ filter = (*orFilter)(nil)

func (o *orFilter) fileMayMatch(f *partition.File) bool {
	for _, k := range o.kids {
		if k.fileMayMatch(f) {
			return true
		}
	}
	return false
}

func (o *orFilter) mayMatch(rg *rowGroupMeta) bool {
	for _, k := range o.kids {
		if k.mayMatch(rg) {
			return true
		}
	}
	return false
}

func (o *orFilter) apply(b *batch, sel *bitmap) error {
	matched, rest, cur := getBitmap(sel.n), getBitmap(sel.n), getBitmap(sel.n)
	defer func() { putBitmap(matched); putBitmap(rest); putBitmap(cur) }()
	rest.copyFrom(sel)
	for _, k := range o.kids {
		if rest.isZero() {
			break
		}
		if !k.mayMatch(b.meta) {
			continue
		}
		cur.copyFrom(rest)
		if err := k.apply(b, cur); err != nil {
			return err
		}
		matched.or(cur)
		rest.andNot(cur)
	}
	sel.and(matched)
	return nil
}

func (o *orFilter) cost() int {
	c := 0
	for _, k := range o.kids {
		c = max(c, k.cost())
	}
	return c
}

func (o *orFilter) explain(sb *strings.Builder, indent string) {
	sb.WriteString(indent + "OR\n")
	for _, k := range o.kids {
		k.explain(sb, indent+"  ")
	}
}

// prunePages keeps the rows some child's pages may match.
func (o *orFilter) prunePages(b *batch, sel *bitmap) error {
	keep, cur := getBitmap(sel.n), getBitmap(sel.n)
	defer func() { putBitmap(keep); putBitmap(cur) }()
	for _, k := range o.kids {
		if !k.mayMatch(b.meta) {
			continue
		}
		cur.copyFrom(sel)
		if err := k.prunePages(b, cur); err != nil {
			return err
		}
		keep.or(cur)
	}
	sel.and(keep)
	return nil
}

// reads: the first child that may match runs on every row; the others
// only on the rows it did not match.
func (o *orFilter) reads(rg *rowGroupMeta, add func(string)) {
	for _, k := range o.kids {
		if k.mayMatch(rg) {
			k.reads(rg, add)
			return
		}
	}
}
