package query

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// typedFilter compares a typed leaf column (string, boolean or eventTime)
// with `=` or `!=`. On a dictionary-encoded column the predicate runs once
// per dictionary entry and rows only index the result.
type typedFilter struct {
	cmp   *Compare
	col   string
	neg   bool // `!=`
	match func(string) bool
	lit   string // exact literal for pruning, if any
	exact bool
	set   []string // sorted literals of an IN-set filter (newInFilter)
	label string   // explain text for an IN-set filter
}

var _ filter = (*typedFilter)(nil)

func newTypedFilter(c *Compare, col string) *typedFilter {
	f := &typedFilter{cmp: c, col: col, neg: c.Op == OpNe, match: valueMatcher(c.Val)}
	f.lit, f.exact = exactLiteral(c.Val)
	if c.Val.Kind == ValAny && f.neg {
		f.match = func(string) bool { return true } // `!= *` never matches a present value
	}
	return f
}

func (f *typedFilter) cost() int { return costTyped }

func (f *typedFilter) explain(sb *strings.Builder, indent string) {
	if f.set != nil {
		fmt.Fprintf(sb, "%s%s  [one set lookup per dictionary entry; statistics and bloom filter pruning]\n", indent, f.label)
		return
	}
	fmt.Fprintf(sb, "%s%s  [typed column %s; statistics, bloom filter and dictionary pruning]\n", indent, f.cmp, f.col)
}

// fileMayMatch prunes with the manifest: the file's complete value set of
// the column when recorded, else its [min, max] for an exact literal, and
// its eventTime range for literals on eventTime.
func (f *typedFilter) fileMayMatch(file *partition.File) bool {
	if f.neg {
		return true
	}
	if f.col == colTime {
		return timeLiteralMayMatch(f.cmp.Val, file)
	}
	if vals, ok := file.Values[f.col]; ok {
		// The file's complete set of values: = matches a non-null value.
		for _, v := range vals {
			if f.match(v) {
				return true
			}
		}
		return false
	}
	if file.Ranges == nil || !isRangeColumn(f.col) {
		return true
	}
	lits := f.set
	if lits == nil {
		if !f.exact {
			return true
		}
		lits = []string{f.lit}
	}
	r, ok := file.Ranges[f.col]
	if !ok {
		return false // no row of the file has the field
	}
	for _, lit := range lits {
		if lit >= r[0] && lit <= r[1] {
			return true
		}
	}
	return false
}

// timeLiteralMayMatch handles `$.eventTime = "2024-03-01T10:00:00Z"` and
// date prefixes such as `$.eventTime = "2024-03-01*"`.
func timeLiteralMayMatch(v Value, f *partition.File) bool {
	if v.Kind != ValString || v.Suffix {
		return true
	}
	var lo, hi time.Time
	switch {
	case !v.Prefix:
		t, err := time.Parse("2006-01-02T15:04:05Z", v.Str)
		if err != nil {
			return true
		}
		lo, hi = t, t
	case len(v.Str) >= 10:
		d, err := time.Parse("2006-01-02", v.Str[:10])
		if err != nil {
			return true
		}
		lo, hi = d, d.Add(24*time.Hour-time.Microsecond)
	default:
		return true
	}
	return !f.MaxTime.Before(lo) && !f.MinTime.After(hi)
}

func (f *typedFilter) mayMatch(rg *rowGroupMeta) bool {
	if rg.inexact {
		return true
	}
	if rg.allNull(f.col) {
		return false // neither = nor != matches a missing value
	}
	if f.col == colTime || typedCols().bools[f.col] {
		return true
	}
	lo, hi, ok := rg.stringRange(f.col)
	if !ok {
		return true
	}
	if f.set != nil {
		for _, s := range f.set {
			if s >= lo && s <= hi && rg.bloomMayContain(f.col, s) {
				return true
			}
		}
		return false
	}
	switch {
	case f.exact && !f.neg:
		if f.lit < lo || f.lit > hi {
			return false
		}
		return rg.bloomMayContain(f.col, f.lit)
	case f.exact && f.neg:
		return !(lo == hi && lo == f.lit)
	case f.cmp.Val.Kind == ValString && f.cmp.Val.Prefix && !f.cmp.Val.Suffix && !f.neg:
		p := f.cmp.Val.Str
		return !(hi < p || (lo > p && !strings.HasPrefix(lo, p)))
	}
	return true
}

func (f *typedFilter) apply(b *batch, sel *bitmap) error {
	test := func(s string) bool { return f.match(s) != f.neg }
	if handled, err := b.keepStringColumn(f.col, test, sel); handled {
		return err
	}
	arr, ok, err := b.leaf(f.col)
	if err != nil {
		return err
	}
	if !ok {
		return (&constFilter{}).apply(b, sel)
	}
	switch a := arr.(type) {
	case *array.Boolean:
		sel.keep(func(i int) bool { return a.IsValid(i) && test(boolText(a.Value(i))) })
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		sel.keep(func(i int) bool {
			return a.IsValid(i) && test(a.Value(i).ToTime(unit).UTC().Format("2006-01-02T15:04:05Z"))
		})
	default:
		return fmt.Errorf("column %s: unsupported type %s", f.col, arr.DataType())
	}
	return nil
}

