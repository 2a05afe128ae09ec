package query

import (
	"fmt"
	"math"
	"strings"
)

// Lint returns warnings for parts of a pattern that can never match a
// CloudTrail record:
//
//   - a selector that known reports as unknown (not a CloudTrail field),
//     unless it starts with a wildcard; nil known means KnownSelector;
//   - a type mismatch with the documented CloudTrail field types: < > <= >=
//     on a string field (eventName), IS TRUE / IS FALSE on a string field
//     (userIdentity.sessionContext.attributes.mfaAuthenticated is the string
//     "true"), a comparison of an object or array, a string that is not
//     true/false compared with a boolean field;
//   - "!= *", which no value satisfies;
//   - contradictions between the comparisons of one &&, on the same
//     selector without wildcards: = "x" with = "y", = "x" with != "x",
//     NOT EXISTS with any comparison, IS NULL with a value comparison,
//     IS TRUE with IS FALSE, an empty numeric range (> 10 && < 5);
//   - a term pattern whose -term occurs in one of its required terms.
//
// Lint never changes p. Warnings carry the offset of the comparison in
// p.Source when the pattern came from Parse, else -1.
func Lint(p *Pattern, known func(Selector) bool) []Warning {
	if p == nil || p.Root == nil {
		return nil
	}
	if known == nil {
		known = KnownSelector
	}
	l := &linter{p: p, known: known}
	l.node(p.Root)
	return l.out
}

type linter struct {
	p     *Pattern
	known func(Selector) bool
	out   []Warning
}

func (l *linter) pos(c *Compare) int {
	if pos, ok := l.p.positions[c]; ok {
		return pos
	}
	return -1
}

