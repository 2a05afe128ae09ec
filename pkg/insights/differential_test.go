package insights_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/ctq-dev/ctq/pkg/insights"
)

// queryGen generates random queries from the grammar over the fields and
// values of a record set.
type queryGen struct {
	rng    *rand.Rand
	fields []string
	values map[string][]string // observed string values per field
}

func newQueryGen(seed uint64, recs []*insights.Record) *queryGen {
	g := &queryGen{
		rng: rand.New(rand.NewPCG(seed, 7)),
		fields: []string{"eventName", "eventSource", "awsRegion", "errorCode", "userIdentity.type",
			"userIdentity.arn", "sourceIPAddress", "readOnly", "recipientAccountId", "userAgent", "eventType",
			"requestParameters.bucketName", "userIdentity.accessKeyId"},
		values: map[string][]string{},
	}
	for _, r := range recs[:min(len(recs), 400)] {
		for _, f := range g.fields {
			var v any = r.Doc
			for _, seg := range strings.Split(f, ".") {
				m, ok := v.(map[string]any)
				if !ok {
					v = nil
					break
				}
				v = m[seg]
			}
			if s, ok := v.(string); ok && !slices.Contains(g.values[f], s) {
				g.values[f] = append(g.values[f], s)
			}
		}
	}
	return g
}

func (g *queryGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *queryGen) value(f string) string {
	vs := g.values[f]
	if len(vs) == 0 || g.rng.IntN(8) == 0 {
		return `"none"`
	}
	return fmt.Sprintf("%q", g.pick(vs))
}

func (g *queryGen) cond(depth int) string {
	f := g.pick(g.fields)
	switch n := g.rng.IntN(10); {
	case depth < 2 && n == 0:
		return "(" + g.cond(depth+1) + " or " + g.cond(depth+1) + ")"
	case depth < 2 && n == 1:
		return g.cond(depth+1) + " and " + g.cond(depth+1)
	case n == 2:
		return "not ispresent(" + f + ")"
	case n == 3:
		return "ispresent(" + f + ")"
	case n == 4:
		return f + " != " + g.value(f)
	case n == 5:
		return f + " in [" + g.value(f) + ", " + g.value(f) + "]"
	case n == 6:
		v := strings.Trim(g.value(f), `"`)
		if len(v) > 3 {
			v = v[1:3]
		}
		return f + ` like "` + v + `"`
	case n == 7 && f == "readOnly":
		return "readOnly = 0"
	}
	return f + " = " + g.value(f)
}

var genAggs = []string{"count(*)", "count(%s)", "count_distinct(%s)", "min(@timestamp)", "max(@timestamp)",
	"earliest(%s)", "latest(%s)", "sum(readOnly)", "sortsFirst(%s)", "sortsLast(%s)", "min(%s)", "max(%s)"}

// query returns a random query: filters (and sometimes a { … } stage), then
// an aggregation or a projection, then maybe sort and limit.
func (g *queryGen) query() string {
	var stages []string
	for i := g.rng.IntN(3); i > 0; i-- {
		stages = append(stages, "filter "+g.cond(0))
	}
	if g.rng.IntN(4) == 0 {
		stages = append(stages, `{ $.eventSource = "`+strings.Trim(g.value("eventSource"), `"`)+`" || $.errorCode = "*" }`)
	}
	if g.rng.IntN(3) > 0 {
		var items []string
		for i := 1 + g.rng.IntN(3); i > 0; i-- {
			a := g.pick(genAggs)
			if strings.Contains(a, "%s") {
				a = fmt.Sprintf(a, g.pick(g.fields))
			}
			items = append(items, a+fmt.Sprintf(" as a%d", i))
		}
		stats := "stats " + strings.Join(items, ", ")
		keys := []string{}
		for i := g.rng.IntN(3); i > 0; i-- {
			k := g.pick(g.fields)
			if g.rng.IntN(4) == 0 {
				k = "bin(" + g.pick([]string{"5m", "1h", "1d"}) + ")"
			}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			stats += " by " + strings.Join(keys, ", ")
		}
		stages = append(stages, stats)
		if g.rng.IntN(2) == 0 {
			stages = append(stages, "sort a1 desc")
			if g.rng.IntN(2) == 0 {
				stages = append(stages, fmt.Sprintf("limit %d", 1+g.rng.IntN(10)))
			}
		}
	} else {
		f1, f2 := g.pick(g.fields), g.pick(g.fields)
		stages = append(stages, "fields @timestamp, eventID, "+f1)
		switch g.rng.IntN(4) {
		case 0:
			stages = append(stages, "sort "+f2+" desc, eventID", fmt.Sprintf("limit %d", 1+g.rng.IntN(30)))
		case 1:
			stages = append(stages, "sort @timestamp asc, eventID | dedup "+f1+" | limit 20")
		case 2:
			stages = append(stages, fmt.Sprintf("limit %d", 1+g.rng.IntN(30)))
		}
	}
	if len(stages) == 0 {
		stages = append(stages, "stats count(*)")
	}
	return strings.Join(stages, " | ")
}
