package insights

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// funcSpec describes a function: its argument counts and whether it is an
// aggregate (allowed only in stats items).
type funcSpec struct {
	min, max int // max < 0: any number
	agg      bool
}

// functions is the subset of spec §3.2 and §4.4, by lower-case name.
var functions = map[string]funcSpec{
	// scalar
	"ispresent": {1, 1, false}, "isempty": {1, 1, false}, "isblank": {1, 1, false},
	"coalesce": {1, -1, false}, "greatest": {1, -1, false}, "least": {1, -1, false},
	"abs": {1, 1, false}, "ceil": {1, 1, false}, "floor": {1, 1, false}, "log": {1, 1, false}, "sqrt": {1, 1, false},
	"toupper": {1, 1, false}, "tolower": {1, 1, false}, "strlen": {1, 1, false},
	"trim": {1, 2, false}, "ltrim": {1, 2, false}, "rtrim": {1, 2, false},
	"substr": {2, 3, false}, "replace": {3, 3, false}, "strcontains": {2, 3, false}, "concat": {1, -1, false},
	"isvalidip": {1, 1, false}, "isvalidipv4": {1, 1, false}, "isvalidipv6": {1, 1, false},
	"isipinsubnet": {2, 2, false}, "isipv4insubnet": {2, 2, false}, "isipv6insubnet": {2, 2, false},
	"bin": {1, 1, false}, "datefloor": {2, 2, false}, "dateceil": {2, 2, false},
	"frommillis": {1, 1, false}, "tomillis": {1, 1, false}, "now": {0, 0, false},
	"jsonparse": {1, 1, false}, "jsonstringify": {1, 1, false},
	// aggregates
	"count": {0, 1, true}, "count_distinct": {1, 1, true}, "sum": {1, 1, true}, "avg": {1, 1, true},
	"min": {1, 1, true}, "max": {1, 1, true}, "stddev": {1, 1, true}, "pct": {2, 2, true},
	"earliest": {1, 1, true}, "latest": {1, 1, true}, "sortsfirst": {1, 1, true}, "sortslast": {1, 1, true},
}

