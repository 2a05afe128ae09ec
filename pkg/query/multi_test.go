package query

import (
	"context"
	"errors"
	"testing"
)

// TestMultiPlan_Emit: a multi-pattern run emits each pattern's matches
// (counted in Matched) in (eventTime, eventID) order within a file, the
// same matches as each pattern run alone; an error from emit stops the run
// and is returned, and emit is not called again.
func TestMultiPlan_Emit(t *testing.T) {
	pl := buildPinLake(t)
	patterns := []string{`{ $.eventName = "ConsoleLogin" }`, `{ $.errorCode = * }`, `{ $.eventName = "ConsoleLogin" || $.eventName = "AssumeRole" }`}
	var nodes []Node
	for _, p := range patterns {
		q, err := Parse(p, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, q.Root)
	}
	plan, err := NewMultiPlan(nodes, MultiOptions{Options: Options{Workers: 2}})
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]Match, len(nodes))
	st, err := plan.Run(context.Background(), pl.lake, pl.snap, func(i int, m Match) error {
		if l := got[i]; len(l) > 0 && l[len(l)-1].File == m.File && matchLess(m, l[len(l)-1]) {
			t.Errorf("pattern %d: %s before %s in %s", i, l[len(l)-1].EventID, m.EventID, m.File)
		}
		got[i] = append(got[i], m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range patterns {
		_, alone := pl.run(t, p, Options{})
		if len(alone) == 0 || int64(len(got[i])) != st.Matched[i] || len(got[i]) != len(alone) {
			t.Errorf("%s: %d emitted, %d counted, %d alone", p, len(got[i]), st.Matched[i], len(alone))
		}
	}

	stop := errors.New("stop")
	calls := 0
	_, err = plan.Run(context.Background(), pl.lake, pl.snap, func(int, Match) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("error %v after %d calls; want %v after 1", err, calls, stop)
	}
}

func matchLess(a, b Match) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.EventID < b.EventID
}
