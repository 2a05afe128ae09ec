package insights

import (
	"math"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/query"
)

// row is one row of the pipeline: a record (nil after stats) and the
// columns computed so far (aliases, fields, stats outputs).
type row struct {
	rec   *Record
	cols  []column // computed columns, by name (a few: a slice beats a map)
	seq   int      // input order
	order []Value  // order keys while in a topN buffer
}

// column is a computed column of a row.
type column struct {
	name string
	v    Value
}

// col returns the computed column name.
func (r *row) col(name string) (Value, bool) {
	for i := range r.cols {
		if r.cols[i].name == name {
			return r.cols[i].v, true
		}
	}
	return Null, false
}

func (r *row) set(name string, v Value) {
	for i := range r.cols {
		if r.cols[i].name == name {
			r.cols[i].v = v
			return
		}
	}
	r.cols = append(r.cols, column{name, v})
}

// env evaluates expressions. It is not safe for concurrent use.
type env struct {
	now  time.Time
	aggs map[*Call]Value // aggregate results while a stats item is finalized
}

// field reads a field reference: a computed column, a system field, or a
// path into the record. JSON null is null.
func (ev *env) field(r *row, f *FieldRef) Value {
	if v, ok := r.col(f.Name); ok {
		return v
	}
	if r.rec == nil {
		return Null
	}
	if len(f.Segs) == 1 && strings.HasPrefix(f.Segs[0].Name, "@") {
		if v, ok := systemField(r.rec, f.Segs[0].Name); ok {
			return v
		}
	}
	x, ok := resolve(r.rec.Doc, f.Segs)
	if !ok {
		return Null
	}
	return fromJSON(x)
}

func (ev *env) timestamp(r *row) Value {
	if v, ok := r.col(FieldTimestamp); ok {
		return v
	}
	if r.rec == nil {
		return Null
	}
	return recordTime(r.rec)
}

func (ev *env) eval(e Expr, r *row) Value {
	switch x := e.(type) {
	case *FieldRef:
		return ev.field(r, x)
	case *Literal:
		return x.Val
	case *Call:
		if v, ok := ev.aggs[x]; ok {
			return v
		}
		if v, ok := r.col(x.Text); ok {
			return v
		}
		return ev.call(x, r)
	case *Unary:
		v := ev.eval(x.X, r)
		if x.Op == "not" {
			return Bool(!v.Truthy())
		}
		if f, ok := v.arith(); ok {
			return Number(-f)
		}
		return Null
	case *Binary:
		return ev.binary(x, r)
	case *MatchExpr:
		return Bool(ev.match(x, r))
	case *InExpr:
		return Bool(ev.in(x, r))
	case *Access:
		v := ev.eval(x.X, r)
		if v.Kind != KindMap && v.Kind != KindList {
			return Null
		}
		got, ok := resolve(v.Obj, x.Segs)
		if !ok {
			return Null
		}
		return fromJSON(got)
	}
	return Null
}

func (ev *env) binary(b *Binary, r *row) Value {
	switch b.Op {
	case "and":
		return Bool(ev.eval(b.L, r).Truthy() && ev.eval(b.R, r).Truthy())
	case "or":
		return Bool(ev.eval(b.L, r).Truthy() || ev.eval(b.R, r).Truthy())
	}
	l, rv := ev.eval(b.L, r), ev.eval(b.R, r)
	if cmpOps[b.Op] {
		return Bool(compareOp(b.Op, l, rv))
	}
	x, ok1 := l.arith()
	y, ok2 := rv.arith()
	if !ok1 || !ok2 {
		return Null
	}
	var z float64
	switch b.Op {
	case "+":
		z = x + y
	case "-":
		z = x - y
	case "*":
		z = x * y
	case "/":
		if y == 0 {
			return Null
		}
		z = x / y
	case "%":
		if y == 0 {
			return Null
		}
		z = math.Mod(x, y)
	case "^":
		z = math.Pow(x, y)
	}
	if math.IsNaN(z) || math.IsInf(z, 0) {
		return Null
	}
	return Number(z)
}

// compareOp applies a comparison. A null, map or list operand makes every
// comparison false except !=, which is then true (spec §4.2).
func compareOp(op string, l, r Value) bool {
	if !l.isScalar() || !r.isScalar() {
		return op == "!="
	}
	switch op {
	case "=":
		return equalValues(l, r)
	case "!=":
		return !equalValues(l, r)
	}
	c, ok := compareValues(l, r)
	return ok && holds(op, c)
}

// holds applies an ordering operator (< <= > >=) to a comparison result.
func holds(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// match is like / =~: a string is a case-sensitive substring, a regex an
// unanchored search. A missing or non-scalar operand does not match, so
// not like is true for it.
func (ev *env) match(m *MatchExpr, r *row) bool {
	v := ev.eval(m.X, r)
	if !v.isScalar() {
		return m.Not
	}
	text := v.Text()
	var hit bool
	switch p := m.Pat.(type) {
	case *RegexLit:
		hit = p.Re.MatchString(text)
	case *Literal:
		hit = strings.Contains(text, p.Val.Str)
	}
	return hit != m.Not
}

// in is whole-value membership in a list literal or in an array value.
func (ev *env) in(n *InExpr, r *row) bool {
	v := ev.eval(n.X, r)
	if !v.isScalar() {
		return n.Not
	}
	found := false
	switch l := n.List.(type) {
	case *ListLit:
		for _, e := range l.Elems {
			if equalValues(v, e.Val) {
				found = true
				break
			}
		}
	default:
		lv := ev.eval(n.List, r)
		switch lv.Kind {
		case KindList:
			for _, x := range lv.Obj.([]any) {
				if ev := fromJSON(x); ev.isScalar() && equalValues(v, ev) {
					found = true
					break
				}
			}
		case KindNull, KindMap:
			return n.Not
		default:
			found = equalValues(v, lv)
		}
	}
	return found != n.Not
}

// matchPattern evaluates a { … } filter pattern stage on a row's record.
func matchPattern(p *PatternFilter, r *row) bool {
	if r.rec == nil {
		return false
	}
	return query.MatchJSON(p.Pattern.Root, r.rec.Raw)
}