// functionNames lists the functions for error messages.
func functionNames() string {
	names := make([]string, 0, len(functions))
	for n := range functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// validator checks the validity rules (spec §2) and the function calls.
type validator struct {
	q *Query
	// cols, once a stats has run, is the set of column names rows have;
	// field references must name one of them.
	cols map[string]bool
}

func (v *validator) err(pos int, msg string) *SyntaxError {
	return &SyntaxError{Query: v.q.Source, Pos: pos, Token: describeAt(v.q.Source, pos), Msg: msg}
}

func validate(q *Query) error {
	v := &validator{q: q}
	nstats := 0
	for _, c := range q.Commands {
		if _, ok := c.(*Stats); ok {
			nstats++
			if nstats > 2 {
				return v.err(c.Pos(), "a query may have at most two stats commands")
			}
		}
	}
	seen := 0
	var dedup *Dedup
	for _, c := range q.Commands {
		if dedup != nil {
			if _, ok := c.(*Limit); !ok {
				return v.err(c.Pos(), "only limit may follow dedup (dedup at offset "+strconv.Itoa(dedup.P)+")")
			}
		}
		switch c := c.(type) {
		case *Stats:
			seen++
			if err := v.stats(c, seen); err != nil {
				return err
			}
		case *Sort:
			if nstats == 2 && seen < 2 {
				return v.err(c.P, "with two stats commands, sort must follow the second one")
			}
			for _, k := range c.Keys {
				if err := v.scalar(k.Expr, "sort"); err != nil {
					return err
				}
			}
		case *Limit:
			if nstats == 2 && seen < 2 {
				return v.err(c.P, "with two stats commands, limit must follow the second one")
			}
		case *Dedup:
			dedup = c
			for _, f := range c.Fields {
				if err := v.scalar(f, "dedup"); err != nil {
					return err
				}
			}
		case *Filter:
			if err := v.scalar(c.Cond, c.Keyword); err != nil {
				return err
			}
		case *PatternFilter:
			if seen > 0 {
				return v.err(c.P, "a { … } filter pattern reads the records, so it must come before stats")
			}
		case *Fields:
			if err := v.itemList(c.Items, "fields"); err != nil {
				return err
			}
		case *Display:
			if err := v.itemList(c.Items, "display"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *validator) itemList(items []Item, cmd string) error {
	for _, it := range items {
		if err := v.scalar(it.Expr, cmd); err != nil {
			return err
		}
	}
	if v.cols != nil {
		for _, it := range items {
			v.cols[it.Name] = true
		}
	}
	return nil
}

// stats checks one stats command: aggregates only in items and not
// nested, items made of aggregates and earlier aliases, keys without
// aggregates, bin only in keys of the first stats, no duplicate names.
func (v *validator) stats(c *Stats, nth int) error {
	names := map[string]bool{}
	for _, k := range c.By {
		if err := v.walk(k.Expr, walkCtx{cmd: "stats by", binOK: nth == 1}); err != nil {
			return err
		}
		if names[k.Name] {
			return v.err(k.Expr.Pos(), "duplicate column name "+strconv.Quote(k.Name)+"; give one of them an alias with as")
		}
		names[k.Name] = true
	}
	earlier := map[string]bool{}
	for _, it := range c.Items {
		if !hasAggregate(it.Expr) && !hasField(it.Expr) {
			return v.err(it.Expr.Pos(), "a stats item must use an aggregate function or earlier items of the same stats (count, count_distinct, sum, avg, min, max, stddev, pct, earliest, latest, sortsFirst, sortsLast)")
		}
		if err := v.walk(it.Expr, walkCtx{cmd: "stats", aggOK: true, aliases: earlier}); err != nil {
			return err
		}
		if names[it.Name] {
			return v.err(it.Expr.Pos(), "duplicate column name "+strconv.Quote(it.Name)+"; give one of them an alias with as")
		}
		names[it.Name] = true
		earlier[it.Name] = true
	}
	v.cols = names
	return nil
}

func hasAggregate(e Expr) bool {
	found := false
	walkExpr(e, func(x Expr) {
		if c, ok := x.(*Call); ok && functions[c.Fn].agg {
			found = true
		}
	})
	return found
}

func hasField(e Expr) bool {
	found := false
	walkExpr(e, func(x Expr) {
		if _, ok := x.(*FieldRef); ok {
			found = true
		}
	})
	return found
}

// walkExpr calls fn for e and every sub-expression.
func walkExpr(e Expr, fn func(Expr)) {
	fn(e)
	switch x := e.(type) {
	case *Unary:
		walkExpr(x.X, fn)
	case *Binary:
		walkExpr(x.L, fn)
		walkExpr(x.R, fn)
	case *MatchExpr:
		walkExpr(x.X, fn)
		walkExpr(x.Pat, fn)
	case *InExpr:
		walkExpr(x.X, fn)
		walkExpr(x.List, fn)
	case *Call:
		for _, a := range x.Args {
			walkExpr(a, fn)
		}
	case *Access:
		walkExpr(x.X, fn)
	case *ListLit:
		for _, l := range x.Elems {
			fn(l)
		}
	}
}

func (v *validator) scalar(e Expr, cmd string) error {
	return v.walk(e, walkCtx{cmd: cmd})
}

type walkCtx struct {
	cmd     string
	aggOK   bool            // an aggregate may start here (stats items)
	inAgg   bool            // inside an aggregate's arguments
	binOK   bool            // bin() allowed (keys of the first stats)
	aliases map[string]bool // stats items: earlier items of the same stats
}

// walk checks an expression in context.
func (v *validator) walk(e Expr, w walkCtx) error {
	switch x := e.(type) {
	case *FieldRef:
		if w.aliases != nil && !w.inAgg {
			if !w.aliases[x.Name] {
				return v.err(x.P, "field "+strconv.Quote(x.Name)+" is outside an aggregate function; a stats item may use only aggregates and earlier items of the same stats")
			}
			return nil
		}
		if v.cols != nil && !v.cols[x.Name] {
			return v.err(x.P, "unknown column "+strconv.Quote(x.Name)+" after stats; the columns are "+sortedNames(v.cols))
		}
	case *Call:
		return v.call(x, w)
	case *Unary:
		return v.walk(x.X, w)
	case *Binary:
		if err := v.walk(x.L, w); err != nil {
			return err
		}
		return v.walk(x.R, w)
	case *MatchExpr:
		return v.walk(x.X, w)
	case *InExpr:
		if err := v.walk(x.X, w); err != nil {
			return err
		}
		return v.walk(x.List, w)
	case *Access:
		return v.walk(x.X, w)
	case *DurationLit:
		return v.err(x.P, "a period such as "+x.Text+" is allowed only as an argument of bin, datefloor or dateceil")
	case *Star:
		return v.err(x.P, "* is allowed only in count(*)")
	}
	return nil
}

func sortedNames(m map[string]bool) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, quoteName(n))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (v *validator) call(c *Call, w walkCtx) error {
	spec, ok := functions[c.Fn]
	if !ok {
		return v.err(c.P, "unknown function "+strconv.Quote(c.Name)+"; the functions are "+functionNames())
	}
	if v.cols != nil && spec.agg && !w.aggOK {
		// After stats, count(*) and the like name columns.
		if v.cols[c.Text] {
			return nil
		}
	}
	n := len(c.Args)
	if n < spec.min || (spec.max >= 0 && n > spec.max) {
		want := strconv.Itoa(spec.min)
		switch {
		case spec.max < 0:
			want = "at least " + want
		case spec.max != spec.min:
			want += " to " + strconv.Itoa(spec.max)
		}
		return v.err(c.P, c.Name+" takes "+want+" arguments, not "+strconv.Itoa(n))
	}
	if spec.agg {
		switch {
		case w.inAgg:
			return v.err(c.P, "aggregate "+c.Name+" cannot be nested in another aggregate")
		case !w.aggOK:
			return v.err(c.P, "aggregate "+c.Name+" is allowed only in stats items, not in "+w.cmd)
		}
		w.inAgg = true
		for i, a := range c.Args {
			if _, star := a.(*Star); star {
				if c.Fn != "count" {
					return v.err(a.Pos(), "* is allowed only in count(*)")
				}
				continue
			}
			if c.Fn == "pct" && i == 1 {
				l, ok := a.(*Literal)
				if !ok || l.Val.Kind != KindNumber || l.Val.Num < 0 || l.Val.Num > 100 {
					return v.err(a.Pos(), "the percentile of pct must be a number from 0 to 100")
				}
				continue
			}
			if err := v.walk(a, w); err != nil {
				return err
			}
		}
		return nil
	}
	switch c.Fn {
	case "bin":
		if !w.binOK {
			if v.cols != nil {
				return v.err(c.P, "bin reads @timestamp, which rows do not have after stats; carry it forward (max(@timestamp) as @t) and use dateceil(@t, period)")
			}
			return v.err(c.P, "bin is allowed only as a stats by key")
		}
		if _, ok := c.Args[0].(*DurationLit); !ok {
			return v.err(c.Args[0].Pos(), "bin takes a period such as 5m, 1h or 1d")
		}
		return nil
	case "datefloor", "dateceil":
		if _, ok := c.Args[1].(*DurationLit); !ok {
			return v.err(c.Args[1].Pos(), c.Name+" takes a period such as 5m, 1h or 1d as its second argument")
		}
		return v.walk(c.Args[0], w)
	case "isipinsubnet", "isipv4insubnet", "isipv6insubnet":
		if l, ok := c.Args[1].(*Literal); ok {
			if _, err := netip.ParsePrefix(l.Val.Text()); err != nil {
				return v.err(l.P, "invalid CIDR "+strconv.Quote(l.Val.Text())+" in "+c.Name)
			}
		}
	}
	for _, a := range c.Args {
		if err := v.walk(a, w); err != nil {
			return err
		}
	}
	return nil
}
