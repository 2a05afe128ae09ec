package query

import (
	"fmt"
	"strings"

	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/pqread"
)

// rawFilter evaluates a node over each record's original JSON text: term
// patterns, and comparisons whose selector has no typed column (wildcards,
// array indexes, unknown nested members). It is the most expensive filter:
// it reads the raw record column.
type rawFilter struct {
	node  Node
	terms *termSet // the compiled pattern when node is *Terms
}

func newRawFilter(n Node) *rawFilter {
	f := &rawFilter{node: n}
	if t, ok := n.(*Terms); ok {
		f.terms = compileTerms(t)
	}
	return f
}

var _ filter = (*rawFilter)(nil)

func (f *rawFilter) cost() int                         { return costRaw }
func (f *rawFilter) mayMatch(*rowGroupMeta) bool       { return true }
func (f *rawFilter) fileMayMatch(*partition.File) bool { return true }
func (f *rawFilter) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%s%s  [raw record text (%s)]\n", indent, f.node, colRaw)
}

func (f *rawFilter) apply(b *batch, sel *bitmap) error {
	if b.rawStreams() {
		return b.eachRawPage(func(first int, c *pqread.Column) error {
			for i := range c.Len() {
				if r := first + i; sel.get(r) && !f.matchRecord(c.Value(i)) {
					sel.clear(r)
				}
			}
			return nil
		})
	}
	raw, err := b.raw()
	if err != nil {
		return err
	}
	sel.keep(func(i int) bool { return f.matchRecord(raw.Value(i)) })
	return nil
}

// matchRecord evaluates the node over one record's text.
func (f *rawFilter) matchRecord(s []byte) bool {
	if f.terms != nil {
		return f.terms.match(s)
	}
	return MatchJSON(f.node, s)
}

// prunePages: the page index holds nothing this filter can use.
func (*rawFilter) prunePages(*batch, *bitmap) error { return nil }

func (*rawFilter) reads(_ *rowGroupMeta, add func(string)) { add(colRaw) }
