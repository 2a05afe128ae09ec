package detect

import (
	"slices"
	"testing"
	"time"
)

// TestMergeDistinct: values merge as sorted unions per rule, group and
// period; old periods and, past the bound, the oldest periods go.
func TestMergeDistinct(t *testing.T) {
	r := &Rule{Name: "r", CountDistinct: "sourceIPAddress", Period: time.Hour, EvaluationPeriods: 1}
	set := func(vs ...string) map[string]struct{} {
		m := map[string]struct{}{}
		for _, v := range vs {
			m[v] = struct{}{}
		}
		return m
	}
	const h = 3600
	acc := func(byPeriod map[int64]map[string]struct{}) []*accumulator {
		return []*accumulator{{rule: r, tally: &tally{rule: r, distinct: map[string]map[int64]map[string]struct{}{"": byPeriod}}}}
	}
	st := map[string]map[int64][]string{}
	st = mergeDistinct(st, acc(map[int64]map[string]struct{}{10 * h: set("b", "a")}), 100)
	st = mergeDistinct(st, acc(map[int64]map[string]struct{}{10 * h: set("c", "a"), 11 * h: set("d")}), 100)
	if got := st["r"][10*h]; !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("period 10h: %q, want the union a b c", got)
	}
	// A period a day older than the latest one is dropped.
	st = mergeDistinct(st, acc(map[int64]map[string]struct{}{40 * h: set("e")}), 100)
	if _, ok := st["r"][10*h]; ok || len(st["r"][40*h]) != 1 {
		t.Fatalf("after a period 30 h later: %v", st["r"])
	}
	// Past the bound the oldest periods go first.
	st = mergeDistinct(st, acc(map[int64]map[string]struct{}{41 * h: set("f", "g")}), 2)
	if _, ok := st["r"][40*h]; ok || len(st["r"][41*h]) != 2 {
		t.Fatalf("with a bound of 2 values: %v", st["r"])
	}
}
