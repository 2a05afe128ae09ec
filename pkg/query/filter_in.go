package query

import (
	"fmt"
	"sort"
	"strings"
)

// inThreshold is the number of `=` alternatives on one column from which an
// OR is evaluated as one set lookup: below it, separate equality filters are
// just as fast; above it, one pass over the column (or its dictionary)
// replaces one pass per alternative. CIS metric filters OR up to 18 event
// names.
const inThreshold = 3

// newInFilter evaluates `col = v1 || col = v2 || ...` (exact literals) as one
// typed filter with a set lookup.
func newInFilter(col string, cmps []*Compare) *typedFilter {
	set := make(map[string]struct{}, len(cmps))
	lits := make([]string, 0, len(cmps))
	for _, c := range cmps {
		lit, _ := exactLiteral(c.Val)
		if _, dup := set[lit]; !dup {
			set[lit] = struct{}{}
			lits = append(lits, lit)
		}
	}
	sort.Strings(lits)
	var sb strings.Builder
	for i, c := range cmps {
		if i > 0 {
			sb.WriteString(" || ")
		}
		sb.WriteString(c.String())
	}
	return &typedFilter{
		cmp:   &Compare{Sel: cmps[0].Sel, Op: OpEq, Val: Value{Kind: ValString, Str: sb.String()}},
		col:   col,
		match: func(s string) bool { _, ok := set[s]; return ok },
		set:   lits,
		label: fmt.Sprintf("%s IN (%d values)", col, len(lits)),
	}
}

// inCandidate reports the typed column of an exact `=` comparison, if any.
func inCandidate(n Node) (string, *Compare, bool) {
	c, ok := n.(*Compare)
	if !ok || c.Op != OpEq {
		return "", nil, false
	}
	if _, exact := exactLiteral(c.Val); !exact {
		return "", nil, false
	}
	t := classify(c.Sel)
	if t.kind != tTyped || t.col == colTime || typedCols().bools[t.col] {
		return "", nil, false
	}
	return t.col, c, true
}

// compileOr groups exact equalities on the same typed column into set
// filters and compiles the rest normally.
func compileOr(n *Or) (filter, error) {
	byCol := map[string][]*Compare{}
	var order []string
	for _, t := range n.Terms {
		if col, c, ok := inCandidate(t); ok {
			if _, seen := byCol[col]; !seen {
				order = append(order, col)
			}
			byCol[col] = append(byCol[col], c)
		}
	}
	var kids []filter
	grouped := map[*Compare]bool{}
	for _, col := range order {
		if cs := byCol[col]; len(cs) >= inThreshold {
			kids = append(kids, newInFilter(col, cs))
			for _, c := range cs {
				grouped[c] = true
			}
		}
	}
	for _, t := range n.Terms {
		if c, ok := t.(*Compare); ok && grouped[c] {
			continue
		}
		k, err := compile(t)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &orFilter{kids: kids}, nil
}
