package detect

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
)

// maxConditionDepth bounds parenthesis and `not` nesting in a condition
// (real rules nest a few levels; the bound keeps hostile input from
// exhausting the stack).
const maxConditionDepth = 64

// condParser is a recursive-descent parser for Sigma conditions:
//
//	expr    := and ("or" and)*
//	and     := unary ("and" unary)*
//	unary   := "not" unary | primary
//	primary := "(" expr ")" | quant "of" target | identifier
//	quant   := "1" | "any" | "all"
//	target  := "them" | identifier pattern with * wildcards
//
// Keywords are case-insensitive. A condition may end with a legacy
// aggregation (see parseAggregation); "near" is reported as unsupported.
type condParser struct {
	c     *sigmaCompiler
	toks  []string
	pos   int
	depth int
}

// condition parses a condition: a search expression, and the aggregation
// after a "|" if there is one (nil otherwise).
func (c *sigmaCompiler) condition(s string) (bexpr, *aggregation, error) {
	var agg *aggregation
	if i := strings.Index(s, "|"); i >= 0 {
		a, err := parseAggregation(s[i+1:])
		if err != nil {
			return bexpr{}, nil, err
		}
		agg, s = &a, s[:i]
	}
	e, err := c.searchExpr(s)
	return e, agg, err
}

// aggregation is a legacy Sigma aggregation condition:
// count([field]) [by group[, group]] op N.
type aggregation struct {
	field     string   // count(field): distinct values of field; "" for count()
	by        []string // group fields
	threshold Threshold
}

// aggRe is a legacy aggregation: function(field) [by fields] op number.
var aggRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*([A-Za-z_]+)\s*\(\s*([^()\s]*)\s*\)\s*(?:(?i:by)\s+([^<>=]+?)\s*)?(>=|<=|==|=|>|<)\s*([^\s]+)\s*$`)
})

// parseAggregation parses the part of a condition after "|": count() or
// count(field) (the number of distinct values of field), an optional
// "by" and one or more comma-separated group fields, and a comparison (>,
// >=, <, <=, = or ==) with a number. Other functions (min, max, avg, sum)
// are unsupported.
func parseAggregation(s string) (aggregation, error) {
	m := aggRe().FindStringSubmatch(s)
	if m == nil {
		return aggregation{}, fmt.Errorf("aggregation %q: want count() or count(field), optionally by fields, then >, >=, <, <= or = and a number", strings.TrimSpace(s))
	}
	if fn := strings.ToLower(m[1]); fn != "count" {
		return aggregation{}, unsupportedf("aggregation function %s() (only count() and count(field) are supported)", m[1])
	}
	var agg aggregation
	agg.field = m[2]
	if m[3] != "" {
		for _, g := range strings.Split(m[3], ",") {
			g = strings.TrimSpace(g)
			if g == "" || strings.ContainsAny(g, " \t") {
				return aggregation{}, fmt.Errorf("aggregation %q: group field %q: want field names separated by commas", strings.TrimSpace(s), g)
			}
			agg.by = append(agg.by, g)
		}
	}
	op := m[4]
	if op == "==" {
		op = "="
	}
	t, err := ParseThreshold(op + m[5])
	if err != nil {
		return aggregation{}, fmt.Errorf("aggregation %q: %w", strings.TrimSpace(s), err)
	}
	agg.threshold = t
	return agg, nil
}

// searchExpr parses the search expression of a condition.
func (c *sigmaCompiler) searchExpr(s string) (bexpr, error) {
	p := &condParser{c: c, toks: condTokens(s)}
	if len(p.toks) == 0 {
		return bexpr{}, fmt.Errorf("empty condition")
	}
	e, err := p.or()
	if err != nil {
		return bexpr{}, err
	}
	if p.pos < len(p.toks) {
		return bexpr{}, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return e, nil
}

// condTokens splits a condition into words and parentheses.
func condTokens(s string) []string {
	var out []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			out = append(out, string(r))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) isKeyword(w string) bool { return strings.EqualFold(p.peek(), w) }

func (p *condParser) or() (bexpr, error) {
	first, err := p.and()
	if err != nil {
		return bexpr{}, err
	}
	kids := []bexpr{first}
	for p.isKeyword("or") {
		p.pos++
		e, err := p.and()
		if err != nil {
			return bexpr{}, err
		}
		kids = append(kids, e)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return bexpr{op: bOr, kids: kids}, nil
}

func (p *condParser) and() (bexpr, error) {
	first, err := p.unary()
	if err != nil {
		return bexpr{}, err
	}
	kids := []bexpr{first}
	for p.isKeyword("and") {
		p.pos++
		e, err := p.unary()
		if err != nil {
			return bexpr{}, err
		}
		kids = append(kids, e)
	}
	if p.isKeyword("near") {
		return bexpr{}, unsupportedf("near is not supported")
	}
	if len(kids) == 1 {
		return first, nil
	}
	return bexpr{op: bAnd, kids: kids}, nil
}

func (p *condParser) unary() (bexpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxConditionDepth {
		return bexpr{}, fmt.Errorf("nested more than %d deep", maxConditionDepth)
	}
	if p.isKeyword("not") {
		p.pos++
		e, err := p.unary()
		if err != nil {
			return bexpr{}, err
		}
		return bexpr{op: bNot, kids: []bexpr{e}}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (bexpr, error) {
	t := p.peek()
	switch {
	case t == "":
		return bexpr{}, fmt.Errorf("unexpected end")
	case t == "(":
		p.pos++
		e, err := p.or()
		if err != nil {
			return bexpr{}, err
		}
		if p.peek() != ")" {
			return bexpr{}, fmt.Errorf("missing )")
		}
		p.pos++
		return e, nil
	case t == ")":
		return bexpr{}, fmt.Errorf("unexpected )")
	case t == "1" || strings.EqualFold(t, "any") || strings.EqualFold(t, "all"):
		if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of") {
			all := strings.EqualFold(t, "all")
			if p.pos+2 >= len(p.toks) {
				return bexpr{}, fmt.Errorf("%s of: missing target", t)
			}
			target := p.toks[p.pos+2]
			p.pos += 3
			return p.quantified(all, target)
		}
	case strings.EqualFold(t, "near"):
		return bexpr{}, unsupportedf("near is not supported")
	}
	for _, kw := range []string{"and", "or", "not", "of"} {
		if strings.EqualFold(t, kw) {
			return bexpr{}, fmt.Errorf("unexpected %q", t)
		}
	}
	if _, err := fmt.Sscanf(t, "%d", new(int)); err == nil && t != "1" {
		return bexpr{}, unsupportedf("%q of: only 1 of and all of are supported", t)
	}
	p.pos++
	return p.c.search(t)
}

// quantified is "1 of target" (any) or "all of target". "them" is every
// search identifier except those starting with "_".
func (p *condParser) quantified(all bool, target string) (bexpr, error) {
	var names []string
	for _, n := range p.c.order {
		if strings.EqualFold(target, "them") {
			if !strings.HasPrefix(n, "_") {
				names = append(names, n)
			}
			continue
		}
		if ok, err := path.Match(target, n); err == nil && ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return bexpr{}, fmt.Errorf("%q matches no search identifier", target)
	}
	var kids []bexpr
	for _, n := range names {
		e, err := p.c.search(n)
		if err != nil {
			return bexpr{}, err
		}
		kids = append(kids, e)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	if all {
		return bexpr{op: bAnd, kids: kids}, nil
	}
	return bexpr{op: bOr, kids: kids}, nil
}
