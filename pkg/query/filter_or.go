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