func boolText(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

// boolFilter is IS TRUE / IS FALSE on a typed boolean column.
type boolFilter struct {
	cmp  *Compare
	col  string
	want bool
}

var _ filter = (*boolFilter)(nil)

func (f *boolFilter) cost() int { return costTyped }
func (f *boolFilter) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%s%s  [typed boolean column %s]\n", indent, f.cmp, f.col)
}
func (f *boolFilter) fileMayMatch(*partition.File) bool { return true }
func (f *boolFilter) mayMatch(rg *rowGroupMeta) bool    { return rg.inexact || !rg.allNull(f.col) }
func (f *boolFilter) apply(b *batch, sel *bitmap) error {
	arr, ok, err := b.leaf(f.col)
	if err != nil || !ok {
		if err == nil {
			err = (&constFilter{}).apply(b, sel)
		}
		return err
	}
	a, ok := arr.(*array.Boolean)
	if !ok {
		return fmt.Errorf("column %s: unexpected type %s", f.col, arr.DataType())
	}
	sel.keep(func(i int) bool { return a.IsValid(i) && a.Value(i) == f.want })
	return nil
}

// typedFalse stands for a comparison that typed values can never satisfy
// (e.g. `<` on a string column). Rows whose typed columns are inexact are
// still evaluated from the raw record, so row groups holding them are kept.
type typedFalse struct {
	cmp    *Compare
	reason string
}

var _ filter = (*typedFalse)(nil)

func (f *typedFalse) cost() int                              { return costConst }
func (f *typedFalse) fileMayMatch(file *partition.File) bool { return file.Inexact > 0 }
func (f *typedFalse) mayMatch(rg *rowGroupMeta) bool         { return rg.inexact }
func (f *typedFalse) apply(b *batch, sel *bitmap) error      { return (&constFilter{}).apply(b, sel) }
func (f *typedFalse) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%s%s  [never true: %s]\n", indent, f.cmp, f.reason)
}

// presenceFilter is NOT EXISTS or IS NULL on a typed leaf. A typed column is
// null both when the field is absent and when it is JSON null; ctqNulls
// lists the paths that were JSON null.
type presenceFilter struct {
	cmp *Compare
	col string
}

var _ filter = (*presenceFilter)(nil)

func (f *presenceFilter) cost() int { return costPresent }
func (f *presenceFilter) explain(sb *strings.Builder, indent string) {
	fmt.Fprintf(sb, "%s%s  [typed column %s validity + %s]\n", indent, f.cmp, f.col, nullsRoot)
}

func (f *presenceFilter) fileMayMatch(*partition.File) bool { return true }

func (f *presenceFilter) mayMatch(rg *rowGroupMeta) bool {
	if rg.inexact {
		return true
	}
	if f.cmp.Op == OpIsNull && rg.allNull(colNulls) {
		return false
	}
	if rg.noNulls(f.col) {
		return false // every row has a value
	}
	return true
}

func (f *presenceFilter) apply(b *batch, sel *bitmap) error {
	valid, ok, err := b.present(f.col)
	if err != nil {
		return err
	}
	if !ok {
		arr, found, err := b.leaf(f.col)
		if err != nil {
			return err
		}
		valid, ok = func(i int) bool { return found && arr.IsValid(i) }, true
	}
	isNull, err := b.jsonNull(f.col)
	if err != nil {
		return err
	}
	sel.keep(func(i int) bool {
		if valid(i) {
			return false
		}
		if f.cmp.Op == OpIsNull {
			return isNull(i)
		}
		return !isNull(i) // NOT EXISTS
	})
	return nil
}

// prunePages: the page index prunes equalities (and IN sets) on string
// columns: a page whose [min, max] holds no literal, or that is all null,
// has no matching row.
func (f *typedFilter) prunePages(b *batch, sel *bitmap) error {
	if f.neg || f.col == colTime || typedCols().bools[f.col] || b.meta.inexact {
		return nil
	}
	lits := f.set
	if lits == nil {
		if !f.exact {
			return nil
		}
		lits = []string{f.lit}
	}
	return b.prunePagesBy(f.col, sel, func(null bool, lo, hi []byte) bool {
		if null {
			return false
		}
		if len(hi) == 0 {
			return true // no bounds written for this column (or only ""): unknown
		}
		for _, l := range lits {
			if l >= string(lo) && l <= string(hi) {
				return true
			}
		}
		return false
	})
}

// prunePages: boolean and presence filters leave pages to their rows.
func (*boolFilter) prunePages(*batch, *bitmap) error     { return nil }
func (*presenceFilter) prunePages(*batch, *bitmap) error { return nil }
func (*typedFalse) prunePages(*batch, *bitmap) error     { return nil }

func (f *typedFilter) reads(_ *rowGroupMeta, add func(string))    { add(f.col) }
func (f *boolFilter) reads(_ *rowGroupMeta, add func(string))     { add(f.col) }
func (*typedFalse) reads(*rowGroupMeta, func(string))             {}
func (f *presenceFilter) reads(_ *rowGroupMeta, add func(string)) { add(f.col) }
