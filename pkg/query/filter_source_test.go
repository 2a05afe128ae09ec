package query_test

import (
	"context"
	"sort"
	"testing"

	"github.com/ctq-dev/ctq/pkg/query"
)

// Options.Sources keeps exactly the rows of the listed source objects, for
// typed, JSON-path, term and inexact (raw-evaluated) rows alike, in both the
// ordered and the counting path.
func TestEngine_SourcesRestriction(t *testing.T) {
	tl := buildLake(t, 4000)
	var keys []string
	for k := range tl.bySource {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) < 10 {
		t.Fatalf("only %d source objects", len(keys))
	}
	// Every third object, including some of the real-world events.
	set := map[string]bool{}
	for i, k := range keys {
		if i%3 == 0 {
			set[k] = true
		}
	}
	for _, pat := range []string{
		``,
		`{ $.eventName = "ConsoleLogin" || $.userIdentity.type = "Root" }`,
		`{ $.requestParameters.bucketName = * }`,
		`"AccessDenied"`,
		`{ $.eventVersion = "1.0*" || $.eventVersion = "1.08" }`,
	} {
		p := mustParse(t, pat)
		var want []string
		for k := range set {
			for _, r := range tl.bySource[k] {
				if query.MatchJSON(p.Root, r) {
					want = append(want, string(r))
				}
			}
		}
		sort.Strings(want)
		got, _ := tl.run(t, p.Root, query.Options{Sources: set})
		if d := diff(got, want); d != "" {
			t.Errorf("pattern %q restricted to %d objects: %s", pat, len(set), d)
		}
		all, _ := tl.run(t, p.Root, query.Options{})
		if pat == `` && len(all) <= len(got) {
			t.Errorf("the restriction removed nothing: %d of %d", len(got), len(all))
		}
		plan, err := query.NewPlan(p.Root, query.Options{Sources: set, CountOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		st, err := plan.Run(context.Background(), tl.lake, tl.snap, func(query.Match) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if st.RowsMatched != int64(len(want)) {
			t.Errorf("pattern %q: count %d, want %d", pat, st.RowsMatched, len(want))
		}
	}
	// An empty set keeps nothing; a nil set everything.
	if got, _ := tl.run(t, mustParse(t, ``).Root, query.Options{Sources: map[string]bool{}}); len(got) != 0 {
		t.Errorf("empty source set: %d matches", len(got))
	}
}
