package query_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/query"
)

// TestPlan_Aggregate counts per eventName and awsRegion with the scan's
// aggregation and checks every group against the records themselves
// (inexact rows, which the scan hands back, counted from their JSON).
func TestPlan_Aggregate(t *testing.T) {
	tl := buildLake(t, 3000)
	p, err := query.NewPlan(&query.MatchAll{}, query.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	spec := query.AggSpec{
		Keys:      []query.AggKey{{Column: "eventName"}, {Column: "awsRegion"}},
		Items:     []query.AggItem{{Op: query.AggCount}, {Op: query.AggCountColumn, Column: "errorCode"}, {Op: query.AggCountDistinct, Column: "sourceIPAddress"}},
		MaxGroups: 100_000,
	}
	type key struct{ name, region string }
	type tally struct {
		n, errs int64
		ips     map[string]bool
	}
	got := map[key]*tally{}
	add := func(k key) *tally {
		if got[k] == nil {
			got[k] = &tally{ips: map[string]bool{}}
		}
		return got[k]
	}
	str := func(m map[string]any, f string) (string, bool) { s, ok := m[f].(string); return s, ok }
	inexact := 0
	groups, _, err := p.Aggregate(context.Background(), tl.lake, tl.snap, spec, func(raw []byte) error {
		inexact++
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		n, _ := str(m, "eventName")
		r, _ := str(m, "awsRegion")
		tl := add(key{n, r})
		tl.n++
		if _, ok := str(m, "errorCode"); ok {
			tl.errs++
		}
		if ip, ok := str(m, "sourceIPAddress"); ok {
			tl.ips[ip] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for g := range groups.Len() {
		tl := add(key{groups.Key(g, 0).Str, groups.Key(g, 1).Str})
		n, _ := groups.Value(g, 0)
		errs, _ := groups.Value(g, 1)
		tl.n += n
		tl.errs += errs
	}
	groups.ForEachDistinct(2, func(g int, ip string) {
		add(key{groups.Key(g, 0).Str, groups.Key(g, 1).Str}).ips[ip] = true
	})
	want := map[key]*tally{}
	for _, raw := range tl.records {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		n, _ := str(m, "eventName")
		r, _ := str(m, "awsRegion")
		k := key{n, r}
		if want[k] == nil {
			want[k] = &tally{ips: map[string]bool{}}
		}
		want[k].n++
		if _, ok := str(m, "errorCode"); ok {
			want[k].errs++
		}
		if ip, ok := str(m, "sourceIPAddress"); ok {
			want[k].ips[ip] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d groups, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if g == nil || g.n != w.n || g.errs != w.errs || len(g.ips) != len(w.ips) {
			t.Errorf("group %v: got %+v, want n=%d errs=%d ips=%d", k, g, w.n, w.errs, len(w.ips))
		}
	}
	if inexact == 0 {
		t.Log("no inexact rows in the test lake")
	}

	spec.MaxGroups = 3
	if _, _, err := p.Aggregate(context.Background(), tl.lake, tl.snap, spec, func([]byte) error { return nil }); !errors.Is(err, query.ErrAggGroups) {
		t.Errorf("MaxGroups 3: %v", err)
	}
	for _, bad := range []query.AggSpec{
		{MaxGroups: 0},
		{Keys: []query.AggKey{{Column: "requestParameters"}}, MaxGroups: 1},
		{Keys: []query.AggKey{{}}, MaxGroups: 1},
		{Items: []query.AggItem{{Op: query.AggCountDistinct, Column: "readOnly"}}, MaxGroups: 1},
	} {
		if _, _, err := p.Aggregate(context.Background(), tl.lake, tl.snap, bad, nil); err == nil || !strings.Contains(err.Error(), "aggregate:") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