func (l *linter) warn(pos int, format string, args ...any) {
	l.out = append(l.out, Warning{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (l *linter) node(n Node) {
	switch n := n.(type) {
	case *And:
		for _, t := range n.Terms {
			l.node(t)
		}
		l.contradictions(n)
	case *Or:
		for _, t := range n.Terms {
			l.node(t)
		}
	case *Compare:
		l.compare(n)
	case *Terms:
		l.terms(n)
	}
}

func (l *linter) compare(c *Compare) {
	pos := l.pos(c)
	sel := c.Sel.String()
	if len(c.Sel.Steps) > 0 && c.Sel.Steps[0].Kind != StepAnyField && c.Sel.Steps[0].Kind != StepAnyIndex && !l.known(c.Sel) {
		msg := fmt.Sprintf("%s is not a CloudTrail record field, so this comparison never matches", sel)
		if sugg := suggestSelectors(c.Sel); len(sugg) > 0 {
			msg += " (did you mean " + strings.Join(sugg, ", ") + "?)"
		}
		l.warn(pos, "%s", msg)
	}
	if c.Op == OpNe && c.Val.Kind == ValAny {
		l.warn(pos, "%s != * never matches: every present value matches *; use NOT EXISTS for an absent field", sel)
	}
	f, free := lookupSelector(c.Sel)
	if f == nil || free {
		return
	}
	valueOp := c.Op != OpIsNull && c.Op != OpNotExists
	switch f.typ {
	case ctObject, ctArray:
		if valueOp {
			l.warn(pos, "%s never matches: %s is %s in CloudTrail records, and comparisons need a string, number or boolean", c.String(), sel, map[ctType]string{ctObject: "an object", ctArray: "an array"}[f.typ])
		}
	case ctString, ctTime:
		switch c.Op {
		case OpLt, OpGt, OpLe, OpGe:
			l.warn(pos, "%s never matches: %s is a string in CloudTrail records, and <, >, <=, >= compare JSON numbers only", c.String(), sel)
		case OpIsTrue, OpIsFalse:
			want := "true"
			if c.Op == OpIsFalse {
				want = "false"
			}
			l.warn(pos, "%s never matches: %s is a string in CloudTrail records (\"true\"/\"false\"), and IS TRUE / IS FALSE test JSON booleans; use %s = \"%s\"", c.String(), sel, sel, want)
		}
	case ctBool:
		switch c.Op {
		case OpLt, OpGt, OpLe, OpGe:
			l.warn(pos, "%s never matches: %s is a boolean in CloudTrail records; use IS TRUE or IS FALSE", c.String(), sel)
		case OpEq:
			if lit, exact := exactText(c.Val); exact && lit != "true" && lit != "false" {
				l.warn(pos, "%s never matches: %s is a boolean in CloudTrail records; use IS TRUE or IS FALSE", c.String(), sel)
			}
		}
	}
}

// exactText returns the text an = comparison requires exactly, for string
// values without wildcards and numbers compared with non-numbers.
func exactText(v Value) (string, bool) {
	switch v.Kind {
	case ValString:
		return v.Str, !v.Prefix && !v.Suffix
	case ValNumber:
		return v.Text, true
	}
	return "", false
}

// suggestSelectors proposes known selectors close to an unknown one.
func suggestSelectors(sel Selector) []string {
	var names []string
	for _, st := range sel.Steps {
		switch st.Kind {
		case StepField:
			names = append(names, st.Name)
		case StepAnyField:
			return nil
		}
	}
	if len(names) == 0 {
		return nil
	}
	var out []string
	for _, p := range suggestFields(strings.Join(names, ".")) {
		if s, err := DefaultResolver(p); err == nil {
			out = append(out, s.String())
		}
	}
	return out
}

func hasWildcard(sel Selector) bool { return countWildcards(sel) > 0 }

// contradictions checks the comparisons directly under one And.
func (l *linter) contradictions(a *And) {
	groups := map[string][]*Compare{}
	var order []string
	for _, t := range a.Terms {
		c, ok := t.(*Compare)
		if !ok || hasWildcard(c.Sel) {
			continue
		}
		k := c.Sel.String()
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	for _, k := range order {
		cs := groups[k]
		if len(cs) < 2 {
			continue
		}
		if a, b, ok := conflictingPair(cs); ok {
			l.warn(l.pos(b), "never matches: %s and %s cannot both hold", strings.TrimSuffix(strings.TrimPrefix(a.String(), "{ "), " }"), strings.TrimSuffix(strings.TrimPrefix(b.String(), "{ "), " }"))
			continue
		}
		if c, ok := emptyRange(cs); ok {
			l.warn(l.pos(c), "never matches: the numeric conditions on %s leave no possible value", k)
		}
	}
}

func conflictingPair(cs []*Compare) (a, b *Compare, ok bool) {
	for j := 1; j < len(cs); j++ {
		for i := 0; i < j; i++ {
			if conflicts(cs[i], cs[j]) || conflicts(cs[j], cs[i]) {
				return cs[i], cs[j], true
			}
		}
	}
	return nil, nil, false
}

// conflicts reports whether no single value satisfies both comparisons
// (checked in one direction; the caller tries both).
func conflicts(a, b *Compare) bool {
	switch a.Op {
	case OpNotExists:
		return b.Op != OpNotExists
	case OpIsNull:
		return b.Op != OpIsNull && b.Op != OpNotExists
	case OpIsTrue:
		return b.Op == OpIsFalse || isNumericOp(b.Op)
	case OpIsFalse:
		return isNumericOp(b.Op)
	case OpEq:
		if b.Op != OpEq && b.Op != OpNe {
			return false
		}
		av, bv := a.Val, b.Val
		switch {
		case av.Kind == ValString && bv.Kind == ValString && !av.Prefix && !av.Suffix && !bv.Prefix && !bv.Suffix:
			if b.Op == OpEq {
				return av.Str != bv.Str
			}
			return av.Str == bv.Str
		case av.Kind == ValNumber && bv.Kind == ValNumber:
			if b.Op == OpEq {
				return av.Num != bv.Num && av.Text != bv.Text
			}
			return av.Num == bv.Num && av.Text == bv.Text
		case av.Kind == ValAny && b.Op == OpNe && bv.Kind == ValAny:
			return true
		}
	}
	return false
}

// emptyRange reports comparisons whose numeric bounds admit no number (the
// numeric operators only hold for JSON numbers, so = N then means the
// number N).
func emptyRange(cs []*Compare) (*Compare, bool) {
	lo, hi := math.Inf(-1), math.Inf(1)
	loStrict, hiStrict := false, false
	numeric := false
	for _, c := range cs {
		if isNumericOp(c.Op) {
			numeric = true
		}
	}
	if !numeric {
		return nil, false
	}
	for _, c := range cs {
		if c.Val.Kind != ValNumber {
			continue
		}
		n := c.Val.Num
		switch c.Op {
		case OpGt:
			if n > lo || n == lo {
				lo, loStrict = n, true
			}
		case OpGe:
			if n > lo {
				lo, loStrict = n, false
			}
		case OpLt:
			if n < hi || n == hi {
				hi, hiStrict = n, true
			}
		case OpLe:
			if n < hi {
				hi, hiStrict = n, false
			}
		case OpEq:
			if n > lo {
				lo, loStrict = n, false
			}
			if n < hi {
				hi, hiStrict = n, false
			}
		default:
			continue
		}
		if lo > hi || lo == hi && (loStrict || hiStrict) {
			return c, true
		}
	}
	return nil, false
}

// terms warns about a -term that every matching record must contain.
func (l *linter) terms(t *Terms) {
	for _, ex := range t.Exclude {
		if ex.Re != nil {
			continue
		}
		for _, m := range t.Must {
			if m.Re == nil && strings.Contains(m.Text, ex.Text) {
				pos := strings.Index(l.p.Source, "-"+ex.String())
				l.warn(pos, "never matches: every record with %s also contains the excluded -%s", m.String(), ex.String())
			}
		}
	}
}
