package query

import (
	"strings"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// filter is one compiled predicate. The same value answers at every level
// of the scan: a file from its manifest entry (fileMayMatch), a row group
// from its footer, bloom filters and dictionary (mayMatch), and rows
// (apply). One filter tree therefore prunes every level in one walk, and
// pruning can never disagree with evaluation about what a predicate means.
//
// Rows whose typed columns are inexact (ctqExact = false) are part of the
// contract: a pattern's tree is wrapped in a patternFilter, which keeps
// files and row groups holding such rows and re-evaluates those rows on
// the raw record. Filters below it may ignore inexact rows.
type filter interface {
	// fileMayMatch reports whether any row of the file can match, from its
	// manifest entry alone (partition, eventTime range, per-column ranges
	// and value sets). It must return false only when no row can: missing
	// manifest figures answer true.
	fileMayMatch(f *partition.File) bool
	// mayMatch reports whether any row of the row group can match. It must
	// return false only when no row can: missing or unusable statistics
	// answer true.
	mayMatch(rg *rowGroupMeta) bool
	// prunePages clears the bits of sel for the rows of pages that cannot
	// match, from the page index (per-page min/max of the filter's column),
	// before any column is read. It must clear only rows that cannot match;
	// without a page index it clears nothing.
	prunePages(b *batch, sel *bitmap) error
	// apply clears the bits of sel for rows that do not match. It must not
	// set bits of rows that were clear when it was called. It reads columns
	// through b, which loads them on first use. sel is owned by the caller;
	// a filter that needs scratch bitmaps takes them from getBitmap and
	// returns them with putBitmap.
	apply(b *batch, sel *bitmap) error
	// reads adds the columns apply reads in row group rg whenever it is
	// called with a non-empty selection, whatever the rows hold: a remote
	// file's row group fetches them together before the first column is
	// decoded (prefetch.go). It must add only columns apply certainly
	// reads; leaving one out costs a request, not a wrong answer.
	reads(rg *rowGroupMeta, add func(path string))
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

func (c *constFilter) fileMayMatch(*partition.File) bool { return c.match }
func (c *constFilter) mayMatch(*rowGroupMeta) bool       { return c.match }
func (c *constFilter) prunePages(b *batch, sel *bitmap) error {
	return c.apply(b, sel)
}
func (c *constFilter) apply(_ *batch, sel *bitmap) error {
	if !c.match {
		sel.clearAll()
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

func (*constFilter) reads(*rowGroupMeta, func(string)) {}
