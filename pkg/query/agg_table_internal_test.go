package query

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// tableRow is one aggregated row of a table test: key values, a value for
// the count_distinct and count(column) items (nil: missing) and a time
// (nil: none).
type tableRow struct {
	keys []AggValue
	val  *string
	ms   *int64
}

// tableSpec has a string key, an eventTime key and every item.
var tableSpec = AggSpec{
	Keys: []AggKey{{Column: "sourceIPAddress"}, {PeriodMs: 1000}},
	Items: []AggItem{
		{Op: AggCount}, {Op: AggCountColumn, Column: "errorCode"}, {Op: AggCountDistinct, Column: "errorCode"},
		{Op: AggMinTime}, {Op: AggMaxTime}, {Op: AggCountDistinct, Column: "eventName"},
	},
	MaxGroups: 1000,
}

// fill aggregates rows into t the way aggConsumer does.
func fill(t *AggTable, rows []tableRow) error {
	var key []byte
	for _, r := range rows {
		key = key[:0]
		for i, v := range r.keys {
			key = appendAggKey(key, v, t.spec.Keys[i].Column == "")
		}
		g, err := t.group(key, aggHash(key))
		if err != nil {
			return err
		}
		t.vals[0][g]++
		if r.val != nil {
			t.vals[1][g]++
			v, err := t.value([]byte(*r.val))
			if err != nil {
				return err
			}
			t.addDistinct(g, 2, v)
			v, err = t.value([]byte("n" + *r.val))
			if err != nil {
				return err
			}
			t.addDistinct(g, 5, v)
		}
		if r.ms != nil {
			t.addTime(g, 3, *r.ms)
			t.addTime(g, 4, *r.ms)
		}
	}
	return nil
}

// tally is the expected aggregate of one group.
type tally struct {
	n, vals  int64
	distinct map[string]bool
	min, max *int64
}

func keyText(keys []AggValue) string { return fmt.Sprintf("%+v", keys) }

func expect(rows []tableRow) map[string]*tally {
	want := map[string]*tally{}
	for _, r := range rows {
		k := keyText(r.keys)
		w := want[k]
		if w == nil {
			w = &tally{distinct: map[string]bool{}}
			want[k] = w
		}
		w.n++
		if r.val != nil {
			w.vals++
			w.distinct[*r.val] = true
		}
		if r.ms != nil {
			if w.min == nil || *r.ms < *w.min {
				w.min = r.ms
			}
			if w.max == nil || *r.ms > *w.max {
				w.max = r.ms
			}
		}
	}
	return want
}

// check compares a frozen table with the expected groups.
func check(t *testing.T, name string, tab *AggTable, want map[string]*tally) {
	t.Helper()
	if tab.Len() != len(want) {
		t.Errorf("%s: %d groups, want %d", name, tab.Len(), len(want))
	}
	distinct := map[int]map[string]bool{}
	tab.ForEachDistinct(2, func(g int, v string) {
		if distinct[g] == nil {
			distinct[g] = map[string]bool{}
		}
		distinct[g][v] = true
	})
	named := map[int]int{}
	tab.ForEachDistinct(5, func(g int, v string) {
		if !strings.HasPrefix(v, "n") {
			t.Errorf("%s: item 5 has value %q of item 2", name, v)
		}
		named[g]++
	})
	for g := range tab.Len() {
		keys := make([]AggValue, len(tab.spec.Keys))
		for k := range keys {
			keys[k] = tab.Key(g, k)
		}
		w := want[keyText(keys)]
		if w == nil {
			t.Errorf("%s: unexpected group %s", name, keyText(keys))
			continue
		}
		if f, ok := tab.Find(keys); !ok || f != g {
			t.Errorf("%s: Find(%s) = %d, %v, want %d", name, keyText(keys), f, ok, g)
		}
		n, _ := tab.Value(g, 0)
		vals, _ := tab.Value(g, 1)
		nd, _ := tab.Value(g, 2)
		nd5, _ := tab.Value(g, 5)
		if n != w.n || vals != w.vals || nd != int64(len(w.distinct)) || nd5 != nd || named[g] != len(w.distinct) || !maps.Equal(distinct[g], w.distinct) {
			t.Errorf("%s: group %s: count %d, count(col) %d, distinct %d/%d %v, want %d, %d, %v", name, keyText(keys), n, vals, nd, nd5, distinct[g], w.n, w.vals, w.distinct)
		}
		for i, want := range []*int64{w.min, w.max} {
			got, ok := tab.Value(g, 3+i)
			if ok != (want != nil) || ok && got != *want {
				t.Errorf("%s: group %s: item %d = %d, %v, want %v", name, keyText(keys), 3+i, got, ok, want)
			}
		}
	}
	if _, ok := tab.Find([]AggValue{{Str: "no such key"}, {Null: true}}); ok {
		t.Errorf("%s: Find of a missing key succeeded", name)
	}
}

