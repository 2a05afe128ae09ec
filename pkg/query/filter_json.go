package query

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// jsonFilter evaluates a comparison below a JSON text column
// (requestParameters, ...) or on an unknown top-level member (ctqExtra).
// A byte pre-filter on the literal rejects most rows before any JSON is
// decoded; only candidates are decoded and the path extracted.
type jsonFilter struct {
	cmp    *Compare
	col    string
	sub    *Compare // the comparison relative to the column's value
	wrap   bool     // sub selects the column value itself: evaluate on {"v":text}
	needle []byte   // bytes every match must contain, if known
	alt    []byte   // the needle with "/" escaped, also accepted
}

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
		f.needle = []byte(c.Val.Str)
		if strings.Contains(c.Val.Str, "/") {
			// JSON may write "/" as "\/": accept either spelling.
			f.alt = []byte(strings.ReplaceAll(c.Val.Str, "/", `\/`))
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
		pre = fmt.Sprintf("byte pre-filter %q", f.needle)
	}
	fmt.Fprintf(sb, "%s%s  [JSON text column %s: %s, then path extraction]\n", indent, f.cmp, f.col, pre)
}

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
		if f.needle != nil && !bytes.Contains(doc, f.needle) && (f.alt == nil || !bytes.Contains(doc, f.alt)) &&
			!bytes.Contains(doc, []byte(`\u`)) { // \u escapes may spell the needle: decode those
			return false
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
		if col, ok := b.df.cols[colNulls]; ok {
			set, complete, err := chunkDictionary(b.df, b.rg, col)
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
	arr, ok, err := b.leaf(colNulls)
	if err != nil {
		return nil, err
	}
	if !ok {
		return func(int) bool { return false }, nil
	}
	list, ok := arr.(*array.List)
	if !ok {
		return nil, fmt.Errorf("column %s: unexpected type %s", nullsRoot, arr.DataType())
	}
	offs := list.Offsets()
	vals := list.ListValues()
	var get func(int) string
	switch v := vals.(type) {
	case *array.String:
		get = v.Value
	case *array.Dictionary:
		d := v.Dictionary().(*array.String)
		ix := dictIndexGetter(v.Indices())
		get = func(j int) string { return d.Value(ix(j)) }
	default:
		return nil, fmt.Errorf("column %s: unexpected element type %s", nullsRoot, vals.DataType())
	}
	return func(i int) bool {
		if list.IsNull(i) {
			return false
		}
		for j := offs[i]; j < offs[i+1]; j++ {
			if get(int(j)) == path {
				return true
			}
		}
		return false
	}, nil
}
