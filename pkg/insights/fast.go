package insights

import (
	"strings"

	"github.com/ctq-dev/ctq/pkg/query"
)

// The fast path of stats: when every stage before the first stats is
// pushed whole into the scan (pushdown's complete), and every key is a
// typed string column or bin() with a fixed period, and every item is one
// of count(*), count(f), count_distinct(f), min(@timestamp) and
// max(@timestamp) with f a typed string column, the lake scan computes the
// groups itself (query.Plan.Aggregate: grouping on dictionary codes per
// row group, per-worker partials merged once). Rows the scan cannot read
// exactly from typed columns come back as raw records and go through the
// reference evaluator; both results merge into the stats command's groups,
// and the rest of the pipeline runs as usual.

// aggSpec compiles a stats command for the scan, or reports false.
func aggSpec(c *Stats, maxGroups int) (query.AggSpec, bool) {
	spec := query.AggSpec{MaxGroups: maxGroups}
	for _, k := range c.By {
		switch x := k.Expr.(type) {
		case *FieldRef:
			col, ok := typedColumn(x)
			if !ok {
				return spec, false
			}
			spec.Keys = append(spec.Keys, query.AggKey{Column: col})
		case *Call:
			if x.Fn != "bin" {
				return spec, false
			}
			d := x.Args[0].(*DurationLit).D
			if d.Unit > UnitWeek {
				return spec, false // calendar periods
			}
			key := query.AggKey{PeriodMs: d.N * unitMs[d.Unit]}
			if d.Unit == UnitWeek {
				key.OffsetMs = mondayOffsetMs
			}
			spec.Keys = append(spec.Keys, key)
		default:
			return spec, false
		}
	}
	for _, it := range c.Items {
		call, ok := it.Expr.(*Call)
		if !ok {
			return spec, false
		}
		var arg Expr
		if len(call.Args) > 0 {
			arg = call.Args[0]
		}
		f, isField := arg.(*FieldRef)
		switch call.Fn {
		case "count":
			if _, star := arg.(*Star); arg == nil || star {
				spec.Items = append(spec.Items, query.AggItem{Op: query.AggCount})
				continue
			}
			col, ok := typedColumn(f)
			if !isField || !ok {
				return spec, false
			}
			spec.Items = append(spec.Items, query.AggItem{Op: query.AggCountColumn, Column: col})
		case "count_distinct":
			col, ok := typedColumn(f)
			if !isField || !ok {
				return spec, false
			}
			spec.Items = append(spec.Items, query.AggItem{Op: query.AggCountDistinct, Column: col})
		case "min", "max":
			if !isField || len(f.Segs) != 1 || f.Segs[0].Name != FieldTimestamp {
				return spec, false
			}
			op := query.AggMinTime
			if call.Fn == "max" {
				op = query.AggMaxTime
			}
			spec.Items = append(spec.Items, query.AggItem{Op: op})
		default:
			return spec, false
		}
	}
	return spec, true
}

// typedColumn returns the lake column of a field the scan can aggregate.
func typedColumn(f *FieldRef) (string, bool) {
	if f == nil || selector(f) == nil {
		return "", false
	}
	names := make([]string, len(f.Segs))
	for i, s := range f.Segs {
		names[i] = s.Name
	}
	col := strings.Join(names, ".")
	return col, query.AggColumn(col)
}

// mergeAgg folds one group the scan computed into the stats state.
func (st *statsState) mergeAgg(g *query.AggGroup, spec *query.AggSpec) error {
	keys := make([]Value, len(g.Keys))
	for i, k := range g.Keys {
		switch {
		case k.Null:
			keys[i] = Null
		case spec.Keys[i].Column == "":
			keys[i] = Time(k.Ms)
		default:
			keys[i] = String(k.Str)
		}
	}
	grp, err := st.groupFor(keys)
	if err != nil {
		return err
	}
	for i, acc := range grp.accs {
		switch a := acc.(type) {
		case *countAcc:
			a.n += g.Values[i]
		case *distinctAcc:
			for s := range g.Distinct[i] {
				a.seen[String(s).key()] = struct{}{}
			}
		case *minMaxAcc:
			if g.Has[i] {
				a.addValue(Time(g.Values[i]))
			}
		default:
			panic("BUG: no scan merge for accumulator " + spec.Items[i].Column)
		}
	}
	return nil
}