// dump prints every group's keys and values.
func dump(tab *AggTable) string {
	var b strings.Builder
	for g := range tab.Len() {
		for k := range tab.spec.Keys {
			fmt.Fprintf(&b, "%+v ", tab.Key(g, k))
		}
		for i := range tab.spec.Items {
			v, ok := tab.Value(g, i)
			fmt.Fprintf(&b, "%d/%v ", v, ok)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func str(s string) *string { return &s }
func ms(v int64) *int64    { return &v }

// TestAggTable_Merge fills two tables as two workers would and checks
// every group after merging either into the other: counts add up,
// distinct values unite (not count twice), times take the min and max;
// keys of every kind (null, empty, long, negative time) read back as
// they went in.
func TestAggTable_Merge(t *testing.T) {
	long := strings.Repeat("x", 300) // a length of two varint bytes
	k := func(s string, ms int64) []AggValue { return []AggValue{{Str: s}, {Ms: ms}} }
	null := []AggValue{{Null: true}, {Null: true}}
	a := []tableRow{
		{keys: k("10.0.0.1", 1000), val: str("Denied"), ms: ms(1500)},
		{keys: k("10.0.0.1", 1000), val: str("Denied"), ms: ms(1200)},
		{keys: k("10.0.0.1", 1000), val: str("Throttled")},
		{keys: k("", -5000), ms: ms(-4999)},
		{keys: null},
		{keys: k(long, 0), val: str(""), ms: ms(0)},
		{keys: []AggValue{{Null: true}, {Ms: 7000}}, val: str("a")},
	}
	b := []tableRow{
		{keys: k("10.0.0.1", 1000), val: str("Denied"), ms: ms(1900)},
		{keys: k("10.0.0.1", 1000), val: str("Other"), ms: ms(1001)},
		{keys: k("10.0.0.1", 2000), val: str("Denied")},
		{keys: null, val: str("b"), ms: ms(42)},
		{keys: k(long+"y", 0)},
		{keys: k("", -5000), ms: ms(-5000)},
	}
	want := expect(append(slices.Clone(a), b...))
	for _, order := range []string{"a<-b", "b<-a"} {
		ta, tb := newAggTable(&tableSpec), newAggTable(&tableSpec)
		if err := fill(ta, a); err != nil {
			t.Fatal(err)
		}
		if err := fill(tb, b); err != nil {
			t.Fatal(err)
		}
		if order == "b<-a" {
			ta, tb = tb, ta
		}
		if err := ta.merge(tb); err != nil {
			t.Fatal(err)
		}
		ta.freeze()
		check(t, order, ta, want)
		before := dump(ta)
		ta.DropIndex()
		if after := dump(ta); after != before {
			t.Errorf("%s: DropIndex changed the groups:\n%s\nwant\n%s", order, after, before)
		}
	}
}

// TestAggTable_Grow checks many groups and values through several
// regrowths of the index and the pair sets, against a map.
func TestAggTable_Grow(t *testing.T) {
	var rows []tableRow
	for i := range 20000 {
		rows = append(rows, tableRow{keys: []AggValue{{Str: fmt.Sprint("ip", i%997)}, {Ms: int64(i % 3)}}, val: str(fmt.Sprint(i % 101)), ms: ms(int64(i))})
	}
	spec := tableSpec
	spec.MaxGroups = 5000
	ta, tb := newAggTable(&spec), newAggTable(&spec)
	if err := fill(ta, rows[:12000]); err != nil {
		t.Fatal(err)
	}
	if err := fill(tb, rows[12000:]); err != nil {
		t.Fatal(err)
	}
	if err := ta.merge(tb); err != nil {
		t.Fatal(err)
	}
	ta.freeze()
	check(t, "grown", ta, expect(rows))
}

// TestAggTable_MaxGroups checks the bound on groups while filling and
// while merging.
func TestAggTable_MaxGroups(t *testing.T) {
	spec := tableSpec
	spec.MaxGroups = 3
	row := func(s string) tableRow { return tableRow{keys: []AggValue{{Str: s}, {Ms: 0}}} }
	ta := newAggTable(&spec)
	if err := fill(ta, []tableRow{row("a"), row("b"), row("c"), row("a")}); err != nil {
		t.Fatalf("3 groups with MaxGroups 3: %v", err)
	}
	if err := fill(ta, []tableRow{row("d")}); !errors.Is(err, ErrAggGroups) || !strings.Contains(err.Error(), "more than 3 groups") {
		t.Errorf("4th group: %v", err)
	}
	ta, tb := newAggTable(&spec), newAggTable(&spec)
	if err := fill(ta, []tableRow{row("a"), row("b")}); err != nil {
		t.Fatal(err)
	}
	if err := fill(tb, []tableRow{row("b"), row("c")}); err != nil {
		t.Fatal(err)
	}
	if err := ta.merge(tb); err != nil {
		t.Fatalf("merge to 3 groups: %v", err)
	}
	tc := newAggTable(&spec)
	if err := fill(tc, []tableRow{row("e")}); err != nil {
		t.Fatal(err)
	}
	if err := ta.merge(tc); !errors.Is(err, ErrAggGroups) {
		t.Errorf("merge to 4 groups: %v", err)
	}
}
