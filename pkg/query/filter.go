package query

import "strings"

// filter is one compiled predicate. The same type serves pruning (mayMatch
// on row-group metadata) and row evaluation (apply on a batch), so the two
// can never disagree about what a predicate means.
type filter interface {
	// mayMatch reports whether any row of the row group can match. It must
	// return false only when no row can: missing or unusable statistics
	// answer true.
	mayMatch(rg *rowGroupMeta) bool
	// apply clears the bits of sel for rows that do not match. It must not
	// set bits. It reads columns through b, which loads them on first use.
	apply(b *batch, sel *bitmap) error
	// cost orders the children of an AND: cheaper filters run first so the
	// selection is empty before expensive columns are read.
	cost() int
	// explain renders the filter for `ctq explain`.
	explain(sb *strings.Builder, indent string)
}

// Filter costs: dictionary-encoded low-cardinality columns are cheapest, the
// raw record column the most expensive.
const (
	costConst   = 0
	costTyped   = 10
	costPresent = 15
	costJSON    = 50
	costRaw     = 100
)

// constFilter matches everything or nothing.
type constFilter struct{ match bool }

var _ filter = (*constFilter)(nil)

func (c *constFilter) mayMatch(*rowGroupMeta) bool { return c.match }
func (c *constFilter) apply(_ *batch, sel *bitmap) error {
	if !c.match {
		for i := range sel.words {
			sel.words[i] = 0
		}
	}
	return nil
}
func (c *constFilter) cost() int { return costConst }
func (c *constFilter) explain(sb *strings.Builder, indent string) {
	if c.match {
		sb.WriteString(indent + "all rows\n")
	} else {
		sb.WriteString(indent + "no rows (can never match)\n")
	}
}
