package query

import (
	"bytes"
	"fmt"
	"strings"
)

// rawFilter evaluates a node over each record's original JSON text: term
// patterns, and comparisons whose selector has no typed column (wildcards,
// array indexes, unknown nested members). It is the most expensive filter:
// it reads the raw record column.
type rawFilter struct {
	node Node
}

var _ filter = (*rawFilter)(nil)

func (f *rawFilter) cost() int                   { return costRaw }
func (f *rawFilter) mayMatch(*rowGroupMeta) bool { return true }
func (f *rawFilter) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%s%s  [raw record text (%s)]\n", indent, f.node, colRaw)
}

func (f *rawFilter) apply(b *batch, sel *bitmap) error {
	raw, err := b.raw()
	if err != nil {
		return err
	}
	if t, ok := f.node.(*Terms); ok {
		sel.keep(func(i int) bool { return matchTerms(t, raw.Value(i)) })
		return nil
	}
	sel.keep(func(i int) bool { return MatchJSON(f.node, raw.Value(i)) })
	return nil
}

// matchTerms evaluates an unstructured term pattern over raw text.
func matchTerms(t *Terms, s []byte) bool {
	has := func(term Term) bool {
		if term.Re != nil {
			return term.Re.Match(s)
		}
		return bytes.Contains(s, []byte(term.Text))
	}
	for _, m := range t.Must {
		if !has(m) {
			return false
		}
	}
	for _, x := range t.Exclude {
		if has(x) {
			return false
		}
	}
	if len(t.Must) == 0 && len(t.Exclude) == 0 && len(t.Any) > 0 {
		for _, a := range t.Any {
			if has(a) {
				return true
			}
		}
		return false
	}
	return true
}
