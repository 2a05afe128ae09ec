package insights

import (
	"strings"

	"github.com/ctq-dev/ctq/pkg/query"
)

// Pushdown: the leading filters of a query become a filter pattern that
// the lake scan evaluates, so they prune files, row groups and pages
// (typed columns, dictionaries, IN sets, bloom filters) as ctq query does.
//
// The pushed pattern is a superset filter: every record the query's
// filters keep matches it. The evaluator still applies every stage
// exactly, so pushdown can only make a run faster, never change its
// answer. Only forms whose pattern meaning contains the Insights meaning
// are pushed:
//
//   - f = "s" (either side) and f in ["s", …], where the strings do not
//     read as decimal numbers (which would compare numerically in
//     Insights);
//   - f like "s", where s holds a character that cannot occur in a
//     number's text and no '*' (a pattern wildcard);
//   - and of anything (the pushable sides), or of pushable sides only;
//   - every { … } stage before the first stats, sort, dedup or limit.
//
// f must be a path the pattern resolves the same way: one plain segment,
// or a path under a CloudTrail object whose members never contain dots
// (userIdentity, tlsDetails), since Insights also finds a member named
// "a.b" for a.b.

// pushdownParents are the first segments of longer pushable paths.
var pushdownParents = map[string]bool{"userIdentity": true, "tlsDetails": true}

// pushdown returns the pattern node the scan can filter with: the AND of
// the leading { … } stages and of the pushable parts of the filters before
// the first stage that changes or reorders rows; MatchAll when none.
func pushdown(q *Query) query.Node {
	var terms []query.Node
	computed := false // a fields/display stage may shadow field names
scan:
	for _, c := range q.Commands {
		switch c := c.(type) {
		case *PatternFilter:
			terms = append(terms, c.Pattern.Root)
		case *Filter:
			if computed {
				continue
			}
			if n := pushExpr(c.Cond); n != nil {
				terms = append(terms, n)
			}
		case *Fields, *Display:
			computed = true
		default:
			break scan
		}
	}
	switch len(terms) {
	case 0:
		return &query.MatchAll{}
	case 1:
		return terms[0]
	}
	return &query.And{Terms: terms}
}

// pushExpr translates the pushable part of a filter expression, or
// returns nil.
func pushExpr(e Expr) query.Node {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "and":
			l, r := pushExpr(x.L), pushExpr(x.R)
			switch {
			case l == nil:
				return r
			case r == nil:
				return l
			}
			return &query.And{Terms: []query.Node{l, r}}
		case "or":
			l, r := pushExpr(x.L), pushExpr(x.R)
			if l == nil || r == nil {
				return nil
			}
			return &query.Or{Terms: []query.Node{l, r}}
		case "=":
			f, lit := fieldAndString(x.L, x.R)
			if f == nil {
				f, lit = fieldAndString(x.R, x.L)
			}
			if f == nil || isDecimal(lit) {
				return nil
			}
			return equalsNode(f, lit)
		}
	case *InExpr:
		f, ok := x.X.(*FieldRef)
		list, isList := x.List.(*ListLit)
		if x.Not || !ok || !isList || len(list.Elems) == 0 || selector(f) == nil {
			return nil
		}
		var terms []query.Node
		for _, l := range list.Elems {
			if l.Val.Kind != KindString || isDecimal(l.Val.Str) {
				return nil
			}
			terms = append(terms, equalsNode(f, l.Val.Str))
		}
		if len(terms) == 1 {
			return terms[0]
		}
		return &query.Or{Terms: terms}
	case *MatchExpr:
		f, ok := x.X.(*FieldRef)
		lit, isLit := x.Pat.(*Literal)
		if x.Not || x.Op != "like" || !ok || !isLit || selector(f) == nil {
			return nil
		}
		s := lit.Val.Str
		if s == "" || strings.Contains(s, "*") || strings.Trim(s, "0123456789.eE+-") == "" {
			return nil
		}
		return &query.Compare{Sel: *selector(f), Op: query.OpEq,
			Val: query.Value{Kind: query.ValString, Str: s, Prefix: true, Suffix: true, Quoted: true}}
	}
	return nil
}

// fieldAndString matches a pushable field compared with a string literal.
func fieldAndString(a, b Expr) (*FieldRef, string) {
	f, ok := a.(*FieldRef)
	lit, isLit := b.(*Literal)
	if !ok || !isLit || lit.Val.Kind != KindString || selector(f) == nil {
		return nil, ""
	}
	return f, lit.Val.Str
}

func equalsNode(f *FieldRef, s string) query.Node {
	return &query.Compare{Sel: *selector(f), Op: query.OpEq, Val: query.Value{Kind: query.ValString, Str: s, Quoted: true}}
}

// selector returns the pattern selector of a pushable field path, or nil.
func selector(f *FieldRef) *query.Selector {
	if len(f.Segs) > 1 && !pushdownParents[f.Segs[0].Name] {
		return nil
	}
	sel := &query.Selector{}
	for _, s := range f.Segs {
		if s.IsIndex || s.Quoted || s.Name == "" || strings.HasPrefix(s.Name, "@") || isDigitByte(s.Name[0]) || strings.Contains(s.Name, "*") {
			return nil
		}
		sel.Steps = append(sel.Steps, query.Step{Kind: query.StepField, Name: s.Name})
	}
	return sel
}
