package query

import "fmt"

// compile turns a pattern tree into filters. Each comparison becomes the
// filter kind that can evaluate it from the narrowest column.
func compile(n Node) (filter, error) {
	switch n := n.(type) {
	case *MatchAll:
		return &constFilter{match: true}, nil
	case *And:
		kids := make([]filter, 0, len(n.Terms))
		for _, t := range n.Terms {
			k, err := compile(t)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		return newAnd(kids), nil
	case *Or:
		return compileOr(n)
	case *Terms:
		return newRawFilter(n), nil
	case *Compare:
		return compileCompare(n), nil
	}
	return nil, fmt.Errorf("BUG: cannot compile %T", n)
}

func compileCompare(c *Compare) filter {
	t := classify(c.Sel)
	switch t.kind {
	case tJSON, tExtra:
		return newJSONFilter(c, t)
	case tRaw:
		return newRawFilter(c)
	}
	isBool := typedCols().bools[t.col]
	switch c.Op {
	case OpEq, OpNe:
		return newTypedFilter(c, t.col)
	case OpLt, OpGt, OpLe, OpGe:
		return &typedFalse{cmp: c, reason: t.col + " is never a JSON number"}
	case OpIsTrue, OpIsFalse:
		if !isBool {
			return &typedFalse{cmp: c, reason: t.col + " is never a JSON boolean"}
		}
		return &boolFilter{cmp: c, col: t.col, want: c.Op == OpIsTrue}
	default: // OpIsNull, OpNotExists
		return &presenceFilter{cmp: c, col: t.col}
	}
}
