package query_test

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/query"
)

// A plan's own snapshot (files judged while the manifest is read) gives the
// run the same files, counters and matches as a full snapshot, and holds
// no value sets.
func TestPlanSnapshot_SameRunAsFullSnapshot(t *testing.T) {
	tl := buildLake(t, 3000)
	ctx := context.Background()
	day := gen.DefaultStart.UTC()
	for _, tc := range []struct {
		pattern string
		opts    query.Options
	}{
		{`{ $.eventName = "ConsoleLogin" }`, query.Options{}},
		{`{ $.eventType = "NoSuchType" }`, query.Options{}},
		{`{ $.errorCode = "AccessDenied*" }`, query.Options{Regions: []string{"us-east-1"}}},
		{`"AccessDenied"`, query.Options{Since: day.Add(6 * time.Hour), Until: day.Add(30 * time.Hour)}},
		{`{ $.eventVersion = "1.*" }`, query.Options{CountOnly: true}},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := query.Parse(tc.pattern, query.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			run := func(own bool) ([]string, *query.Stats) {
				plan, err := query.NewPlan(p.Root, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				snap := tl.snap
				if own {
					if snap, err = plan.Snapshot(ctx, tl.lake); err != nil {
						t.Fatal(err)
					}
					for path, f := range snap.Files {
						if f.Values != nil || f.Ranges != nil {
							t.Fatalf("%s keeps its value sets or ranges", path)
						}
					}
					if len(snap.Files)+len(snap.Dropped) != len(tl.snap.Files) {
						t.Fatalf("%d kept + %d dropped files, want the lake's %d", len(snap.Files), len(snap.Dropped), len(tl.snap.Files))
					}
				}
				var got []string
				st, err := plan.Run(ctx, tl.lake, snap, func(m query.Match) error {
					got = append(got, string(m.Raw))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				sort.Strings(got)
				return got, st
			}
			wantMs, wantSt := run(false)
			gotMs, gotSt := run(true)
			if !reflect.DeepEqual(gotSt, wantSt) {
				t.Errorf("stats %+v, want %+v", *gotSt, *wantSt)
			}
			if !reflect.DeepEqual(gotMs, wantMs) {
				t.Errorf("%d matches, want %d", len(gotMs), len(wantMs))
			}
			if wantSt.Files == 0 {
				t.Fatal("the lake has no files")
			}
		})
	}
}

// A snapshot filtered for one plan is not a snapshot of the lake for
// another, nor for a second run of the same plan.
func TestPlanSnapshot_OnlyForOneRunOfItsPlan(t *testing.T) {
	tl := buildLake(t, 1000)
	ctx := context.Background()
	p, err := query.Parse(`{ $.eventName = "ConsoleLogin" }`, query.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := query.NewPlan(p.Root, query.Options{CountOnly: true})
	b, _ := query.NewPlan(p.Root, query.Options{CountOnly: true})
	snap, err := a.Snapshot(ctx, tl.lake)
	if err != nil {
		t.Fatal(err)
	}
	noop := func(query.Match) error { return nil }
	if _, err := b.Run(ctx, tl.lake, snap, noop); err == nil {
		t.Error("another plan ran over the filtered snapshot")
	}
	if _, err := a.Run(ctx, tl.lake, snap, noop); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Run(ctx, tl.lake, snap, noop); err == nil {
		t.Error("a second run over the filtered snapshot: no error")
	}
}
