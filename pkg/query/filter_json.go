package query

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go/format"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// jsonFilter evaluates a comparison below a JSON text column
// (requestParameters, ...) or on an unknown top-level member (ctqExtra).
// A byte pre-filter on the literal rejects most rows before any JSON is
// decoded; only candidates are decoded and the path extracted.
type jsonFilter struct {
	cmp    *Compare
	col    string
	sub    *Compare     // the comparison relative to the column's value
	wrap   bool         // sub selects the column value itself: evaluate on {"v":text}
	needle *termMatcher // bytes every match must contain, if known
	alt    *termMatcher // the needle with "/" escaped, also accepted
}

// unicodeEscape finds `\u` escapes, which may spell any needle.
var unicodeEscape = newTermMatcher(Term{Text: `\u`})

var _ filter = (*jsonFilter)(nil)

func newJSONFilter(c *Compare, t target) *jsonFilter {
	f := &jsonFilter{cmp: c, col: t.col}
	sub := *c
	sub.Sel = t.rest
	if len(t.rest.Steps) == 0 {
		sub.Sel = Selector{Steps: []Step{{Kind: StepField, Name: "v"}}}
		f.wrap = true
	}
	f.sub = &sub
	if c.Op == OpEq && c.Val.Kind == ValString && safeNeedle(c.Val.Str) {
		n := newTermMatcher(Term{Text: c.Val.Str})
		f.needle = &n
		if strings.Contains(c.Val.Str, "/") {
			// JSON may write "/" as "\/": accept either spelling.
			a := newTermMatcher(Term{Text: strings.ReplaceAll(c.Val.Str, "/", `\/`)})
			f.alt = &a
		}
	}
	return f
}

// safeNeedle reports whether s appears in any JSON encoding of a string
// containing it either verbatim or, for "/", as "\/": printable ASCII
// without characters an encoder may escape otherwise (quote, backslash,
// <, >, &).
func safeNeedle(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || strings.IndexByte(`"\<>&`, c) >= 0 {
			return false
		}
	}
	return true
}

func (f *jsonFilter) cost() int { return costJSON }

func (f *jsonFilter) explain(sb *strings.Builder, indent string) {
	pre := "no byte pre-filter"
	if f.needle != nil {
		pre = fmt.Sprintf("byte pre-filter %q", f.needle.text)
	}
	fmt.Fprintf(sb, "%s%s  [JSON text column %s: %s, then path extraction]\n", indent, f.cmp, f.col, pre)
}

func (f *jsonFilter) fileMayMatch(*partition.File) bool { return true }

func (f *jsonFilter) mayMatch(rg *rowGroupMeta) bool {
	if rg.inexact || f.cmp.Op == OpNotExists || f.cmp.Op == OpIsNull {
		return true
	}
	return !rg.allNull(f.col)
}

func (f *jsonFilter) apply(b *batch, sel *bitmap) error {
	col, ok, err := b.bytes(f.col)
	if err != nil {
		return err
	}
	// JSON nulls matter only to IS NULL / NOT EXISTS on the column itself.
	var isNull func(int) bool
	if f.col != colExtra && f.wrap && (f.cmp.Op == OpIsNull || f.cmp.Op == OpNotExists) {
		if isNull, err = b.jsonNull(f.col); err != nil {
			return err
		}
	}
	// Rows that can match contain the needle (either spelling) or a \u
	// escape. For a dense selection one scan of the column's whole buffer
	// finds them; otherwise each selected value is searched.
	var cand *bitmap
	if ok && f.needle != nil && sel.count()*4 >= b.n {
		cand = newBitmap(b.n)
		f.needle.markRows(col, cand)
		if f.alt != nil {
			f.alt.markRows(col, cand)
		}
		unicodeEscape.markRows(col, cand)
	}
	var buf []byte
	sel.keep(func(i int) bool {
		if !ok || col.IsNull(i) {
			// Absent, or JSON null (ctqNulls): nothing below it exists.
			switch {
			case f.cmp.Op == OpNotExists:
				return !f.wrap || isNull == nil || !isNull(i)
			case f.cmp.Op == OpIsNull:
				return f.wrap && isNull != nil && isNull(i)
			}
			return false
		}
		doc := col.Value(i)
		switch {
		case cand != nil:
			if !cand.get(i) {
				return false
			}
		case f.needle != nil:
			if !f.needle.in(doc) && (f.alt == nil || !f.alt.in(doc)) && !unicodeEscape.in(doc) {
				return false
			}
		}
		if f.wrap {
			buf = append(append(append(buf[:0], `{"v":`...), doc...), '}')
			doc = buf
		}
		return MatchJSON(f.sub, doc)
	})
	return nil
}

// jsonNull returns whether the typed field at path was JSON null in row i.
func (b *batch) jsonNull(path string) (func(int) bool, error) {
	if !b.nullsRead {
		b.nullsRead = true
		if col, _, ok := b.df.leaf(colNulls); ok {
			pre, err := b.plannedBytes(col)
			if err != nil {
				return nil, fmt.Errorf("read %s of %s: %w", nullsRoot, b.df.path, err)
			}
			set, complete, err := chunkDictionary(b.df, b.rg, col, pre)
			if err != nil {
				return nil, fmt.Errorf("read %s of %s: %w", nullsRoot, b.df.path, err)
			}
			if complete {
				b.nullPaths = set
			}
		}
	}
	if b.nullPaths != nil && !b.nullPaths[path] {
		// No row of the row group has the path JSON null.
		return func(int) bool { return false }, nil
	}
	c, ok, err := b.column(colNulls)
	if err != nil {
		return nil, err
	}
	if !ok {
		return func(int) bool { return false }, nil
	}
	if c.Leaf.MaxRep == 0 || c.Leaf.Type != format.ByteArray {
		return nil, fmt.Errorf("column %s of %s: not a list of strings", nullsRoot, b.df.path)
	}
	// One entry per list element (or empty list / null row): a row starts
	// at repetition level 0. Mark the rows with the path among their
	// elements.
	rows := make([]bool, b.n)
	row := -1
	want := []byte(path)
	for e := 0; e < c.Len(); e++ {
		if c.Reps[e] == 0 {
			row++
		}
		if row < 0 || row >= b.n {
			return nil, fmt.Errorf("column %s of %s: more lists than %d rows", nullsRoot, b.df.path, b.n)
		}
		if c.Valid[e] && string(c.Value(e)) == string(want) {
			rows[row] = true
		}
	}
	return func(i int) bool { return rows[i] }, nil
}

// prunePages: the page index holds nothing this filter can use.
func (*jsonFilter) prunePages(*batch, *bitmap) error { return nil }

func (f *jsonFilter) reads(_ *rowGroupMeta, add func(string)) { add(f.col) }
