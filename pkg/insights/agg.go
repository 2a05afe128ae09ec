package insights

import (
	"math"
	"slices"
)

// accumulator folds the rows of one group into one aggregate (spec §4.4).
// add is called in input order.
type accumulator interface {
	add(ev *env, r *row)
	result() Value
}

// newAccumulator returns the accumulator of an aggregate call.
func newAccumulator(c *Call) accumulator {
	var arg Expr
	if len(c.Args) > 0 {
		arg = c.Args[0]
	}
	if _, star := arg.(*Star); star {
		arg = nil
	}
	switch c.Fn {
	case "count":
		return &countAcc{arg: arg}
	case "count_distinct":
		return &distinctAcc{arg: arg, seen: map[string]struct{}{}}
	case "sum", "avg":
		return &sumAcc{arg: arg, avg: c.Fn == "avg"}
	case "min", "max":
		return &minMaxAcc{arg: arg, max: c.Fn == "max", allNumeric: true}
	case "stddev":
		return &stddevAcc{arg: arg}
	case "pct":
		return &pctAcc{arg: arg, p: c.Args[1].(*Literal).Val.Num}
	case "earliest", "latest":
		return &timeAcc{arg: arg, latest: c.Fn == "latest"}
	case "sortsfirst", "sortslast":
		// The value first or last in sort order (§4.7), ties keeping the
		// first row: min/max with numeric comparison switched off.
		return &minMaxAcc{arg: arg, max: c.Fn == "sortslast"}
	}
	panic("BUG: no accumulator for " + c.Fn)
}

// countAcc counts rows (count(*), count()) or rows where arg is not null.
type countAcc struct {
	arg Expr
	n   int64
}

func (a *countAcc) add(ev *env, r *row) {
	if a.arg == nil || !ev.eval(a.arg, r).IsNull() {
		a.n++
	}
}
func (a *countAcc) result() Value { return Number(float64(a.n)) }

// distinctAcc counts distinct non-null values exactly, by kind and
// canonical text.
type distinctAcc struct {
	arg  Expr
	seen map[string]struct{}
}

func (a *distinctAcc) add(ev *env, r *row) {
	if v := ev.eval(a.arg, r); !v.IsNull() {
		a.seen[v.key()] = struct{}{}
	}
}
func (a *distinctAcc) result() Value { return Number(float64(len(a.seen))) }

// sumAcc sums the numeric values (numbers, numeric strings, booleans as
// 1/0); with none the result is null.
type sumAcc struct {
	arg Expr
	avg bool
	sum float64
	n   int64
}

func (a *sumAcc) add(ev *env, r *row) {
	if f, ok := ev.eval(a.arg, r).numeric(); ok {
		a.sum += f
		a.n++
	}
}
func (a *sumAcc) result() Value {
	if a.n == 0 {
		return Null
	}
	if a.avg {
		return Number(a.sum / float64(a.n))
	}
	return Number(a.sum)
}

// minMaxAcc keeps the smallest or largest value: numerically when every
// value is numeric, otherwise in sort order. It returns the original value.
type minMaxAcc struct {
	arg        Expr
	max        bool
	allNumeric bool
	num        Value // best by number
	numF       float64
	ord        Value // best by sort order
	have       bool
}

func (a *minMaxAcc) add(ev *env, r *row) {
	v := ev.eval(a.arg, r)
	if v.IsNull() {
		return
	}
	f, isNum := v.numeric()
	if !isNum {
		a.allNumeric = false
	}
	if !a.have {
		a.have, a.ord = true, v
		if isNum {
			a.num, a.numF = v, f
		}
		return
	}
	if c := orderValues(v, a.ord); (a.max && c > 0) || (!a.max && c < 0) {
		a.ord = v
	}
	if isNum && (a.num.IsNull() || (a.max && f > a.numF) || (!a.max && f < a.numF)) {
		a.num, a.numF = v, f
	}
}

func (a *minMaxAcc) result() Value {
	if !a.have {
		return Null
	}
	if a.allNumeric {
		return a.num
	}
	return a.ord
}

// stddevAcc is the sample standard deviation (n−1) of the numeric values;
// fewer than two give null. Welford's method keeps it stable.
type stddevAcc struct {
	arg     Expr
	n       int64
	mean, m float64
}

func (a *stddevAcc) add(ev *env, r *row) {
	f, ok := ev.eval(a.arg, r).numeric()
	if !ok {
		return
	}
	a.n++
	d := f - a.mean
	a.mean += d / float64(a.n)
	a.m += d * (f - a.mean)
}

func (a *stddevAcc) result() Value {
	if a.n < 2 {
		return Null
	}
	return Number(math.Sqrt(a.m / float64(a.n-1)))
}

// pctAcc is the nearest-rank percentile of the numeric values: the value at
// index ceil(p/100·n)−1, clamped to [0, n−1].
type pctAcc struct {
	arg  Expr
	p    float64
	vals []float64
}

func (a *pctAcc) add(ev *env, r *row) {
	if f, ok := ev.eval(a.arg, r).numeric(); ok {
		a.vals = append(a.vals, f)
	}
}

func (a *pctAcc) result() Value {
	n := len(a.vals)
	if n == 0 {
		return Null
	}
	slices.Sort(a.vals)
	i := int(math.Ceil(a.p/100*float64(n))) - 1
	return Number(a.vals[min(max(i, 0), n-1)])
}

// timeAcc is earliest/latest: the value from the row with the earliest or
// latest @timestamp among rows where the value is present. Rows without a
// timestamp lose to rows with one; ties go to the first (earliest) or last
// (latest) row in input order.
type timeAcc struct {
	arg    Expr
	latest bool
	best   Value
	ts     int64
	hasTS  bool
	have   bool
}

func (a *timeAcc) add(ev *env, r *row) {
	v := ev.eval(a.arg, r)
	if v.IsNull() {
		return
	}
	ts, hasTS := ev.timestamp(r).asTime()
	var better bool
	switch {
	case !a.have:
		better = true
	case !hasTS:
		better = !a.hasTS && a.latest
	case !a.hasTS:
		better = true
	case a.latest:
		better = ts >= a.ts
	default:
		better = ts < a.ts
	}
	if better {
		a.have, a.best, a.ts, a.hasTS = true, v, ts, hasTS
	}
}

func (a *timeAcc) result() Value {
	if !a.have {
		return Null
	}
	return a.best
}
