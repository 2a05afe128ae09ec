package query

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// patternFilter is one pattern's compiled tree with the inexact-row part of
// the filter contract: a file or row group holding rows whose typed columns
// are not exact (ctqExact = false) is never pruned on typed values, and
// those rows are decided by the whole pattern evaluated on the raw record,
// whatever the typed tree said.
type patternFilter struct {
	node  Node
	root  filter
	whole *rawFilter // the whole pattern over raw records
}

var _ filter = (*patternFilter)(nil)

func newPatternFilter(n Node) (*patternFilter, error) {
	root, err := compile(n)
	if err != nil {
		return nil, err
	}
	return &patternFilter{node: n, root: root, whole: newRawFilter(n)}, nil
}

func (p *patternFilter) fileMayMatch(f *partition.File) bool {
	return f.Inexact > 0 || p.root.fileMayMatch(f)
}

func (p *patternFilter) mayMatch(rg *rowGroupMeta) bool { return rg.inexact || p.root.mayMatch(rg) }
func (p *patternFilter) cost() int                      { return p.root.cost() }

func (p *patternFilter) explain(sb *strings.Builder, indent string) {
	p.root.explain(sb, indent)
	sb.WriteString(indent + "rows with ctqExact = false: whole pattern re-evaluated on the raw record\n")
}

// prunePages prunes on typed values only when every row is exact.
func (p *patternFilter) prunePages(b *batch, sel *bitmap) error {
	if b.meta.inexact {
		return nil
	}
	return p.root.prunePages(b, sel)
}

func (p *patternFilter) apply(b *batch, sel *bitmap) error {
	if !b.meta.inexact {
		return p.root.apply(b, sel)
	}
	in := getBitmap(sel.n)
	defer putBitmap(in)
	in.copyFrom(sel)
	if err := p.root.apply(b, sel); err != nil {
		return err
	}
	return p.inexactPass(b, in, sel)
}

// inexactPass decides the rows of in whose typed columns are not exact from
// the raw record, setting or clearing their bits in sel.
func (p *patternFilter) inexactPass(b *batch, in, sel *bitmap) error {
	arr, ok, err := b.leaf(colExact)
	if err != nil || !ok {
		return err
	}
	exact, ok := arr.(*array.Boolean)
	if !ok {
		return fmt.Errorf("column %s: unexpected type %s", colExact, arr.DataType())
	}
	var raw *byteColumn
	var ferr error
	in.forEach(func(i int) {
		if ferr != nil || exact.Value(i) {
			return
		}
		if raw == nil {
			if raw, ferr = b.raw(); ferr != nil {
				return
			}
		}
		if b.st != nil {
			b.st.RowsInexact++
		}
		if p.whole.matchRecord(raw.Value(i)) {
			sel.set(i)
		} else {
			sel.clear(i)
		}
	})
	return ferr
}

// reads: the tree's, and ctqExact when the row group holds inexact rows.
func (p *patternFilter) reads(rg *rowGroupMeta, add func(string)) {
	p.root.reads(rg, add)
	if rg.inexact {
		add(colExact)
	}
}
